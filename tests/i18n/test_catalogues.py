"""`make test` fails when the Chinese or Finnish catalogue has an untranslated or fuzzy entry,
or is stale (the code has strings the catalogue lacks, or the catalogue keeps dropped ones).
After changing strings: see README "Languages" (makemessages, translate, compile)."""

from __future__ import annotations

import gettext
import os
import shutil
from pathlib import Path

import pytest

from accord.ops import catalogues

FAKE = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"

msgid "Datasets"
msgstr "Aineistot"

msgid "Sign in"
msgstr ""

#, fuzzy
msgid "Sign out"
msgstr "Kirjaudu"

msgid "%(count)d variant"
msgid_plural "%(count)d variants"
msgstr[0] "%(count)d versio"
msgstr[1] ""

msgctxt "month"
msgid "May"
msgstr "toukokuu"

#~ msgid "Gone"
#~ msgstr "Poissa"
"""


@pytest.fixture
def fake_catalogue(tmp_path) -> Path:
    path = tmp_path / "django.po"
    path.write_text(FAKE, encoding="utf-8")
    return path


def test_check_names_an_untranslated_entry(fake_catalogue):
    assert "untranslated: 'Sign in'" in catalogues.untranslated(fake_catalogue)


def test_check_names_a_fuzzy_entry(fake_catalogue):
    assert "fuzzy: 'Sign out'" in catalogues.untranslated(fake_catalogue)


def test_check_names_a_plural_missing_one_form(fake_catalogue):
    assert "untranslated: '%(count)d variant'" in catalogues.untranslated(fake_catalogue)


def test_check_passes_translated_and_obsolete_entries(fake_catalogue):
    problems = " ".join(catalogues.untranslated(fake_catalogue))
    assert "Datasets" not in problems and "May" not in problems and "Gone" not in problems


def test_check_names_strings_the_code_added_or_dropped(fake_catalogue):
    fresh = {(None, "Datasets"), (None, "Sign in"), (None, "Sign out"), (None, "Apply")}
    fresh |= {(None, "%(count)d variant"), ("month", "May")}
    fresh -= {(None, "Sign in")}
    assert catalogues.stale(fake_catalogue, fresh) == [
        "missing: 'Apply'",
        "no longer in the code: 'Sign in'",
    ]


@pytest.mark.parametrize("language", catalogues.CATALOGUE_LANGUAGES)
def test_catalogue_is_fully_translated(language):
    problems = catalogues.untranslated(catalogues.catalogue_path(language))
    assert not problems, f"{len(problems)} entries of {language} need translating: {problems[:20]}"


@pytest.fixture(scope="module")
def fresh_msgids():
    if shutil.which("xgettext") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("xgettext (GNU gettext) is missing: CI must check the catalogues")
        pytest.skip("xgettext is missing (install GNU gettext): catalogues not checked")
    return catalogues.fresh_msgids()


@pytest.mark.parametrize("language", catalogues.CATALOGUE_LANGUAGES)
def test_catalogue_matches_the_strings_in_the_code(language, fresh_msgids):
    problems = catalogues.stale(catalogues.catalogue_path(language), fresh_msgids)
    assert not problems, (
        f"{language} is stale: run makemessages and translate ({len(problems)}): {problems[:20]}"
    )


def test_python_compiled_catalogue_translates_like_msgfmt(fake_catalogue, tmp_path):
    compiled = tmp_path / "django.mo"
    compiled.write_bytes(catalogues.mo_bytes(fake_catalogue))

    with compiled.open("rb") as mo:
        fi = gettext.GNUTranslations(mo)

    assert fi.gettext("Datasets") == "Aineistot"
    assert fi.pgettext("month", "May") == "toukokuu"
    assert fi.gettext("Sign in") == "Sign in"  # untranslated: English stands in
    assert fi.gettext("Sign out") == "Sign out"  # fuzzy: not used
    assert fi.ngettext("%(count)d variant", "%(count)d variants", 2) == "%(count)d variants"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt not installed")
@pytest.mark.parametrize("language", catalogues.CATALOGUE_LANGUAGES)
def test_python_compiled_catalogue_equals_msgfmts(language, tmp_path):
    import subprocess

    source = catalogues.catalogue_path(language)
    subprocess.run(["msgfmt", "-o", str(tmp_path / "gnu.mo"), str(source)], check=True)
    (tmp_path / "py.mo").write_bytes(catalogues.mo_bytes(source))

    with (tmp_path / "gnu.mo").open("rb") as a, (tmp_path / "py.mo").open("rb") as b:
        gnu, ours = gettext.GNUTranslations(a)._catalog, gettext.GNUTranslations(b)._catalog
    # msgfmt drops the POT-Creation-Date header line; every translation is the same.
    assert {k: v for k, v in ours.items() if k} == {k: v for k, v in gnu.items() if k}
