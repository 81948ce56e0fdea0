"""The outbox serialises emails itself (rendering.serialise), faster than the email package's
compat32 folding: the bytes must be exactly what Django's `message().as_bytes()` gives."""

from __future__ import annotations

import random
import re

import pytest
from django.core.mail import EmailMultiAlternatives

from cxaudit.messaging.rendering import serialise

BOUNDARY = re.compile(rb"={15}[0-9a-f.]+==")

WORDS = [
    "Pat",
    "Zoë",
    "O'Hara",
    "Smith & Sons",
    "a" * 40,
    "how",
    "was",
    "your",
    "visit?",
    "\u00e9t\u00e9",
    "\u4f60\u597d",
    "=?utf-8?q?x?=",
    "tab\there",
    "two  spaces",
    " lead",
    "trail ",
    "x" * 90,
    ";",
    "<b>",
    "",
]


DATE = re.compile(rb"Date: [^\r]*\r\n")


def normal(data: bytes) -> bytes:
    return DATE.sub(b"Date: D\r\n", BOUNDARY.sub(b"B", data))


def same(email: EmailMultiAlternatives) -> None:
    # Two messages: serialising one sets its boundaries, the other must make its own.
    expected = normal(email.message().as_bytes(linesep="\r\n"))
    assert normal(serialise(email.message())) == expected


@pytest.mark.parametrize("seed", range(40))
def test_serialise_gives_the_bytes_django_gives(seed):
    rnd = random.Random(seed)
    for _ in range(25):
        subject = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(0, 14)))
        name = " ".join(rnd.choice(WORDS) for _ in range(rnd.randint(0, 3))).replace('"', "")
        name = " ".join(name.split())
        to = f'"{name}" <pat{seed}@example.test>' if name else f"pat{seed}@example.test"
        email = EmailMultiAlternatives(
            subject=" ".join(subject.split()),
            body="Hello\n" + subject + "\n.\n" + "long " * rnd.randint(0, 60),
            from_email='"Acme Rail" <no-reply@example.test>',
            to=[to],
            headers={
                "Message-ID": f"<{seed:032x}@example.test>",
                "List-Unsubscribe": "<https://example.test/u/" + "x" * rnd.randint(1, 120) + "/>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "X-Length": "y" * rnd.randint(55, 80),
            },
        )
        email.attach_alternative(f"<p>{subject}</p>", "text/html")
        same(email)


def test_a_plain_message_without_alternatives_is_the_same_too():
    same(
        EmailMultiAlternatives(
            subject="Hi", body="Just text", to=["a@example.test"], headers={"Message-ID": "<1@x>"}
        )
    )


ADDRESS_PIECES = [
    "pat",
    "Pat.O-Hara",
    "a+tag",
    "x" * 64,
    "é",
    "a..b",
    ".lead",
    "we ird",
    '"q"',
    "o'k",
    "{x}",
]
DOMAINS = ["example.test", "EXAMPLE.Test", "x" * 63 + ".test", "x" * 64 + ".test", "bücher.de"]
NAMES = ["", "Pat", "Pat Smith", "First1 Last", "Zoë", "Smith & Sons", "a" * 60, "a" * 61]


@pytest.mark.parametrize("seed", range(10))
def test_recipients_are_sanitised_as_django_sanitises_them(seed):
    from django.core.mail.message import sanitize_address

    from cxaudit.messaging.rendering import _sanitized

    rnd = random.Random(seed)
    for _ in range(200):
        local = rnd.choice(ADDRESS_PIECES) + rnd.choice(["", ".", "."]) + rnd.choice(ADDRESS_PIECES)
        local = local.strip(".") if rnd.random() < 0.7 else local
        address = f"{local}@{rnd.choice(DOMAINS)}"
        name = rnd.choice(NAMES)
        value = f'"{name}" <{address}>' if name else address
        try:
            expected = sanitize_address(value, "utf-8")
        except (ValueError, UnicodeError) as exc:
            with pytest.raises(type(exc)):
                _sanitized(value, "utf-8")
        else:
            assert _sanitized(value, "utf-8") == expected, value
