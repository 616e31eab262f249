"""Serving an authorized download, behind one interface chosen by DOWNLOAD_BACKEND:

- ``django``: streams from protected storage with single-range support, in constant memory,
  asking the policy again every DOWNLOAD_RECHECK_SECONDS or DOWNLOAD_RECHECK_BYTES. Serve it
  under WSGI (gunicorn): Django's ASGI handler buffers streaming bodies.
- ``nginx``: answers with X-Accel-Redirect to an internal location; nginx sends the bytes
  (Range included) from the same files. See deploy/nginx/.
- ``s3``: redirects to a presigned URL of at most 300 s (it cannot be revoked early).

nginx and S3 never ask again once they have started, so they are handed only responses that
cannot carry more than DOWNLOAD_MAX_RESPONSE_BYTES (a Range that small, or a file that
small; for S3 the Range is signed into the URL). A request for more, such as a browser
fetching a large file whole, is streamed by the ``django`` backend instead: slower and one
gunicorn thread per download, but a revocation stops it within the re-check bound.
`accord fetch` asks in segments of that size, so it stays on nginx or S3.
"""

from __future__ import annotations

from typing import BinaryIO, Protocol
from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse

from accord.audit.services import current_request
from accord.core.storage import protected_storage
from accord.downloads import ranges
from accord.downloads.models import DownloadLink
from accord.downloads.services import link_still_granted, record_handoff, record_served

S3_MAX_EXPIRY = 300


# Browser downloads land in one folder, so the file's folders go into its name, joined by
# this separator: HS/s01/ep01_2.avi is saved as HS__s01__ep01_2.avi, and two ep01_2.avi from
# different folders no longer overwrite each other. `accord fetch` keeps the folder layout.
BROWSER_NAME_SEPARATOR = "__"


def browser_file_name(path: str) -> str:
    """The name a browser saves the file under: its path inside the variant, folders joined
    by BROWSER_NAME_SEPARATOR."""
    return BROWSER_NAME_SEPARATOR.join(part for part in path.split("/") if part)


def content_disposition(path: str) -> str:
    """An attachment header for the file's name (its folders kept, see browser_file_name).
    Ingest accepts any name the file system does, so the quoted ASCII fallback keeps only
    printable characters other than the quote and backslash (a CR/LF made Django refuse the
    header: a 500 on every download); the exact name travels percent-encoded in filename*
    (RFC 6266, RFC 8187)."""
    name = browser_file_name(path)
    ascii_name = "".join(c if " " <= c <= "~" and c not in '"\\?' else "_" for c in name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def _private(response: HttpResponse, link: DownloadLink) -> HttpResponse:
    response["Content-Disposition"] = content_disposition(link.data_file.path)
    response["Cache-Control"] = "private, no-store"
    return response


class DownloadBackend(Protocol):
    name: str

    def respond(self, request: HttpRequest, link: DownloadLink) -> HttpResponse: ...


class DjangoStreamBackend:
    name = "django"

    def respond(self, request: HttpRequest, link: DownloadLink) -> HttpResponse:
        data_file = link.data_file
        storage = protected_storage()
        size = storage.size(data_file.storage_name)
        etag = f'"{data_file.sha256}"'
        range_header = request.headers.get("Range")
        byte_range = None
        if range_header and ranges.if_range_allows(request.headers.get("If-Range"), etag, None):
            try:
                byte_range = ranges.parse_range(range_header, size)
            except ranges.Unsatisfiable:
                response = HttpResponse(
                    f"The range {range_header!r} lies outside the file ({size} bytes).\n",
                    status=416,
                    content_type="text/plain; charset=utf-8",
                )
                response["Content-Range"] = f"bytes */{size}"
                return _private(response, link)
        start, length = (byte_range.start, byte_range.length) if byte_range else (0, size)
        status = 206 if byte_range else 200

        if request.method == "HEAD":
            response = HttpResponse(status=status, content_type=data_file.media_type)
        else:
            ctx = current_request.get()
            ip, agent = (ctx.ip_address, ctx.user_agent) if ctx else (None, "")
            label = f"{start}-{start + length - 1}" if byte_range else None

            def still_allowed() -> bool:
                return link_still_granted(link)

            def finished(sent: int) -> None:
                record_served(
                    stopped=body.stopped,
                    link=link,
                    sent=sent,
                    expected=length,
                    status=status,
                    byte_range=label,
                    backend=self.name,
                    ip_address=ip,
                    user_agent=agent,
                )

            body = ranges.FileRangeIterator(
                open_at(storage, data_file.storage_name, start, length),
                start=start,
                length=length,
                on_close=finished,
                still_allowed=still_allowed,
                recheck_seconds=settings.DOWNLOAD_RECHECK_SECONDS,
                recheck_bytes=settings.DOWNLOAD_RECHECK_BYTES,
            )
            response = StreamingHttpResponse(body, status=status, content_type=data_file.media_type)
        response["Content-Length"] = str(length)
        response["Accept-Ranges"] = "bytes"
        response["ETag"] = etag
        if byte_range:
            response["Content-Range"] = byte_range.content_range(size)
        return _private(response, link)


def _bounded(request: HttpRequest, size: int) -> bool:
    """May a server that never asks again (nginx, S3) answer this request?"""
    limit = settings.DOWNLOAD_MAX_RESPONSE_BYTES
    return (
        not limit
        or request.method == "HEAD"
        or ranges.response_bytes_at_most(
            request.headers.get("Range"), request.headers.get("If-Range"), size, limit
        )
    )


class NginxAccelBackend:
    name = "nginx"

    def respond(self, request: HttpRequest, link: DownloadLink) -> HttpResponse:
        if not _bounded(request, link.data_file.size):
            return DjangoStreamBackend().respond(request, link)
        prefix = settings.DOWNLOAD_NGINX_PREFIX.rstrip("/") + "/"
        response = HttpResponse(content_type=link.data_file.media_type)
        # nginx serves the internal location itself, honouring Range and If-Range.
        response["X-Accel-Redirect"] = prefix + quote(link.data_file.storage_name)
        response["X-Accel-Buffering"] = "no"
        record_handoff(link=link, backend=self.name, range_header=request.headers.get("Range"))
        return _private(response, link)


class S3PresignBackend:
    name = "s3"

    def respond(self, request: HttpRequest, link: DownloadLink) -> HttpResponse:
        if not _bounded(request, link.data_file.size):
            return DjangoStreamBackend().respond(request, link)
        expiry = min(settings.DOWNLOAD_LINK_TTL, S3_MAX_EXPIRY)
        parameters = {
            "ResponseContentDisposition": content_disposition(link.data_file.path),
            "ResponseContentType": link.data_file.media_type,
            "ResponseCacheControl": "private, no-store",
        }
        range_header = request.headers.get("Range")
        limit = settings.DOWNLOAD_MAX_RESPONSE_BYTES
        if range_header and limit and link.data_file.size > limit:
            # Signed into the URL (X-Amz-SignedHeaders): whoever holds the URL gets this
            # range and nothing else; the client resends the same header on the redirect.
            parameters["Range"] = range_header
        # Signed for the method that will follow the redirect: S3 refuses a HEAD on a URL
        # signed for GET (`curl -I -L`, a client checking the size first).
        url = protected_storage().url(
            link.data_file.storage_name,
            parameters=parameters,
            expire=expiry,
            http_method=request.method,
        )
        record_handoff(
            link=link,
            backend=self.name,
            range_header=request.headers.get("Range"),
            presigned_seconds=expiry,
        )
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"
        return response


def open_at(storage, name: str, start: int, length: int) -> BinaryIO:
    """The stored file, to be read from ``start``. From S3, one ranged GET read as it
    arrives: django-storages' own file object first copies the whole object to a local
    temporary file, and licensed data must not land on disk outside protected storage."""
    if getattr(storage, "bucket", None) is None:
        return storage.open(name, "rb")
    return _S3Range(storage, name, start, length)


class _S3Range:
    def __init__(self, storage, name: str, start: int, length: int):
        from storages.utils import clean_name

        self._position = start
        self._body = None
        if length > 0:
            key = storage._normalize_name(clean_name(name))
            self._body = storage.bucket.Object(key).get(
                Range=f"bytes={start}-{start + length - 1}"
            )["Body"]

    def seek(self, position: int) -> None:
        if position != self._position:
            raise ValueError("an S3 range is read in order")

    def tell(self) -> int:
        return self._position

    def read(self, size: int) -> bytes:
        chunk = self._body.read(size) if self._body is not None else b""
        self._position += len(chunk)
        return chunk

    def close(self) -> None:
        if self._body is not None:
            self._body.close()


BACKENDS: dict[str, type] = {
    "django": DjangoStreamBackend,
    "nginx": NginxAccelBackend,
    "s3": S3PresignBackend,
}


def get_backend() -> DownloadBackend:
    """Chosen per request from settings, so a deployment (or a test) can switch it."""
    return BACKENDS[settings.DOWNLOAD_BACKEND]()
