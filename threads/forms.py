"""Forms for threads and posts. They parse and validate; actions write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from threads.actions import MAX_BODY_LENGTH, MAX_THEMES, MAX_TITLE_LENGTH, MIN_THEMES
from threads.models import Theme, Thread

BODY_HELP = _("Markdown: **bold**, *italic*, [link](https://...), lists with -, @handle to mention someone.")


class BodyField(forms.CharField):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            label=kwargs.pop("label", _("Message")),
            max_length=MAX_BODY_LENGTH,
            strip=False,
            help_text=BODY_HELP,
            widget=forms.Textarea(attrs={"rows": 10, "data-mention-autocomplete": "true"}),
            **kwargs,
        )


class ThemeChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Theme) -> str:
        return obj.name


class ThreadForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE_LENGTH, min_length=5)
    kind = forms.ChoiceField(label=_("What kind of thread is this?"), choices=Thread.Kind.choices, widget=forms.RadioSelect)
    body = BodyField()
    themes = ThemeChoiceField(
        label=_("Themes"),
        queryset=Theme.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose 1 to 5 themes."),
    )

    def __init__(self, *args: object, allow_announcement: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if not allow_announcement:
            self.fields["kind"].choices = [c for c in Thread.Kind.choices if c[0] != Thread.Kind.ANNOUNCEMENT]

    def clean_themes(self) -> list[Theme]:
        themes = list(self.cleaned_data["themes"])
        if not MIN_THEMES <= len(themes) <= MAX_THEMES:
            raise forms.ValidationError(_("Choose between %(min)d and %(max)d themes.") % {"min": MIN_THEMES, "max": MAX_THEMES})
        return themes


class ReplyForm(forms.Form):
    body = BodyField(label=_("Your reply"))


class EditPostForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE_LENGTH, min_length=5, required=False)
    body = BodyField()

    def __init__(self, *args: object, with_title: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if with_title:
            self.fields["title"].required = True
        else:
            del self.fields["title"]


class TopPeriodForm(forms.Form):
    period = forms.ChoiceField(
        choices=[("week", _("week")), ("month", _("month")), ("year", _("year")), ("all", _("all time"))], required=False
    )
