"""{% once_field %}: the one-time token of a form whose view is decorated with
cxaudit.accounts.once.submit_once (a double click then makes the thing once)."""

from django import template
from django.utils.html import format_html

from ..once import FIELD, new_token

register = template.Library()


@register.simple_tag
def once_field() -> str:
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_token())
