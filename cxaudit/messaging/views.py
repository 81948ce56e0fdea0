"""The development mailbox (DEBUG only): what the outbox sent, rendered, with its links
clickable, so that the demo can be walked end to end without a mail server. It re-renders each
message as its sender did (links with tokens are made again, never stored)."""

from __future__ import annotations

from html.parser import HTMLParser

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from .models import Message, State
from .registry import Skip
from .rendering import Rendered
from .rendering import render as render_message


def _debug_only() -> None:
    if not settings.DEBUG:
        raise Http404("The mailbox exists in development only.")


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href and href.startswith(("http://", "https://")):
            self.links.append(href)


def _rendered(message: Message) -> tuple[Rendered | None, str]:
    try:
        return render_message(message), ""
    except Skip as exc:
        return None, f"It would not be sent now: {exc}"
    except Exception as exc:  # shown to the developer, not raised
        return None, f"It cannot be rendered now: {type(exc).__name__}: {exc}"


@require_GET
def mailbox(request):
    _debug_only()
    sent = Message.objects.filter(state=State.SENT).order_by("-sent_at", "-pk")
    to = request.GET.get("to", "").strip()[:254]
    if to:
        sent = sent.filter(to_email__icontains=to)
    page = Paginator(sent, 50).get_page(request.GET.get("page"))
    return render(request, "messaging/mailbox.html", {"page": page, "to": to})


@require_GET
def mailbox_message(request, pk: int):
    _debug_only()
    message = get_object_or_404(Message, pk=pk, state=State.SENT)
    rendered, problem = _rendered(message)
    links: list[str] = []
    if rendered:
        parser = _Links()
        parser.feed(rendered.html)
        links = list(dict.fromkeys(parser.links))
    return render(
        request,
        "messaging/mailbox_message.html",
        {"message": message, "rendered": rendered, "problem": problem, "links": links},
    )


@require_GET
@xframe_options_sameorigin
def mailbox_html(request, pk: int):
    """The HTML part alone, for the mailbox's sandboxed frame."""
    _debug_only()
    message = get_object_or_404(Message, pk=pk, state=State.SENT)
    rendered, problem = _rendered(message)
    response = HttpResponse(rendered.html if rendered else problem, content_type="text/html")
    # Emails carry inline styles; the frame is sandboxed (no scripts) and links open on top.
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
        "frame-ancestors 'self'; sandbox allow-popups allow-top-navigation-by-user-activation"
    )
    return response
