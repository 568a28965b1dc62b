"""Forms for handelingsperspectieven. They parse and validate; actions write."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from community.models import Typology
from threads.models import Post, Theme
from threads.perspectives.actions import MAX_QUOTE_LENGTH, MAX_SECTION_LENGTH, MAX_SUMMARY_LENGTH, MAX_TITLE_LENGTH
from threads.perspectives.models import Perspective

MARKDOWN_HELP = _("Markdown: **bold**, *italic*, [link](https://...), lists with -, headings with #.")


class TypologyChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Typology) -> str:
        return obj.name


class ThemeChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Theme) -> str:
        return obj.name


def section_field(label, help_text) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=MAX_SECTION_LENGTH,
        strip=False,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 8}),
    )


class PerspectiveForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE_LENGTH, min_length=5)
    summary = forms.CharField(
        label=_("Summary"),
        max_length=MAX_SUMMARY_LENGTH,
        required=False,
        help_text=_("Two or three sentences: they show in lists, the digest and the feed."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    situation = section_field(_("The situation it is for"), MARKDOWN_HELP)
    dilemmas = section_field(_("Dilemmas"), format_lazy("{} {}", _("What administrators weigh."), MARKDOWN_HELP))
    options = section_field(
        _("Options and their trade-offs"),
        format_lazy(
            "{} {}",
            _("Each option with what it brings and what it costs, for example a heading per option."),
            MARKDOWN_HELP,
        ),
    )
    typologies = TypologyChoiceField(
        label=_("For which municipalities"),
        queryset=Typology.objects.order_by("name_nl"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Choose at least one typology before the handelingsperspectief is reviewed."),
    )
    themes = ThemeChoiceField(
        label=_("Themes"), queryset=Theme.objects.order_by("name"), widget=forms.CheckboxSelectMultiple, required=False
    )

    @classmethod
    def initial_from(cls, perspective: Perspective) -> dict:
        return {
            "title": perspective.title,
            "summary": perspective.summary,
            "situation": perspective.situation,
            "dilemmas": perspective.dilemmas,
            "options": perspective.options,
            "typologies": list(perspective.typologies.all()),
            "themes": list(perspective.themes.all()),
        }


class SubmitForm(forms.Form):
    note = forms.CharField(
        label=_("What changed (for the reviewer and the version history)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReturnForm(forms.Form):
    note = forms.CharField(
        label=_("Note for the writers"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class SourceForm(forms.Form):
    title = forms.CharField(label=_("Title of the source"), max_length=300)
    publisher = forms.CharField(label=_("Publisher"), max_length=200, required=False)
    year = forms.IntegerField(label=_("Year"), required=False, min_value=1800, max_value=timezone.now().year + 1)
    url = forms.URLField(label=_("Web address"), max_length=500, required=False, assume_scheme="https")


class SupersedeForm(forms.Form):
    successor = forms.ModelChoiceField(label=_("Superseded by"), queryset=Perspective.objects.none(), empty_label=None)

    def __init__(self, *args: object, perspective: Perspective, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["successor"]
        field.queryset = Perspective.objects.published().exclude(pk=perspective.pk).order_by("title")
        field.label_from_instance = lambda p: p.current_version.title if p.current_version_id else p.title


NEW = "new"


class UseThreadForm(forms.Form):
    """Cite a post of a thread in a draft, or in a new perspective started here."""

    post = forms.ModelChoiceField(
        label=_("Which post"), queryset=Post.objects.none(), empty_label=None, widget=forms.RadioSelect
    )
    perspective = forms.ChoiceField(label=_("In which handelingsperspectief"))
    new_title = forms.CharField(
        label=_("Title of the new handelingsperspectief"), max_length=MAX_TITLE_LENGTH, required=False
    )
    quote = forms.CharField(
        label=_("Quote"),
        required=False,
        max_length=MAX_QUOTE_LENGTH,
        strip=False,
        help_text=_("Leave empty to quote the whole post, or copy a passage of it, word for word."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    name_consent = forms.BooleanField(
        label=_("The author agrees to be named in public versions"),
        required=False,
        help_text=_(
            "Ask the author first. Without their consent public versions show only their municipality and position."
        ),
    )
    note = forms.CharField(
        label=_("Why this example"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: object, posts, drafts, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["post"].queryset = posts
        self.fields["post"].label_from_instance = self._post_label
        self.fields["perspective"].choices = [(NEW, _("Start a new handelingsperspectief"))] + [
            (p.slug, p.title) for p in drafts
        ]
        self.drafts = {p.slug: p for p in drafts}

    @staticmethod
    def _post_label(post: Post) -> str:
        author = post.author.name if post.author and not post.author.is_former_member else _("former member")
        text = " ".join(post.text.split())
        return f"#{post.number} · {author}: {text[:140]}{'…' if len(text) > 140 else ''}"

    def clean(self) -> dict:
        data = super().clean()
        choice = data.get("perspective")
        if choice == NEW:
            if len((data.get("new_title") or "").strip()) < 5:
                self.add_error("new_title", _("Give the new handelingsperspectief a title of at least 5 characters."))
        elif choice is not None:
            data["draft"] = self.drafts.get(choice)
        return data


class SuggestForm(forms.Form):
    note = forms.CharField(
        label=_("Why is this thread useful for a handelingsperspectief?"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class IndexFilterForm(forms.Form):
    typology = forms.ModelChoiceField(
        label=_("Typology"),
        queryset=Typology.objects.order_by("name_nl"),
        required=False,
        to_field_name="slug",
        empty_label=_("All typologies"),
    )
    theme = forms.ModelChoiceField(
        label=_("Theme"),
        queryset=Theme.objects.order_by("name"),
        required=False,
        to_field_name="slug",
        empty_label=_("All themes"),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["typology"].label_from_instance = lambda t: t.name
        self.fields["theme"].label_from_instance = lambda t: t.name
