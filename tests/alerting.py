"""Real alert receivers on 127.0.0.1 for tests: an HTTP webhook endpoint and an SMTP server with AUTH."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

SMTP_USER, SMTP_PASSWORD = "alerts", "s3cret-for-tests"


@dataclass
class Webhook:
    """The JSON bodies POSTed to it, in order."""

    url: str
    posts: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def webhook() -> Iterator[Webhook]:
    """An HTTP server on a free loopback port that answers 200 to every POST and keeps its JSON body,
    as Slack, Mattermost and Discord incoming webhooks accept one."""
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append(json.loads(body))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Webhook(f"http://127.0.0.1:{server.server_address[1]}/hooks/alerts", received)
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    """The messages an SMTP server accepted after a successful login, in order."""

    host: str
    port: int
    messages: list[Message] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    def settings(self, to: str = "desk@example.org") -> dict[str, str]:
        return {
            "SPIDERMON_SMTP_HOST": self.host,
            "SPIDERMON_SMTP_PORT": str(self.port),
            "SPIDERMON_SMTP_USER": SMTP_USER,
            "SPIDERMON_SMTP_PASSWORD": SMTP_PASSWORD,
            "SPIDERMON_SMTP_ENFORCE_TLS": "0",  # loopback only: no certificate for a test server
            "SPIDERMON_EMAIL_TO": to,
        }


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    """aiosmtpd on a free loopback port, requiring AUTH (LOGIN or PLAIN) with the test's credentials."""
    with socket.socket() as probe:  # aiosmtpd's Controller checks its port by connecting: not 0
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Mailbox("127.0.0.1", port)

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            box.messages.append(message_from_bytes(envelope.original_content or envelope.content))
            return "250 OK"

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            SMTP_USER.encode(),
            SMTP_PASSWORD.encode(),
        )
        if ok:
            box.logins.append(mechanism)
        return AuthResult(success=ok)

    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticate,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
