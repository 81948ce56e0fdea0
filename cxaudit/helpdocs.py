"""The documents in docs/ served as help pages (`/help/<name>/`), so that help text can link to
what the app serves rather than to a path in the source tree. Markdown is rendered with
markdown-it-py (CommonMark, raw HTML escaped, tables, heading anchors); links between the
documents (`formats.md#responses-csv`) point to their pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin

DOCS = Path(settings.BASE_DIR) / "docs"
NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# A link to another document: "formats.md", "docs/formats.md", "./formats.md#gap-report".
DOC_LINK = re.compile(r"^(?:\./|\.\./)?(?:docs/)?([a-z0-9][a-z0-9-]*)\.md(#[\w-]*)?$")


@dataclass(frozen=True)
class Doc:
    name: str
    title: str


def documents() -> list[Doc]:
    """Every document in docs/, by title."""
    found = []
    for path in sorted(DOCS.glob("*.md")):
        if NAME.match(path.stem):
            found.append(Doc(path.stem, _title(path.read_text(encoding="utf-8"), path.stem)))
    return sorted(found, key=lambda d: d.title.casefold())


def _title(text: str, default: str) -> str:
    first = next((ln for ln in text.splitlines() if ln.startswith("# ")), "")
    return first[2:].strip() or default


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    return md.use(anchors_plugin, min_level=1, max_level=4)


def render_markdown(text: str, names: set[str]) -> str:
    """HTML of a document. Links to another document of `names`, and code spans naming one
    (`docs/formats.md`), point to its help page."""
    md = _markdown()
    tokens = md.parse(text)
    for token in tokens:
        if not token.children:
            continue
        children, in_link = [], False
        for child in token.children:
            in_link = (in_link or child.type == "link_open") and child.type != "link_close"
            match = DOC_LINK.match(
                str(child.attrGet("href") or "") if child.type == "link_open" else child.content
            )
            if not match or match.group(1) not in names:
                children.append(child)
                continue
            url = reverse("help_page", args=[match.group(1)]) + (match.group(2) or "")
            if child.type == "link_open":
                child.attrSet("href", url)
                children.append(child)
            elif child.type == "code_inline" and not in_link:
                children += [
                    Token("link_open", "a", 1, attrs={"href": url}),
                    child,
                    Token("link_close", "a", -1),
                ]
            else:
                children.append(child)
        token.children = children
    html = md.renderer.render(tokens, md.options, {})
    # Wide tables and code scroll inside their own box on a phone.
    html = html.replace("<table>", '<div class="table-responsive"><table class="table table-sm">')
    return html.replace("</table>", "</table></div>")


@lru_cache(maxsize=32)
def _rendered(name: str, mtime: float) -> tuple[str, str]:
    text = (DOCS / f"{name}.md").read_text(encoding="utf-8")
    return _title(text, name), render_markdown(text, {d.name for d in documents()})


def render_doc(name: str) -> tuple[str, str]:
    """(title, HTML) of a document; Http404 when there is none of that name."""
    path = DOCS / f"{name}.md"
    if not NAME.match(name) or not path.is_file():
        raise Http404("No such help page.")
    return _rendered(name, path.stat().st_mtime)


@require_GET
@login_required
def index(request):
    return render(request, "help/index.html", {"docs": documents()})


@require_GET
@login_required
def page(request, name: str):
    title, html = render_doc(name)
    # The document's HTML comes from markdown-it with raw HTML escaped: safe to show.
    return render(request, "help/page.html", {"title": title, "body": mark_safe(html)})  # noqa: S308
