"""Template helpers of the questionnaire pages."""

from django import template

from surveys.questionnaire.models import aspect_label

register = template.Library()


@register.filter
def aspect_for(aspect: str, kind: str) -> str:
    """A question's aspect as its kind of survey means it ("perception" on a mystery shop is
    an observation)."""
    return aspect_label(kind or "", aspect or "")
