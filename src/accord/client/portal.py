"""Talking to an Accord portal's API with a bearer token (never in a URL)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

USER_AGENT = "accord-fetch/1"


class PortalError(Exception):
    """The portal refused or could not be reached; the message says what to do."""


@dataclass(frozen=True)
class FileLink:
    url: str
    headers: dict[str, str]  # to send with every request to url
    segment_size: int | None  # the most bytes to ask for in one request


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail") or response.text[:200])
    except ValueError:
        return response.text[:200].strip() or response.reason_phrase


class Portal:
    def __init__(self, url: str, token: str, *, timeout: float = 60.0):
        self.url = url.rstrip("/")
        parts = urlsplit(self.url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self._authorization = {"Authorization": f"Bearer {token}"}
        self.api = httpx.Client(
            base_url=f"{self.url}/api/v1",
            headers={**self._authorization, "User-Agent": USER_AGENT},
            timeout=timeout,
        )
        # No Authorization by default: download links get it per request, and only to the
        # portal (httpx drops it when a redirect leaves the origin, e.g. to an S3 host).
        self.raw = httpx.Client(
            headers={"User-Agent": USER_AGENT}, timeout=timeout, follow_redirects=True
        )

    def close(self) -> None:
        self.api.close()
        self.raw.close()

    def get(self, path: str, *, not_found: str = "Not found.") -> httpx.Response:
        return self._call("GET", path, not_found=not_found)

    def post(self, path: str, *, not_found: str = "Not found.") -> httpx.Response:
        return self._call("POST", path, not_found=not_found)

    def _call(self, method: str, path: str, *, not_found: str) -> httpx.Response:
        try:
            response = self.api.request(method, path)
        except httpx.HTTPError as exc:
            raise PortalError(f"Cannot reach the portal at {self.url}: {exc}") from exc
        if response.status_code == 401:
            raise PortalError(
                "The portal refused the token (wrong, expired or revoked). Create a new one "
                f"at {self.url}/account/tokens/ and save it in your token file."
            )
        if response.status_code == 404:
            raise PortalError(not_found)
        if response.status_code >= 400:
            raise PortalError(f"The portal answered {response.status_code}: {_detail(response)}")
        return response

    def signing_key(self) -> bytes:
        for path in ("/.well-known/accord-signing-key", "/downloads/signing-key"):
            try:
                response = self.raw.get(self.url + path)
            except httpx.HTTPError as exc:
                raise PortalError(f"Cannot reach the portal at {self.url}: {exc}") from exc
            if response.status_code == 200 and b"PUBLIC KEY" in response.content:
                return response.content
        raise PortalError(f"The portal at {self.url} publishes no manifest signing key.")

    def link(self, file_id: int) -> FileLink:
        """A fresh link to one file. It is bound to this token, so the token goes with every
        request to it: to the portal the user named, whatever host the link's URL says."""
        data = self.post(
            f"/downloads/files/{file_id}/link",
            not_found="The portal no longer offers this file to you (access ended?).",
        ).json()
        path = urlsplit(data["url"]).path
        bound = data.get("binding", "token") == "token"
        return FileLink(
            url=self.origin + path,
            headers=dict(self._authorization) if bound else {},
            segment_size=data.get("segment_size") or None,
        )
