"""Sign-up reviewers who hear about it: the programme team and its mailbox for provinces
without an ambassador, the daily reminder, decided sign-ups leaving the reviewers' lists,
and the e-mails that invite an answer."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from community import actions as community_actions
from community.models import Member, Municipality
from notifications.email.signups import working_days_before
from notifications.models import Notification, OutboxMessage

pytestmark = pytest.mark.django_db

SUPPORT = "programmateam@samenleven.example.nl"


@pytest.fixture(autouse=True)
def support_mailbox(settings):
    settings.SUPPORT_EMAIL = SUPPORT


def sign_up(code: str, handle: str) -> Member:
    applicant = community_actions.register_member(
        name=f"Aanmelder {handle}", email=f"{handle}@voorbeeld.nl", password="een-lang-wachtwoord-42",
        municipality=Municipality.objects.get(code=code), position="beleidsmedewerker", handle=handle,
    )  # fmt: skip
    return community_actions.verify_email(member=applicant)


def pending_mail(to: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(to__contains=to, kind__in=["pending_member", "signup_pending"]))


def test_a_sign_up_from_a_province_without_an_ambassador_reaches_the_programme_team_by_e_mail(
    dutch_data, staff, ambassador
):
    applicant = sign_up("GM0014", "groninger")  # Groningen: no ambassador
    assert Notification.objects.filter(kind="pending_member", recipient=staff, actor=applicant).exists()
    assert not Notification.objects.filter(kind="pending_member", recipient=ambassador).exists()
    [team] = pending_mail(SUPPORT)
    assert "Aanmelder groninger" in team.subject and "Groningen" in team.text and "/moderation/" in team.text
    assert [row.recipient_id for row in pending_mail(staff.email)] == [staff.pk]


def test_a_sign_up_from_a_province_with_an_ambassador_goes_to_the_ambassador_alone(dutch_data, staff, ambassador):
    applicant = sign_up("GM0599", "rotterdammer")  # Rotterdam, Zuid-Holland: Samira
    assert Notification.objects.filter(kind="pending_member", recipient=ambassador, actor=applicant).exists()
    assert pending_mail(ambassador.email) and not pending_mail(SUPPORT) and not pending_mail(staff.email)


def test_a_decided_sign_up_leaves_the_other_reviewers_notifications(dutch_data, staff):
    second = Member.objects.create_superuser(
        "tweede@samenleven.nl", "een-lang-wachtwoord-42", name="Tweede teamlid", handle="tweede"
    )
    applicant = sign_up("GM0014", "groninger")
    before = {m.pk: m.unread_notifications for m in Member.objects.filter(pk__in=[staff.pk, second.pk])}
    assert Notification.objects.filter(kind="pending_member", actor=applicant).count() == 2
    community_actions.approve_member(actor=staff, member=applicant)
    assert not Notification.objects.filter(kind="pending_member", actor=applicant).exists()
    after = {m.pk: m.unread_notifications for m in Member.objects.filter(pk__in=[staff.pk, second.pk])}
    assert after == {pk: count - 1 for pk, count in before.items()}


def test_the_reminder_lists_sign_ups_waiting_more_than_two_working_days_once_a_day(dutch_data, staff, ambassador):
    old = sign_up("GM0014", "lang_wachtend")
    recent = sign_up("GM0599", "net_binnen")
    zuid_holland_old = sign_up("GM0518", "haags_wachtend")
    now = timezone.now()
    long_ago = working_days_before(now, 3)
    Member.objects.filter(pk__in=[old.pk, zuid_holland_old.pk]).update(email_verified_at=long_ago)
    Member.objects.filter(pk=recent.pk).update(email_verified_at=now - timedelta(hours=2))

    out = StringIO()
    call_command("remind_pending_signups", stdout=out)
    reminders = OutboxMessage.objects.filter(kind="signup_reminder")
    by_to = {row.to: row for row in reminders}
    team = by_to[SUPPORT]
    assert "Aanmelder lang_wachtend" in team.text and "Aanmelder haags_wachtend" in team.text
    assert "net_binnen" not in team.text
    to_ambassador = next(row for row in reminders if ambassador.email in row.to)
    assert "Aanmelder haags_wachtend" in to_ambassador.text and "lang_wachtend" not in to_ambassador.text
    assert any(staff.email in row.to for row in reminders)
    count = reminders.count()
    assert f"{count} reminders queued" in out.getvalue()

    call_command("remind_pending_signups", stdout=StringIO())  # the same day: nothing new
    assert OutboxMessage.objects.filter(kind="signup_reminder").count() == count


def test_two_working_days_skip_the_weekend():
    monday = timezone.make_aware(timezone.datetime(2026, 12, 7, 9, 0))
    assert working_days_before(monday, 2).date() == timezone.datetime(2026, 12, 3).date()  # Thursday


def test_the_demo_programme_team_account_has_a_verified_address(dutch_data):
    call_command("seed_demo", stdout=StringIO())
    team = Member.objects.get(handle="programmateam")
    assert team.is_staff and team.email_verified_at is not None


def test_rejection_and_suspension_mails_have_the_programme_team_as_reply_to(dutch_data, staff, member, pending_member):
    community_actions.reject_member(actor=staff, member=pending_member, reason="Geen gemeentelijke functie")
    community_actions.suspend_member(
        actor=staff, member=member, until=timezone.now() + timedelta(days=3), reason="Herhaald off-topic"
    )
    for kind in ("signup_rejected", "member_suspended"):
        row = OutboxMessage.objects.filter(kind=kind).latest("id")
        assert row.headers["Reply-To"] == SUPPORT
    approval = OutboxMessage.objects.filter(kind="signup_approved").latest("id")
    assert "Reply-To" not in approval.headers


def test_the_file_backend_writes_one_file_per_message(tmp_path, settings):
    from django.core.mail import EmailMessage, get_connection

    settings.EMAIL_BACKEND = "community.mailfiles.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    connection = get_connection()
    messages = [EmailMessage(f"Onderwerp {n}", "Tekst", "a@b.nl", ["c@d.nl"]) for n in range(3)]
    assert connection.send_messages(messages) == 3
    for _again in range(3):
        get_connection().send_messages([EmailMessage("Nog een", "Tekst", "a@b.nl", ["c@d.nl"])])
    files = sorted(tmp_path.iterdir())
    assert len(files) == 6
    assert all(path.read_text().count("Subject:") == 1 for path in files)
    assert mail.outbox == []
