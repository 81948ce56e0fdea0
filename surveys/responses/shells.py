"""Form pages rendered once and filled in per request.

A page whose only per-request values are a few short strings (an address key, the draft's client
id, the CSRF token) can be rendered once with an unguessable marker in place of each value, and
served afterwards by putting the values where the markers were. The customer's survey page does
this (surveys/outreach/public.py): its blank form, layout and words depend only on the survey
version, the organisation and the language, so the template engine runs once per process for
them instead of once per request.

Only values made of URL-safe characters are filled in: they read the same in an HTML attribute,
in text and inside the page's JSON, so the marker can stand in for them everywhere the template
put it. A value with any other character makes `fill` return None, and the caller renders the
page in full.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass

SAFE_VALUE = re.compile(r"[A-Za-z0-9_./:-]*")
SHELLS_KEPT = 256  # per process; a shell is one survey version's page, about 50 KB


@dataclass(frozen=True)
class PageShell:
    # The page split at the markers: text, slot name, text, slot name, …, text; the text
    # already encoded (UTF-8), as the response will send it.
    parts: tuple[bytes | str, ...]

    @classmethod
    def from_html(cls, html: str, markers: Mapping[str, str]) -> PageShell:
        """`html` rendered with markers[name] in place of each slot's value."""
        by_marker = {marker: name for name, marker in markers.items()}
        pattern = re.compile("|".join(re.escape(marker) for marker in by_marker))
        parts: list[bytes | str] = []
        start = 0
        for found in pattern.finditer(html):
            parts += [html[start : found.start()].encode(), by_marker[found.group()]]
            start = found.end()
        parts.append(html[start:].encode())
        return cls(tuple(parts))

    def fill(self, values: Mapping[str, str]) -> bytes | None:
        """The page, UTF-8 encoded; None when a value is not URL-safe."""
        if not all(SAFE_VALUE.fullmatch(value) for value in values.values()):
            return None
        parts = list(self.parts)
        parts[1::2] = [values[name].encode() for name in parts[1::2]]
        return b"".join(parts)  # type: ignore[arg-type]


class ShellCache:
    """The most recently used shells of this process, by key."""

    def __init__(self, size: int = SHELLS_KEPT):
        self.size = size
        self._shells: OrderedDict[Hashable, PageShell] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> PageShell | None:
        with self._lock:
            shell = self._shells.get(key)
            if shell is not None:
                self._shells.move_to_end(key)
            return shell

    def get_or_render(
        self, key: Hashable, markers: Mapping[str, str], render: Callable[[], str]
    ) -> PageShell:
        shell = self.get(key)
        if shell is None:
            shell = PageShell.from_html(render(), markers)
            with self._lock:
                self._shells[key] = shell
                while len(self._shells) > self.size:
                    self._shells.popitem(last=False)
        return shell

    def clear(self) -> None:
        with self._lock:
            self._shells.clear()
