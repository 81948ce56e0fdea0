"""Report cards as PDF: the print views' own templates and context (the shop's from
shoppers.reports, the location's from cxaudit.insights.report_card), laid out by WeasyPrint
with the print stylesheet and static/css/pdf.css, loading files only through StorageFetcher."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.text import slugify

from cxaudit.accounts.models import Location, Organization
from cxaudit.insights.report_card import report_card_context
from cxaudit.journeys.models import Wave

if TYPE_CHECKING:
    from .fetcher import StorageFetcher

LOCATION_TEMPLATE = "reportpdfs/location.html"
SHOP_TEMPLATE = "reportpdfs/shop.html"
SVG_OPEN = re.compile(r'(<svg class="chart[^"]*"[^>]*>)')
LEFT_OUT = "vendor/bootstrap-icons/"  # under STATIC_URL


def render_pdf(
    template: str,
    context: dict[str, Any],
    *,
    organization: Organization,
    evidence_keys: Iterable[str] = (),
    fetcher: StorageFetcher | None = None,
) -> bytes:
    """The PDF of `template` rendered with `context` (only static files and the listed
    evidence photos of `organization` are loaded)."""
    # Imported here, not with the URLconf: WeasyPrint loads Pango when imported, and a machine
    # without it must still serve every other page (docs/pdf-reports.md).
    from weasyprint import HTML

    from .fetcher import StorageFetcher, origin

    html = with_chart_styles(render_to_string(template, {**context, "pdf": True}))
    # The page's stylesheets are parsed once per process and handed over ready (parsing
    # Bootstrap took most of a report card's time); the icon font is left out (its WOFF2
    # took seconds to decode, and every icon stands beside its words).
    hrefs = STYLESHEET.findall(html)
    html = STYLESHEET.sub("", html)
    left_out = _static_prefix() + LEFT_OUT
    sheets = [_stylesheet(href) for href in hrefs if not href.startswith(left_out)]
    fetcher = fetcher or StorageFetcher(organization=organization, evidence_keys=evidence_keys)
    document = HTML(string=html, base_url=origin() + "/", url_fetcher=fetcher)
    return document.write_pdf(stylesheets=sheets, font_config=_fonts())


STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)">')
_sheets: dict[str, Any] = {}
_lock = threading.Lock()


def _static_prefix() -> str:
    return "/" + settings.STATIC_URL.lstrip("/")


@cache
def _fonts():
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def _stylesheet(href: str):
    """The parsed stylesheet at `href` (a static file), parsed once per process."""
    from weasyprint import CSS

    from .fetcher import StorageFetcher, origin

    with _lock:
        sheet = _sheets.get(href)
        if sheet is None:
            fetcher = StorageFetcher(organization=None)
            sheet = CSS(url=origin() + href, url_fetcher=fetcher, font_config=_fonts())
            _sheets[href] = sheet
    return sheet


@cache
def _chart_css() -> str:
    with open(finders.find("css/pdf-charts.css"), encoding="utf-8") as fh:
        # Inside an SVG the parser reads <style> as markup, not raw text: no comments, no "<".
        css = re.sub(r"/\*.*?\*/", "", fh.read(), flags=re.DOTALL)
    return css.replace("<", "")


def with_chart_styles(html: str) -> str:
    """The charts' stylesheet inside each chart: WeasyPrint styles an inline SVG only from a
    <style> within it (the pages' CSP forbids that; a PDF is not a page)."""
    style = f"<style>{_chart_css()}</style>"
    return SVG_OPEN.sub(lambda m: m.group(1) + style, html)


def location_context(
    *, organization: Organization, location: Location, wave: Wave, waves: Sequence[Wave]
) -> dict[str, Any]:
    context = report_card_context(
        organization=organization, location=location, wave=wave, waves=waves
    )
    return {"org": organization, "location": location, **context}


def location_pdf(
    *,
    organization: Organization,
    location: Location,
    wave: Wave,
    waves: Sequence[Wave],
    fetcher: StorageFetcher | None = None,
) -> bytes:
    """The report card of `location` for `wave` as PDF."""
    context = location_context(organization=organization, location=location, wave=wave, waves=waves)
    return render_pdf(
        LOCATION_TEMPLATE,
        context,
        organization=organization,
        evidence_keys=[e.key for e in context["evidence"]],
        fetcher=fetcher,
    )


def shop_pdf(context: dict[str, Any], *, fetcher: StorageFetcher | None = None) -> bytes:
    """A shop's report card as PDF, from the context of its page (shoppers.reports)."""
    return render_pdf(
        SHOP_TEMPLATE,
        context,
        organization=context["org"],
        evidence_keys=[e.key for e in context["sheet"].evidence if e.is_image],
        fetcher=fetcher,
    )


def location_filename(location: Location, wave: Wave) -> str:
    code = slugify(location.code) or location.pk
    return f"report-card-{code}-{slugify(wave.name) or wave.pk}.pdf"


def shop_filename(shop) -> str:
    return f"shop-report-{shop.pk}.pdf"
