"""The dashboard tile of "My self-assessments"."""

from __future__ import annotations

from django import template

from ..selfassess import services as selfassess

register = template.Library()


@register.inclusion_tag("surveys/selfassess/_dashboard_tile.html", takes_context=True)
def selfassess_tile(context) -> dict:
    ctx = context.get("org_ctx")
    waiting = selfassess.waiting_count(membership=ctx.membership) if ctx else 0
    return {"org": ctx.organization if ctx else None, "waiting": waiting}
