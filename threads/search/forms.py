"""The search form: the query and its filters, as GET parameters (shareable URLs).

A filter value that is not valid (a group the member may not read, an unknown
handle) is shown as an error on its field and left out; the search still runs.
"""

from __future__ import annotations

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from community.models import Group, Member, Municipality, Region
from threads.models import Theme, Thread
from threads.permissions import readable_groups_q
from threads.search.engine import Filters

FILTER_FIELDS = ("group", "theme", "kind", "solved", "region", "municipality", "author", "period")


class PlainSelect(forms.Select):
    """A select whose options are written in Python, not through a template each:
    the 342 municipalities on every search page would otherwise cost tens of ms."""

    def render(self, name, value, attrs=None, renderer=None):
        selected = {str(item) for item in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((str(key), mark_safe(" selected") if str(key) in selected else "", label) for key, label in self.choices),
        )
        return format_html(
            '<select name="{}"{}>{}</select>', name, flatatt(self.build_attrs(self.attrs, attrs)), options
        )


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search for"),
        required=False,
        strip=True,
        # Longer queries are cut (with a notice), never refused: no max_length here.
        # The help on quotes, "or" and "-" is written in the template, next to the field.
        widget=forms.TextInput(attrs={"type": "search", "aria-describedby": "id_q_helptext"}),
    )
    group = forms.ModelChoiceField(
        label=_("Group"),
        queryset=Group.objects.none(),
        required=False,
        to_field_name="slug",
        empty_label=_("All groups"),
        widget=PlainSelect,
    )
    theme = forms.ModelChoiceField(
        label=_("Theme"),
        queryset=Theme.objects.order_by("name"),
        required=False,
        to_field_name="slug",
        empty_label=_("All themes"),
        widget=PlainSelect,
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *Thread.Kind.choices], widget=PlainSelect
    )
    solved = forms.ChoiceField(
        label=_("Solved"),
        required=False,
        choices=[("", _("Solved or not")), ("yes", _("Solved questions")), ("no", _("Unsolved questions"))],
        widget=PlainSelect,
    )
    region = forms.ModelChoiceField(
        label=_("Province"),
        queryset=Region.objects.all(),
        required=False,
        to_field_name="slug",
        empty_label=_("All provinces"),
        widget=PlainSelect,
    )
    municipality = forms.ModelChoiceField(
        label=_("Municipality"),
        queryset=Municipality.objects.order_by("name").only("code", "name"),
        required=False,
        to_field_name="code",
        empty_label=_("All municipalities"),
        widget=PlainSelect(
            attrs={"data-searchable": "true", "data-filter-label": _("Type to filter the municipalities")}
        ),
    )
    author = forms.CharField(
        label=_("Author (handle)"),
        required=False,
        max_length=31,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    period = forms.ChoiceField(
        label=_("Written in the last"),
        required=False,
        choices=[("", _("Any time")), ("week", _("week")), ("month", _("month")), ("year", _("year"))],
        widget=PlainSelect,
    )

    def __init__(self, *args: object, member: Member, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = Group.objects.filter(readable_groups_q(member)).order_by("kind", "name")
        for name in ("kind", "solved", "period"):
            self.fields[name].choices = [(value, capfirst(label)) for value, label in self.fields[name].choices]

    def clean_author(self) -> Member | None:
        handle = self.cleaned_data["author"].strip().lstrip("@").lower()
        if not handle:
            return None
        author = Member.objects.approved().filter(handle=handle).first()
        if author is None:
            raise forms.ValidationError(_("There is no member with the handle @%(handle)s.") % {"handle": handle})
        return author

    @property
    def has_filters(self) -> bool:
        return self.is_bound and any(self.data.get(name) for name in FILTER_FIELDS)

    def search_arguments(self) -> tuple[str, Filters]:
        """The query text and the valid filters (call after ``is_valid()``)."""
        data = getattr(self, "cleaned_data", {})
        filters = Filters(**{name: data[name] for name in FILTER_FIELDS if data.get(name)})
        return data.get("q", "") or "", filters
