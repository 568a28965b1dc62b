"""Forms: parse and validate input; writes go through actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from community import throttle
from community.models import HANDLE_PATTERN, Member, Municipality, Region, Typology, handle_validator


class MunicipalityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Municipality) -> str:
        return f"{obj.name} ({obj.region.name})"


def municipality_field(**kwargs: Any) -> MunicipalityChoiceField:
    return MunicipalityChoiceField(
        queryset=Municipality.objects.select_related("region").order_by("name"),
        label=_("Municipality"),
        empty_label=_("Choose your municipality"),
        widget=forms.Select(attrs={"data-searchable": "true", "data-filter-label": _("Type to filter the municipalities")}),
        **kwargs,
    )


class SignupForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(
        label=_("E-mail address"),
        help_text=_("Your work address. You log in with it; we send a link to verify it."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        help_text=_("At least 10 characters; not a common password."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    municipality = municipality_field()
    position = forms.ChoiceField(label=_("Position"), choices=Member.Position.choices)
    handle = forms.CharField(
        label=_("Handle"),
        required=False,
        max_length=30,
        validators=[handle_validator],
        help_text=_("Others mention you with @handle. Leave empty and we make one from your name."),
        widget=forms.TextInput(attrs={"pattern": HANDLE_PATTERN.strip("^$"), "autocapitalize": "none"}),
    )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if Member.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("An account with this e-mail address already exists. Log in, or reset your password.")
            )
        return email

    def clean_handle(self) -> str:
        handle = self.cleaned_data.get("handle", "").strip().lstrip("@").lower()
        if handle and Member.objects.filter(handle__iexact=handle).exists():
            raise forms.ValidationError(_("This handle is already taken."))
        return handle

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            candidate = Member(email=cleaned.get("email", ""), name=cleaned.get("name", ""))
            try:
                password_validation.validate_password(password, candidate)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned


class ThrottledLoginForm(AuthenticationForm):
    """Django's login form with the e-mail address as ``username`` and a limit on
    failed attempts per address and per IP address."""

    username = forms.EmailField(
        label=_("E-mail address"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("This e-mail address and password do not match an account that may log in."),
    }

    def clean(self) -> dict[str, Any]:
        limits = settings.LOGIN_THROTTLE
        address = (self.data.get("username") or "").strip().lower()
        ip = throttle.client_ip(self.request) if self.request else "unknown"
        if (
            throttle.count("login-address", address) >= limits["per_address"]
            or throttle.count("login-ip", ip) >= limits["per_ip"]
        ):
            minutes = max(1, limits["window_seconds"] // 60)
            raise forms.ValidationError(
                ngettext(
                    "Too many failed login attempts. Try again in %(minutes)d minute, or reset your password.",
                    "Too many failed login attempts. Try again in %(minutes)d minutes, or reset your password.",
                    minutes,
                )
                % {"minutes": minutes},
                code="throttled",
            )
        try:
            return super().clean()
        except forms.ValidationError:
            throttle.hit("login-address", address, window_seconds=limits["window_seconds"])
            throttle.hit("login-ip", ip, window_seconds=limits["window_seconds"])
            raise


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Member
        fields = ["name", "handle", "position", "bio", "language"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 5})}
        help_texts = {"handle": _("Others mention you with @handle; changing it keeps your old mentions working as links.")}

    def clean_handle(self) -> str:
        handle = self.cleaned_data["handle"].strip().lstrip("@").lower()
        if Member.objects.filter(handle__iexact=handle).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("This handle is already taken."))
        return handle


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        help_text=_("The applicant receives this reason by e-mail."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


class MemberFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or handle"), required=False, max_length=100)
    municipality = forms.ModelChoiceField(
        label=_("Municipality"),
        queryset=Municipality.objects.order_by("name"),
        required=False,
        to_field_name="code",
        empty_label=_("All municipalities"),
        widget=forms.Select(attrs={"data-searchable": "true", "data-filter-label": _("Type to filter the municipalities")}),
    )
    region = forms.ModelChoiceField(
        label=_("Province"), queryset=Region.objects.all(), required=False, to_field_name="slug", empty_label=_("All provinces")
    )
    typology = forms.ModelChoiceField(
        label=_("Typology"),
        queryset=Typology.objects.all(),
        required=False,
        to_field_name="slug",
        empty_label=_("All typologies"),
    )
    position = forms.ChoiceField(
        label=_("Position"), required=False, choices=[("", _("All positions")), *Member.Position.choices]
    )


class MunicipalityFilterForm(forms.Form):
    q = forms.CharField(label=_("Name"), required=False, max_length=100)
    region = forms.ModelChoiceField(
        label=_("Province"), queryset=Region.objects.all(), required=False, to_field_name="slug", empty_label=_("All provinces")
    )
    typology = forms.ModelChoiceField(
        label=_("Typology"),
        queryset=Typology.objects.all(),
        required=False,
        to_field_name="slug",
        empty_label=_("All typologies"),
    )
