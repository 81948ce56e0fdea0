from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm

from cxaudit.textinput import TextRulesMixin
from cxaudit.uploads import check_upload

from .models import Location, Organization, Role


class EmailAuthenticationForm(TextRulesMixin, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Please enter a correct email and password. The password is "
        "case-sensitive; after several failed attempts log-in is paused for a while.",
    }
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def clean(self):
        """Failed log-ins are also counted per client address, whatever the account: django-axes
        pauses one account from one address, this pauses an address trying many accounts
        (password spraying). Over the limit nothing is checked, not even a right password."""
        from django.conf import settings

        from cxaudit.throttle import count, hit

        from .security import client_ip

        address = client_ip(self.request) if self.request is not None else ""
        window = settings.CXAUDIT_LOGIN_FAILURE_WINDOW
        limit = settings.CXAUDIT_LOGIN_FAILURES_PER_IP
        if count("login-failures:ip", address, window=window) >= limit:
            raise forms.ValidationError(
                "Too many failed log-ins from your network: log-in is paused for a few "
                "minutes. Try again later, or reset your password.",
                code="throttled",
            )
        try:
            return super().clean()
        except forms.ValidationError as exc:
            if getattr(exc, "code", None) == "invalid_login":
                hit("login-failures:ip", address, limit=limit, window=window)
            raise


class OutboxPasswordResetForm(TextRulesMixin, PasswordResetForm):
    """Django's reset form, delivering through the outbox instead of sending from the request
    (Django's hook for this is send_mail; the token in its context is not used: the outbox makes
    the link when the message is sent, so no token is stored)."""

    def send_mail(self, subject_template_name, email_template_name, context, *args, **kwargs):
        from .services import queue_password_reset_email

        queue_password_reset_email(
            user=context["user"], base_url=f"{context['protocol']}://{context['domain']}"
        )

    def save(self, *args, request=None, **kwargs):
        """Reset emails are throttled per normalised address and per client address; over the
        limit the page says the same as always (it never tells whether an account exists) and
        nothing is sent."""
        from django.conf import settings

        from cxaudit.throttle import hit, normalise_identity

        from .security import client_ip

        email = normalise_identity(self.cleaned_data.get("email", ""))
        allowed_email = hit(
            "password-reset:email", email, limit=settings.CXAUDIT_RESET_PER_EMAIL, window=3600
        )
        allowed_ip = hit(
            "password-reset:ip",
            client_ip(request) if request is not None else "",
            limit=settings.CXAUDIT_RESET_PER_IP,
            window=3600,
        )
        if allowed_email and allowed_ip:
            super().save(*args, request=request, **kwargs)


class OrganizationForm(TextRulesMixin, forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["name", "slug"]
        help_texts = {"slug": "Used in addresses, e.g. northline-rail. Cannot be changed later."}


class OrganizationSettingsForm(TextRulesMixin, forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["name"]


class LocationForm(TextRulesMixin, forms.ModelForm):
    class Meta:
        model = Location
        fields = ["code", "name", "kind", "region", "address", "latitude", "longitude", "is_active"]
        help_texts = {
            "latitude": "Decimal degrees, e.g. 53.7960 (optional; photo positions are checked "
            "against it).",
            "longitude": "Decimal degrees, e.g. -1.5479.",
        }

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organization = organization

    def clean(self):
        data = super().clean()
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            raise forms.ValidationError("Give both latitude and longitude, or neither.")
        return data

    def clean_code(self):
        code = self.cleaned_data["code"]
        clash = Location.objects.for_org(self.instance.organization).filter(code=code)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("Another location already uses this code.")
        return code


class CsvUploadForm(TextRulesMixin, forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8 CSV with a header row. At most 2 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    max_bytes = 2 * 1024 * 1024

    def clean_file(self):
        f = self.cleaned_data["file"]
        check_upload(f, "csv")
        if f.size > self.max_bytes:
            raise forms.ValidationError(
                f"The file is {f.size / 1024 / 1024:.1f} MB; the limit is 2 MB."
            )
        return f


# Roles from the least to the most powerful: a new member starts with the least.
ROLES_BY_POWER = [Role.SHOPPER, Role.CLIENT_MANAGER, Role.REVIEWER, Role.PROGRAM_ADMIN]


class MemberForm(TextRulesMixin, forms.Form):
    email = forms.EmailField()
    full_name = forms.CharField(max_length=150, required=False, label="Full name")
    role = forms.ChoiceField(
        choices=[(r.value, r.label) for r in ROLES_BY_POWER],
        initial=ROLES_BY_POWER[0],
        help_text="What they may see and do; start with the least they need.",
        # app.js shows the locations only for the role they apply to.
        widget=forms.Select(
            attrs={"data-shows": "div_id_locations", "data-shows-value": Role.CLIENT_MANAGER}
        ),
    )
    locations = forms.ModelMultipleChoiceField(
        queryset=Location.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Client managers only: limit what they see to these locations (none = all).",
    )

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["locations"].queryset = Location.objects.for_org(organization)

    def clean(self):
        data = super().clean()
        # Locations apply to client managers only: ticked for another role (then hidden), they
        # are not kept.
        if data.get("role") != Role.CLIENT_MANAGER:
            data["locations"] = Location.objects.none()
        return data


class MemberEditForm(MemberForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["email"]
        del self.fields["full_name"]
