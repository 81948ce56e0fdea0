from .permissions import Cap


def navigation(request):
    """Expose the current organisation context and capability names to templates."""
    ctx = getattr(request, "org_ctx", None)
    return {
        "org_ctx": ctx,
        "current_org": ctx.organization if ctx else None,
        "caps": {c.name: ctx.can(c) for c in Cap} if ctx else {},
    }
