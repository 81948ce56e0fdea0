"""Forms of sign-up and the shopper's profile (they validate; shoppers.panel.services acts)."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth.password_validation import validate_password

from cxaudit.accounts.models import User
from cxaudit.textinput import TextRulesMixin

from ..models import AgeBand, Gender

MAX_LANGUAGES = 12


class ProfileForm(TextRulesMixin, forms.Form):
    """What a shopper tells the programme about themselves (ShopperProfile's own fields)."""

    phone = forms.CharField(
        label="Phone",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    home_region = forms.CharField(
        label="Home region",
        required=False,
        max_length=100,
        help_text="Jobs in your region are listed first.",
        widget=forms.TextInput(attrs={"list": "known-regions", "autocomplete": "off"}),
    )
    languages = forms.CharField(
        label="Languages you speak",
        required=False,
        max_length=200,
        help_text="Language codes separated by commas, e.g. en, fr. Some jobs need a language.",
    )
    age_band = forms.ChoiceField(
        label="Age band (optional)",
        required=False,
        choices=[("", "Prefer not to say"), *AgeBand.choices],
    )
    gender = forms.ChoiceField(
        label="Gender (optional)",
        required=False,
        choices=[("", "Prefer not to say"), *Gender.choices],
    )

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.regions = list(regions)

    def clean_languages(self) -> list[str]:
        values = [v for v in re.split(r"[,;\s]+", self.cleaned_data["languages"].lower()) if v]
        if len(values) > MAX_LANGUAGES:
            raise forms.ValidationError(f"List at most {MAX_LANGUAGES} languages.")
        for value in values:
            if not re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{2,8})?", value):
                raise forms.ValidationError(
                    f"“{value[:20]}” is not a language code; use codes such as en, fr or pt-br."
                )
        return sorted(set(values))

    def details(self) -> dict:
        data = self.cleaned_data
        return {
            "phone": data["phone"].strip(),
            "home_region": data["home_region"].strip(),
            "languages": data["languages"],
            "age_band": data["age_band"],
            "gender": data["gender"],
        }


class ApplicationForm(ProfileForm):
    """A logged-in person applying: their details and consent to the terms."""

    consent = forms.BooleanField(
        label="I have read the programme terms above and accept them.",
        error_messages={"required": "Accept the programme terms to apply."},
    )


class NewAccountApplicationForm(ApplicationForm):
    """Somebody without an account applying: an account is made for them (when the address is
    new; the page answers the same either way)."""

    field_order = ["full_name", "email", "password1", "password2"]

    full_name = forms.CharField(
        label="Your name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label="Email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password1 = forms.CharField(
        label="Choose a password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters; not a common or all-digit password.",
    )
    password2 = forms.CharField(
        label="The password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        one, two = data.get("password1"), data.get("password2")
        if one and two and one != two:
            self.add_error("password2", "The two passwords differ.")
        elif one:
            try:
                validate_password(
                    one, user=User(email=data.get("email", ""), full_name=data.get("full_name", ""))
                )
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return data
