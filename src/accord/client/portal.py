"""Talking to an Accord portal's API with a bearer token (never in a URL)."""

from __future__ import annotations

import httpx

USER_AGENT = "accord-fetch/1"


class PortalError(Exception):
    """The portal refused or could not be reached; the message says what to do."""


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail") or response.text[:200])
    except ValueError:
        return response.text[:200].strip() or response.reason_phrase


class Portal:
    def __init__(self, url: str, token: str, *, timeout: float = 60.0):
        self.url = url.rstrip("/")
        self.api = httpx.Client(
            base_url=f"{self.url}/api/v1",
            headers={"Authorization": f"Bearer {token}", "User-Agent": USER_AGENT},
            timeout=timeout,
        )
        # Download links carry their own short-lived secret: no Authorization header goes
        # with them (nor, after a redirect, to an S3 host).
        self.raw = httpx.Client(
            headers={"User-Agent": USER_AGENT}, timeout=timeout, follow_redirects=True
        )

    def close(self) -> None:
        self.api.close()
        self.raw.close()

    def get(self, path: str, *, not_found: str = "Not found.") -> httpx.Response:
        try:
            response = self.api.get(path)
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

    def link(self, file_id: int) -> str:
        return self.get(
            f"/downloads/files/{file_id}/link",
            not_found="The portal no longer offers this file to you (access ended?).",
        ).json()["url"]
