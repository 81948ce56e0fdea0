"""Shared fixtures: an organisation with one user per role, an outsider of another organisation,
a real Celery worker on Redis, a real SMTP sink, and headless Chromium through Playwright.

Outside CI a missing service skips the tests that need it, with the reason; with CI=true they
fail instead, so nothing is silently left untested.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from cxaudit.accounts.models import Location, Membership, Organization, Role, User

# Playwright's sync API runs an event loop in the test thread; the ORM calls we make there are
# ordinary blocking calls, so Django's async-safety guard does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

IN_CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "correct-horse-battery-9"
ROOT = Path(__file__).resolve().parent.parent


def skip_or_fail(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI requires this: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path_factory):
    """Uploaded files (evidence, imports) go to a temporary folder, never the project's media/."""
    settings.MEDIA_ROOT = tmp_path_factory.getbasetemp() / "media"


# --- organisation and roles -------------------------------------------------------------------


def make_user(email: str, **extra) -> User:
    return User.objects.create_user(email=email, password=PASSWORD, **extra)


@pytest.fixture
def org(db) -> Organization:
    return Organization.objects.create(slug="acme-rail", name="Acme Rail")


@pytest.fixture
def other_org(db) -> Organization:
    return Organization.objects.create(slug="other-bank", name="Other Bank")


@pytest.fixture
def location(org) -> Location:
    return Location.objects.create(organization=org, code="KGX", name="Kingsbridge")


@pytest.fixture
def other_location(other_org) -> Location:
    return Location.objects.create(organization=other_org, code="OB1", name="Other branch")


def _member(org: Organization, role: str, email: str) -> User:
    user = make_user(email, full_name=email.split("@")[0].title())
    Membership.objects.create(user=user, organization=org, role=role)
    return user


@pytest.fixture
def program_admin(org) -> User:
    return _member(org, Role.PROGRAM_ADMIN, "admin@acme.test")


@pytest.fixture
def reviewer(org) -> User:
    return _member(org, Role.REVIEWER, "reviewer@acme.test")


@pytest.fixture
def manager(org) -> User:
    return _member(org, Role.CLIENT_MANAGER, "manager@acme.test")


@pytest.fixture
def inside(org) -> Location:
    """The location `limited_manager` is limited to."""
    return Location.objects.get_or_create(
        organization=org, code="LIM-IN", defaults={"name": "Inside the limit"}
    )[0]


@pytest.fixture
def outside(org) -> Location:
    """A location outside `limited_manager`'s limit."""
    return Location.objects.get_or_create(
        organization=org, code="LIM-OUT", defaults={"name": "Outside the limit"}
    )[0]


@pytest.fixture
def limited_manager(org, inside, outside) -> User:
    """A client manager limited to the location `inside` (cxaudit.accounts.scope)."""
    user = _member(org, Role.CLIENT_MANAGER, "limited@acme.test")
    Membership.objects.get(user=user, organization=org).locations.set([inside])
    return user


@pytest.fixture
def shopper(org) -> User:
    return _member(org, Role.SHOPPER, "shopper@acme.test")


@pytest.fixture
def outsider(other_org) -> User:
    """A program admin of another organisation: must get 404 on everything of `org`."""
    return _member(other_org, Role.PROGRAM_ADMIN, "admin@other.test")


@dataclass
class Roles:
    users: dict[str, User] = field(default_factory=dict)

    def client(self, name: str) -> Client:
        c = Client()
        if name != "anonymous":
            c.force_login(self.users[name])
        return c


ROLE_NAMES = [
    "program_admin",
    "reviewer",
    "manager",
    "limited_manager",
    "shopper",
    "outsider",
    "anonymous",
]


@pytest.fixture
def roles(program_admin, reviewer, manager, limited_manager, shopper, outsider) -> Roles:
    return Roles(
        users={
            "program_admin": program_admin,
            "reviewer": reviewer,
            "manager": manager,
            "limited_manager": limited_manager,
            "shopper": shopper,
            "outsider": outsider,
        }
    )


@pytest.fixture
def admin_client_org(program_admin) -> Client:
    c = Client()
    c.force_login(program_admin)
    return c


# --- Redis and a real Celery worker -----------------------------------------------------------


@dataclass(frozen=True)
class SentTask:
    name: str
    args: list
    kwargs: dict


@pytest.fixture
def sent_tasks(monkeypatch) -> list[SentTask]:
    """The messages that cxaudit.enqueue hands to the broker, recorded instead of sent."""
    from cxaudit.celery import app

    sent: list[SentTask] = []

    def send_task(name, args=None, kwargs=None, **options):
        sent.append(SentTask(name, list(args or ()), dict(kwargs or {})))

    monkeypatch.setattr(app, "send_task", send_task)
    return sent


def _reachable(host: str, port: int) -> bool:
    sys.path.insert(0, str(ROOT / "scripts"))
    from services import reachable

    return reachable(f"{host}:{port}")


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = settings.CELERY_BROKER_URL
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if not _reachable(parts.hostname or "127.0.0.1", parts.port or 6379):
        skip_or_fail(f"Redis is not reachable at {url}")
    return url


@dataclass
class WorkerProcess:
    process: subprocess.Popen
    log: Path
    queue: str

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, kill: bool = False) -> None:
        if self.alive():
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
            self.process.wait(timeout=30)


def start_worker(queue: str, log: Path, extra_env: dict | None = None) -> WorkerProcess:
    """Start `celery worker` in a subprocess on the test database and wait until it is ready."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        skip_or_fail("the worker subprocess needs PostgreSQL (set DATABASE_URL)")
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}",
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "CELERY_QUEUE": queue,
            "CXAUDIT_TESTING": "true",
            "EMAIL_URL": os.environ.get("EMAIL_URL", "console:"),
            # Files the worker writes (exports) go where the test reads them.
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        }
    )
    env.update(extra_env or {})
    handle = log.open("w")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "cxaudit",
            "worker",
            "-Q",
            queue,
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"test-{queue}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"worker exited early:\n{log.read_text()}")
        if "ready." in log.read_text():
            return WorkerProcess(proc, log, queue)
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"worker did not become ready:\n{log.read_text()}")


@pytest.fixture
def celery_worker(redis_url, transactional_db, tmp_path, settings):
    """A real worker process consuming a queue of its own; tests must use committed data."""
    from cxaudit.celery import app

    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue
    worker = start_worker(queue, tmp_path / "worker.log")
    try:
        yield worker
    finally:
        worker.stop()
        app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE
        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.1):
    """Poll until `predicate()` is truthy; returns its value or fails the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout}s")


# --- a real SMTP server -----------------------------------------------------------------------


@dataclass
class SmtpSink:
    """A real SMTP server in this process. `reject` maps a recipient to the reply its RCPT gets
    (e.g. "550 5.1.1 No such user"), `reject_data` the reply to the end of a message for that
    recipient (after the whole message was sent), `reject_sender` the reply every MAIL gets;
    `pipelining` says whether EHLO offers PIPELINING (RFC 2920); `stop()` / `start()` take it
    off and back on its port (connections are refused meanwhile); `message_ids()` counts
    deliveries by Message-ID."""

    host: str
    port: int
    messages: list = field(default_factory=list)
    reject: dict = field(default_factory=dict)
    reject_data: dict = field(default_factory=dict)
    reject_sender: str = ""
    pipelining: bool = True
    controller: object = None

    def wait(self, count: int = 1, timeout: float = 10.0) -> list:
        wait_for(lambda: len(self.messages) >= count, timeout)
        return self.messages

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def message_ids(self):
        from collections import Counter

        return Counter(str(m["message"]["Message-ID"]).strip() for m in self.messages)

    def start(self) -> None:
        import logging
        from email import message_from_bytes, policy

        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per SMTP command

        sink = self

        class Handler:
            async def handle_EHLO(self, server, session, envelope, hostname, responses):
                session.host_name = hostname
                if sink.pipelining:
                    responses.insert(-1, "250-PIPELINING")
                return responses

            async def handle_MAIL(self, server, session, envelope, address, mail_options):
                if sink.reject_sender:
                    return sink.reject_sender
                envelope.mail_from = address
                envelope.mail_options.extend(mail_options)
                return "250 OK"

            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if address in sink.reject:
                    return sink.reject[address]
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                for address in envelope.rcpt_tos:
                    if address in sink.reject_data:
                        return sink.reject_data[address]
                msg = message_from_bytes(envelope.content, policy=policy.default)
                sink.messages.append({"to": envelope.rcpt_tos, "message": msg})
                return "250 Message accepted for delivery"

        self.controller = Controller(Handler(), hostname=self.host, port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_sink(settings):
    """aiosmtpd on a free local port; Django's SMTP backend delivers to it for real."""
    # aiosmtpd connects to its own port to check it started, so it needs a real port number.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = SmtpSink("127.0.0.1", port)
    sink.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = sink.host
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    try:
        yield sink
    finally:
        sink.stop()


# --- headless Chromium --------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    p = context.new_page()
    p.set_default_timeout(15_000)
    yield p
    context.close()


def login(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
