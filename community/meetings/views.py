"""Meeting pages: thin. Parse, access, check, one action, redirect or render."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from community.errors import DomainError
from community.meetings import actions, ics, permissions
from community.meetings.forms import (
    AttendanceForm,
    InviteForm,
    MeetingForm,
    MergeForm,
    QuestionForm,
    ReasonForm,
    ReportForm,
)
from community.meetings.fragments import QuestionFragment
from community.meetings.models import Meeting, Question, Registration, Vote
from community.meetings.themes import theme_names
from community.models import Group, Member
from community.performance.fragments import render_declared

PAST_PER_PAGE = 10


def _registration(member: Member, meeting: Meeting) -> Registration | None:
    return Registration.objects.filter(meeting=meeting, member=member).first()


def _audience(member: Member) -> tuple[set[int], int | None]:
    """The member's municipality's typologies and province (one query)."""
    municipality = member.municipality
    if municipality is None:
        return set(), None
    from community.models import MunicipalityTypology

    typologies = set(
        MunicipalityTypology.objects.filter(municipality_id=municipality.pk).values_list("typology_id", flat=True)
    )
    return typologies, municipality.region_id


def is_for(meeting: Meeting, typology_ids: set[int], region_id: int | None) -> bool:
    """Meant for a member from a municipality with these typologies in this province
    (prefetched typologies and regions: no query)."""
    typologies = {t.pk for t in meeting.typologies.all()}
    regions = {r.pk for r in meeting.regions.all()}
    if not typologies and not regions:
        return True
    return bool(typologies & typology_ids) or (region_id is not None and region_id in regions)


# --- The agenda -------------------------------------------------------------------------------


@require_safe
def agenda(request: HttpRequest) -> HttpResponse:
    member = request.user
    if not permissions.can_view_meetings(member):
        raise PermissionDenied
    upcoming = list(Meeting.objects.upcoming().with_list_data()[:50])
    past = Paginator(Meeting.objects.past().with_list_data(), PAST_PER_PAGE).get_page(request.GET.get("past"))
    statuses = dict(
        Registration.objects.current()
        .filter(member=member, meeting_id__in=[m.pk for m in upcoming])
        .values_list("meeting_id", "status")
    )
    typologies, region_id = _audience(member)
    feed = actions.calendar_feed_of(member)
    return render(
        request,
        "meetings/agenda.html",
        {
            "upcoming": [(m, statuses.get(m.pk), is_for(m, typologies, region_id)) for m in upcoming],
            "past": past,
            "feed_url": request.build_absolute_uri(reverse("meeting_feed", args=[ics.feed_token(feed)])),
            "can": {"create": permissions.can_create_meeting(member)},
        },
    )


@require_POST
def renew_feed(request: HttpRequest) -> HttpResponse:
    if not permissions.can_view_meetings(request.user):
        raise PermissionDenied
    actions.renew_calendar_feed(member=request.user)
    messages.success(
        request, _("Your calendar has a new link. The old link no longer works: subscribe again with the new one.")
    )
    return redirect(reverse("meetings") + "#calendar")


@login_not_required
@never_cache
@require_safe
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """A member's calendar feed, for calendar programs (no login: the token is the key).
    The same 404 for a renewed, forged or unknown token, and for members who may no longer
    take part."""
    found = ics.feed_from_token(token)
    if found is None or not found.member.is_active or not found.member.is_participant:
        raise Http404
    member = found.member
    since = timezone.now() - timedelta(days=90)
    meetings = list(
        Meeting.objects.for_member(member).filter(ends_at__gte=since).with_page_data().order_by("starts_at")[:200]
    )
    statuses = dict(
        Registration.objects.current()
        .filter(member=member, meeting_id__in=[m.pk for m in meetings])
        .values_list("meeting_id", "status")
    )
    entries = []
    for meeting in meetings:
        status = statuses.get(meeting.pk)
        registration = Registration(status=status) if status else None
        entries.append((meeting, status, permissions.can_see_join_link(member, meeting, registration)))
    body = ics.feed_calendar(entries, language=member.language)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="samenleven.ics"'
    return response


# --- One meeting ------------------------------------------------------------------------------


def _question_rows(
    member: Member, meeting: Meeting, registration: Registration | None, *, moderating: bool
) -> list[Question]:
    questions = list(
        Question.objects.filter(meeting=meeting).visible_to(member, is_organiser=moderating).with_list_data().in_order()
    )
    voted = set(Vote.objects.filter(member=member, question__meeting=meeting).values_list("question_id", flat=True))
    for question in questions:
        question.voted = question.pk in voted
    return questions


def _questions_html(
    request: HttpRequest,
    meeting: Meeting,
    questions: list[Question],
    registration: Registration | None,
    *,
    moderating: bool,
    page: str,
) -> list[SafeString]:
    """Each question as ``meetings/_question.html`` shows it to this member (cached fragments)."""
    member = request.user
    return render_declared(request, [
        QuestionFragment.of(
            question, can_vote=permissions.can_vote(member, question, registration, meeting), can_moderate=moderating,
            can_see_asker=permissions.can_see_asker(member, question, meeting), voted=question.voted, page=page,
        )
        for question in questions
    ])  # fmt: skip


def _page_context(request: HttpRequest, meeting: Meeting, *, page: str = "") -> dict[str, Any]:
    member = request.user
    registration = _registration(member, meeting)
    moderating = permissions.can_moderate_questions(member, meeting)
    see_questions = permissions.can_see_questions(member, meeting, registration)
    questions = _question_rows(member, meeting, registration, moderating=moderating) if see_questions else []
    return {
        "meeting": meeting,
        "registration": registration,
        "themes": theme_names(meeting.themes),
        "questions": questions,
        "questions_html": _questions_html(request, meeting, questions, registration, moderating=moderating, page=page),
        "question_form": QuestionForm(),
        "can": {
            "manage": permissions.can_manage_meeting(member, meeting),
            "register": permissions.can_register(member, meeting, registration),
            "cancel": permissions.can_cancel_registration(member, meeting, registration),
            "join_link": permissions.can_see_join_link(member, meeting, registration),
            "live": permissions.can_follow_live(member, meeting, registration),
            "questions": see_questions,
            "ask": permissions.can_ask_question(member, meeting, registration),
            "invite": permissions.can_invite(member, meeting),
            "report": permissions.can_publish_report(member, meeting),
            "moderate": moderating,
        },
        "registration_open": permissions.registration_open(meeting),
    }


@require_safe
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = permissions.access_meeting(request.user, pk)
    context = _page_context(request, meeting)
    if context["can"]["manage"]:
        registrations = list(
            Registration.objects.filter(meeting=meeting)
            .current()
            .select_related("member__municipality")
            .order_by("status", "requested_at")
        )
        context["registrations"] = registrations
        context["attendance_form"] = AttendanceForm(
            initial={"came": [str(r.member_id) for r in registrations if r.attended]},
            registrations=[r for r in registrations if r.status == Registration.Status.REGISTERED],
        )
        context["came"] = [r for r in registrations if r.attended]
    return render(request, "meetings/meeting_detail.html", context)


@require_safe
def live(request: HttpRequest, pk: int) -> HttpResponse:
    """The live Q&A: registered members and organisers; new questions, votes and the
    question being answered arrive over the WebSocket (static/js/meetings.js)."""
    meeting = permissions.access_meeting(request.user, pk)
    context = _page_context(request, meeting, page="live")
    if not context["can"]["live"]:
        messages.info(request, _("Register for this meeting to take part in its live questions."))
        return redirect(meeting)
    context["answering"] = next((q for q in context["questions"] if q.status == Question.Status.ANSWERING), None)
    return render(request, "meetings/live.html", context)


@require_safe
def meeting_ics(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.user
    meeting = permissions.access_meeting(member, pk)
    registration = _registration(member, meeting)
    status = registration.status if registration and registration.status != Registration.Status.CANCELLED else None
    body = ics.meeting_calendar(
        meeting,
        status=status,
        show_join_link=permissions.can_see_join_link(member, meeting, registration),
        language=member.language,
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="samenleven-{meeting.pk}.ics"'
    return response


# --- Organising ---------------------------------------------------------------------------------


def _meeting_arguments(data: dict[str, Any]) -> dict[str, Any]:
    return {
        name: data[name]
        for name in (
            "title", "description", "kind", "starts_at", "ends_at", "location_name", "address", "join_url",
            "capacity", "registration_deadline", "typologies", "regions", "themes", "organisers",
        )
    }  # fmt: skip


def new_meeting(request: HttpRequest) -> HttpResponse:
    member = request.user
    permissions.check_create_meeting(member)
    form = MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = actions.create_meeting(actor=member, **_meeting_arguments(form.cleaned_data))
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The meeting is on the agenda. Invite the groups it is for."))
            return redirect("meeting_invite", pk=meeting.pk)
    return render(request, "meetings/meeting_form.html", {"form": form, "meeting": None})


def edit_meeting(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.user
    meeting = permissions.access_meeting(member, pk)
    permissions.check_manage_meeting(member, meeting)
    form = MeetingForm(request.POST or None, initial=MeetingForm.initial_for(meeting))
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_meeting(actor=member, meeting=meeting, **_meeting_arguments(form.cleaned_data))
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The meeting has been changed."))
            return redirect(meeting)
    return render(request, "meetings/meeting_form.html", {"form": form, "meeting": meeting})


def invite(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.user
    meeting = permissions.access_meeting(member, pk)
    if not permissions.can_invite(member, meeting):
        raise PermissionDenied(_("Only the organisers of this meeting and the programme team may do this."))
    groups = Group.objects.filter(permissions.invitable_groups(member)).order_by("kind", "name")
    suggested = Group.objects.filter(typology__in=meeting.typologies.all()) | Group.objects.filter(
        region__in=meeting.regions.all()
    )
    form = InviteForm(
        request.POST or None, groups=groups, initial={"groups": list(suggested.filter(pk__in=groups.values("pk")))}
    )
    if request.method == "POST" and form.is_valid():
        try:
            invited = actions.invite_groups(actor=member, meeting=meeting, groups=list(form.cleaned_data["groups"]))
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("%(count)d members have been invited.") % {"count": len(invited)})
            return redirect(meeting)
    return render(
        request, "meetings/invite.html", {"form": form, "meeting": meeting, "invited": meeting.invitations.count()}
    )


@require_POST
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.user
    meeting = permissions.access_meeting(member, pk)
    permissions.check_manage_meeting(member, meeting)
    registrations = Registration.objects.filter(meeting=meeting, status=Registration.Status.REGISTERED).select_related(
        "member"
    )
    form = AttendanceForm(request.POST, registrations=registrations)
    if form.is_valid():
        came = actions.record_attendance(
            actor=member, meeting=meeting, member_ids=[int(pk) for pk in form.cleaned_data["came"]]
        )
        messages.success(request, _("Saved: %(count)d members came.") % {"count": came})
    return redirect(reverse("meeting", args=[meeting.pk]) + "#attendance")


def report(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.user
    meeting = permissions.access_meeting(member, pk)
    if not permissions.can_publish_report(member, meeting):
        raise PermissionDenied(_("The organisers publish the report once the meeting has started."))
    candidates = (
        Group.objects.filter(typology__in=meeting.typologies.all())
        | Group.objects.filter(region__in=meeting.regions.all())
        | Group.objects.filter(kind=Group.Kind.PLAZA)
    )
    if not member.is_staff:
        candidates = candidates.filter(pk__in=member.roles.group_ids)
    groups = candidates.distinct().order_by("kind", "name")
    form = ReportForm(request.POST or None, groups=groups, initial={"report": meeting.report, "group": groups.first()})
    if request.method == "POST" and form.is_valid():
        try:
            actions.publish_report(
                actor=member, meeting=meeting, report=form.cleaned_data["report"], group=form.cleaned_data["group"]
            )
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The report has been published."))
            return redirect(meeting)
    return render(
        request,
        "meetings/report_form.html",
        {"form": form, "meeting": meeting, "has_thread": meeting.report_thread_id is not None},
    )


# --- Registration -----------------------------------------------------------------------------------


@require_POST
def register(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.user
    meeting = permissions.access_meeting(member, pk)
    if not permissions.can_register(member, meeting, _registration(member, meeting)):
        messages.error(request, _("You cannot register for this meeting (any more)."))
        return redirect(meeting)
    try:
        registration = actions.register(member=member, meeting=meeting)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        if registration.status == Registration.Status.REGISTERED:
            messages.success(request, _("You are registered. See you there!"))
        else:
            messages.info(
                request, _("The meeting is full: you are on the waiting list. We tell you as soon as a seat is free.")
            )
    return redirect(meeting)


@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.user
    meeting = permissions.access_meeting(member, pk)
    if not permissions.can_cancel_registration(member, meeting, _registration(member, meeting)):
        messages.error(request, _("You are not registered for this meeting."))
        return redirect(meeting)
    try:
        actions.cancel_registration(member=member, meeting=meeting)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Your registration has been cancelled."))
    return redirect(meeting)


# --- Questions --------------------------------------------------------------------------------------


def _back(request: HttpRequest, meeting: Meeting, question: Question | None = None) -> HttpResponse:
    name = "meeting_live" if request.POST.get("from") == "live" else "meeting"
    anchor = f"#question-{question.pk}" if question is not None else "#questions"
    return redirect(reverse(name, args=[meeting.pk]) + anchor)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@require_POST
def ask(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.user
    meeting = permissions.access_meeting(member, pk)
    if not permissions.can_ask_question(member, meeting, _registration(member, meeting)):
        raise PermissionDenied(_("Register for this meeting to ask a question."))
    form = QuestionForm(request.POST)
    error = None
    if not form.is_valid():
        error = " ".join(error for errors in form.errors.values() for error in errors)
    else:
        try:
            question = actions.ask_question(
                author=member, meeting=meeting, text=form.cleaned_data["text"], anonymous=form.cleaned_data["anonymous"]
            )
        except DomainError as refused:
            error = str(refused)
    if error is not None:
        if _wants_json(request):
            return JsonResponse({"error": error}, status=400)
        messages.error(request, error)
        return _back(request, meeting)
    if _wants_json(request):
        return JsonResponse({"question": question.pk})
    messages.success(request, _("Your question has been added."))
    return _back(request, meeting, question)


def _access_question(member: Member, pk: int) -> tuple[Question, Meeting]:
    """The question and its meeting (with only what the checks need: votes come in fast
    during a webinar), or 404 for questions the member may not see."""
    question = Question.objects.filter(pk=pk).select_related("author").first()
    if question is None or not permissions.can_view_meetings(member):
        raise Http404
    meeting = (
        Meeting.objects.filter(pk=question.meeting_id)
        .prefetch_related(Prefetch("organisers", queryset=Member.objects.only("id")))
        .get()
    )
    registration = _registration(member, meeting)
    if not permissions.can_see_questions(member, meeting, registration):
        raise Http404
    if question.hidden and not permissions.can_moderate_questions(member, meeting) and question.author_id != member.pk:
        raise Http404
    question.registration = registration
    return question, meeting


@require_POST
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.user
    question, meeting = _access_question(member, pk)
    if not permissions.can_vote(member, question, question.registration, meeting):
        if _wants_json(request):
            return JsonResponse({"error": _("You cannot vote for this question.")}, status=403)
        raise PermissionDenied(_("You cannot vote for this question."))
    try:
        voted, votes = actions.toggle_vote(member=member, question=question)
    except DomainError as error:
        if _wants_json(request):
            return JsonResponse({"error": str(error)}, status=409)
        messages.error(request, str(error))
        return _back(request, meeting, question)
    if _wants_json(request):
        return JsonResponse({"question": question.pk, "voted": voted, "votes": votes})
    return _back(request, meeting, question)


QUESTION_STEPS = {
    "select": lambda actor, question: actions.select_question(actor=actor, question=question, selected=True),
    "unselect": lambda actor, question: actions.select_question(actor=actor, question=question, selected=False),
    "answering": lambda actor, question: actions.start_answering(actor=actor, question=question),
    "answered": lambda actor, question: actions.mark_answered(actor=actor, question=question),
    "unhide": lambda actor, question: actions.unhide_question(actor=actor, question=question),
}


@require_POST
def question_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    member = request.user
    question, meeting = _access_question(member, pk)
    if step not in QUESTION_STEPS:
        raise Http404
    if not permissions.can_moderate_questions(member, meeting):
        raise PermissionDenied(_("Only the organisers of this meeting and the programme team may do this."))
    try:
        QUESTION_STEPS[step](member, question)
    except DomainError as error:
        messages.error(request, str(error))
    return _back(request, meeting, question)


def hide_question(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.user
    question, meeting = _access_question(member, pk)
    if not permissions.can_moderate_questions(member, meeting):
        raise PermissionDenied(_("Only the organisers of this meeting and the programme team may do this."))
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.hide_question(actor=member, question=question, reason=form.cleaned_data["reason"])
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The question is hidden; its asker has been told why."))
            return _back(request, meeting, question)
    return render(
        request, "meetings/question_form.html", {"form": form, "meeting": meeting, "question": question, "step": "hide"}
    )


def merge_question(request: HttpRequest, pk: int) -> HttpResponse:
    member = request.user
    question, meeting = _access_question(member, pk)
    if not permissions.can_moderate_questions(member, meeting):
        raise PermissionDenied(_("Only the organisers of this meeting and the programme team may do this."))
    others = (
        Question.objects.filter(meeting=meeting).listed().exclude(pk=question.pk).order_by("-vote_count", "created")
    )
    form = MergeForm(request.POST or None, questions=others)
    if request.method == "POST" and form.is_valid():
        try:
            actions.merge_question(actor=member, question=question, into=form.cleaned_data["into"])
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The questions have been merged."))
            return _back(request, meeting, form.cleaned_data["into"])
    return render(
        request,
        "meetings/question_form.html",
        {"form": form, "meeting": meeting, "question": question, "step": "merge"},
    )
