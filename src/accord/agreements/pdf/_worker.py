"""The only code that parses or renders an uploaded PDF, run in a throw-away interpreter.

Started by ``accord.agreements.pdf.sandbox`` as ``python -I _worker.py <op> <json params>`` with
the PDF on stdin; it caps its own address space, CPU time and file writes *before* reading a
byte of the upload, answers one JSON object on stdout and exits. It imports nothing from
Accord or Django so a parser crash or a memory blow-up only ever takes this process down.

Ops: ``inspect`` (structure checks with pikepdf/qpdf), ``render`` (PNG pages with pypdfium2),
``qr`` (render and read QR codes with zxing-cpp).
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
        # viewer will show.
        if isinstance(form, pikepdf.Dictionary):
            fields = form.get("/Fields")
            if (isinstance(fields, pikepdf.Array) and len(fields) > 0) or "/XFA" in form:
                found.add("form")


def _walk(pdf, limits: dict) -> None:
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
        if code in found:
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
            _walk(pdf, params["limits"])
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


OPS = {"inspect": op_inspect, "render": op_render, "qr": op_qr}


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
