"""Demo meetings for ``manage.py seed_demo``: a past bijeenkomst in Amersfoort with its
report (and, through the report, its follow-up thread) and a coming webinar with questions
and votes. Idempotent: meetings that exist (by title) are left alone.

Made through the actions, so the registrations, invitations, notifications and the report's
thread are what the site itself would make. Needs the demo accounts (``community.demo``).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from community.meetings import actions
from community.meetings.models import Meeting
from community.models import Group, Member, Region, Typology

PAST_TITLE = "Bijeenkomst Samenleven in Amersfoort"
WEBINAR_TITLE = "Webinar: huisvesting van arbeidsmigranten"

REPORT = """Op de eerste thematische bijeenkomst van het programma kwamen bestuurders en beleidsmedewerkers uit de
provincie Utrecht samen in het stadhuis van Amersfoort.

# Wat we bespraken

- **Huisvesting van arbeidsmigranten**: Amersfoort liet zien hoe afspraken met werkgevers en corporaties
  overbewoning tegengaan.
- **Taal en ontmoeting**: taalcafés in de bibliotheek werken het best als nieuwkomers ze zelf mee organiseren.
- **Draagvlak in kleine kernen**: vroeg en open met inwoners praten, ook als nog niet alles vaststaat.

# Beantwoorde vragen

1. *Hoe houd je de BRP-registratie op orde?* Met een inschrijfbalie op locatie en afspraken met uitzendbureaus.
2. *Wie betaalt de tolk bij een bewonersavond?* In de meeste gemeenten het sociaal domein; zie de presentatie.

De presentaties staan op [de pagina van het programma](https://www.example.nl/samenleven/amersfoort).
"""

QUESTIONS = [
    ("fatima_el_amrani", "Hoe houden jullie zicht op overbewoning zonder alle panden te controleren?", False),
    ("thijs_willems", "Welke afspraken maken jullie met uitzendbureaus over huisvesting buiten het seizoen?", False),
    ("anouk_visser", "Hoe krijg je draagvlak voor een locatie voor short-stay in een kleine kern?", True),
    ("yusuf_kaya", "Werkt een vergunningplicht voor verkamering, of verplaatst die het probleem?", False),
]
VOTES = {
    0: ["thijs_willems", "anouk_visser", "yusuf_kaya", "daan_smit"],
    1: ["fatima_el_amrani", "marieke_peters"],
    2: ["fatima_el_amrani"],
    3: [],
}


def _at(day: datetime, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day.date(), time(hour, minute)))


@transaction.atomic
def ensure_demo_meetings(accounts: dict[str, Member]) -> int:
    created = 0
    staff = accounts["programmateam"]
    if not Meeting.objects.filter(title=PAST_TITLE).exists():
        created += 1
        martijn = accounts["martijn_de_vries"]
        soon = timezone.localtime() + timedelta(days=1)
        meeting = actions.create_meeting(
            actor=martijn, title=PAST_TITLE, kind="location", location_name="Stadhuis Amersfoort",
            address="Stadhuisplein 1, 3811 LM Amersfoort", starts_at=_at(soon, 13), ends_at=_at(soon, 17), capacity=40,
            description="De eerste thematische bijeenkomst van het programma: huisvesting, taal en draagvlak, met bestuurders uit de provincie Utrecht.",
            themes=["wonen", "arbeidsmigratie", "participatie"], regions=[Region.objects.get(slug="utrecht")], organisers=[staff],
        )  # fmt: skip
        came = ["noor_hendriks", "bram_dekker", "lisa_van_dijk", "fatima_el_amrani"]
        for handle in came:
            actions.register(member=accounts[handle], meeting=meeting)
        past = timezone.localtime() - timedelta(days=21)
        meeting = actions.update_meeting(actor=martijn, meeting=meeting, starts_at=_at(past, 13), ends_at=_at(past, 17))
        actions.record_attendance(actor=martijn, meeting=meeting, member_ids=[accounts[h].pk for h in came[:3]])
        actions.publish_report(actor=martijn, meeting=meeting, report=REPORT, group=Group.objects.get(slug="utrecht"))
    if not Meeting.objects.filter(title=WEBINAR_TITLE).exists():
        created += 1
        day = timezone.localtime() + timedelta(days=10)
        webinar = actions.create_meeting(
            actor=staff, title=WEBINAR_TITLE, kind="online", join_url="https://webinar.example.nl/samenleven/arbeidsmigratie",
            starts_at=_at(day, 15), ends_at=_at(day, 16, 30), capacity=300,
            description="Een interactief webinar over huisvesting van arbeidsmigranten: stuur vooraf je vragen in en stem op die van anderen.",
            themes=["arbeidsmigratie", "wonen"], typologies=[Typology.objects.get(slug="arbeidsmigranten"), Typology.objects.get(slug="tuinbouwgemeenten")],
            organisers=[accounts["samira_haddou"]],
        )  # fmt: skip
        actions.invite_groups(
            actor=staff,
            meeting=webinar,
            groups=list(Group.objects.filter(typology__slug__in=["arbeidsmigranten", "tuinbouwgemeenten"])),
        )
        voters = {handle for handles in VOTES.values() for handle in handles} | {
            handle for handle, _text, _anonymous in QUESTIONS
        }
        for handle in sorted(voters):
            actions.register(member=accounts[handle], meeting=webinar)
        questions = [
            actions.ask_question(author=accounts[h], meeting=webinar, text=text, anonymous=anonymous)
            for h, text, anonymous in QUESTIONS
        ]
        for index, handles in VOTES.items():
            for handle in handles:
                actions.toggle_vote(member=accounts[handle], question=questions[index])
        actions.select_question(actor=staff, question=questions[0])
    return created
