"""A real local HTTPS server for webhook deliveries (certificate from the pinned `trustme` dev
package, its CA given to the sender through CXAUDIT_WEBHOOK_CA_BUNDLE) and the allow-list
setting that lets the sender reach it on the loopback network. Plain HTTP is never allowed."""

from __future__ import annotations

import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trustme

from cxaudit.webhooks import addresses

NAMES = ("localhost", "hooks.example.test", "127.0.0.1")
LOOPBACK = "127.0.0.0/8,::1/128"


@pytest.fixture(scope="session")
def ca():
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_bundle(ca, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class HookServer:
    """Records each POST; answers with the next of `answers` (status, headers, body), then
    with the last one again."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    answers: list[tuple[int, dict, bytes]] = field(default_factory=lambda: [(200, {}, b"ok")])
    delay: float = 0.0

    def url(self, path: str = "/hook", host: str = "localhost") -> str:
        return f"https://{host}:{self.port}{path}"

    def answer(self, status: int, headers: dict | None = None, body: bytes = b"") -> None:
        self.answers = [(status, headers or {}, body)]


def _handler(server: HookServer):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            server.received.append(Received(self.path, dict(self.headers.items()), body))
            if server.delay:
                threading.Event().wait(server.delay)
            status, headers, payload = (
                server.answers.pop(0) if len(server.answers) > 1 else server.answers[0]
            )
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture(scope="session")
def _https(ca):
    state = HookServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*NAMES).configure_cert(context)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()


@pytest.fixture
def hook_server(_https, settings, ca_bundle) -> HookServer:
    """The server, reset, and settings that let the sender reach it."""
    _https.received.clear()
    _https.answers = [(200, {}, b"ok")]
    _https.delay = 0.0
    settings.CXAUDIT_WEBHOOK_ALLOW_CIDRS = LOOPBACK
    settings.CXAUDIT_WEBHOOK_CA_BUNDLE = ca_bundle
    settings.CXAUDIT_WEBHOOK_RETRY_SECONDS = 30
    settings.CXAUDIT_WEBHOOK_READ_TIMEOUT = 5
    return _https


@pytest.fixture
def resolver(monkeypatch):
    """A resolver whose answers the test chooses per host name (a list of answers is used one
    per call, the last one repeated); names not given resolve to 127.0.0.1. Records calls."""

    class Resolver:
        def __init__(self):
            self.answers: dict[str, list[list[str]]] = {}
            self.calls: list[str] = []

        def set(self, host: str, *answers: list[str]) -> None:
            self.answers[host] = list(answers)

        def __call__(self, host: str, port: int) -> list[str]:
            self.calls.append(host)
            queue = self.answers.get(host)
            if not queue:
                return ["127.0.0.1"]
            return queue.pop(0) if len(queue) > 1 else queue[0]

    fake = Resolver()
    monkeypatch.setattr(addresses, "resolve", fake)
    return fake
