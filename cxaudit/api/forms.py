from django import forms

from cxaudit.textinput import TextRulesMixin


class TokenForm(TextRulesMixin, forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="What will use it, e.g. “BI nightly sync”. You can revoke it at any time.",
    )
