"""Serving an authorized download, behind one interface chosen by DOWNLOAD_BACKEND:

- ``django``: streams from protected storage with single-range support, in constant memory.
  Serve it under WSGI (gunicorn): Django's ASGI handler buffers streaming bodies.
- ``nginx``: answers with X-Accel-Redirect to an internal location; nginx sends the bytes
  (Range included) from the same files. See deploy/nginx/.
- ``s3``: redirects to a presigned URL of at most 300 s (it cannot be revoked early).
"""

from __future__ import annotations

from typing import Protocol
from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse

from accord.access import policy
from accord.audit.services import current_request
from accord.core.storage import protected_storage
from accord.downloads import ranges
from accord.downloads.models import DownloadLink
from accord.downloads.services import record_handoff, record_served

S3_MAX_EXPIRY = 300
# How often a transfer streamed by Django re-asks the policy (a revocation cuts it short).
RECHECK_SECONDS = 15.0


def content_disposition(path: str) -> str:
    """An attachment header for the file's name. Ingest accepts any name the file system
    does, so the quoted ASCII fallback keeps only printable characters other than the quote
    and backslash (a CR/LF made Django refuse the header: a 500 on every download); the
    exact name travels percent-encoded in filename*."""
    name = path.rsplit("/", 1)[-1]
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
                return policy.is_entitlement_usable(
                    link.user, link.entitlement
                ) and policy.can_download(link.user, data_file)

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
                storage.open(data_file.storage_name, "rb"),
                start=start,
                length=length,
                on_close=finished,
                still_allowed=still_allowed,
                recheck_seconds=RECHECK_SECONDS,
            )
            response = StreamingHttpResponse(body, status=status, content_type=data_file.media_type)
        response["Content-Length"] = str(length)
        response["Accept-Ranges"] = "bytes"
        response["ETag"] = etag
        if byte_range:
            response["Content-Range"] = byte_range.content_range(size)
        return _private(response, link)


class NginxAccelBackend:
    name = "nginx"

    def respond(self, request: HttpRequest, link: DownloadLink) -> HttpResponse:
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
        expiry = min(settings.DOWNLOAD_LINK_TTL, S3_MAX_EXPIRY)
        url = protected_storage().url(
            link.data_file.storage_name,
            parameters={
                "ResponseContentDisposition": content_disposition(link.data_file.path),
                "ResponseContentType": link.data_file.media_type,
                "ResponseCacheControl": "private, no-store",
            },
            expire=expiry,
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


BACKENDS: dict[str, type] = {
    "django": DjangoStreamBackend,
    "nginx": NginxAccelBackend,
    "s3": S3PresignBackend,
}


def get_backend() -> DownloadBackend:
    """Chosen per request from settings, so a deployment (or a test) can switch it."""
    return BACKENDS[settings.DOWNLOAD_BACKEND]()
