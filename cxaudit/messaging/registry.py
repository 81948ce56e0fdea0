"""Message purposes: each app registers the emails it sends (in its AppConfig.ready), naming the
template triple and, optionally, a function that completes the context when the message is
sent. That function computes what must not be stored (a password-reset link, a personal survey
link) and decides whether the message is still wanted (raise Skip).

A purpose that sends in volume (survey invitations) may also give `build_many`: the same for a
few consecutive messages of a sender's batch at once (one query for their rows, one insert for
their links), returning each message's Extra, or the exception its `build` would have raised.
The sender calls it for a handful of messages at a time (BUILD_CHUNK), just before they go, so
"still wanted" is checked at most a few messages before each one is sent."""

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


# Messages one build_many call prepares: enough to share its queries (50 rather than 25 made a
# 100,000-invitation campaign send a fifth faster, bench/outreach.py), few enough that what it
# checks ("still wanted") is a fraction of a second old when each message goes.
BUILD_CHUNK = 50

BuildMany = Callable[[list["Message"]], dict[int, "Extra | Exception"]]


@dataclass(frozen=True)
class Purpose:
    name: str
    label: str
    template: str
    build: Callable[[Message], Extra] | None = None
    build_many: BuildMany | None = None


_PURPOSES: dict[str, Purpose] = {}


def register(
    name: str,
    *,
    label: str,
    template: str,
    build: Callable[[Message], Extra] | None = None,
    build_many: BuildMany | None = None,
) -> Purpose:
    """Declare a kind of message; registering the same name twice replaces it (autoreload)."""
    purpose = Purpose(name=name, label=label, template=template, build=build, build_many=build_many)
    _PURPOSES[name] = purpose
    return purpose


def get(name: str) -> Purpose:
    try:
        return _PURPOSES[name]
    except KeyError:
        raise LookupError(f"No message purpose {name!r} is registered.") from None


def all_purposes() -> list[Purpose]:
    return sorted(_PURPOSES.values(), key=lambda p: p.label)
