"""Forms: parse and validate input; writes go through actions."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from community import actions, throttle
from community.models import HANDLE_PATTERN, Group, Member, Municipality, Region, Typology, handle_validator


class MunicipalityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Municipality) -> str:
        return f"{obj.name} ({obj.region.name})"


def municipality_field(**kwargs: Any) -> MunicipalityChoiceField:
    return MunicipalityChoiceField(
        queryset=Municipality.objects.select_related("region").order_by("name"),
        label=_("Municipality"),
        empty_label=_("Choose your municipality"),
        widget=forms.Select(
            attrs={"data-searchable": "true", "data-filter-label": _("Type to filter the municipalities")}
        ),
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
    municipality = municipality_field(error_messages={"required": _("Choose your municipality.")})
    # No position is chosen for the newcomer: the list starts at "Choose…" and one must be picked.
    position = forms.ChoiceField(
        label=_("Position"),
        choices=[("", _("Choose…")), *Member.Position.choices],
        error_messages={"required": _("Choose your position.")},
    )
    handle = forms.CharField(
        label=_("Handle"),
        required=False,
        max_length=30,
        validators=[handle_validator],
        help_text=_("Others mention you with @handle. Leave empty and we make one from your name."),
        widget=forms.TextInput(attrs={"pattern": HANDLE_PATTERN.strip("^$"), "autocapitalize": "none"}),
    )

    def clean_email(self) -> str:
        # Whether the address already has an account is not for the form to say: the
        # owner is mailed instead (``actions.sign_up``).
        return self.cleaned_data["email"].strip().lower()

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
        if self.errors:
            self.ask_for_the_password_again()
        return cleaned

    def ask_for_the_password_again(self) -> None:
        """The password is never sent back to the browser (PasswordInput does not render
        its value): in the page it would sit in plain text in the HTML, in the browser's
        history and back-forward cache, and in anything that keeps copies of responses.
        So a form that comes back with other errors comes back without it, and says so
        plainly on the field (and in the error summary) instead of leaving it empty
        without a word."""
        if self.data.get("password") and "password" not in self.errors:
            self.add_error("password", _("Type your password again: for your safety we do not send it back to you."))


class ThrottledLoginForm(AuthenticationForm):
    """Django's login form with the e-mail address as ``username`` and limits on failed
    attempts (``community.throttle.login_attempt``); the owner of an address that is
    being guessed at from elsewhere gets an e-mail, once per window."""

    username = forms.EmailField(
        label=_("E-mail address"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("This e-mail address and password do not match an account that may log in."),
    }

    def clean(self) -> dict[str, Any]:
        address = (self.data.get("username") or "").strip().lower()
        ip = throttle.client_ip(self.request) if self.request else "unknown"
        attempt = throttle.login_attempt(address, ip)
        if not attempt.allowed:
            minutes = max(1, settings.LOGIN_THROTTLE["window_seconds"] // 60)
            # The same words whether or not the address has an account.
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
            cleaned = super().clean()
        except forms.ValidationError:
            if throttle.should_warn_owner(attempt):
                actions.warn_of_failed_logins(email=address, failures=attempt.address_failures)
            raise
        throttle.login_succeeded(attempt)
        return cleaned


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Member
        fields = ["name", "handle", "position", "bio", "language"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 5})}
        help_texts = {
            "handle": _("Others mention you with @handle; changing it keeps your old mentions working as links.")
        }

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


class SuspendForm(forms.Form):
    until = forms.DateField(
        label=_("Suspended until"),
        help_text=_("The member can take part again from the start of this day."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reason = forms.CharField(
        label=_("Reason"),
        help_text=_("The member receives this reason by e-mail and sees it when they log in."),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )

    MAX_DAYS = 366

    def clean_until(self) -> datetime:
        day: date = self.cleaned_data["until"]
        today = timezone.localdate()
        if day <= today:
            raise forms.ValidationError(_("Choose a day after today."))
        if day > today + timedelta(days=self.MAX_DAYS):
            raise forms.ValidationError(_("Suspend for at most a year; the programme team deactivates accounts."))
        return timezone.make_aware(datetime.combine(day, time.min))


class LiftSuspensionForm(forms.Form):
    reason = forms.CharField(
        label=_("Note for the log"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class GroupChoiceForm(forms.Form):
    """The group a step in the admin is about (moderator roles, memberships)."""

    group = forms.ModelChoiceField(queryset=Group.objects.order_by("kind", "name"), label=_("Group"))


class ReadAccessForm(forms.Form):
    """Who may read a group: the programme team changes it in the admin."""

    read_access = forms.ChoiceField(
        label=_("Who may read"),
        choices=Group.ReadAccess.choices,
        widget=forms.RadioSelect,
        help_text=_("Members who may no longer read the group stop receiving its threads at once."),
    )


class DeleteAccountForm(forms.Form):
    """Deleting an account asks for the password, with a limit on wrong guesses."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, member: Member, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.member = member

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        limits = settings.LOGIN_THROTTLE
        key = str(self.member.pk)
        # Counted before the check, so that parallel guesses get no extra try.
        if throttle.hit("delete-account", key, window_seconds=limits["window_seconds"]) > limits["per_address_and_ip"]:
            throttle.unhit("delete-account", key)
            raise forms.ValidationError(_("Too many wrong passwords. Try again later."), code="throttled")
        if not self.member.check_password(password):
            raise forms.ValidationError(_("This is not your password."), code="wrong_password")
        throttle.unhit("delete-account", key)
        return password


class MemberFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or handle"), required=False, max_length=100)
    municipality = forms.ModelChoiceField(
        label=_("Municipality"),
        queryset=Municipality.objects.order_by("name"),
        required=False,
        to_field_name="code",
        empty_label=_("All municipalities"),
        widget=forms.Select(
            attrs={"data-searchable": "true", "data-filter-label": _("Type to filter the municipalities")}
        ),
    )
    region = forms.ModelChoiceField(
        label=_("Province"),
        queryset=Region.objects.all(),
        required=False,
        to_field_name="slug",
        empty_label=_("All provinces"),
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
        label=_("Province"),
        queryset=Region.objects.all(),
        required=False,
        to_field_name="slug",
        empty_label=_("All provinces"),
    )
    typology = forms.ModelChoiceField(
        label=_("Typology"),
        queryset=Typology.objects.all(),
        required=False,
        to_field_name="slug",
        empty_label=_("All typologies"),
    )


class ResetPasswordForm(SetPasswordForm):
    """The new password after a reset link: set through the action, which ends every
    session of the member (someone else may have been logged in) and closes their sockets."""

    def save(self, commit: bool = True) -> Member:
        from community import actions

        return actions.change_password(member=self.user, password=self.cleaned_data["new_password1"])
