"""Forms of the meetings app: parse and validate; the writes go through actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.meetings.actions import MAX_QUESTION_LENGTH, MAX_THEMES
from community.meetings.models import Meeting, Question
from community.meetings.themes import theme_choices
from community.models import Group, Member, Region, Typology

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class LocalDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input, read in the site's time zone (Europe/Amsterdam)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)
    input_formats = [DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class TypologyChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Typology) -> str:
        return obj.name


class MemberChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Member) -> str:
        return obj.name


class MeetingForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, min_length=5)
    description = forms.CharField(label=_("Description"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))
    kind = forms.ChoiceField(label=_("Kind of meeting"), choices=Meeting.Kind.choices, widget=forms.RadioSelect)
    starts_at = LocalDateTimeField(label=_("Starts"))
    ends_at = LocalDateTimeField(label=_("Ends"))
    location_name = forms.CharField(
        label=_("Location"), max_length=200, required=False, help_text=_("For example: the town hall of Amersfoort.")
    )
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    join_url = forms.URLField(
        label=_("Join link"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=_("For webinars and hybrid meetings. Only registered members and organisers see it."),
    )
    capacity = forms.IntegerField(
        label=_("Seats"),
        min_value=1,
        required=False,
        help_text=_("Empty: no limit. When the meeting is full, members go on a waiting list."),
    )
    registration_deadline = LocalDateTimeField(
        label=_("Registration closes"), required=False, help_text=_("Empty: when the meeting starts.")
    )
    typologies = TypologyChoiceField(
        label=_("For typologies"),
        queryset=Typology.objects.order_by("name_nl"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    regions = forms.ModelMultipleChoiceField(
        label=_("For provinces"),
        queryset=Region.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    themes = forms.MultipleChoiceField(
        label=_("Themes"), widget=forms.CheckboxSelectMultiple, help_text=_("Choose 1 to 5 themes.")
    )
    organisers = MemberChoiceField(
        label=_("Organisers"),
        queryset=Member.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Members of the programme team and ambassadors. You are always one of them."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["themes"].choices = theme_choices()
        moderators = Member.objects.filter(memberships__role="moderator", memberships__group__kind=Group.Kind.REGION)
        self.fields["organisers"].queryset = (
            Member.objects.approved().filter(Q(is_staff=True) | Q(pk__in=moderators.values("pk"))).order_by("name")
        )

    @classmethod
    def initial_for(cls, meeting: Meeting) -> dict[str, Any]:
        local = timezone.localtime
        return {
            "title": meeting.title, "description": meeting.description, "kind": meeting.kind,
            "starts_at": local(meeting.starts_at).strftime(DATETIME_FORMAT), "ends_at": local(meeting.ends_at).strftime(DATETIME_FORMAT),
            "location_name": meeting.location_name, "address": meeting.address, "join_url": meeting.join_url,
            "capacity": meeting.capacity,
            "registration_deadline": local(meeting.registration_deadline).strftime(DATETIME_FORMAT) if meeting.registration_deadline else None,
            "typologies": list(meeting.typologies.all()), "regions": list(meeting.regions.all()), "themes": meeting.themes,
            "organisers": list(meeting.organisers.all()),
        }  # fmt: skip

    def clean_themes(self) -> list[str]:
        themes = self.cleaned_data["themes"]
        if not 1 <= len(themes) <= MAX_THEMES:
            raise forms.ValidationError(_("Choose between %(min)d and %(max)d themes.") % {"min": 1, "max": MAX_THEMES})
        return themes


class InviteForm(forms.Form):
    groups = forms.ModelMultipleChoiceField(
        label=_("Invite the members of"), queryset=Group.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, groups, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["groups"].queryset = groups


class QuestionForm(forms.Form):
    text = forms.CharField(
        label=_("Your question"), max_length=MAX_QUESTION_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )
    anonymous = forms.BooleanField(
        label=_("Ask anonymously"),
        required=False,
        help_text=_("Other members do not see your name. The organisers do."),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        help_text=_("The member is told this reason."),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MergeForm(forms.Form):
    into = forms.ModelChoiceField(
        label=_("Merge into"), queryset=Question.objects.none(), empty_label=_("Choose a question")
    )

    def __init__(self, *args: Any, questions, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = questions
        self.fields["into"].label_from_instance = lambda question: question.text[:120]


class ReportForm(forms.Form):
    report = forms.CharField(
        label=_("Report"),
        max_length=30_000,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("Markdown: the questions answered, what was said, links to the presentations."),
    )
    group = forms.ModelChoiceField(
        label=_("Open the follow-up thread in"), queryset=Group.objects.none(), empty_label=None,
        help_text=_("Members discuss the meeting there."),
    )  # fmt: skip

    def __init__(self, *args: Any, groups, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = groups


class AttendanceForm(forms.Form):
    came = forms.MultipleChoiceField(label=_("Who came"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, registrations, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["came"].choices = [(str(r.member_id), r.member.name) for r in registrations]
