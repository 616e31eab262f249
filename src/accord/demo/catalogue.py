"""The demo catalogue: the two custodians Accord starts from, their datasets, variants,
required citations, publishable subjects and licence terms — the structured terms in our own
words and the facts (citations, subject IDs, naming rule), never the official texts."""

from __future__ import annotations

import datetime as dt

CUSTODIANS = [
    {
        "slug": "cmvs",
        "name": "Center for Machine Vision and Signal Analysis",
        "short_name": "CMVS",
        "parent_organisation": "University of Oulu",
        "country": "Finland",
        "website": "https://www.oulu.fi/en/research-groups/center-machine-vision-and-signal-analysis-cmvs",
        "contact_email": "smic-requests@cmvs.example",
        "address": "Center for Machine Vision and Signal Analysis\nUniversity of Oulu\nFinland",
    },
    {
        "slug": "ipcas",
        "name": "Institute of Psychology",
        "short_name": "IP-CAS",
        "parent_organisation": "Chinese Academy of Sciences",
        "country": "China",
        "website": "https://www.psych.ac.cn/",
        "contact_email": "casmemg-requests@ipcas.example",
        "address": "Institute of Psychology, Chinese Academy of Sciences\nBeijing, China",
    },
]

_SMIC_BIB = """@inproceedings{li2013smic,
  author    = {Li, Xiaobai and Pfister, Tomas and Huang, Xiaohua and Zhao, Guoying and Pietik{\\"a}inen, Matti},
  title     = {A Spontaneous Micro-expression Database: Inducement, Collection and Baseline},
  booktitle = {10th IEEE International Conference on Automatic Face and Gesture Recognition (FG)},
  year      = {2013}
}"""
_SMIC_SUB_BIB = """@inproceedings{pfister2011recognising,
  author    = {Pfister, Tomas and Li, Xiaobai and Zhao, Guoying and Pietik{\\"a}inen, Matti},
  title     = {Recognising Spontaneous Facial Micro-expressions},
  booktitle = {IEEE International Conference on Computer Vision (ICCV)},
  pages     = {1449--1456},
  year      = {2011}
}"""
_SMIC_E_BIB = """@article{li2018towards,
  author  = {Li, Xiaobai and Hong, Xiaopeng and Moilanen, Antti and Huang, Xiaohua and Pfister, Tomas and Zhao, Guoying and Pietik{\\"a}inen, Matti},
  title   = {Towards Reading Hidden Emotions: A Comparative Study of Spontaneous Micro-Expression Spotting and Recognition Methods},
  journal = {IEEE Transactions on Affective Computing},
  volume  = {9},
  number  = {4},
  pages   = {563--577},
  year    = {2018}
}"""
_CASMEMG_BIB = """@article{li2025casmemg,
  author  = {Li, Jingting and Lu, Shaoyuan and Wang, Yan and Dong, Zizhao and Wang, Su-Jing and Fu, Xiaolan},
  title   = {Could Micro-Expressions be Quantified? Electromyography Gives Affirmative Evidence},
  journal = {IEEE Transactions on Affective Computing},
  year    = {2025},
  doi     = {10.1109/TAFFC.2025.3575127}
}"""


def _authors(names: str) -> list[dict[str, str]]:
    """CSL-JSON authors from "Family, Given; Family, Given"."""
    return [
        dict(zip(("family", "given"), (p.strip() for p in name.split(",", 1)), strict=True))
        for name in names.split(";")
    ]


# The same references as CSL-JSON items: what Accord generates BibTeX, RIS, text and
# CITATION.cff from (accord.catalog.citations).
_SMIC_CSL = {
    "type": "paper-conference",
    "author": _authors(
        "Li, Xiaobai; Pfister, Tomas; Huang, Xiaohua; Zhao, Guoying; Pietikäinen, Matti"
    ),
    "title": "A Spontaneous Micro-expression Database: Inducement, Collection and Baseline",
    "container-title": "10th IEEE International Conference on Automatic Face and Gesture "
    "Recognition (FG)",
    "issued": {"date-parts": [[2013]]},
}
_SMIC_SUB_CSL = {
    "type": "paper-conference",
    "author": _authors("Pfister, Tomas; Li, Xiaobai; Zhao, Guoying; Pietikäinen, Matti"),
    "title": "Recognising Spontaneous Facial Micro-expressions",
    "container-title": "IEEE International Conference on Computer Vision (ICCV)",
    "page": "1449-1456",
    "issued": {"date-parts": [[2011]]},
}
_SMIC_E_CSL = {
    "type": "article-journal",
    "author": _authors(
        "Li, Xiaobai; Hong, Xiaopeng; Moilanen, Antti; Huang, Xiaohua; Pfister, Tomas; "
        "Zhao, Guoying; Pietikäinen, Matti"
    ),
    "title": "Towards Reading Hidden Emotions: A Comparative Study of Spontaneous "
    "Micro-Expression Spotting and Recognition Methods",
    "container-title": "IEEE Transactions on Affective Computing",
    "volume": "9",
    "issue": "4",
    "page": "563-577",
    "issued": {"date-parts": [[2018]]},
}
_CASMEMG_CSL = {
    "type": "article-journal",
    "author": _authors(
        "Li, Jingting; Lu, Shaoyuan; Wang, Yan; Dong, Zizhao; Wang, Su-Jing; Fu, Xiaolan"
    ),
    "title": "Could Micro-Expressions be Quantified? Electromyography Gives Affirmative Evidence",
    "container-title": "IEEE Transactions on Affective Computing",
    "issued": {"date-parts": [[2025]]},
    "DOI": "10.1109/TAFFC.2025.3575127",
}


_NO_COMMERCIAL = (
    "No commercial use of any kind: not for testing, developing or demonstrating commercial "
    "systems, not in advertising, not sold, not broadcast."
)
_NOTICE = (
    "The custodian may change these terms. Licensees are told before a new version takes "
    "effect and may accept it or opt out; opting out ends the previous agreement."
)
_WARRANTY = (
    "The data come without any warranty. The custodian makes a reasonable effort to keep the "
    "files free of viruses."
)

DATASETS = [
    {
        "custodian": "cmvs",
        "slug": "smic",
        "name": "SMIC — Spontaneous Micro-expression Database",
        "short_name": "SMIC",
        # S4 names papers to cite, not a name for the data.
        "citation_name": "",
        "citation_name_rule": "",
        "summary": "Spontaneous facial micro-expressions recorded with high-speed, visual and "
        "near-infrared cameras.",
        "description": (
            "SMIC contains spontaneous micro-expressions induced by emotional film clips while "
            "participants tried to hide their feelings. Clips are labelled positive, negative "
            "or surprise. Three releases exist: SMIC (HS, VIS and NIR subsets), SMIC-sub (the "
            "first, smaller version) and SMIC-E (extended clips for spotting).\n\n"
            "The files served by this demo portal are synthetic stand-ins with the same "
            "layout: noise patterns instead of faces."
        ),
        "modalities": ["high-speed video (100 fps)", "visual video", "near-infrared video"],
        "requires_affiliated_email": True,
        "variants": [
            {
                "slug": "smic",
                "name": "SMIC",
                "release": "1.0",
                "position": 0,
                "description": "HS, VIS and NIR subsets, micro-expression clips.",
                "subject_pattern": r"^[^/]+/s(?P<subject>\d+)/",
                "shared_pattern": r"^[^/]+/[^/]+_annotations\.csv$",
                "subject_column": "Subject",
            },
            {
                "slug": "smic-sub",
                "name": "SMIC-sub",
                "release": "0.9",
                "position": 1,
                "description": "The first version: a subset of the high-speed recordings.",
                "subject_pattern": r"^[^/]+/s(?P<subject>\d+)/",
                "shared_pattern": r"^[^/]+/[^/]+_annotations\.csv$",
                "subject_column": "Subject",
            },
            {
                "slug": "smic-e",
                "name": "SMIC-E",
                "release": "2.0",
                "position": 2,
                "description": "Extended long clips around each micro-expression, for spotting.",
                "subject_pattern": r"^[^/]+/s(?P<subject>\d+)/",
                "shared_pattern": r"^[^/]+/[^/]+_annotations\.csv$",
                "subject_column": "Subject",
            },
        ],
        "subjects": [f"{n:02d}" for n in (1, 2, 3, 4, 5, 6, 8, 9, 11, 12, 13, 14, 15, 18, 19, 20)],
        "publication_rule": {
            "mode": "allow",
            "subjects": ["01", "03", "04", "06", "20"],
            "conditions": (
                "Sample images only in academic papers and talks, only when necessary, as few "
                "as possible, and never linked to personal traits of the person shown."
            ),
            "notice": "",
        },
        "citations": [
            {
                "key": "li2013smic",
                "csl": _SMIC_CSL,
                "variants": [],
                "bibtex": _SMIC_BIB,
                "doi": "",
                "text": 'X. Li, T. Pfister, X. Huang, G. Zhao, M. Pietikäinen, "A Spontaneous '
                'Micro-expression Database: Inducement, Collection and Baseline", 10th IEEE Int. '
                "Conf. on Automatic Face and Gesture Recognition (FG), 2013.",
            },
            {
                "key": "pfister2011recognising",
                "csl": _SMIC_SUB_CSL,
                "variants": ["smic-sub"],
                "bibtex": _SMIC_SUB_BIB,
                "doi": "",
                "text": 'T. Pfister, X. Li, G. Zhao, M. Pietikäinen, "Recognising spontaneous '
                'facial micro-expressions", IEEE ICCV 2011, pp. 1449–1456.',
            },
            {
                "key": "li2018towards",
                "csl": _SMIC_E_CSL,
                "variants": ["smic-e"],
                "bibtex": _SMIC_E_BIB,
                "doi": "",
                "text": "X. Li, X. Hong, A. Moilanen, X. Huang, T. Pfister, G. Zhao, "
                'M. Pietikäinen, "Towards Reading Hidden Emotions: A Comparative Study of '
                'Spontaneous Micro-Expression Spotting and Recognition Methods", IEEE Trans. on '
                "Affective Computing 9(4):563–577, 2018.",
            },
        ],
        "license": {
            "version": 1,
            "title": "SMIC Licence Agreement (structured summary)",
            "effective_date": dt.date(2024, 1, 1),
            "clauses": [
                (
                    "S1",
                    "No commercial use",
                    _NO_COMMERCIAL,
                    "attestation",
                    "Signed attestation; the purpose statement and organisation type are recorded "
                    "and shown to the reviewer.",
                    [],
                ),
                (
                    "S2",
                    "No redistribution; restricted sample images",
                    "The data may not be passed on. Sample images may appear only in academic "
                    "papers and talks, only when necessary, as few as possible, never linked to "
                    "personal traits, and only of subjects 01, 03, 04, 06 and 20.",
                    "both",
                    "Signed attestation; per-subject publication consent registry; image "
                    "clearance check on registered publications.",
                    ["consent-registry", "image-clearance"],
                ),
                (
                    "S3",
                    "Signed by a group leader or professor",
                    "Access starts only after the agreement is signed by a group leader or "
                    "professor with a fixed position and the signed, dated scan reaches the "
                    "custodian. The signer's signature covers everyone who reports to them; the "
                    "signer decides who in the group gets access and carries the GDPR "
                    "responsibility.",
                    "enforced",
                    "Signer role with title and affiliation; signed-PDF upload; the signer is "
                    "copied on every message and manages the group's members.",
                    ["signer-role", "signed-agreement", "signer-manages-members"],
                ),
                (
                    "S4",
                    "Cite the database and send papers",
                    "Every publication cites the SMIC paper; SMIC-sub users also cite the ICCV "
                    "2011 paper and SMIC-E users the IEEE TAC 2018 paper. An electronic copy of "
                    "every paper goes to the custodian.",
                    "both",
                    "Citation generator per variant; publication register with PDF; "
                    "automatic citation check.",
                    ["citation-generator", "publication-register", "publication-citation-check"],
                ),
                (
                    "S5",
                    "Scientific research only",
                    "Use is limited to scientific research; no training of models for commercial "
                    "products.",
                    "attestation",
                    "Signed attestation.",
                    [],
                ),
                (
                    "S6",
                    "Changes to the terms",
                    _NOTICE,
                    "enforced",
                    "Licence versions with a notice period; accept or opt out; opting out revokes "
                    "access.",
                    ["terms-change-opt-out"],
                ),
                (
                    "S7",
                    "No warranty",
                    _WARRANTY,
                    "enforced",
                    "Files are scanned for malware at ingest and carry SHA-256 checksums.",
                    ["malware-scan", "checksums"],
                ),
            ],
        },
    },
    {
        "custodian": "ipcas",
        "slug": "casmemg",
        "name": "CASMEMG — EMG-based Micro-expression Database",
        "short_name": "CASMEMG",
        "citation_name": "CASMEMG",
        "citation_name_rule": "Publications must call the data “CASMEMG” (clause C4).",
        "summary": "Micro-expressions recorded as face video together with 7-channel facial "
        "electromyography.",
        "description": (
            "CASMEMG pairs face video of spontaneous micro-expressions with simultaneous "
            "facial electromyography (EMG) from seven muscles at 1000 Hz, with onset, apex and "
            "offset annotated in both signals.\n\n"
            "The files served by this demo portal are synthetic: noise-pattern clips and "
            "simulated EMG in the real layout."
        ),
        "modalities": ["face video", "facial EMG (7 channels, 1000 Hz)"],
        "requires_affiliated_email": True,
        "variants": [
            {
                "slug": "casmemg",
                "name": "CASMEMG",
                "release": "1.0",
                "position": 0,
                "description": "Video clips, EMG recordings and the annotation sheet.",
                "subject_pattern": r"^(?:video|emg)/sub(?P<subject>\d+)/",
                "shared_pattern": r"^(?:CASMEMG_annotations\.csv|README\.txt)$",
                "subject_column": "Subject",
            },
        ],
        "subjects": [f"{n:02d}" for n in range(1, 13)],
        "publication_rule": {
            "mode": "allow",
            "subjects": ["07"],
            "conditions": (
                "Sample images only in academic papers and talks, only when necessary, as few "
                "as possible, and never linked to personal traits of the person shown."
            ),
            "notice": "",
        },
        "citations": [
            {
                "key": "li2025casmemg",
                "csl": _CASMEMG_CSL,
                "variants": [],
                "bibtex": _CASMEMG_BIB,
                "doi": "10.1109/TAFFC.2025.3575127",
                "text": 'J. Li, S. Lu, Y. Wang, Z. Dong, S.-J. Wang, X. Fu, "Could '
                'Micro-Expressions be Quantified? Electromyography Gives Affirmative Evidence", '
                "IEEE Trans. on Affective Computing, 2025.",
            },
        ],
        "license": {
            "version": 1,
            "title": "CASMEMG Licence Agreement (structured summary)",
            "effective_date": dt.date(2025, 6, 1),
            "clauses": [
                (
                    "C1",
                    "No commercial use",
                    _NO_COMMERCIAL,
                    "attestation",
                    "Signed attestation.",
                    [],
                ),
                (
                    "C2",
                    "Signed from an institutional address; supervisor answers for members",
                    "The signer uses a fixed work email of their institution. Students and "
                    "temporary staff need a supervisor to sign, who lists every student or "
                    "employee with name and competition registration ID and answers for all of "
                    "them.",
                    "enforced",
                    "Free-mail domains refused and the address verified; supervisor flow; member "
                    "list with the registration ID field.",
                    ["affiliated-email", "signer-role", "signer-manages-members"],
                ),
                (
                    "C3",
                    "Safe storage, no redistribution, restricted images",
                    "Keep the data in a safe place with limited access, never on a path others "
                    "can reach; do not pass it on; only subject 07's images may be published, "
                    "under the same sample-image rules as SMIC.",
                    "both",
                    "Signed attestation; the download client makes private folders and warns "
                    "about shared ones; consent registry.",
                    ["private-folders", "consent-registry"],
                ),
                (
                    "C4",
                    "Name and cite the database",
                    'Publications call the data "CASMEMG" and cite the 2025 IEEE TAC paper '
                    "(doi:10.1109/TAFFC.2025.3575127).",
                    "both",
                    "Citation generator and check, including the dataset name.",
                    ["citation-generator", "publication-citation-check"],
                ),
                (
                    "C5",
                    "Changes to the terms",
                    _NOTICE,
                    "enforced",
                    "Licence versions with a notice period; accept or opt out.",
                    ["terms-change-opt-out"],
                ),
                (
                    "C6",
                    "No warranty",
                    _WARRANTY,
                    "enforced",
                    "Files are scanned for malware at ingest and carry SHA-256 checksums.",
                    ["malware-scan", "checksums"],
                ),
            ],
        },
    },
]

DEMO_PASSWORD = "accord-demo-2026"  # noqa: S105 - published demo credential, demo only
# Staff must use two-factor sign-in; the demo staff share this published TOTP secret so a
# visitor can add it to an authenticator app or ask `accord demo_code` for the current code.
DEMO_TOTP_SECRET = "ACCORDDEMOTOTPSECRETACCORDDEMO23"  # noqa: S105 - demo only

ACCOUNTS = [
    {
        "email": "reviewer@cmvs.example",
        "full_name": "Riikka Reviewer (CMVS)",
        "staff_of": "cmvs",
        "role": "admin",
    },
    {
        "email": "reviewer@ipcas.example",
        "full_name": "Wei Reviewer (IP-CAS)",
        "staff_of": "ipcas",
        "role": "admin",
    },
    {"email": "professor@uni.example", "full_name": "Prof. Paula Signer"},
    {"email": "student@uni.example", "full_name": "Sam Student"},
    {"email": "admin@accord.example", "full_name": "Portal Administrator", "superuser": True},
]
