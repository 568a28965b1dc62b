"""Demo handelingsperspectieven for ``manage.py seed_demo`` (registered through ``threads.demo``):
two published ones (for expat municipalities and for border municipalities, both public)
and one in review (for labour migrants, citing a post in Zuid-Holland's closed regional
group), each citing demo threads. Made through the actions, by the demo ambassadors and
the programme team, each reviewed by a second editor. Idempotent: by title."""

from __future__ import annotations

from typing import Any

from community.models import Typology
from threads.models import Post, Theme, Thread
from threads.perspectives import actions
from threads.perspectives.models import Perspective

# title, writer, reviewer (None: left in review), typologies, themes, summary, situation, dilemmas, options,
# examples [(thread title, post number, name consent, note)], sources [(title, publisher, year, url)], public
DEMO_PERSPECTIVES: list[dict[str, Any]] = [
    {
        "title": "Expats wegwijs maken zonder het Nederlands los te laten",
        "writer": "esther_bakker",
        "reviewer": "martijn_de_vries",
        "typologies": ["expatgemeenten"],
        "themes": ["expats", "taal"],
        "summary": "Expatgemeenten informeren nieuwe inwoners in het Engels waar dat nodig is om hun zaken te regelen, "
        "en nodigen hen tegelijk uit om Nederlands te leren en mee te doen in de buurt.",
        "situation": "In expatgemeenten woont een groeiende groep internationale werknemers en hun gezinnen, vaak voor een paar jaar. "
        "Ze hebben de gemeente nodig (inschrijven, parkeren, school, afval) maar kennen de taal en de regels niet.",
        "dilemmas": "- Alles vertalen maakt de gemeente toegankelijk, maar haalt de reden weg om Nederlands te leren.\n"
        "- Niets vertalen houdt de dienstverlening eenvoudig, maar zet nieuwe inwoners op achterstand en kost uiteindelijk meer uitleg aan de balie.",
        "options": "# Vertaal wat mensen nodig hebben om hun zaken te regelen\n"
        "Inschrijven, belastingen, afval en onderwijs in het Engels. **Voordeel:** minder vragen aan de balie. "
        "**Nadeel:** vertalingen moeten bij elke wijziging mee.\n\n"
        "# Verwijs bij elke vertaling naar taallessen en buurtactiviteiten\n"
        "**Voordeel:** de vertaling wordt een uitnodiging. **Nadeel:** vraagt een aanbod dat er ook echt is.\n\n"
        "# Werk samen met werkgevers\n"
        "Internationale werkgevers geven de informatie bij aankomst mee. **Voordeel:** bereikt mensen vóór ze bij de gemeente komen. "
        "**Nadeel:** de gemeente heeft de boodschap minder in de hand.",
        "examples": [
            (
                "Engelstalige informatie van de gemeente: alles vertalen of niet?",
                1,
                True,
                "Het dilemma zoals Amstelveen het beschreef.",
            ),
            ("Engelstalige informatie van de gemeente: alles vertalen of niet?", 2, False, "De aanpak van Amsterdam."),
            (
                "Ervaring: buddy's voor internationale studenten in de wijk",
                1,
                False,
                "Meedoen in de buurt, als tegenhanger van vertalen.",
            ),
        ],
        "sources": [
            ("Expats in Nederland: een verkenning", "Centraal Bureau voor de Statistiek", 2023, "https://www.cbs.nl/"),
            (
                "Taalbeleid en meertaligheid in de gemeentelijke dienstverlening",
                "Vereniging van Nederlandse Gemeenten",
                2022,
                "https://vng.nl/",
            ),
        ],
        "public": True,
    },
    {
        "title": "Grensarbeiders bereiken in grensgemeenten",
        "writer": "programmateam",
        "reviewer": "joost_van_den_berg",
        "typologies": ["grensgemeenten"],
        "themes": ["werk", "taal"],
        "summary": "Grensarbeiders staan niet in de BRP van de gemeente waar ze werken, maar hebben er wel mee te maken. "
        "Grensgemeenten bereiken hen samen met de buurgemeente over de grens en met werkgevers.",
        "situation": "In grensgemeenten werken en wonen mensen aan twee kanten van de grens. Wie in Duitsland of België woont en "
        "in Nederland werkt, komt de gemeente tegen bij parkeren, afval en het zoeken van een woning, maar staat niet in haar registers.",
        "dilemmas": "- Informatie voor mensen die niet in de gemeente wonen: wiens taak is dat?\n"
        "- Eén loket met de buurgemeente is helder voor inwoners, maar vraagt afspraken over twee rechtsstelsels.",
        "options": "# Een gezamenlijk informatiepunt met de buurgemeente over de grens\n"
        "**Voordeel:** één plek voor alle vragen, in beide talen. **Nadeel:** afspraken over kosten en verantwoordelijkheid.\n\n"
        "# Aansluiten bij een GrensInfoPunt van de Euregio\n"
        "**Voordeel:** bestaande kennis en drie talen. **Nadeel:** de gemeente levert informatie aan en moet die actueel houden.",
        "examples": [
            (
                "Grensarbeiders uit Duitsland en België: hoe bereiken jullie ze?",
                1,
                True,
                "De vraag zoals Venlo die stelde.",
            ),
            (
                "Grensarbeiders uit Duitsland en België: hoe bereiken jullie ze?",
                2,
                True,
                "De aanpak van Enschede en Gronau.",
            ),
            (
                "Grensarbeiders uit Duitsland en België: hoe bereiken jullie ze?",
                3,
                False,
                "Maastricht en het GrensInfoPunt.",
            ),
        ],
        "sources": [
            (
                "GrensInfoPunten: informatie voor grensarbeiders",
                "Euregio Maas-Rijn",
                2024,
                "https://www.grensinfopunt.nl/",
            ),
            ("Grenseffecten in kaart", "Ministerie van Binnenlandse Zaken en Koninkrijksrelaties", 2021, ""),
        ],
        "public": True,
    },
    {
        "title": "Arbeidsmigranten goed inschrijven in de BRP",
        "writer": "samira_haddou",
        "reviewer": None,
        "typologies": ["arbeidsmigranten", "tuinbouwgemeenten"],
        "themes": ["arbeidsmigratie", "wonen"],
        "summary": "Gemeenten met veel arbeidsmigranten krijgen de inschrijving in de BRP op orde met afspraken met uitzendbureaus "
        "en een inschrijfbalie op de plek waar mensen wonen.",
        "situation": "Veel arbeidsmigranten staan niet of op een oud adres in de BRP. De gemeente mist zicht op overbewoning "
        "en bereikt mensen niet met informatie.",
        "dilemmas": "- Controleren op huisvesting of eerst goed bereikbaar zijn?\n- Afspraken met uitzendbureaus vastleggen, of vrijwillig houden?",
        "options": "# Een inschrijfbalie op locatie\n**Voordeel:** inschrijving in één keer. **Nadeel:** vraagt mensen en een plek.\n\n"
        "# Een convenant met de grootste uitzendbureaus\n**Voordeel:** nieuwe medewerkers worden vooraf gemeld. "
        "**Nadeel:** kleine bureaus doen niet vanzelf mee.",
        "examples": [
            (
                "Hoe houden jullie de BRP-registratie van arbeidsmigranten op orde?",
                2,
                False,
                "Westland: een balie op locatie (uit de regionale groep Zuid-Holland).",
            ),
        ],
        "sources": [
            (
                "Registratie van arbeidsmigranten in de BRP",
                "Rijksdienst voor Identiteitsgegevens",
                2023,
                "https://www.rvig.nl/",
            )
        ],
        "public": False,
    },
]


def seed_perspectives(accounts: dict[str, Any]) -> str:
    created = 0
    for spec in DEMO_PERSPECTIVES:
        if Perspective.objects.filter(title=spec["title"]).exists():
            continue
        writer = accounts[spec["writer"]]
        perspective = actions.create_perspective(
            actor=writer,
            title=spec["title"],
            summary=spec["summary"],
            situation=spec["situation"],
            dilemmas=spec["dilemmas"],
            options=spec["options"],
            typologies=list(Typology.objects.filter(slug__in=spec["typologies"])),
            themes=list(Theme.objects.filter(slug__in=spec["themes"])),
        )
        for thread_title, number, consent, note in spec["examples"]:
            post = Post.objects.filter(thread=Thread.objects.filter(title=thread_title).first(), number=number).first()
            if post is not None:
                actions.cite_post(actor=writer, perspective=perspective, post=post, name_consent=consent, note=note)
        for title, publisher, year, url in spec["sources"]:
            actions.add_source(
                actor=writer, perspective=perspective, title=title, publisher=publisher, year=year, url=url
            )
        actions.submit_perspective(
            actor=writer, perspective=perspective, note="Eerste versie, op basis van de onderwerpen op het forum."
        )
        if spec["reviewer"] is not None:
            actions.publish_perspective(actor=accounts[spec["reviewer"]], perspective=perspective)
            if spec["public"]:
                actions.set_perspective_public(actor=accounts[spec["reviewer"]], perspective=perspective, public=True)
        created += 1
    return f"Demo handelingsperspectieven: {created} created."
