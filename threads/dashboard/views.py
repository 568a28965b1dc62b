"""The programme's view: ``/dashboard/`` (``?measure=``, ``?province=``, ``?sort=``) and its
CSV export, ``/dashboard/export.csv`` (``?table=``, the same ``?province=`` and ``?sort=``)."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_safe

from threads.dashboard.figures import ACTIVE_DAYS, Overview, programme_overview
from threads.dashboard.maps import Area, legend, programme_map, scale_class
from threads.dashboard.permissions import Scope, access_scope
from threads.dashboard.tables import (
    DEFAULT_SORT,
    MEASURE_NAMES,
    SORTS,
    TABLE_NAMES,
    Table,
    all_tables,
    not_on_board_html,
)

DEFAULT_MEASURE = "members"


class ViewForm(forms.Form):
    """The page's choices (all optional: the defaults show members, sorted by name)."""

    measure = forms.ChoiceField(
        label=gettext_lazy("Colour the map by"), required=False, choices=list(MEASURE_NAMES.items())
    )
    province = forms.ChoiceField(label=gettext_lazy("Province"), required=False)
    sort = forms.ChoiceField(required=False, choices=[(key, key) for key in SORTS], widget=forms.HiddenInput)

    def __init__(self, data, *, scope: Scope) -> None:
        super().__init__(data)
        choices = [(region.slug, region.name) for region in scope.choices]
        if scope.national:
            choices.insert(0, ("", _("The whole country")))
        self.fields["province"].choices = choices
        self.fields["measure"].error_messages["invalid_choice"] = _("Choose one of the measures in the list.")
        self.fields["sort"].error_messages["invalid_choice"] = _(
            "The table cannot be sorted that way; it is sorted by name."
        )


def figure_label(measure: str, name: str, value: int) -> str:
    """ "'s-Gravenhage: 12 members": the map's tooltip and the link's accessible name."""
    texts = {
        "members": ngettext("%(name)s: %(count)s member", "%(name)s: %(count)s members", value),
        "active": ngettext("%(name)s: %(count)s active member", "%(name)s: %(count)s active members", value),
        "threads": ngettext("%(name)s: %(count)s thread started", "%(name)s: %(count)s threads started", value),
        "unanswered": ngettext(
            "%(name)s: %(count)s unanswered question", "%(name)s: %(count)s unanswered questions", value
        ),
    }
    return texts[measure] % {"name": name, "count": value}


def _view(request):
    """The scope (or 404), the choices and the figures: what the page and the export share.
    A bad measure or sort is reported on the page and replaced by the default; the rest of
    the choices stay as asked."""
    scope = access_scope(request.user, request.GET.get("province") or None)
    form = ViewForm(request.GET, scope=scope)
    form.is_valid()  # cleaned_data keeps the valid choices
    measure = form.cleaned_data.get("measure") or DEFAULT_MEASURE
    sort = form.cleaned_data.get("sort") or DEFAULT_SORT
    return scope, form, measure, sort, programme_overview(region_ids=scope.region_ids)


@require_safe
def dashboard(request):
    scope, form, measure, sort, overview = _view(request)
    tables = all_tables(overview, sort)
    province = scope.region.slug if scope.region else None
    shown = measure if measure != DEFAULT_MEASURE else None
    tables["municipalities"].sortable_by(
        sort, lambda key: f"?{_query(province=province, measure=shown, sort=key)}#municipalities"
    )
    return render(
        request,
        "dashboard/index.html",
        {
            "form": form,
            "scope": scope,
            "measure": measure,
            "measure_name": MEASURE_NAMES[measure],
            "measures": MEASURE_NAMES,
            "sort": sort,
            "overview": overview,
            "tables": tables,
            "map": _map(overview, measure=measure, province=province, scope=scope),
            "legend": legend(),
            "active_days": ACTIVE_DAYS,
            "export_query": _query(province=province, sort=sort if sort != DEFAULT_SORT else None),
            "province_query": _query(province=province),
            "missing": [
                (
                    _("Per typology"),
                    [(group, not_on_board_html(group)) for group in overview.by_typology],
                    "not-on-board-typologies",
                ),
                (
                    _("Per province"),
                    [(group, not_on_board_html(group)) for group in overview.by_province],
                    "not-on-board-provinces",
                ),
            ],
        },
        status=200 if form.is_valid() else 400,
    )


def _map(overview: Overview, *, measure: str, province: str | None, scope: Scope) -> str:
    texts: dict[int, str] = {}  # one translation lookup per figure, not per municipality

    def label(name: str, value: int) -> str:
        if value not in texts:
            texts[value] = figure_label(measure, "\0", value)
        return texts[value].replace("\0", name)

    areas = [
        Area(
            code=row.code,
            label=label(row.name, row.counts.get(measure)),
            scale=scale_class(row.counts.get(measure)),
            href=row.url,
        )
        for row in overview.rows
    ]
    where = scope.region.name if scope.region else _("the Netherlands")
    name = MEASURE_NAMES[measure]
    return programme_map(
        areas,
        province=province,
        title=_("Map of %(where)s: %(measure)s per municipality") % {"where": where, "measure": name},
        description=_(
            "Each municipality is coloured by its number of %(measure)s, from light (few) to dark (many); "
            "municipalities with none are hatched grey. Each municipality links to its page. "
            "The table below the map gives the same figures."
        )
        % {"measure": name},
    )


def _query(**values: str | None) -> str:
    """The page's other parameters, for links that change one of them."""
    return urlencode({name: value for name, value in values.items() if value})


@require_safe
def export_csv(request):
    """One table of the page as CSV (UTF-8, comma-separated, a header row of stable column
    names): ``?table=municipalities`` (the default) ... ``not-on-board-provinces``."""
    name = request.GET.get("table") or "municipalities"
    scope, _form, _measure, sort, overview = _view(request)  # 404 first: no hints for others
    if name not in TABLE_NAMES:
        return HttpResponse(
            _("There is no table %(name)s. Tables: %(names)s.") % {"name": name, "names": ", ".join(TABLE_NAMES)},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    table: Table = all_tables(overview, sort, only=name)[name]
    where = scope.region.slug if scope.region else "nederland"
    filename = f"samenleven-{name}-{where}-{timezone.localdate():%Y-%m-%d}.csv"
    return HttpResponse(
        table.csv(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
