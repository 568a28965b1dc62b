"""Steps in the programme team's admin: changes that go through an action.

The admin changes nothing that the site's actions would log, mail or push without
doing so (SPEC F7). Such fields are read-only in the change forms; staff change
them with a *step*: an admin action on the changelist, also reachable for one
object from its change page (``<pk>/steps/<name>/``, linked at the top). A step
that needs input (a reason, a date, a group) or a confirmation shows an
intermediate form first. Each object is changed by the same action the site uses,
one at a time; what could not be changed is reported per object with the
action's own DomainError message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.functional import Promise

from community.errors import DomainError

#: A step's work on one object: ``run(actor, obj, cleaned_data)``; raises DomainError.
Run = Callable[[Any, Any, dict[str, Any]], object]


@dataclass(frozen=True)
class Step:
    name: str
    #: In the changelist's action menu ("Suspend the selected members").
    label: str | Promise
    #: The link on the change page and the heading of the form ("Suspend").
    title: str | Promise
    run: Run
    #: Reported after the step, with the number of objects changed (an ngettext_lazy
    #: pair keyed on "count").
    done: str | Promise
    form: type[forms.Form] | None = None
    #: Ask before doing it, also without a form.
    confirm: bool = False
    explanation: str | Promise = ""
    submit: str | Promise = ""
    #: Whether the change page offers the step for this object (the action decides).
    offered: Callable[[Any], bool] = field(default=lambda obj: True)

    @property
    def asks(self) -> bool:
        return self.form is not None or self.confirm


class StepsAdmin(admin.ModelAdmin):
    """A ModelAdmin whose ``steps`` are changelist actions and per-object pages."""

    steps: Sequence[Step] = ()
    change_form_template = "admin/steps_change_form.html"
    #: The change form the step links are added to.
    steps_base_change_form = "admin/change_form.html"
    #: The heading above the step links on the change page.
    steps_heading: str | Promise = ""

    # --- Permissions ----------------------------------------------------------------

    def has_step_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        """Steps change the model through its actions: staff with the right to change it
        (the ModelAdmin's own change permission may be off: the fields are read-only)."""
        opts = self.opts
        return bool(request.user.is_staff and request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}"))

    # --- The changelist -------------------------------------------------------------

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if actions is not None and self.steps and self.has_step_permission(request) and "_popup" not in request.GET:
            for step in self.steps:
                actions[step.name] = (self._changelist_action(step), step.name, step.label)
        return actions

    def _changelist_action(self, step: Step) -> Callable[..., HttpResponse | None]:
        def action(modeladmin: StepsAdmin, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
            # The changelist's queryset: with its list_select_related, so naming each costs nothing.
            return modeladmin.take_step(request, step, list(queryset), single=False)

        action.__name__ = step.name
        return action

    # --- One object -----------------------------------------------------------------

    def get_urls(self) -> list[Any]:
        opts = self.opts
        return [
            path(
                "<path:object_id>/steps/<str:step_name>/",
                self.admin_site.admin_view(self.step_view),
                name=f"{opts.app_label}_{opts.model_name}_step",
            ),
            *super().get_urls(),
        ]

    def step_view(self, request: HttpRequest, object_id: str, step_name: str) -> HttpResponse:
        step = next((s for s in self.steps if s.name == step_name), None)
        obj = self.get_object(request, unquote(object_id))
        if step is None or obj is None:
            raise Http404
        if not self.has_step_permission(request, obj):
            raise PermissionDenied
        if request.method not in ("GET", "HEAD", "POST"):
            return HttpResponse(status=405, headers={"Allow": "GET, POST"})
        response = self.take_step(request, step, [obj], single=True)
        return response or HttpResponseRedirect(self._change_url(obj))

    def _change_url(self, obj: Model) -> str:
        opts = self.opts
        return reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)], current_app=self.admin_site.name
        )

    def step_links(self, request: HttpRequest, obj: Model) -> list[dict[str, str]]:
        if not self.has_step_permission(request, obj):
            return []
        opts = self.opts
        return [
            {
                "url": reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_step",
                    args=[quote(obj.pk), step.name],
                    current_app=self.admin_site.name,
                ),
                "title": str(step.title),
            }
            for step in self.steps
            if step.offered(obj)
        ]

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Model | None = None,
    ) -> HttpResponse:
        context["steps_base_change_form"] = self.steps_base_change_form
        context["steps_heading"] = self.steps_heading
        context["step_links"] = self.step_links(request, obj) if obj is not None else []
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    # --- Taking a step ----------------------------------------------------------------

    def take_step(self, request: HttpRequest, step: Step, objects: list[Model], *, single: bool) -> HttpResponse | None:
        """Show the step's form (or confirmation), or, once it is sent and valid, run the
        action for each object. Returns the page to show, or None when done."""
        applying = request.method == "POST" and request.POST.get("apply") == "yes"
        if not applying and (step.asks or request.method != "POST"):
            return self._step_page(request, step, objects, step.form() if step.form else None, single=single)
        form = step.form(request.POST) if step.form else None
        if form is not None and not form.is_valid():
            return self._step_page(request, step, objects, form, single=single)
        data = form.cleaned_data if form is not None else {}
        changed = 0
        for obj in objects:
            try:
                step.run(request.user, obj, data)
            except DomainError as error:
                self.message_user(request, f"{obj}: {error.message}", messages.WARNING)
            else:
                changed += 1
        if changed:
            self.message_user(request, step.done % {"count": changed}, messages.SUCCESS)
        return None

    def _step_page(
        self, request: HttpRequest, step: Step, objects: list[Model], form: forms.Form | None, *, single: bool
    ) -> TemplateResponse:
        opts = self.opts
        media = self.media + (form.media if form is not None else forms.Media())
        context = {
            **self.admin_site.each_context(request),
            "opts": opts,
            "title": step.title,
            "step": step,
            "explanation": step.explanation,
            "submit": step.submit or step.title,
            "form": form,
            "objects": objects,
            "object": objects[0] if single else None,
            "single": single,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "cancel_url": self._change_url(objects[0]) if single else request.get_full_path(),
            "media": media,
            "errors": bool(form is not None and form.is_bound and form.errors),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/step_form.html", context)
