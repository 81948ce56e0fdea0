"""Every email goes through the outbox: no first-party module outside cxaudit/messaging reaches
for Django's mail API or smtplib, and no logging handler mails errors on its own."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("cxaudit", "surveys", "shoppers")
OUTBOX = ROOT / "cxaudit" / "messaging"
MAIL_MODULES = {"django.core.mail", "smtplib", "django.core.mail.message"}
SENDERS = {
    "send_mail",
    "send_mass_mail",
    "mail_admins",
    "mail_managers",
    "EmailMessage",
    "EmailMultiAlternatives",
    "get_connection",
}


def _is_mail_module(name: str) -> bool:
    return name in MAIL_MODULES or name.startswith("django.core.mail.")


def _offences(source: str, name: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, filename=name)):
        if isinstance(node, ast.Import):
            found += [
                f"{name}:{node.lineno} {a.name}" for a in node.names if _is_mail_module(a.name)
            ]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = {a.name for a in node.names}
            if (
                _is_mail_module(node.module)
                or (node.module == "django.core" and "mail" in names)
                or (node.module.startswith("django") and names & SENDERS)
            ):
                found.append(f"{name}:{node.lineno} from {node.module} import {sorted(names)}")
    return found


def test_no_module_outside_the_outbox_sends_mail_itself():
    offences = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if OUTBOX in path.parents or "migrations" in path.parts:
                continue
            offences += _offences(path.read_text(), str(path.relative_to(ROOT)))
    assert not offences, f"queue email with cxaudit.messaging.services instead: {offences}"


def test_the_guard_sees_the_usual_ways_of_sending():
    for text in [
        "from django.core.mail import send_mail",
        "from django.core import mail",
        "import smtplib",
        "from django.core.mail.message import EmailMessage",
        "def f():\n    from django.core.mail import EmailMultiAlternatives",
    ]:
        assert _offences(text, "sample.py"), text
    assert not _offences("from django.core import signing", "sample.py")


def test_django_mails_no_error_report_of_its_own():
    # Django's default logging mails errors to ADMINS (and BrokenLinkEmailsMiddleware to
    # MANAGERS) behind the outbox's back: with nobody listed and no such handler, it sends none.
    assert not settings.ADMINS and not settings.MANAGERS
    assert not any("BrokenLinkEmails" in m for m in settings.MIDDLEWARE)
    handlers = (settings.LOGGING or {}).get("handlers", {})
    assert not [n for n, h in handlers.items() if "AdminEmailHandler" in str(h.get("class", ""))]
