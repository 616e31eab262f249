"""Fuzzing the PDF intake with malformed files: every input ends in a PdfInspection or a
PdfRefused, in bounded time; never another exception, never a hang.

Bounded to 60 examples (about 15 s) so it runs in every `make test`; each example is a fresh
worker process, so this also exercises the sandbox's start-up and answer parsing."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.agreements.pdf import PdfInspection, PdfRefused, inspect_pdf, render_pages

from .pdf_corpus import plain_pdf, raw_pdf, stream_object

# Uncompressed, so mutations land in objects, xref and content rather than in zlib noise.
BASE = plain_pdf(pages=2, compress=False)
PER_FILE_SECONDS = 10.0

KEYS = [
    b"/Type", b"/Subtype", b"/Pages", b"/Page", b"/Kids", b"/Count", b"/Parent", b"/Contents",
    b"/MediaBox", b"/Resources", b"/Length", b"/Filter", b"/DecodeParms", b"/S", b"/JS",
    b"/JavaScript", b"/URI", b"/Launch", b"/AA", b"/OpenAction", b"/A", b"/Annots", b"/Names",
    b"/EmbeddedFiles", b"/EF", b"/AcroForm", b"/Fields", b"/XFA", b"/Width", b"/Height",
    b"/XObject", b"/Encrypt", b"/Outlines", b"/Dests", b"/Predictor", b"/Columns",
]  # fmt: skip
NAMES = [
    b"/FlateDecode", b"/LZWDecode", b"/ASCII85Decode", b"/ASCIIHexDecode", b"/RunLengthDecode",
    b"/DCTDecode", b"/JBIG2Decode", b"/Crypt", b"/JavaScript", b"/Launch", b"/URI", b"/GoTo",
    b"/Page", b"/Pages", b"/Image", b"/Link", b"/Widget", b"/Bogus#00Name", b"/",
]  # fmt: skip

scalars = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**64).map(lambda n: b"%d" % n),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda f: b"%.3f" % f),
    st.sampled_from(NAMES),
    st.sampled_from([b"true", b"false", b"null", b"()", b"<>", b"(\\)", b"<zz>", b"(a(b)c)"]),
    st.integers(min_value=0, max_value=12).map(lambda n: b"%d 0 R" % n),
    st.binary(max_size=12).map(
        lambda raw: b"(" + raw.replace(b"\\", b"").replace(b")", b"") + b")"
    ),
)
pdf_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5).map(lambda items: b"[" + b" ".join(items) + b"]"),
        st.lists(st.tuples(st.sampled_from(KEYS), inner), max_size=5).map(
            lambda pairs: b"<< " + b" ".join(k + b" " + v for k, v in pairs) + b" >>"
        ),
    ),
    max_leaves=12,
)
extra_entries = st.lists(st.tuples(st.sampled_from(KEYS), pdf_values), max_size=4).map(
    lambda pairs: b" ".join(k + b" " + v for k, v in pairs)
)


@st.composite
def random_objects(draw) -> bytes:
    """A structurally plausible file whose dictionaries carry random entries."""
    catalog = b"<< /Type /Catalog /Pages 2 0 R " + draw(extra_entries) + b" >>"
    pages = b"<< /Type /Pages /Kids [3 0 R] /Count 1 " + draw(extra_entries) + b" >>"
    page = b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R " + draw(extra_entries) + b" >>"
    stream = stream_object(
        draw(extra_entries), draw(st.binary(max_size=200) | st.just(b"0 0 m 100 100 l S"))
    )
    extras = draw(st.lists(pdf_values, max_size=4))
    return raw_pdf([catalog, pages, page, stream, *extras])


def truncations():
    return st.integers(min_value=0, max_value=len(BASE)).map(lambda n: BASE[:n])


def byte_flips():
    flips = st.lists(
        st.tuples(st.integers(0, len(BASE) - 1), st.integers(0, 255)), min_size=1, max_size=30
    )

    def apply(changes):
        data = bytearray(BASE)
        for position, value in changes:
            data[position] = value
        return bytes(data)

    return flips.map(apply)


def insertions():
    def apply(args):
        position, garbage = args
        return BASE[:position] + garbage + BASE[position:]

    return st.tuples(st.integers(0, len(BASE)), st.binary(min_size=1, max_size=300)).map(apply)


malformed = st.one_of(truncations(), byte_flips(), insertions(), random_objects())


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=malformed)
def test_malformed_pdfs_end_in_inspection_or_refusal(data):
    started = time.monotonic()
    try:
        result = inspect_pdf(data, timeout=PER_FILE_SECONDS)
    except PdfRefused as refused:
        assert refused.code and refused.message
    else:
        assert isinstance(result, PdfInspection)
        assert result.pages >= 1
        # What we accept, reviewers must be able to see.
        try:
            pages = render_pages(data, dpi=20, max_pages=1)
        except PdfRefused:
            pass
        else:
            assert len(pages) == 1
    assert time.monotonic() - started < 2 * PER_FILE_SECONDS + 5
