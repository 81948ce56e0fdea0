"""What WeasyPrint may load while it lays out a report card: the app's own static files and the
evidence photos the report card shows, read from storage. Nothing else, and never over the
network (no HTTP, file: or data: URL is opened): a report card holds text people typed, and
though every template escapes it, the renderer must not become a way to reach the metadata
service or an internal host should an address ever slip through.

The HTML is rendered with the site's own origin (SITE_URL) as its base URL, so the links in
the PDF lead to the site (behind its login) and `{% static %}` and evidence URLs arrive here as
origin + path: they are read from disk and storage, never requested from the site.
"""

from __future__ import annotations

import logging
import mimetypes
import posixpath
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from django.urls import Resolver404, resolve
from weasyprint.urls import URLFetcher, URLFetcherResponse

from surveys.models import Evidence

log = logging.getLogger(__name__)


def origin() -> str:
    """The site's scheme://host[:port] (settings.SITE_URL)."""
    parts = urlsplit(settings.SITE_URL)
    return f"{parts.scheme}://{parts.netloc}"


STATIC_TYPES = {".css", ".svg", ".png", ".jpg", ".jpeg", ".webp", ".woff", ".woff2", ".ttf"}


class Refused(ValueError):
    """A URL the report card may not load (WeasyPrint leaves the resource out)."""


class StorageFetcher(URLFetcher):
    """Serves <origin>/static/… from the static files and <origin>/o/<org>/evidence/<key>/ from
    storage, for the one organisation being rendered and only the evidence keys it was given
    (those the report card shows, already checked against the requester's scope)."""

    def __init__(self, *, organization, evidence_keys: Iterable[str] = ()):
        # WeasyPrint's own fetching (urllib) is never called: `fetch` below replaces it.
        super().__init__(allowed_protocols=("http", "https"), allow_redirects=False)
        self.organization = organization
        self.evidence_keys = {str(k) for k in evidence_keys}
        self.served: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url, headers=None):  # WeasyPrint's interface
        try:
            body, mime = self._load(url)
        except Refused as exc:
            self.refused.append(url)
            log.info("report card PDF: refused %s (%s)", url[:200], exc)
            raise
        self.served.append(url)
        return URLFetcherResponse(url, body, {"Content-Type": mime})

    def _load(self, url: str) -> tuple[bytes, str]:
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != origin():
            raise Refused("only the app's own files are loaded")
        path = unquote(parts.path)
        static_prefix = "/" + settings.STATIC_URL.lstrip("/")
        if path.startswith(static_prefix):
            return self._static(path[len(static_prefix) :])
        return self._evidence(path)

    def _static(self, name: str) -> tuple[bytes, str]:
        clean = posixpath.normpath(name)
        if clean.startswith(("/", "..")) or "\\" in clean or "\x00" in clean:
            raise Refused("not a static file name")
        if posixpath.splitext(clean)[1].lower() not in STATIC_TYPES:
            raise Refused("not a stylesheet, image or font")
        found = finders.find(clean)
        if not found:
            try:
                found = staticfiles_storage.path(clean)  # collected (hashed) names
            except (SuspiciousFileOperation, NotImplementedError) as exc:
                raise Refused("not a static file") from exc
        try:
            with open(found, "rb") as fh:
                body = fh.read()
        except OSError as exc:
            raise Refused("no such static file") from exc
        return body, mimetypes.guess_type(clean)[0] or "application/octet-stream"

    def _evidence(self, path: str) -> tuple[bytes, str]:
        try:
            match = resolve(path)
        except Resolver404 as exc:
            raise Refused("not a static file or evidence") from exc
        if match.view_name != "surveys:evidence_file":
            raise Refused("not a static file or evidence")
        if self.organization is None or match.kwargs.get("org_slug") != self.organization.slug:
            raise Refused("evidence of another organisation")
        key = str(match.kwargs.get("key"))
        if key not in self.evidence_keys:
            raise Refused("evidence the report card does not show")
        evidence = Evidence.objects.filter(organization=self.organization, key=key).first()
        if evidence is None or not evidence.is_image:
            raise Refused("no such photo")
        with evidence.file.open("rb") as fh:
            return fh.read(), evidence.content_type
