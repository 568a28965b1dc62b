"""Forms of two-step verification: parse and validate; writes go through the actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from community.models import Member
from community.twofactor.devices import CODE_DIGITS, matching_time_step, normalise_code
from community.twofactor.limits import password_attempt


def code_field(**kwargs: Any) -> forms.CharField:
    """The six digits of the authenticator app: a numeric keyboard on phones, and the
    code offered by the phone's password manager where it has one."""
    return forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autocapitalize": "none",
                "spellcheck": "false",
                "class": "input--code",
            }
        ),
        **kwargs,
    )


def clean_digits(value: str) -> str:
    code = normalise_code(value)
    if not (len(code) == CODE_DIGITS and code.isdigit()):
        raise forms.ValidationError(_("Enter the 6 digits your authenticator app shows."), code="format")
    return code


class PasswordCheckMixin:
    """The member's current password, with a limit on wrong guesses (as at the login)."""

    member: Member

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        attempt = password_attempt(self.member)
        if not attempt.allowed:
            raise forms.ValidationError(_("Too many wrong passwords. Try again later."), code="throttled")
        if not self.member.check_password(password):
            raise forms.ValidationError(_("This is not your password."), code="wrong_password")
        attempt.succeeded()
        return password


def password_field() -> forms.CharField:
    return forms.CharField(
        label=_("Your current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class SetupForm(PasswordCheckMixin, forms.Form):
    """Enrolment: the current password, and a code that shows the app has the secret."""

    password = password_field()
    code = code_field(help_text=_("After adding Samenleven to the app, type the 6 digits it shows."))

    def __init__(self, *args: Any, member: Member, key: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.member = member
        self.key = key
        self.time_step: int | None = None

    def clean_code(self) -> str:
        code = clean_digits(self.cleaned_data["code"])
        self.time_step = matching_time_step(self.key, code)
        if self.time_step is None:
            raise forms.ValidationError(
                _(
                    "This code does not match. Check that the app shows Samenleven with this secret, and type the newest code."
                ),
                code="mismatch",
            )
        return code


class CodeForm(forms.Form):
    """The code step of the login."""

    code = code_field()

    def clean_code(self) -> str:
        return clean_digits(self.cleaned_data["code"])


class RecoveryForm(forms.Form):
    code = forms.CharField(
        label=_("Recovery code"),
        max_length=20,
        help_text=_(
            "One of the ten codes you saved when you turned on two-step verification, such as k7q2-m3xa. Each code works once."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false", "class": "input--code"}
        ),
    )

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        if not code.isalnum():
            raise forms.ValidationError(_("A recovery code has letters and digits, such as k7q2-m3xa."), code="format")
        return code


class PasswordConfirmForm(PasswordCheckMixin, forms.Form):
    """New recovery codes, or turning the second factor off: confirm with the password."""

    password = password_field()

    def __init__(self, *args: Any, member: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.member = member


class ResetForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        help_text=_("For the moderation log: how did you confirm that this is the member asking?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )
