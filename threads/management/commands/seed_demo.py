"""Demo content: the demo accounts (community.demo) and a few threads with replies.

Idempotent: accounts and threads that exist (by title) are left alone.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from community.demo import ensure_demo_accounts, login_lines
from community.meetings.demo import ensure_demo_meetings
from community.models import Group
from threads import actions, demo
from threads.models import Theme, Thread

# (group slug, author handle, kind, title, themes, body, [(author handle, reply)], accepted reply index or None)
DEMO_THREADS = [
    (
        "zuid-holland",
        "fatima_el_amrani",
        "question",
        "Hoe houden jullie de BRP-registratie van arbeidsmigranten op orde?",
        ["arbeidsmigratie", "wonen"],
        "In Den Haag zien we dat veel arbeidsmigranten niet of op een oud adres in de **BRP** staan. "
        "Daardoor missen we zicht op overbewoning en bereiken we mensen niet met informatie.\n\n"
        "Wie heeft een aanpak die werkt? Denk aan:\n\n"
        "- afspraken met uitzendbureaus\n- een inschrijfbalie op locatie\n- controles op huisvesting",
        [
            (
                "thijs_willems",
                "In Westland werken we met een *RSE-balie* op de plekken waar de huisvesting is. "
                "Uitzendbureaus melden nieuwe medewerkers vooraf; de inschrijving gebeurt dan in één keer.",
            ),
            (
                "samira_haddou",
                "Goed voorbeeld, @thijs_willems. In Delft kijken we mee. Hebben jullie de afspraken met de "
                "uitzendbureaus vastgelegd in een convenant?",
            ),
            ("thijs_willems", "Ja, een convenant met de tien grootste bureaus. Ik stuur het je graag toe."),
        ],
        0,
    ),
    (
        "het-plein",
        "lotte_de_boer",
        "experience",
        "Ervaring: buddy's voor internationale studenten in de wijk",
        ["internationale-studenten", "participatie"],
        "We koppelen sinds een jaar internationale studenten aan buurtbewoners. Beide kanten zijn positief: "
        "studenten voelen zich minder alleen en bewoners leren hun nieuwe buren kennen.\n\n"
        "| wat | aantal |\n|---|---|\n| koppels | 84 |\n| buurten | 6 |",
        [("noor_hendriks", "Mooi! Hoe vinden jullie de buurtbewoners?")],
        None,
    ),
    (
        "expatgemeenten",
        "bram_dekker",
        "dilemma",
        "Engelstalige informatie van de gemeente: alles vertalen of niet?",
        ["expats", "taal"],
        "Amstelveen heeft veel expats. Vertalen we alle informatie, of stimuleren we juist het leren van Nederlands?",
        [
            (
                "lotte_de_boer",
                "Wij vertalen wat mensen nodig hebben om hun zaken te regelen, en wijzen daarbij steeds op taallessen.",
            )
        ],
        None,
    ),
    (
        "het-plein",
        "anouk_visser",
        "question",
        "Statushouders huisvesten in een kleine kern: hoe krijg je draagvlak?",
        ["statushouders", "wonen", "participatie"],
        "Voorne aan Zee moet dit jaar meer statushouders huisvesten. In kleine kernen is er onrust. "
        "Hoe hebben andere gemeenten het gesprek met inwoners georganiseerd?",
        [],
        None,
    ),
    (
        "grensgemeenten",
        "marieke_peters",
        "question",
        "Grensarbeiders uit Duitsland en België: hoe bereiken jullie ze?",
        ["werk", "taal"],
        "In Venlo werken veel mensen die in Duitsland wonen, en andersom. Ze staan niet in onze BRP, "
        "maar hebben wel met de gemeente te maken: parkeren, afval, een woning zoeken.\n\n"
        "Hoe zorgen jullie dat grensarbeiders de informatie vinden die ze nodig hebben?",
        [
            (
                "yusuf_kaya",
                "In Enschede hebben we samen met Gronau één informatiepunt voor grensarbeiders, "
                "in het Nederlands en het Duits. Werkgevers verwijzen er nieuwe medewerkers naartoe; "
                "dat bereikt meer mensen dan onze eigen website.",
            ),
            (
                "iris_kok",
                "Maastricht werkt met het GrensInfoPunt van de Euregio. Wij leveren de gemeentelijke "
                "informatie aan, zij beantwoorden de vragen in drie talen.",
            ),
        ],
        0,
    ),
]


class Command(BaseCommand):
    help = "Create demo accounts and demo threads (idempotent) and print the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        accounts = ensure_demo_accounts()
        created = self.ensure_threads(accounts)
        self.stdout.write(f"Demo threads: {created} created.")
        # Demo content of the apps above threads (threads.demo), built on these threads.
        for seeder in demo.seeders():
            with transaction.atomic():
                self.stdout.write(seeder(accounts))
        self.stdout.write(f"Demo meetings: {ensure_demo_meetings(accounts)} created.")
        for line in login_lines():
            self.stdout.write(line)

    @transaction.atomic
    def ensure_threads(self, accounts: dict) -> int:
        created = 0
        for slug, author, kind, title, themes, body, replies, accepted in DEMO_THREADS:
            if Thread.objects.filter(title=title).exists():
                continue
            thread = actions.create_thread(
                author=accounts[author],
                group=Group.objects.get(slug=slug),
                title=title,
                kind=kind,
                body=body,
                themes=list(Theme.objects.filter(slug__in=themes)),
            )
            posts = [
                actions.reply_to_thread(author=accounts[handle], thread=thread, body=text) for handle, text in replies
            ]
            if accepted is not None:
                actions.accept_answer(actor=accounts[author], thread=thread, post=posts[accepted])
            for post in posts:
                if post.author_id != thread.author_id:
                    actions.mark_useful(member=accounts[author], post=post)
            created += 1
        return created
