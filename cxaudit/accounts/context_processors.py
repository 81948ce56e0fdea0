from django.utils.functional import SimpleLazyObject

from .navigation import build_navigation
from .permissions import Cap


def navigation(request):
    """Expose the current organisation context, capability names and the staff navigation."""
    ctx = getattr(request, "org_ctx", None)

    def staff_nav():
        match = getattr(request, "resolver_match", None)
        user = getattr(request, "user", None)
        return build_navigation(
            capabilities=ctx.capabilities if ctx else frozenset(),
            org_slug=ctx.organization.slug if ctx else None,
            view_name=match.view_name if match else None,
            is_staff=bool(user and user.is_staff),
        )

    return {
        "org_ctx": ctx,
        "current_org": ctx.organization if ctx else None,
        "caps": {c.name: ctx.can(c) for c in Cap} if ctx else {},
        # Built only by the pages that render the staff bar.
        "staff_nav": SimpleLazyObject(staff_nav),
    }
