"""A test purpose for the outbox, registered for these tests only."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxaudit.messaging import registry
from cxaudit.messaging.registry import Extra, Skip

TEST_PURPOSE = "tests.note"


def _build(message) -> Extra:
    if message.context.get("skip"):
        raise Skip("the recipient no longer wants it")
    if message.context.get("explode"):
        raise RuntimeError("template bug")
    return Extra(
        context={"secret_link": f"https://example.test/s/{message.pk}"},
        headers={
            "List-Unsubscribe": "<https://example.test/unsubscribe>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


@pytest.fixture(autouse=True)
def note_purpose(settings):
    engine = dict(settings.TEMPLATES[0])
    engine["DIRS"] = [*engine["DIRS"], Path(__file__).parent / "templates"]
    settings.TEMPLATES = [engine]
    registry.register(TEST_PURPOSE, label="Test note", template="emails/tests/note", build=_build)
    yield TEST_PURPOSE
