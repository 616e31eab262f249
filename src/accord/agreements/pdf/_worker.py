"""The only code that parses or renders an uploaded PDF, run in a throw-away interpreter.

Started by ``accord.agreements.pdf.sandbox`` as ``python -I _worker.py <op> <json params>`` with
the PDF on stdin; it caps its own address space, CPU time and file writes *before* reading a
byte of the upload, answers one JSON object on stdout and exits. It imports nothing from
Accord or Django so a parser crash or a memory blow-up only ever takes this process down.

Ops: ``inspect`` (structure checks with pikepdf/qpdf), ``render`` (PNG pages with pypdfium2),
``qr`` (render and read QR codes with zxing-cpp), ``regions`` (the ink where the signer signs and
ticks, compared with the blank agreement), ``pades`` (digital signatures, with pyHanko),
``text`` (a registered paper's text, with pdfminer.six).
"""

from __future__ import annotations

import base64
import io
import itertools
import json
import math
import resource
import sys
import time
import zlib

# Everything a PDF action dictionary may name in /S (ISO 32000-2, 12.6.4). Only internal
# navigation is harmless; every other action reaches outside the document or runs code.
HARMLESS_ACTIONS = {"/GoTo", "/Named", "/Trans", "/SetOCGState"}
ACTION_TYPES = HARMLESS_ACTIONS | {
    "/GoToR", "/GoToE", "/GoToDp", "/Launch", "/Thread", "/URI", "/Sound", "/Movie", "/Hide",
    "/SubmitForm", "/ResetForm", "/ImportData", "/JavaScript", "/Rendition", "/GoTo3DView",
    "/RichMediaExecute", "/ECMAScript",
}  # fmt: skip
ACTIVE_ANNOTATIONS = {"/RichMedia", "/Screen", "/Movie", "/Sound", "/3D"}
# When a file has several problems, report the one the applicant most needs to know about.
PRIORITY = [
    "javascript", "launch-action", "embedded-file", "form", "uri-action", "action",
    "active-content",
]  # fmt: skip
FLATE = {"/FlateDecode", "/Fl"}
IMAGE_CODECS = {
    "/DCTDecode",
    "/DCT",
    "/JPXDecode",
    "/JBIG2Decode",
    "/CCITTFaxDecode",
    "/CCF",
    "/Crypt",
}
CHUNK = 1 << 20


class Refused(Exception):
    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def limit_self(memory_bytes: int, cpu_seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


# --- inspect ----------------------------------------------------------------------------------


def _filters(stream) -> list[str]:
    import pikepdf

    value = stream.get("/Filter")
    if value is None:
        return []
    if isinstance(value, pikepdf.Array):
        return [str(item) for item in value]
    return [str(value)]


def _inflated_size(raw: bytes, levels: int, cap: int) -> int:
    """Decoded size of ``levels`` chained Flate filters, counting at most ``cap`` + 1 bytes and
    never holding more than a chunk in memory: a 1,000:1 bomb costs us milliseconds."""

    def source():
        for start in range(0, len(raw), CHUNK):
            yield raw[start : start + CHUNK]

    def inflate(chunks):
        decoder = zlib.decompressobj()
        try:
            for chunk in chunks:
                data = chunk
                while data:
                    out = decoder.decompress(data, CHUNK)
                    if out:
                        yield out
                    data = decoder.unconsumed_tail
                    if decoder.eof:
                        return
        except zlib.error:
            return  # viewers render what inflates; damage shows up as a short stream

    pipeline = source()
    for _ in range(levels):
        pipeline = inflate(pipeline)
    total = 0
    for out in pipeline:
        total += len(out)
        if total > cap:
            break
    return total


def _check_stream(stream, limits: dict, budget: list[int]) -> None:
    import pikepdf

    filters = _filters(stream)
    if stream.get("/Subtype") == "/Image":
        try:
            pixels = int(stream.get("/Width", 0)) * int(stream.get("/Height", 0))
        except (TypeError, ValueError):
            pixels = 0
        if pixels > limits["max_image_pixels"]:
            raise Refused("too-complex")
    # Image codecs (JPEG, JPEG 2000, JBIG2, fax) come last in a chain and expand by a bounded
    # factor of the declared image size, checked above; what precedes them can be a bomb.
    generic = list(itertools.takewhile(lambda name: name not in IMAGE_CODECS, filters))
    if not generic:
        return
    cap = limits["max_stream_bytes"]
    if all(name in FLATE for name in generic):
        size = _inflated_size(stream.read_raw_bytes(), len(generic), cap)
    else:
        # LZW, ASCII85, ASCIIHex, RunLength expand far less than Flate; qpdf decodes them in
        # memory, and RLIMIT_AS turns a bomb into MemoryError ("too-complex").
        try:
            size = len(stream.read_bytes(decode_level=pikepdf.StreamDecodeLevel.specialized))
        except pikepdf.PdfError as exc:
            if "bad_alloc" in str(exc):  # qpdf reports the failed allocation as a decode error
                raise Refused("too-complex") from None
            return  # undecodable data is drawn as nothing by viewers; not our threat
    if size > cap:
        raise Refused("too-complex")
    budget[0] -= size
    if budget[0] < 0:
        raise Refused("too-complex")


def _findings_in(obj, found: set[str]) -> None:
    """Flag what one dictionary says about itself (actions, attachments, forms)."""
    keys = set(obj.keys())
    if "/JS" in keys or "/JavaScript" in keys:
        found.add("javascript")
    if keys & {"/EmbeddedFiles", "/EF"}:
        found.add("embedded-file")
    if "/XFA" in keys:
        found.add("form")
    kind = str(obj.get("/Type", "")) if "/Type" in keys else ""
    subtype = str(obj.get("/Subtype", "")) if "/Subtype" in keys else ""
    if kind == "/EmbeddedFile" or subtype == "/FileAttachment":
        found.add("embedded-file")
    if subtype in ACTIVE_ANNOTATIONS:
        found.add("active-content")
    if "/S" in keys:
        action = str(obj.get("/S"))
        if action in ACTION_TYPES and action not in HARMLESS_ACTIONS:
            found.add(
                {
                    "/JavaScript": "javascript",
                    "/ECMAScript": "javascript",
                    "/Launch": "launch-action",
                    "/URI": "uri-action",
                }.get(action, "action")
            )
    if "/AcroForm" in keys:
        import pikepdf

        form = obj.get("/AcroForm")
        # A malformed /AcroForm (not a dictionary, /Fields not an array) is not a form any
        # viewer will show. Signature fields are what a digitally signed (PAdES) agreement
        # carries; nothing in them can be typed into or changes what a reviewer sees.
        if isinstance(form, pikepdf.Dictionary):
            fields = form.get("/Fields")
            if "/XFA" in form or (
                isinstance(fields, pikepdf.Array)
                and any(not _is_signature_field(field) for field in fields)
            ):
                found.add("form")


def _is_signature_field(field) -> bool:
    import pikepdf

    return isinstance(field, pikepdf.Dictionary) and field.get("/FT") == pikepdf.Name.Sig


def _walk(pdf, limits: dict, allow: frozenset[str] = frozenset()) -> None:
    """Refuse the first finding (by PRIORITY) not in ``allow``: a published paper may carry
    web links (``uri-action``), a signed agreement may not."""
    import pikepdf

    found: set[str] = set()
    budget = [limits["max_total_bytes"]]
    visited = 0
    # Every indirect object, plus the direct objects nested in it (an annotation's /A action is
    # often a direct dictionary). Indirect children are reached through pdf.objects instead.
    stack = [pdf.trailer, *pdf.objects]
    while stack:
        obj = stack.pop()
        visited += 1
        if visited > limits["max_objects"]:
            raise Refused("too-complex")
        if isinstance(obj, pikepdf.Stream):
            _check_stream(obj, limits, budget)
            _findings_in(obj.stream_dict, found)
            children = obj.stream_dict.values()
        elif isinstance(obj, pikepdf.Dictionary):
            _findings_in(obj, found)
            children = obj.values()
        elif isinstance(obj, pikepdf.Array):
            children = list(obj)
        else:
            continue
        for child in children:
            if (
                isinstance(child, pikepdf.Dictionary | pikepdf.Array | pikepdf.Stream)
                and not child.is_indirect
            ):
                stack.append(child)
    for code in PRIORITY:
        if code in found and code not in allow:
            raise Refused(code)


def _layout_module():
    import importlib.util
    import os.path

    # The interpreter runs isolated (-I): this folder is not on sys.path.
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_layout.py")
    spec = importlib.util.spec_from_file_location("_accord_pdf_layout", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _read_layout(data: bytes, limits: dict):
    layout = _layout_module()
    try:
        return layout.read_layout(data, max_objects=limits["max_objects"])
    except layout.LayoutRefused as refused:
        raise Refused(refused.code, **refused.params) from None


def _xref_offsets(pdf) -> set[int]:
    return {entry.offset for entry in pdf.get_xref_table().values() if entry.type == 1}


def _earlier_revisions(data: bytes, ends: list[int], limits: dict) -> set[int]:
    """An incremental update (a digital signature is one) keeps every earlier revision in the
    file, and viewers can show them ("view signed version"): check each one that opens as a
    document the way the whole file is checked. Returns the object offsets they name."""
    import pikepdf

    offsets: set[int] = set()
    for end in ends:
        try:
            pdf = pikepdf.open(io.BytesIO(data[:end]))
        except (pikepdf.PdfError, ValueError, RuntimeError):
            continue  # not a document on its own, e.g. a linearized file's first-page part
        with pdf:
            if pdf.is_encrypted:
                continue
            try:
                _walk(pdf, limits)
                offsets |= _xref_offsets(pdf)
            except pikepdf.PdfError:
                continue
    return offsets


def op_inspect(data: bytes, params: dict) -> dict:
    import pikepdf

    # Every byte must belong to the PDF (see _layout.py) before anything parses it.
    layout = _read_layout(data, params["limits"])
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        raise Refused("encrypted") from None
    except (pikepdf.PdfError, ValueError, RuntimeError):
        raise Refused("damaged") from None
    with pdf:
        if pdf.is_encrypted:
            raise Refused("encrypted")
        try:
            pages = len(pdf.pages)
        except (pikepdf.PdfError, RuntimeError, TypeError, ValueError):
            raise Refused("damaged") from None
        if pages == 0:
            raise Refused("no-pages")
        if pages > params["max_pages"]:
            raise Refused("too-many-pages", pages=pages, limit=params["max_pages"])
        try:
            for page in pdf.pages:
                if not isinstance(page.obj, pikepdf.Dictionary):
                    raise Refused("damaged")
                page.mediabox  # noqa: B018 - raises on a page qpdf could not rebuild
            _walk(pdf, params["limits"], frozenset(params.get("allow", ())))
            read = _xref_offsets(pdf)
        except pikepdf.PdfError:
            raise Refused("damaged") from None
        version = str(pdf.pdf_version)
    read |= _earlier_revisions(data, layout.revisions[:-1], params["limits"])
    read |= layout.xref_stream_offsets()
    if any(obj.offset not in read for obj in layout.objects):
        # An object no cross-reference section names: no reader shows it and no check
        # above looked inside it, so it can only be there to carry something past them.
        raise Refused("hidden-data")
    # qpdf repairs what it can; pdfium is what reviewers' page images come from, so a file it
    # cannot load or whose pages it cannot count is no use to anybody.
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise Refused("encrypted") from None
        raise Refused("damaged") from None
    try:
        if len(document) == 0:
            raise Refused("damaged")
        for index in range(len(document)):
            try:
                document[index].close()
            except pypdfium2.PdfiumError:
                raise Refused("damaged") from None
    finally:
        document.close()
    return {"pages": pages, "pdf_version": version}


# --- render and QR ----------------------------------------------------------------------------


def _pages(data: bytes):
    import pypdfium2

    try:
        return pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        raise Refused("encrypted" if "password" in str(exc).lower() else "damaged") from None


def _render(page, dpi: float, max_pixels: int, crop=(0, 0, 0, 0), grayscale=False):
    width, height = page.get_size()
    width -= crop[0] + crop[2]
    height -= crop[1] + crop[3]
    scale = dpi / 72
    if width <= 0 or height <= 0:
        raise Refused("damaged")
    if width * height * scale * scale > max_pixels:
        # A page may declare any size; pixels, not points, are what we can afford.
        scale = math.sqrt(max_pixels / (width * height))
    import pypdfium2

    try:
        bitmap = page.render(scale=scale, crop=crop, grayscale=grayscale, may_draw_forms=False)
        return bitmap.to_pil()
    except (pypdfium2.PdfiumError, MemoryError, OSError):
        # The document loaded, so a page that cannot be drawn ran out of memory.
        raise Refused("too-complex") from None


def op_render(data: bytes, params: dict) -> dict:
    document = _pages(data)
    images = []
    for index in range(min(len(document), params["max_pages"])):
        image = _render(document[index], params["dpi"], params["max_pixels"])
        buffer = io.BytesIO()
        # Scans are noise that barely compresses: level 3 is a third faster than the default.
        image.save(buffer, "PNG", compress_level=3)
        images.append(base64.b64encode(buffer.getvalue()).decode("ascii"))
    return {"pages": images}


def _read_codes(image) -> tuple[list[str], int]:
    import zxingcpp

    texts, errors = [], 0
    for code in zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormat.QRCode, return_errors=True
    ):
        if code.valid and code.text:
            texts.append(code.text)
        else:
            errors += 1
    return texts, errors


def op_qr(data: bytes, params: dict) -> dict:
    document = _pages(data)
    found: list[str] = []
    errors = 0
    # The code is on every page, so the first pages settle it; a long scan without any code
    # must end as "absent" within its budget, not as a timeout that refuses an honest upload.
    deadline = time.monotonic() + params["budget_seconds"]
    for index in range(min(len(document), params["max_pages"])):
        if index and time.monotonic() > deadline:
            break
        page = document[index]
        texts, bad = _read_codes(_render(page, params["dpi"], params["max_pixels"], grayscale=True))
        if not texts:
            # Our code sits in the top-right corner: look there again, closer.
            width, height = page.get_size()
            crop = (width * 0.5, height * 0.6, 0, 0)
            texts, bad2 = _read_codes(
                _render(page, params["dpi"] * 1.5, params["max_pixels"], crop, grayscale=True)
            )
            bad += bad2
        errors += bad
        found.extend(text for text in texts if text not in found)
        # A code may carry the content version after the reference ("LA-2026-1234567/AB12…"):
        # the first code of this reference settles it either way.
        expected = params["expected"]
        if any(text.strip().partition("/")[0].strip() == expected for text in found):
            break
    return {"found": found, "errors": errors}


# --- regions: was anything written where the signer signs and ticks? --------------------------

INK_LEVEL = 150  # grey values darker than this are ink (pen on paper survives a poor scan)
TEXT_CHARS = 20_000  # per page, plenty for an agreement page, a bound for a hostile one


def _dark(image):
    """Ink as 255, paper as 0."""
    return image.point(lambda v: 255 if v < INK_LEVEL else 0)


def _count(image) -> int:
    return image.histogram()[255]


def _qr_corners(image, expected: str, dpi: float, page, max_pixels: int):
    """The corners (top-left, top-right, bottom-right, bottom-left, in the symbol's own
    orientation) of the code of ``expected`` on a page image, or None."""
    import zxingcpp

    def corners(picture, scale=1.0, offset=(0.0, 0.0)):
        for code in zxingcpp.read_barcodes(picture, formats=zxingcpp.BarcodeFormat.QRCode):
            if code.valid and code.text.strip().partition("/")[0].strip() == expected:
                p = code.position
                return [
                    (offset[0] + point.x / scale, offset[1] + point.y / scale)
                    for point in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
                ]
        return None

    found = corners(image)
    if found is None:
        # As in op_qr: look at the top-right corner again, closer.
        width, height = page.get_size()
        crop = (width * 0.5, height * 0.6, 0, 0)
        zoom = _render(page, dpi * 1.5, max_pixels, crop, grayscale=True)
        scale = zoom.width / (width * 0.5 * dpi / 72)
        found = corners(zoom, scale, (width * 0.5 * dpi / 72, 0.0))
    return found


def _affine(source: list, target: list) -> tuple:
    """Least-squares affine map taking ``source`` points to ``target`` points, as PIL's
    (a, b, c, d, e, f): x' = a x + b y + c, y' = d x + e y + f."""
    sums = [[0.0] * 3 for _ in range(3)]
    rhs_x, rhs_y = [0.0] * 3, [0.0] * 3
    for (x, y), (tx, ty) in zip(source, target, strict=True):
        row = (x, y, 1.0)
        for i in range(3):
            for j in range(3):
                sums[i][j] += row[i] * row[j]
            rhs_x[i] += row[i] * tx
            rhs_y[i] += row[i] * ty

    def solve(rhs):
        def det(m):
            return (
                m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
                - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
            )

        whole = det(sums)
        if abs(whole) < 1e-9:
            raise Refused("damaged")
        out = []
        for column in range(3):
            m = [list(r) for r in sums]
            for i in range(3):
                m[i][column] = rhs[i]
            out.append(det(m) / whole)
        return out

    return (*solve(rhs_x), *solve(rhs_y))


def _box(rect, grow: float) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = rect
    return (round(x0 - grow), round(y0 - grow), round(x1 + grow), round(y1 + grow))


def _shift(box, dx: int, dy: int):
    return (box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy)


def _measure(template_ink, scan_ink, rect, px: float, inset_mm: float) -> dict:
    """Align the scan to the template around ``rect`` (a few millimetres of searching, enough
    for what the QR code's pixel corners leave uncertain at the page's far end), then count
    the ink inside ``rect`` that the blank template does not have there."""
    from PIL import ImageChops, ImageFilter

    context = _box(rect, 3 * px)
    reference = template_ink.crop(context)
    reach = round(3 * px)

    def cost(dx, dy):
        return _count(ImageChops.difference(reference, scan_ink.crop(_shift(context, dx, dy))))

    # Every other pixel, then every pixel around the best of those: a stroke a pixel off is
    # still closer than anything further away, so the optimum is not stepped over.
    guess = min(
        ((dx, dy) for dx in range(-reach, reach + 1, 2) for dy in range(-reach, reach + 1, 2)),
        key=lambda d: cost(*d),
    )
    best = min(
        ((guess[0] + dx, guess[1] + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)),
        key=lambda d: cost(*d),
    )
    scan_here = scan_ink.crop(_shift(context, *best))
    # How much of what the template prints around the region the scan shows where expected.
    printed = _count(reference)
    shown = _count(ImageChops.darker(reference, scan_here.filter(ImageFilter.MaxFilter(3))))
    inner = _box(rect, -inset_mm * px)
    inner_local = (
        inner[0] - context[0],
        inner[1] - context[1],
        inner[2] - context[0],
        inner[3] - context[1],
    )
    template_near = reference.filter(ImageFilter.MaxFilter(5)).crop(inner_local)
    new_ink = _count(ImageChops.subtract(scan_here.crop(inner_local), template_near))
    return {
        "ink_mm2": round(new_ink / (px * px), 2),
        "alignment": round(shown / printed, 3) if printed else 0.0,
    }


def op_regions(data: bytes, params: dict) -> dict:
    """``data`` is the upload followed by the blank template (its last ``template_size``
    bytes). Reports the text of each page of both and, for every region, the ink found there
    beyond what the template prints."""
    from PIL import Image

    split = len(data) - params["template_size"]
    upload = _pages(data[:split])
    template = _pages(data[split:])
    dpi, max_pixels = params["dpi"], params["max_pixels"]
    px = dpi / 25.4
    pages = min(len(upload), params["max_pages"])
    deadline = time.monotonic() + params["budget_seconds"]

    def text_of(document, count):
        texts = []
        for index in range(count):
            textpage = document[index].get_textpage()
            try:
                texts.append(textpage.get_text_bounded()[:TEXT_CHARS])
            finally:
                textpage.close()
        return texts

    scans: dict[int, tuple] = {}

    def scan(index):
        if index not in scans:
            page = upload[index]
            image = _render(page, dpi, max_pixels, grayscale=True)
            scans[index] = (image, _qr_corners(image, params["expected"], dpi, page, max_pixels))
        return scans[index]

    origin_x, origin_y = params["qr_origin"]
    results = []
    by_page: dict[int, list] = {}
    for region in params["regions"]:
        by_page.setdefault(region["page"], []).append(region)
    for template_index, regions in sorted(by_page.items()):
        side = regions[0]["qr_side"]
        left, top = origin_x * px, origin_y * px
        template_corners = [
            (left, top), (left + side * px, top), (left + side * px, top + side * px),
            (left, top + side * px),
        ]  # fmt: skip
        template_image = _render(template[template_index], dpi, max_pixels, grayscale=True)
        template_ink = _dark(template_image)
        rects = [
            (
                left + r["x"] * px,
                top + r["y"] * px,
                left + (r["x"] + r["width"]) * px,
                top + (r["y"] + r["height"]) * px,
            )
            for r in regions
        ]
        # The scan's pages are usually in order; a page scanned out of order is found too.
        candidates = sorted(range(pages), key=lambda i: (abs(i - template_index), i))
        found = None
        for index in candidates:
            if time.monotonic() > deadline:
                break
            image, corners = scan(index)
            if corners is None:
                continue
            coefficients = _affine(template_corners, corners)
            warped = image.transform(
                template_image.size,
                Image.Transform.AFFINE,
                coefficients,
                resample=Image.Resampling.BILINEAR,
                fillcolor=255,
            )
            scan_ink = _dark(warped)
            measured = [
                _measure(template_ink, scan_ink, rect, px, 0.7 if r["kind"] == "clause" else 0)
                for rect, r in zip(rects, regions, strict=True)
            ]
            if sum(m["alignment"] for m in measured) / len(measured) >= params["min_alignment"]:
                found = (index, measured)
                break
        for position, region in enumerate(regions):
            entry = {"kind": region["kind"], "code": region["code"], "page": template_index}
            if found is None:
                entry.update(scan_page=None, ink_mm2=None, alignment=None)
            else:
                entry.update(scan_page=found[0], **found[1][position])
            results.append(entry)
    return {
        "texts": text_of(upload, pages),
        "template_texts": text_of(template, len(template)),
        "regions": results,
    }


# --- pades: digital signatures ----------------------------------------------------------------

MAX_SIGNATURES = 5


def _name_of(certificate, which: str = "subject") -> str:
    name = getattr(certificate, which)
    return str(name.native.get("common_name") or name.human_friendly)[:200]


def op_pades(data: bytes, params: dict) -> dict:
    """Validate every embedded signature with pyHanko: integrity (the signed byte ranges hash
    to what was signed), the signer's certificate against the trust roots in the PEM bundle
    ``trust_roots`` (none: nobody is trusted), the signing time and what changed in the file
    after signing. Nothing is fetched from the network."""
    from pyhanko.keys import load_certs_from_pemder_data
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    roots = []
    if params.get("trust_roots"):
        with open(params["trust_roots"], "rb") as bundle:
            roots = list(load_certs_from_pemder_data(bundle.read()))
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception:
        # The file passed the structure checks, so it is a PDF; one whose signatures pyHanko
        # cannot even find is treated as unsigned, which claims nothing for it.
        return {"signatures": [], "count": 0}
    signatures = []
    for signature in embedded[:MAX_SIGNATURES]:
        context = ValidationContext(
            trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail"
        )
        entry = {"field": str(signature.field_name or "")[:100]}
        try:
            status = validate_pdf_signature(signature, context)
        except Exception as exc:
            # A signature pyHanko cannot even evaluate (malformed CMS, unknown algorithm).
            entry.update(error=f"{type(exc).__name__}"[:100])
            signatures.append(entry)
            continue
        when = status.signer_reported_dt
        if status.timestamp_validity is not None:
            when = status.timestamp_validity.timestamp
        level = status.modification_level
        entry.update(
            intact=bool(status.intact),
            valid=bool(status.valid),
            trusted=bool(status.trusted),
            signer=_name_of(status.signing_cert),
            issuer=_name_of(status.signing_cert, "issuer"),
            signing_time=when.isoformat() if when else "",
            coverage=status.coverage.name if status.coverage else "",
            modification=level.name if level is not None else "",
            docmdp_ok=status.docmdp_ok,
            trust_problem=str(status.trust_problem_indic.name)
            if status.trust_problem_indic
            else "",
        )
        signatures.append(entry)
    return {"signatures": signatures, "count": len(embedded)}


# --- text ------------------------------------------------------------------------------------


def op_text(data: bytes, params: dict) -> dict:
    """The text of the first ``max_pages`` pages in reading order, layout-aware (pdfminer.six:
    LAParams groups a two-column page's lines into one box per column, read column by column).
    Capped at ``max_chars`` so a page of generated glyphs cannot flood the caller."""
    from pdfminer.high_level import extract_text
    from pdfminer.layout import LAParams
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    try:
        text = extract_text(
            io.BytesIO(data),
            laparams=LAParams(line_margin=0.5, boxes_flow=0.5),
            maxpages=params["max_pages"],
        )
    except (PDFEncryptionError, PDFPasswordIncorrect):
        raise Refused("encrypted") from None
    return {"text": text[: params["max_chars"]], "truncated": len(text) > params["max_chars"]}


OPS = {
    "text": op_text,
    "inspect": op_inspect,
    "render": op_render,
    "qr": op_qr,
    "regions": op_regions,
    "pades": op_pades,
}


def main() -> int:
    op, params = sys.argv[1], json.loads(sys.argv[2])
    limit_self(params["memory_bytes"], params["cpu_seconds"])
    data = sys.stdin.buffer.read()
    try:
        result = {"ok": OPS[op](data, params)}
    except Refused as refused:
        result = {"refused": refused.code, "params": refused.params}
    except (MemoryError, OSError) as exc:
        # OSError here is a library that could not be mapped into the capped address space.
        result = {"refused": "too-complex", "params": {}, "detail": f"{type(exc).__name__}: {exc}"}
    except RecursionError:
        result = {"refused": "too-complex", "params": {}}
    except Exception as exc:
        result = {"refused": "damaged", "params": {}, "detail": f"{type(exc).__name__}: {exc}"}
    sys.stdout.write(json.dumps(result))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
