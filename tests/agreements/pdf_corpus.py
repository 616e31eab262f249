"""Hostile and honest files for the PDF intake tests, generated on the fly (no checked-in
binaries). Each builder returns the file's bytes; ``HOSTILE`` maps a case to (builder, the
refusal code ``inspect_pdf`` must give it); ``CORPUS`` is the acceptance corpus, one ``Case``
per file with the outcome it must have through every way an agreement comes in (add a case
there and all three ways test it)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pikepdf
from fpdf import FPDF
from PIL import Image, ImageChops, ImageDraw

from accord.agreements.pdf import AgreementPdfData, build_agreement_pdf, render_pages
from accord.agreements.pdf.generate import MARGIN, QR_SIZE, QR_TOP, Region, qr_symbol_origin

# --- honest files -----------------------------------------------------------------------------


def plain_pdf(pages: int = 1, text: str = "Signed agreement", *, compress: bool = True) -> bytes:
    """A small ordinary text PDF, as a word processor would make it."""
    pdf = FPDF(format="A4")
    pdf.set_compression(compress)
    pdf.set_font("Helvetica", size=12)
    for number in range(pages):
        pdf.add_page()
        pdf.cell(0, 10, f"{text} - page {number + 1}")
    return bytes(pdf.output())


def agreement_data(reference: str = "ACC-2026-00042", **overrides) -> AgreementPdfData:
    values = dict(
        reference=reference,
        dataset_name="CASMEMG",
        custodian_name="Institute of Psychology, Chinese Academy of Sciences",
        license_title="CASMEMG Licence Agreement",
        license_version=3,
        effective_date=date(2026, 1, 1),
        clauses=[
            ("C1", "No commercial use", "The data is never used for any commercial purpose."),
            ("C2", "Responsible signer", "A supervisor with a fixed position signs for all."),
            ("C3", "Safe keeping", "The data stays in a place only the group can reach."),
        ],
        variants=["CASMEMG"],
        signer_name="Prof. Ada Example",
        signer_title="Professor",
        signer_affiliation="University of Examples",
        signer_email="ada@uni.example",
        signer_address="1 Campus Road, Example City",
        applicant_name="Sam Student",
        applicant_email="sam@uni.example",
        purpose="Testing micro-expression spotting methods on EMG signals.",
        answers=[("Organisation type", "University")],
        members=[("Sam Student", "sam@uni.example", {"Competition registration ID": "REG-7"})],
        generated_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
    )
    values.update(overrides)
    return AgreementPdfData(**values)


def scanned(
    pdf_bytes: bytes,
    *,
    dpi: int = 150,
    angle: float = 1.0,
    quality: int = 70,
    blank_qr: bool = False,
    damage_qr: bool = False,
) -> bytes:
    """What comes back from "print, sign, scan": page images at ``dpi``, slightly rotated, with
    sensor noise and JPEG artefacts, wrapped in an image-only PDF as scanners produce."""
    pages = []
    for png in render_pages(pdf_bytes, dpi=dpi):
        image = Image.open(io.BytesIO(png)).convert("L")
        width, height = image.size
        qr_box = (int(width * 0.72), 0, width, int(height * 0.17))  # top-right corner
        if blank_qr:
            ImageDraw.Draw(image).rectangle(qr_box, fill=255)
        if damage_qr:
            # Keep the three finder patterns, wipe the data modules between and below them.
            px = dpi / 25.4
            module = QR_SIZE / 33  # version 2 (25 modules) plus a 4-module quiet zone each side
            left = (210 - MARGIN - QR_SIZE + 4 * module) * px
            top = (QR_TOP + 4 * module) * px
            box = (left + 9 * module * px, top + 9 * module * px, left + 25 * module * px)
            ImageDraw.Draw(image).rectangle((box[0], box[1], box[2], box[2] - left + top), fill=255)
        # A hand signature, so the page is not pristine.
        ImageDraw.Draw(image).line(
            [
                (width * 0.1, height * 0.8),
                (width * 0.2, height * 0.78),
                (width * 0.3, height * 0.81),
            ],
            fill=30,
            width=3,
        )
        noise = Image.effect_noise(image.size, 18).point(lambda v: max(0, v - 128) // 3)
        image = ImageChops.subtract(image, noise)
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
        jpeg = io.BytesIO()
        image.save(jpeg, "JPEG", quality=quality)
        pages.append(Image.open(io.BytesIO(jpeg.getvalue())))
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=dpi)
    return out.getvalue()


def signed_by_hand(
    pdf_bytes: bytes,
    regions: list[Region],
    *,
    sign: bool = True,
    date: bool = True,
    tick: tuple[str, ...] = (),
    dpi: int = 150,
    angle: float = 1.5,
    scale: float = 0.97,
) -> bytes:
    """The generated agreement printed, signed, dated and ticked (in the boxes of the clauses
    in ``tick``) with a pen, and scanned: slightly rotated and scaled, as page images in an
    image-only PDF. ``regions`` says where (``generate.build_agreement``)."""
    px = dpi / 25.4
    pages = []
    for index, png in enumerate(render_pages(pdf_bytes, dpi=dpi)):
        image = Image.open(io.BytesIO(png)).convert("L")
        draw = ImageDraw.Draw(image)
        for region in (r for r in regions if r.page == index):
            left, top = qr_symbol_origin(region.qr_side)
            x, y = (left + region.x) * px, (top + region.y) * px
            w, h = region.width * px, region.height * px
            if region.kind == "signature" and sign:
                zigzag = [
                    (x + w * (0.1 + 0.08 * i), y + h * (0.35 if i % 2 else 0.75)) for i in range(9)
                ]
                draw.line(zigzag, fill=20, width=max(2, round(0.5 * px)))
            elif region.kind == "date" and date:
                stroke = [
                    (x + w * 0.1, y + h * 0.6),
                    (x + w * 0.5, y + h * 0.5),
                    (x + w * 0.6, y + h * 0.7),
                ]
                draw.line(stroke, fill=20, width=max(2, round(0.4 * px)))
            elif region.kind == "clause" and region.code in tick:
                check = [
                    (x + w * 0.15, y + h * 0.5),
                    (x + w * 0.4, y + h * 0.85),
                    (x + w * 1.1, y - h * 0.2),
                ]
                draw.line(check, fill=20, width=max(2, round(0.4 * px)))
        size = (round(image.width * scale), round(image.height * scale))
        image = image.resize(size, Image.Resampling.BICUBIC)
        pages.append(
            image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
        )
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=dpi)
    return out.getvalue()


def printed_blank(pdf_bytes: bytes, *, dpi: int = 150) -> bytes:
    """The generated agreement printed and scanned without anyone writing on it."""
    return scanned(pdf_bytes, dpi=dpi, angle=0.6)


def unsigned_original(pdf_bytes: bytes) -> bytes:
    """The generated agreement uploaded as downloaded: it is its own bytes."""
    return pdf_bytes


def resaved(pdf_bytes: bytes) -> bytes:
    """The generated agreement opened and saved again (other bytes, object streams, the same
    pages), as "save as" in a PDF program does."""
    pdf = pikepdf.open(io.BytesIO(pdf_bytes))
    out = io.BytesIO()
    pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True)
    return out.getvalue()


# --- digital signatures (PAdES), with a test CA of our own ---------------------------------------


class TestPki:
    """A root CA and a signer certificate issued by it, made fresh with ``cryptography``."""

    __test__ = False  # not a pytest test class

    def __init__(self, signer_name: str = "Ada Lovelace", ca_name: str = "Accord Test Root CA"):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        def name(common_name):
            return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

        def usage(**allowed):
            flags = dict.fromkeys(
                ("digital_signature", "content_commitment", "key_encipherment",
                 "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign",
                 "encipher_only", "decipher_only"),
                False,
            )  # fmt: skip
            return x509.KeyUsage(**{**flags, **allowed})

        now = datetime.now(UTC)
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        self.ca = (
            x509.CertificateBuilder()
            .subject_name(name(ca_name))
            .issuer_name(name(ca_name))
            .public_key(self.ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(usage(key_cert_sign=True, crl_sign=True), critical=True)
            .sign(self.ca_key, hashes.SHA256())
        )
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name(signer_name))
            .issuer_name(name(ca_name))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=365))
            .add_extension(usage(digital_signature=True, content_commitment=True), critical=True)
            .sign(self.ca_key, hashes.SHA256())
        )

    def ca_pem(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self.ca.public_bytes(serialization.Encoding.PEM)

    def sign(self, pdf_bytes: bytes) -> bytes:
        """``pdf_bytes`` signed with pyHanko (PAdES baseline, an invisible signature field)."""
        from asn1crypto import keys as asn1_keys
        from asn1crypto import x509 as asn1_x509
        from cryptography.hazmat.primitives import serialization
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        def der(certificate):
            return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))

        key = self.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        signer = signers.SimpleSigner(
            signing_cert=der(self.certificate),
            signing_key=asn1_keys.PrivateKeyInfo.load(key),
            cert_registry=SimpleCertificateStore.from_certs([der(self.ca)]),
        )
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes))
        metadata = signers.PdfSignatureMetadata(
            field_name="Signature", subfilter=fields.SigSeedSubFilter.PADES
        )
        # pyHanko signs through asyncio.run(), which refuses to start inside a running event
        # loop; Playwright's sync API keeps one running in the main thread of any test worker
        # that has driven Chromium. A thread of its own has no loop.
        with ThreadPoolExecutor(max_workers=1) as pool:
            signed = pool.submit(signers.sign_pdf, writer, metadata, signer=signer).result()
        return signed.getvalue()


def modified_after_signing(signed_bytes: bytes) -> bytes:
    """A signed PDF with an incremental update after the signature that draws new text on the
    first page: the signed bytes are intact, what a viewer shows is not what was signed."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(signed_bytes))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    added = writer.add_object(generic.StreamObject(stream_data=b"q 0 0 0 rg 100 400 200 40 re f Q"))
    contents = page.raw_get("/Contents")
    existing = list(contents) if isinstance(contents, generic.ArrayObject) else [contents]
    page["/Contents"] = generic.ArrayObject([*existing, added])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- raw PDF writing, for files no well-behaved library would produce ----------------------


def raw_pdf(objects: list[bytes], *, root: int = 1, version: bytes = b"1.7") -> bytes:
    """Serialise numbered objects (1-based, in order) with a correct xref table."""
    out = io.BytesIO()
    out.write(b"%PDF-" + version + b"\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\n" % (len(objects) + 1, root))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def stream_object(dictionary: bytes, data: bytes) -> bytes:
    return b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def page_with_contents(contents: bytes, filters: bytes = b"") -> bytes:
    """Catalog, pages, one page whose content stream is ``contents`` (already encoded)."""
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            stream_object(filters, contents),
        ]
    )


def zeros_deflate(gigabytes: float) -> bytes:
    """A valid zlib stream of ``gigabytes`` GiB of zeros, built without ever holding or
    compressing them: identical full-flushed deflate blocks repeated, and the Adler-32 of n zero
    bytes is ((n mod 65521) << 16) | 1."""
    block_size = 1 << 24
    count = max(1, int(gigabytes * (1 << 30)) // block_size)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(b"\0" * block_size) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(b"\0" * block_size) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert block == again, "full-flushed blocks of zeros must be identical"
    tail = compressor.flush(zlib.Z_FINISH)
    adler = (((count * block_size) % 65521) << 16) | 1
    return b"\x78\xda" + block * count + tail + struct.pack(">I", adler)


def bomb_single() -> bytes:
    """One FlateDecode content stream that inflates to 2 GiB of zeros (a 2 MB file)."""
    return page_with_contents(zeros_deflate(2), b"/Filter /FlateDecode")


def bomb_nested() -> bytes:
    """Two chained FlateDecode filters: a 20 KB file that inflates to 16 GiB."""
    inner = zeros_deflate(16)
    return page_with_contents(zlib.compress(inner, 9), b"/Filter [/FlateDecode /FlateDecode]")


def bomb_run_length() -> bytes:
    """RunLengthDecode (which qpdf decodes in memory): 8 MB that expand to 512 MB."""
    return page_with_contents(b"\x81\x00" * 4_000_000 + b"\x80", b"/Filter /RunLengthDecode")


def bomb_before_image_codec() -> bytes:
    """A Flate bomb hidden in front of a DCTDecode filter, which no checker decodes."""
    return page_with_contents(zeros_deflate(1), b"/Filter [/FlateDecode /DCTDecode]")


# --- hostile files built with pikepdf ----------------------------------------------------------


def _modified(change: Callable[[pikepdf.Pdf], None], **save_options) -> bytes:
    pdf = pikepdf.open(io.BytesIO(plain_pdf()))
    change(pdf)
    out = io.BytesIO()
    pdf.save(out, **save_options)
    return out.getvalue()


def _javascript_action() -> pikepdf.Dictionary:
    return pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('hi')"))


def encrypted() -> bytes:
    return _modified(
        lambda pdf: None, encryption=pikepdf.Encryption(owner="owner-secret", user="user-secret")
    )


def encrypted_no_user_password() -> bytes:
    """Opens without a password (only "permissions" are restricted): still refused."""
    return _modified(lambda pdf: None, encryption=pikepdf.Encryption(owner="owner", user=""))


def javascript_open_action() -> bytes:
    def change(pdf):
        pdf.Root.OpenAction = _javascript_action()

    return _modified(change)


def javascript_in_names() -> bytes:
    def change(pdf):
        tree = pikepdf.Dictionary(
            Names=pikepdf.Array(["hello", pdf.make_indirect(_javascript_action())])
        )
        pdf.Root.Names = pikepdf.Dictionary(JavaScript=tree)

    return _modified(change)


def javascript_page_aa() -> bytes:
    """Additional action on page open, as a direct dictionary nested in the page."""

    def change(pdf):
        pdf.pages[0].obj.AA = pikepdf.Dictionary(O=_javascript_action())

    return _modified(change)


def launch_action() -> bytes:
    def change(pdf):
        pdf.Root.OpenAction = pikepdf.Dictionary(
            S=pikepdf.Name.Launch, F=pikepdf.String("C:\\Windows\\System32\\calc.exe")
        )

    return _modified(change)


def _link(action: pikepdf.Dictionary) -> Callable[[pikepdf.Pdf], None]:
    def change(pdf):
        annotation = pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.Link,
            Rect=pikepdf.Array([50, 700, 300, 720]),
            A=action,
        )
        pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([annotation]))

    return change


def uri_link() -> bytes:
    return _modified(
        _link(pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://evil.example/")))
    )


def submit_form_link() -> bytes:
    return _modified(
        _link(
            pikepdf.Dictionary(
                S=pikepdf.Name.SubmitForm, F=pikepdf.String("https://collector.example/")
            )
        )
    )


def remote_goto_link() -> bytes:
    return _modified(
        _link(pikepdf.Dictionary(S=pikepdf.Name.GoToR, F=pikepdf.String("other.pdf"), D=[0]))
    )


def embedded_file() -> bytes:
    def change(pdf):
        pdf.attachments["payload.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ not really")

    return _modified(change)


def file_attachment_annotation() -> bytes:
    def change(pdf):
        spec = pikepdf.AttachedFileSpec(pdf, b"hidden", filename="note.txt")
        annotation = pikepdf.Dictionary(
            Type=pikepdf.Name.Annot,
            Subtype=pikepdf.Name.FileAttachment,
            Rect=pikepdf.Array([10, 10, 30, 30]),
            FS=spec.obj,
        )
        pdf.pages[0].obj.Annots = pikepdf.Array([pdf.make_indirect(annotation)])

    return _modified(change)


def acroform_with_field() -> bytes:
    def change(pdf):
        field = pdf.make_indirect(
            pikepdf.Dictionary(
                Type=pikepdf.Name.Annot,
                Subtype=pikepdf.Name.Widget,
                FT=pikepdf.Name.Tx,
                T=pikepdf.String("signature"),
                V=pikepdf.String("I did not really sign"),
                Rect=pikepdf.Array([100, 100, 300, 120]),
                P=pdf.pages[0].obj,
            )
        )
        pdf.pages[0].obj.Annots = pikepdf.Array([field])
        pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([field]))

    return _modified(change)


def xfa_form() -> bytes:
    def change(pdf):
        xfa = pdf.make_stream(b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'/>")
        pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([]), XFA=xfa)

    return _modified(change)


def thousand_pages() -> bytes:
    pdf = pikepdf.new()
    for _ in range(1000):
        pdf.add_blank_page(page_size=(595, 842))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def page_tree_loop() -> bytes:
    """A /Pages node that lists itself as its own kid."""
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        ]
    )


def no_pages() -> bytes:
    return raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])


def giant_image() -> bytes:
    """An image that declares 1,000,000 x 1,000,000 pixels (a renderer would try to allocate
    them); its data is a few bytes."""
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /XObject << /Im0 5 0 R >> >> /Contents 4 0 R >>",
            stream_object(b"", b"q 595 0 0 842 0 0 cm /Im0 Do Q"),
            stream_object(
                b"/Type /XObject /Subtype /Image /Width 1000000 /Height 1000000 "
                b"/ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode",
                zlib.compress(b"\0" * 1000),
            ),
        ]
    )


# --- not PDFs at all ---------------------------------------------------------------------------


def png_renamed() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(out, "PNG")
    return out.getvalue()


def html_renamed() -> bytes:
    return b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def zip_renamed() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("agreement.pdf", plain_pdf())
    return out.getvalue()


def truncated() -> bytes:
    data = build_agreement_pdf(agreement_data())
    return data[: len(data) // 2]


def header_only() -> bytes:
    return b"%PDF-1.7\n%%EOF\n"


HOSTILE: dict[str, tuple[Callable[[], bytes], str]] = {
    "empty file": (lambda: b"", "empty"),
    "PNG renamed .pdf": (png_renamed, "not-pdf"),
    "HTML renamed .pdf": (html_renamed, "not-pdf"),
    "zip renamed .pdf": (zip_renamed, "not-pdf"),
    "header and nothing else": (header_only, "damaged"),
    "truncated in half": (truncated, "damaged"),
    "encrypted with a password": (encrypted, "encrypted"),
    "encrypted, empty user password": (encrypted_no_user_password, "encrypted"),
    "JavaScript OpenAction": (javascript_open_action, "javascript"),
    "JavaScript in /Names": (javascript_in_names, "javascript"),
    "JavaScript page additional-action": (javascript_page_aa, "javascript"),
    "Launch action": (launch_action, "launch-action"),
    "URI action on a link": (uri_link, "uri-action"),
    "SubmitForm action": (submit_form_link, "action"),
    "GoToR action": (remote_goto_link, "action"),
    "embedded file": (embedded_file, "embedded-file"),
    "file attachment annotation": (file_attachment_annotation, "embedded-file"),
    "AcroForm with a field": (acroform_with_field, "form"),
    "XFA form": (xfa_form, "form"),
    "1,000 pages": (thousand_pages, "too-many-pages"),
    "no pages": (no_pages, "no-pages"),
    "page tree loop": (page_tree_loop, "damaged"),
    "2 GiB Flate bomb": (bomb_single, "too-complex"),
    "16 GiB nested Flate bomb": (bomb_nested, "too-complex"),
    "512 MB RunLength bomb": (bomb_run_length, "too-complex"),
    "Flate bomb in front of an image codec": (bomb_before_image_codec, "too-complex"),
    "1,000,000-pixel-square image": (giant_image, "too-complex"),
}


# --- more than a PDF: what comes before, after or between its parts ------------------------


def payload_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("invoice.exe", b"MZ" + b"\0" * 64)
    return out.getvalue()


def eicar_in_stream(*, compress: bool = False) -> bytes:
    """The EICAR test string in a page's content stream, as a comment (drawn as nothing)."""
    from tests.clamav import EICAR

    contents = b"%" + EICAR + b"\n"
    if compress:
        return page_with_contents(zlib.compress(contents), b"/Filter /FlateDecode")
    return page_with_contents(contents)


def eicar_after_eof() -> bytes:
    from tests.clamav import EICAR

    return plain_pdf() + EICAR


def incremental_update(base: bytes, objects: dict[int, bytes], *, listed: bool = True) -> bytes:
    """``base`` with an update appended as PDF writers and signing tools append one: the
    ``objects`` (number: body), a cross-reference section naming them (unless ``listed`` is
    false) and a trailer pointing back to the previous section, ending in %%EOF."""
    pdf = pikepdf.open(io.BytesIO(base))
    root, size = pdf.Root.objgen[0], int(pdf.trailer.Size)
    previous = int(base[base.rindex(b"startxref") + len(b"startxref") :].split()[0])
    out = bytearray(base if base.endswith(b"\n") else base + b"\n")
    offsets = {}
    for number, body in objects.items():
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n"
    for number, offset in offsets.items() if listed else ():
        out += b"%d 1\n%010d 00000 n \n" % (number, offset)
    size = max([size, *(number + 1 for number in objects)])
    out += b"trailer\n<< /Size %d /Root %d 0 R /Prev %d >>\n" % (size, root, previous)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def updated() -> bytes:
    """An honest incremental update: new document information, as a PDF editor adds it."""
    return incremental_update(plain_pdf(), {50: b"<< /Title (Signed agreement) >>"})


def orphan_object() -> bytes:
    """An update whose object no cross-reference section names: readers never look at it."""
    hidden = payload_zip().replace(b"\\", b"").replace(b"(", b"").replace(b")", b"")
    return incremental_update(plain_pdf(), {50: b"(" + hidden + b")"}, listed=False)


def javascript_in_earlier_revision() -> bytes:
    """JavaScript that an update removed from the current revision but that is still in the
    file, where a viewer showing earlier revisions runs it."""
    base = javascript_open_action()
    pdf = pikepdf.open(io.BytesIO(base))
    root, pages = pdf.Root.objgen[0], pdf.Root.Pages.objgen[0]
    return incremental_update(base, {root: b"<< /Type /Catalog /Pages %d 0 R >>" % pages})


def long_comment() -> bytes:
    data = plain_pdf()
    end = data.rindex(b"%%EOF")
    return data[:end] + b"%<script>" + b"A" * 300 + b"</script>\n" + data[end:]


HOSTILE.update(
    {
        "<script> before %PDF-": (lambda: b"<script>alert(1)</script>\n" + plain_pdf(), "prefix"),
        "<body onload> before %PDF-": (
            lambda: b'<body onload="alert(1)">\n' + plain_pdf(),
            "prefix",
        ),
        "HTML page before %PDF-": (lambda: b"<html><body>\n" + plain_pdf(), "not-pdf"),
        "ZIP after %%EOF": (lambda: plain_pdf() + payload_zip(), "trailing-data"),
        "<script> after %%EOF": (
            lambda: plain_pdf() + b"<script>alert(1)</script>",
            "trailing-data",
        ),
        "EICAR after %%EOF": (eicar_after_eof, "trailing-data"),
        "ZIP before a last %%EOF": (
            lambda: plain_pdf() + payload_zip() + b"\n%%EOF\n",
            "hidden-data",
        ),
        "object no cross-reference section names": (orphan_object, "hidden-data"),
        "payload in a long comment line": (long_comment, "hidden-data"),
        "JavaScript in an earlier revision": (javascript_in_earlier_revision, "javascript"),
    }
)


# --- the acceptance corpus: every way an agreement comes in -----------------------------------

STORED = "stored"


@dataclass(frozen=True)
class Case:
    """One file and what must happen to it, the same through the API upload, the web form and
    the staff email intake (tests/agreements/test_hostile_uploads.py runs all three).

    ``build`` makes the file for the application it is uploaded to (most ignore it; the
    generated original is that application's own). ``outcome`` is what happens without a
    virus scanner: ``STORED``, or the refusal's code as the API reports it (the web pages show
    its message). ``scanned`` is the outcome with ClamAV running, where it differs."""

    name: str
    build: Callable[[object], bytes]
    outcome: str
    scanned: str = ""

    def expected(self, *, scanner: bool) -> str:
        return (self.scanned or self.outcome) if scanner else self.outcome


CORPUS: list[Case] = [
    Case("plain PDF", lambda application: plain_pdf(), STORED),
    Case("PDF with an incremental update", lambda application: updated(), STORED),
    Case(
        "NUL and line-break padding after %%EOF",
        lambda application: plain_pdf() + b"\0" * 64 + b"\r\n",
        STORED,
    ),
    Case("byte-order mark before %PDF-", lambda application: b"\xef\xbb\xbf" + plain_pdf(), STORED),
    Case(
        "EICAR in a content stream",
        lambda application: eicar_in_stream(),
        STORED,
        scanned="malware-found",
    ),
    Case(
        "EICAR in a compressed stream",
        lambda application: eicar_in_stream(compress=True),
        STORED,
        scanned="malware-found",
    ),
    Case(
        "EICAR after %%EOF",
        lambda application: eicar_after_eof(),
        "pdf-trailing-data",
        scanned="malware-found",
    ),
    Case("ZIP after %%EOF", lambda application: plain_pdf() + payload_zip(), "pdf-trailing-data"),
    Case(
        "ZIP before a last %%EOF",
        lambda application: plain_pdf() + payload_zip() + b"\n%%EOF\n",
        "pdf-hidden-data",
    ),
    Case(
        "ZIP carrying the PDF",
        lambda application: _stored_zip(plain_pdf()),
        "pdf-not-pdf",
    ),
    Case(
        "HTML page before %PDF-",
        lambda application: b"<html><body>\n" + plain_pdf(),
        "pdf-not-pdf",
    ),
    Case(
        "<script> before %PDF-",
        lambda application: b"<script>alert(document.cookie)</script>\n" + plain_pdf(),
        "pdf-prefix",
    ),
    Case(
        "<body onload> before %PDF-",
        lambda application: b'<body onload="alert(document.cookie)">\n' + plain_pdf(),
        "pdf-prefix",
    ),
    Case(
        "HTML page after %%EOF",
        lambda application: plain_pdf() + b"<html><body><script>alert(1)</script></body></html>",
        "pdf-trailing-data",
    ),
    Case(
        "<script> after %%EOF",
        lambda application: plain_pdf() + b"\n<script>alert(1)</script>\n",
        "pdf-trailing-data",
    ),
    Case(
        "object no cross-reference section names",
        lambda application: orphan_object(),
        "pdf-hidden-data",
    ),
    Case("payload in a long comment line", lambda application: long_comment(), "pdf-hidden-data"),
    Case(
        "JavaScript in an earlier revision",
        lambda application: javascript_in_earlier_revision(),
        "pdf-javascript",
    ),
    # No trust roots are configured here: stored, and shown as "signature valid, signer not
    # trusted" (tests/agreements/test_pades.py covers trusted roots).
    Case("PAdES-signed PDF", lambda application: TestPki().sign(plain_pdf()), STORED),
    Case(
        "PAdES-signed PDF changed after signing",
        lambda application: modified_after_signing(TestPki().sign(plain_pdf())),
        "agreement-modified-after-signing",
    ),
]


def _stored_zip(content: bytes) -> bytes:
    """A ZIP holding ``content`` uncompressed, so a PDF reader finds the PDF inside."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("agreement.pdf", content)
    return out.getvalue()
