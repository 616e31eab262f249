"""A real SMTP server (aiosmtpd) for the account emails, and the sign-up and sign-in steps the
way a browser makes them."""

from __future__ import annotations

import re
import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

PASSWORD = "a-long-enough-passphrase-42"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Collector(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]


def text_of(message) -> str:
    if message.is_multipart():
        message = message.get_payload(0)
    return (message.get_payload(decode=True) or b"").decode()


@pytest.fixture
def smtp_server(settings):
    handler = _Collector()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    yield handler
    controller.stop()


def signup(client, email, *, password=PASSWORD, name="Ada Applicant"):
    return client.post(
        "/accounts/signup/",
        {"full_name": name, "email": email, "password1": password, "password2": password},
    )


def sign_in(client, email, password=PASSWORD, **headers):
    return client.post("/accounts/login/", {"login": email, "password": password}, **headers)


def confirmation_path(body: str) -> str | None:
    match = re.search(r"/accounts/confirm-email/[^\s/]+/", body)
    return match.group(0) if match else None
