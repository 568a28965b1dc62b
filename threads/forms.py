"""Forms for threads and posts. They parse and validate; actions write."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from community.models import ModerationLogEntry
from threads.actions import MAX_BODY_LENGTH, MAX_THEMES, MAX_TITLE_LENGTH, MIN_THEMES
from threads.models import Flag, Theme, Thread

BODY_HELP = _("You can format your text: see “Help with formatting” below the box.")


class BodyField(forms.CharField):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            label=kwargs.pop("label", _("Message")),
            max_length=MAX_BODY_LENGTH,
            strip=False,
            help_text=BODY_HELP,
            widget=forms.Textarea(
                attrs={
                    "rows": 10,
                    "data-mention-autocomplete": reverse_lazy("member_autocomplete"),
                    "data-mention-label": _("Members to mention"),
                    # {count} is filled in by static/js/compose.js.
                    "data-mention-found": _("Members found: {count}. Arrow keys choose, Enter inserts."),
                }
            ),
            **kwargs,
        )


class RequestKeyField(forms.UUIDField):
    """A hidden key, new with every form shown (``Post.request_key``): the same form sent
    twice makes one post. A key that is missing or not a UUID (an old page, a hand-made
    request) is no key at all, never an error the member cannot see or fix."""

    widget = forms.HiddenInput

    def __init__(self) -> None:
        super().__init__(required=False, initial=uuid.uuid4)

    def to_python(self, value: Any) -> uuid.UUID | None:
        try:
            return super().to_python(value)
        except forms.ValidationError:
            return None


class ThemeChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Theme) -> str:
        return obj.name


class ThreadForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE_LENGTH, min_length=5)
    kind = forms.ChoiceField(
        label=_("What kind of thread is this?"), choices=Thread.Kind.choices, widget=forms.RadioSelect
    )
    body = BodyField()
    themes = ThemeChoiceField(
        label=_("Themes"),
        queryset=Theme.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose 1 to 5 themes."),
    )
    request_key = RequestKeyField()

    def __init__(self, *args: object, allow_announcement: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if not allow_announcement:
            self.fields["kind"].choices = [c for c in Thread.Kind.choices if c[0] != Thread.Kind.ANNOUNCEMENT]

    def clean_themes(self) -> list[Theme]:
        themes = list(self.cleaned_data["themes"])
        if not MIN_THEMES <= len(themes) <= MAX_THEMES:
            raise forms.ValidationError(
                _("Choose between %(min)d and %(max)d themes.") % {"min": MIN_THEMES, "max": MAX_THEMES}
            )
        return themes


class ReplyForm(forms.Form):
    body = BodyField(label=_("Your reply"))
    request_key = RequestKeyField()


class EditPostForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE_LENGTH, min_length=5, required=False)
    body = BodyField()
    reason = forms.CharField(
        label=_("Reason for the moderator edit"),
        required=False,
        max_length=2000,
        help_text=_("Kept in the moderation log; the revision is marked as a moderator edit."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: object, with_title: bool = False, by_moderator: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if with_title:
            self.fields["title"].required = True
        else:
            del self.fields["title"]
        if not by_moderator:
            del self.fields["reason"]


class TopPeriodForm(forms.Form):
    period = forms.ChoiceField(
        choices=[("week", _("week")), ("month", _("month")), ("year", _("year")), ("all", _("all time"))],
        required=False,
    )


# --- Moderation -----------------------------------------------------------------


class ReasonForm(forms.Form):
    """A moderation step that affects a member: they are told the reason."""

    reason = forms.CharField(
        label=_("Reason"),
        help_text=_("The member is told this reason."),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MoveThreadForm(forms.Form):
    group = forms.ModelChoiceField(label=_("Move to"), queryset=None, empty_label=_("Choose a group"))
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        help_text=_("Optional; the author is told where the thread went, and this reason."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: object, groups, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups


class FlagForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("What is wrong with this post?"), choices=Flag.Reason.choices, widget=forms.RadioSelect
    )
    text = forms.CharField(
        label=_("Explanation"),
        required=False,
        max_length=1000,
        help_text=_("Needed for “something else”; helpful for the others. Only the moderators read it."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("reason") == Flag.Reason.OTHER and not (cleaned.get("text") or "").strip():
            self.add_error("text", _("Tell the moderators what is wrong with this post."))
        return cleaned


class ReviewFlagsForm(forms.Form):
    OUTCOMES = [
        ("dismiss", _("Disagree: restore the post and dismiss the flags")),
        ("hide", _("Agree: keep the post hidden")),
        ("remove", _("Agree: remove the post")),
    ]
    #: The reason is required for these outcomes: the author is told why their post goes.
    NEED_A_REASON = ("hide", "remove")
    # The reason is not optional when agreeing, so the field is not marked "(optional)"; the
    # browser is not asked to require it either (it does not know the decision's rule).
    use_required_attribute = False

    outcome = forms.ChoiceField(label=_("Decision"), choices=OUTCOMES, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reason (required when you agree)"),
        max_length=2000,
        help_text=_("The author is told this reason. When you disagree it may stay empty."),
        error_messages={"required": _("Give a reason: when you agree, the author is told why.")},
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.is_bound and self.data.get(self.add_prefix("outcome")) not in self.NEED_A_REASON:
            self.fields["reason"].required = False


class LogFilterForm(forms.Form):
    moderator = forms.CharField(label=_("Moderator"), required=False, max_length=150, help_text=_("Name or handle"))
    member = forms.CharField(label=_("Member"), required=False, max_length=150, help_text=_("Name or handle"))
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("All actions")), *ModerationLogEntry.Action.choices]
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    until = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
