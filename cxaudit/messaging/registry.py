"""Message purposes: each app registers the emails it sends (in its AppConfig.ready), naming the
template triple and, optionally, a function that completes the context when the message is
sent. That function computes what must not be stored (a password-reset link, a personal survey
link) and decides whether the message is still wanted (raise Skip)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import Message


class Skip(Exception):
    """Raised by a purpose's `build` when the message is no longer wanted (recorded as the
    reason it was not sent; never retried)."""


@dataclass(frozen=True)
class Extra:
    """What a purpose adds at send time: template context and headers (e.g. List-Unsubscribe)."""

    context: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Purpose:
    name: str
    label: str
    template: str
    build: Callable[[Message], Extra] | None = None


_PURPOSES: dict[str, Purpose] = {}


def register(
    name: str, *, label: str, template: str, build: Callable[[Message], Extra] | None = None
) -> Purpose:
    """Declare a kind of message; registering the same name twice replaces it (autoreload)."""
    purpose = Purpose(name=name, label=label, template=template, build=build)
    _PURPOSES[name] = purpose
    return purpose


def get(name: str) -> Purpose:
    try:
        return _PURPOSES[name]
    except KeyError:
        raise LookupError(f"No message purpose {name!r} is registered.") from None


def all_purposes() -> list[Purpose]:
    return sorted(_PURPOSES.values(), key=lambda p: p.label)
