"""Turning a Message row into an email: the template triple rendered with its context."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from email import generator
from email.policy import Compat32
from functools import lru_cache
from io import BytesIO

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address
from django.template import Context
from django.template.loader import get_template

from . import registry
from .models import Message


@dataclass
class Rendered:
    subject: str
    text: str
    html: str
    headers: dict[str, str]

    def email(self, message: Message) -> EmailMultiAlternatives:
        # A display name is one line of plain words: line breaks (a name may hold them) and
        # quotes would break the header or smuggle another one in.
        name = " ".join(message.to_name.replace(chr(34), "").replace("\\", "").split())
        to = f'"{name}" <{message.to_email}>' if name else message.to_email
        email = EmailMultiAlternatives(
            subject=self.subject,
            body=self.text,
            from_email=message.from_email or settings.DEFAULT_FROM_EMAIL,
            to=[to],
            headers={"Message-ID": message.message_id, **self.headers},
        )
        if self.html:
            email.attach_alternative(self.html, "text/html")
        return email


def _plain(name: str, context: dict) -> str:
    """Subject and text parts are plain text: rendered without HTML escaping (a name such as
    "Smith & Sons" must not arrive as "Smith &amp; Sons")."""
    template = get_template(name).template
    return template.render(Context(context, autoescape=False))


def render(message: Message, built: registry.Extra | Exception | None = None) -> Rendered:
    """Render `message` now; raises registry.Skip when its purpose no longer wants it sent.
    `built` is what the purpose's build_many already made for it (or raised), if anything."""
    purpose = registry.get(message.purpose)
    if isinstance(built, Exception):
        raise built
    if built is not None:
        extra = built
    else:
        extra = purpose.build(message) if purpose.build else registry.Extra()
    context = {**message.context, **extra.context, "message": message}
    base = message.template or purpose.template
    subject = " ".join(_plain(f"{base}_subject.txt", context).split())
    text = _plain(f"{base}.txt", context)
    html = get_template(f"{base}.html").render(context)
    return Rendered(subject=subject[:998], text=text, html=html, headers=dict(extra.headers))


# An address as Rendered.email writes it for the common case: a dot-atom local part, a domain
# of ASCII labels (at most 63 characters each), and no display name or one of plain ASCII
# words. Django's sanitize_address gives such an address back as "Name <local@domain>".
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_ADDR = rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})*"
_SIMPLE_ADDRESS = re.compile(
    rf'"(?P<name>[A-Za-z0-9]+(?: [A-Za-z0-9]+)*)" <(?P<named>{_ADDR})>|(?P<bare>{_ADDR})'
)


def _sanitized(address: str, encoding: str) -> str:
    """sanitize_address, without parsing the common case: Django parses every address with the
    email package's header parser, about 60 µs a call (0.8 µs here), and each invitation goes
    to an address of its own (tests/messaging/test_rendering.py checks the results agree)."""
    simple = _SIMPLE_ADDRESS.fullmatch(address)
    if simple and len(address) <= 200 and len(simple["name"] or "") <= 60:
        if simple["bare"]:
            return simple["bare"]
        return f"{simple['name']} <{simple['named']}>"
    return _sanitized_slowly(address, encoding)


@lru_cache(maxsize=256)
def _sanitized_slowly(address: str, encoding: str) -> str:
    # The sender is the same for every message and the recipients repeat in reminders.
    return sanitize_address(address, encoding)


_SIMPLE_VALUE = re.compile(r"[!-~]+(?: [!-~]+)*")


class _Policy(Compat32):
    """Django's policy (compat32), with a shortcut for the common header: a short line of
    printable ASCII words, which compat32 folds into itself by way of the email package's
    Header class (most of the time of serialising a message). Anything else is folded as
    before. tests/messaging/test_rendering.py checks the bytes are the same."""

    def _fold(self, name, value, sanitize):
        if (
            isinstance(value, str)
            and len(name) + 2 + len(value) <= (self.max_line_length or 78)
            and value.isascii()
            and _SIMPLE_VALUE.fullmatch(value)
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


_POLICY = _Policy()


class _Generator(generator.BytesGenerator):
    @classmethod
    def _make_boundary(cls, text=None):
        # The email package compiles a regular expression for every boundary it makes; a
        # random boundary absent from the text anywhere is also absent at a line's start.
        while True:
            boundary = "=" * 15 + secrets.token_hex(10) + "=="
            if text is None:
                return boundary
            mark = "--" + boundary
            if (mark.encode("ascii") if isinstance(text, bytes) else mark) not in text:
                return boundary


def serialise(message) -> bytes:
    """A MIME message's bytes, as `message.as_bytes(linesep="\\r\\n")` gives them (but for the
    random boundaries), faster."""
    out = BytesIO()
    _Generator(out, mangle_from_=False, policy=_POLICY).flatten(message, linesep="\r\n")
    return out.getvalue()


def envelope(email: EmailMultiAlternatives) -> tuple[str, list[str], bytes]:
    """What goes on the wire, exactly as Django's SMTP backend builds it."""
    encoding = email.encoding or settings.DEFAULT_CHARSET
    sender = _sanitized(email.from_email, encoding)
    recipients = [_sanitized(addr, encoding) for addr in email.recipients()]
    return sender, recipients, serialise(email.message())
