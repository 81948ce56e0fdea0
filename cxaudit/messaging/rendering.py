"""Turning a Message row into an email: the template triple rendered with its context."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

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


@lru_cache(maxsize=256)
def _sanitized(address: str, encoding: str) -> str:
    # Django parses every address with the email package's header parser, a millisecond a
    # call: the sender is the same for every message and the recipients repeat in reminders.
    return sanitize_address(address, encoding)


def envelope(email: EmailMultiAlternatives) -> tuple[str, list[str], bytes]:
    """What goes on the wire, exactly as Django's SMTP backend builds it."""
    encoding = email.encoding or settings.DEFAULT_CHARSET
    sender = _sanitized(email.from_email, encoding)
    recipients = [_sanitized(addr, encoding) for addr in email.recipients()]
    return sender, recipients, email.message().as_bytes(linesep="\r\n")
