"""Volume data for benchmarks: thousands of members, threads and a few hundred thousand posts.

Fast because it writes with ``bulk_create`` in batches and never goes through the per-row
actions, yet the rows are what the actions would have left behind:

- members are active, verified and approved, spread over the real municipalities (weighted by
  population), and belong to the groups approval would have put them in (Het Plein, their
  province's regional group, their municipality's typology groups);
- threads and replies are written by members of the thread's group; posts are numbered 1..n per
  thread; ``Thread.last_post_number``, ``reply_count`` (visible replies), ``last_activity_at``,
  ``last_poster`` and ``useful_count`` (sum of the posts' marks) match the posts;
- every post's ``useful_count`` equals its ``Mark`` rows (never by the post's author, never on a
  deleted post); mentions of other members have ``Mention`` rows; a few replies are soft-deleted
  and some questions have an accepted answer;
- every poster has a ``ReadState`` at least at their last post (as ``reply_to_thread`` writes),
  and the first members have read a few hundred threads, partly, so ``/unread/`` has rows.

The HTML is rendered by ``threads.markup.render_markdown``, but only for a pool of distinct bodies
(``--bodies``, 500 by default) that the posts share: rendering is the expensive part.

Deterministic: everything comes from ``random.Random(--seed)``; timestamps are offsets back from
the start of the current hour. Every member logs in with ``bench-0001@bench.samenleven.nl`` ...
and the password ``samenleven-bench`` (hashed once, shared by all).

Runs once: when the big thread (title starting with "Groot onderwerp:") exists it says so and
does nothing. Everything is written in one transaction, so an interrupted run leaves nothing.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from community import facts
from community.models import Group, Member, Membership, Municipality, MunicipalityTypology
from threads.markup import MentionTarget, render_markdown
from threads.models import Mark, Mention, Post, ReadState, Theme, Thread, ThreadTheme

BENCH_DOMAIN = "bench.samenleven.nl"
BENCH_PASSWORD = "samenleven-bench"
BIG_TITLE_PREFIX = "Groot onderwerp:"
BATCH = 2000


def bench_email(index: int) -> str:
    """The login of bench member ``index`` (1-based): bench-0001@bench.samenleven.nl."""
    return f"bench-{index:04d}@{BENCH_DOMAIN}"


def big_thread_title(posts: int) -> str:
    return f"{BIG_TITLE_PREFIX} {posts} berichten"


# --- Word lists ---------------------------------------------------------------------------------

FIRST_NAMES = [
    "Anouk",
    "Bram",
    "Daan",
    "Eva",
    "Femke",
    "Hamza",
    "Iris",
    "Joost",
    "Kees",
    "Lisa",
    "Lotte",
    "Marieke",
    "Martijn",
    "Milan",
    "Noor",
    "Pieter",
    "Ruben",
    "Samira",
    "Sanne",
    "Thijs",
    "Wouter",
    "Yusuf",
    "Esther",
    "Fatima",
    "Jeroen",
    "Mirjam",
    "Sven",
    "Laura",
    "Bas",
    "Emma",
    "Sophie",
    "Julia",
    "Tim",
    "Lars",
    "Sem",
    "Mohamed",
    "Ayoub",
    "Zeynep",
    "Mehmet",
    "Ilse",
    "Niels",
    "Anne",
    "Karin",
    "Gerard",
    "Henk",
    "Ingrid",
    "Nadia",
    "Sara",
    "Tom",
    "Rik",
    "Maarten",
    "Judith",
    "Hanneke",
    "Ahmed",
    "Khadija",
    "Priya",
    "Wim",
    "Paul",
    "Vera",
    "Elif",
    "Youssef",
    "Roos",
    "Floor",
    "Jesse",
    "Luuk",
    "Maud",
]

SURNAMES = [
    "de Vries",
    "Jansen",
    "van den Berg",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
    "de Wit",
    "Dijkstra",
    "Smits",
    "de Graaf",
    "van der Meer",
    "van der Linden",
    "Kok",
    "Jacobs",
    "de Haan",
    "Vermeulen",
    "van den Heuvel",
    "van der Veen",
    "van den Broek",
    "de Bruijn",
    "de Jong",
    "Schouten",
    "Willems",
    "Kaya",
    "Yilmaz",
    "El Amrani",
    "Ouali",
    "Haddou",
    "Bouzid",
    "Postma",
    "Hermans",
    "Verhoeven",
    "Koster",
    "Prins",
    "Huisman",
    "Boersma",
    "Kuipers",
    "Veenstra",
    "Wijnands",
]

POSITIONS = [
    (Member.Position.BELEIDSMEDEWERKER, 45),
    (Member.Position.RAADSLID, 20),
    (Member.Position.WETHOUDER, 18),
    (Member.Position.GEMEENTESECRETARIS, 5),
    (Member.Position.BURGEMEESTER, 4),
    (Member.Position.OTHER, 8),
]

TOPICS = [
    "de huisvesting van arbeidsmigranten",
    "een taalcafé voor nieuwkomers",
    "een buddyproject voor statushouders",
    "de opvang van Oekraïense ontheemden",
    "internationale studenten in de wijk",
    "de inschrijving in de BRP",
    "een convenant met uitzendbureaus",
    "de Wet inburgering",
    "de spreiding van asielzoekers",
    "Engelstalige informatie op de website",
    "een welkomstprogramma voor expats",
    "een meldpunt voor overbewoning",
    "taalonderwijs voor volwassenen",
    "werkgeversbenadering voor statushouders",
    "de samenwerking met het COA",
    "een integraal huisvestingsplan",
    "flexwonen op bedrijventerreinen",
    "de dialoog met omwonenden",
    "een interculturele wijkaanpak",
    "de inzet van sleutelpersonen",
    "laaggeletterdheid onder nieuwkomers",
    "de aansluiting op de arbeidsmarkt",
    "schoolgaande kinderen van arbeidsmigranten",
    "zorg voor ongedocumenteerden",
    "het jongerenwerk in diverse wijken",
    "een anti-discriminatievoorziening",
    "gezinsmigranten en hun partners",
    "de huisvesting van internationale studenten",
    "tijdelijke units voor spoedzoekers",
    "de regionale taaltafel",
]

SUBJECTS = [
    "Onze gemeente",
    "Het college",
    "De raad",
    "Ons team",
    "De wijkcoördinator",
    "Een collega uit de regio",
    "De woningcorporatie",
    "Het sociaal wijkteam",
    "De GGD",
    "Ons werkgeversservicepunt",
    "De bibliotheek",
    "Een buurgemeente",
    "Het welzijnswerk",
    "De portefeuillehouder",
    "Vluchtelingenwerk",
]

VERBS = [
    "werkt sinds vorig jaar aan",
    "heeft goede ervaringen met",
    "twijfelt nog over",
    "onderzoekt op dit moment",
    "start na de zomer met",
    "evalueert binnenkort",
    "heeft een motie aangenomen over",
    "investeert fors in",
    "zoekt partners voor",
    "heeft geld vrijgemaakt voor",
    "is kritisch over",
    "maakt samen met de regio afspraken over",
]

VERBS_WE = [
    "werken we sinds vorig jaar aan",
    "hebben we goede ervaringen met",
    "twijfelen we nog over",
    "onderzoeken we",
    "starten we binnenkort met",
    "evalueren we na de zomer",
    "maken we afspraken met de regio over",
]

TAILS = [
    "",
    " in de wijk",
    " samen met het onderwijs",
    " met steun van de provincie",
    " in de kleine kernen",
    " voor de komende vier jaar",
    " met vrijwilligers uit de buurt",
    " in samenwerking met werkgevers",
    " zonder extra formatie",
    " als pilot in twee wijken",
]

QUESTIONS = [
    "Hoe pakken jullie {topic} aan?",
    "Wie heeft ervaring met {topic}?",
    "Wat kost {topic} jullie per jaar?",
    "Hebben jullie {topic} in een beleidsnota vastgelegd?",
    "Hoe betrekken jullie de raad bij {topic}?",
    "Welke partners zijn bij {topic} onmisbaar gebleken?",
    "Hoe meten jullie het effect van {topic}?",
]

OBSERVATIONS = [
    "Wat bij ons het verschil maakte, was {factor}.",
    "Het lastigste bleek {factor}.",
    "Achteraf hadden we eerder moeten beginnen met {factor}.",
    "De raad vroeg vooral naar {factor}.",
    "Inwoners waren positiever dan verwacht, mede door {factor}.",
    "Ik zou iedereen {factor} aanraden.",
]

FACTORS = [
    "vroeg in gesprek gaan met omwonenden",
    "een vast aanspreekpunt bij de gemeente",
    "duidelijke afspraken met werkgevers",
    "voldoende capaciteit bij het wijkteam",
    "een goede vertaling van de brieven",
    "structurele financiering",
    "het meten van resultaten",
    "de rol van sleutelfiguren uit de gemeenschap",
    "een realistische planning",
    "de samenwerking tussen afdelingen",
    "taal vanaf de eerste dag",
    "korte lijnen met de corporatie",
]

LIST_ITEMS = [
    "afspraken met uitzendbureaus",
    "een inschrijfbalie op locatie",
    "controles op huisvesting",
    "een maatje per gezin",
    "taalles op de werkvloer",
    "een informatieavond per wijk",
    "een vaste contactpersoon",
    "materiaal in meerdere talen",
    "een evaluatie na zes maanden",
    "betrokkenheid van de raad",
    "een budget voor activiteiten",
    "samenwerking met scholen",
    "een klankbordgroep van bewoners",
    "monitoring met CBS-cijfers",
    "een startersbijeenkomst",
    "hulp bij formulieren",
]

LINKS = [
    ("de handreiking van de VNG", "https://vng.nl/publicaties"),
    ("de cijfers van het CBS", "https://www.cbs.nl/nl-nl/dossier/asiel-migratie-en-integratie"),
    ("de informatie van het COA", "https://www.coa.nl/nl"),
    ("de kennisbank van KIS", "https://www.kis.nl/"),
    ("Rijksoverheid over inburgering", "https://www.rijksoverheid.nl/onderwerpen/inburgering-in-nederland"),
    ("het overzicht van Divosa", "https://www.divosa.nl/"),
    ("de rapportage van Movisie", "https://www.movisie.nl/"),
]

SHORT_REPLIES = [
    "Dank voor het delen!",
    "Herkenbaar, bij ons precies hetzelfde.",
    "Goede vraag, ik volg dit onderwerp.",
    "Mag ik jullie notitie ontvangen?",
    "Interessant, we gaan dit intern bespreken.",
    "Helemaal mee eens.",
    "Wij lopen tegen hetzelfde aan.",
    "Sterk voorbeeld, dank je wel.",
    "Goed om te lezen dat het werkt.",
]

TITLE_PATTERNS = [
    "Hoe pakken jullie {topic} aan?",
    "Ervaring met {topic} in {municipality}",
    "Dilemma: {topic}",
    "Vraag over {topic}",
    "{Topic}: wat werkt wel en wat niet?",
    "Wie heeft een goede aanpak voor {topic}?",
    "Lessen uit {municipality} over {topic}",
    "{Topic} in kleine gemeenten",
    "Kosten van {topic}",
    "Tips gezocht: {topic}",
]

KINDS = [(Thread.Kind.QUESTION, 50), (Thread.Kind.EXPERIENCE, 28), (Thread.Kind.DILEMMA, 22)]


def _weighted(rng: random.Random, pairs: list[tuple[Any, int]]) -> Any:
    return rng.choices([value for value, _w in pairs], weights=[w for _v, w in pairs])[0]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


class BodyWriter:
    """Dutch-looking Markdown: paragraphs, lists, bold, now and then a link, heading or mention."""

    def __init__(self, rng: random.Random, handles: list[str], municipalities: list[str]) -> None:
        self.rng = rng
        self.handles = handles
        self.municipalities = municipalities

    def sentence(self) -> str:
        r = self.rng
        kind = r.random()
        topic = r.choice(TOPICS)
        if kind < 0.4:
            text = f"{r.choice(SUBJECTS)} {r.choice(VERBS)} {topic}{r.choice(TAILS)}."
        elif kind < 0.6:
            text = r.choice(QUESTIONS).format(topic=topic)
        elif kind < 0.85:
            text = r.choice(OBSERVATIONS).format(factor=r.choice(FACTORS))
        else:
            text = f"Bij ons in {r.choice(self.municipalities)} {r.choice(VERBS_WE)} {topic}."
        if r.random() < 0.12:
            factor = r.choice(FACTORS)
            text += f" Belangrijk: **{factor}**."
        return text

    def paragraph(self, sentences: int) -> str:
        parts = [self.sentence() for _ in range(sentences)]
        r = self.rng
        if self.handles and r.random() < 0.08:
            parts.insert(r.randrange(len(parts) + 1), f"Misschien weet @{r.choice(self.handles)} hier meer van.")
        if r.random() < 0.06:
            label, url = r.choice(LINKS)
            parts.append(f"Zie ook [{label}]({url}).")
        if r.random() < 0.05:
            parts.append(
                f"Dat is *echt* {r.choice(['een aanrader', 'de moeite waard', 'niet eenvoudig', 'maatwerk'])}."
            )
        return " ".join(parts)

    def bullet_list(self) -> str:
        items = self.rng.sample(LIST_ITEMS, self.rng.randint(3, 5))
        if self.rng.random() < 0.3:
            return "\n".join(f"{i}. {_cap(item)}" for i, item in enumerate(items, 1))
        return "\n".join(f"- {item}" for item in items)

    def opening(self) -> str:
        r = self.rng
        blocks = [self.paragraph(r.randint(2, 4))]
        if r.random() < 0.5:
            blocks.append("Waar we aan denken:\n\n" + self.bullet_list())
        if r.random() < 0.2:
            blocks.append(
                f"### {r.choice(['Achtergrond', 'Wat we al deden', 'Onze vraag'])}\n\n"
                + self.paragraph(r.randint(1, 3))
            )
        blocks.append(r.choice(QUESTIONS).format(topic=r.choice(TOPICS)))
        return "\n\n".join(blocks)

    def reply(self) -> str:
        r = self.rng
        size = r.random()
        if size < 0.25:
            body = r.choice(SHORT_REPLIES) + " " + self.sentence()
            if self.handles and r.random() < 0.15:
                body = f"@{r.choice(self.handles)} {body}"
            return body
        if size < 0.75:
            return "\n\n".join(self.paragraph(r.randint(1, 3)) for _ in range(r.randint(1, 2)))
        blocks = [self.paragraph(r.randint(2, 4)) for _ in range(r.randint(2, 4))]
        if r.random() < 0.6:
            blocks.insert(1, self.bullet_list())
        if r.random() < 0.15:
            blocks.insert(0, "> " + self.sentence())
        return "\n\n".join(blocks)


@dataclass
class PooledBody:
    body: str
    html: str
    text: str
    mentioned_ids: tuple[int, ...]  # members mentioned in the author's own words


@dataclass
class PostPlan:
    author_id: int
    body: int  # index into the pool
    created: datetime
    deleted: bool = False
    markers: list[int] = field(default_factory=list)


@dataclass
class ThreadPlan:
    group_id: int
    author_id: int
    title: str
    kind: str
    created: datetime
    theme_ids: list[int]
    posts: list[PostPlan]
    accepted_number: int | None = None


class Command(BaseCommand):
    help = (
        "Create deterministic volume data for benchmarks (bulk inserts): members, memberships, threads, posts, "
        "nuttig marks, mentions and read states. Does nothing when the big thread already exists."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--members", type=int, default=2000, help="Members to create (default 2000).")
        parser.add_argument("--threads", type=int, default=5000, help="Threads, including the big one (default 5000).")
        parser.add_argument(
            "--posts", type=int, default=200_000, help="Posts in all, opening posts included (default 200000)."
        )
        parser.add_argument(
            "--big-thread-posts", type=int, default=5000, help="Posts in the big thread (default 5000)."
        )
        parser.add_argument(
            "--bodies", type=int, default=500, help="Distinct post bodies rendered and shared (default 500)."
        )
        parser.add_argument(
            "--readers", type=int, default=200, help="Members (the first ones) that have read threads (default 200)."
        )
        parser.add_argument("--seed", type=int, default=2024, help="Seed of the random generator (default 2024).")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        self.verbosity = options["verbosity"]
        n_members, n_threads, n_posts, n_big = (
            options["members"],
            options["threads"],
            options["posts"],
            options["big_thread_posts"],
        )
        if n_members < 2 or n_threads < 1 or n_big < 1 or options["bodies"] < 1:
            raise CommandError("Give at least 2 members, 1 thread, 1 post in the big thread and 1 body.")
        if n_posts < n_big + (n_threads - 1):
            raise CommandError(f"--posts must be at least {n_big + n_threads - 1}: every thread has an opening post.")

        existing = Thread.objects.filter(title__startswith=BIG_TITLE_PREFIX).first()
        if existing is not None:
            self.stdout.write(
                f"Large data already present (thread {existing.pk} {existing.title!r}, {existing.last_post_number} posts); nothing done."
            )
            return
        if Member.objects.filter(email__endswith=f"@{BENCH_DOMAIN}").exists():
            raise CommandError(
                f"Members @{BENCH_DOMAIN} exist but the big thread does not: the large data is incomplete. "
                "Start from a fresh database."
            )
        if not Municipality.objects.exists():
            self.stdout.write("No municipalities yet: running import_municipalities.")
            call_command("import_municipalities", verbosity=0, stdout=self.stdout)
        if not Group.objects.filter(kind=Group.Kind.PLAZA).exists():
            raise CommandError("Het Plein does not exist; run import_municipalities first.")

        self.rng = random.Random(options["seed"])
        self.end = timezone.now().replace(minute=0, second=0, microsecond=0)
        self.timings: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        with transaction.atomic():
            self._members(n_members)
            self._bodies(options["bodies"])
            plans = self._plan_threads(n_threads, n_posts, n_big)
            self._readers(plans, options["readers"])
            self._write(plans)
        if connection.vendor == "postgresql":
            self._after_bulk_load()
        elapsed = time.monotonic() - started
        for name, count in self.counts.items():
            self.stdout.write(f"{name}: {count}")
        self.stdout.write("timings: " + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in self.timings.items()))
        self.stdout.write(self.style.SUCCESS(f"Large data created in {elapsed:.1f}s on {connection.vendor}."))
        self.stdout.write(
            f"Log in as {bench_email(1)} (… {bench_email(n_members)}) with the password {BENCH_PASSWORD!r}."
        )

    # --- Members and memberships -------------------------------------------------------------

    def _after_bulk_load(self) -> None:
        """What autovacuum does on a live site some time after a bulk load, done now: the
        planner's statistics, and (outside a transaction) the visibility map, without which
        no index-only scan can skip the table (``thread_unread_check`` serves the unread
        list that way) and the planner prices those indexes accordingly."""
        lap = time.monotonic()
        vacuum = not connection.in_atomic_block  # VACUUM cannot run inside a transaction
        with connection.cursor() as cursor:
            for model in (Member, Membership, Thread, ThreadTheme, Post, Mark, Mention, ReadState):
                table = connection.ops.quote_name(model._meta.db_table)
                cursor.execute(f"VACUUM (ANALYZE) {table}" if vacuum else f"ANALYZE {table}")
        self.timings["vacuum and analyze" if vacuum else "analyze"] = time.monotonic() - lap

    def _members(self, count: int) -> None:
        lap = time.monotonic()
        rng = self.rng
        municipalities = list(
            Municipality.objects.order_by("code").values_list("pk", "region_id", "name", "population")
        )
        weights = [max(population, 1) ** 0.6 for _pk, _region, _name, population in municipalities]
        self.municipality_names = [name for _pk, _region, name, _population in municipalities]
        password = make_password(BENCH_PASSWORD)
        members = []
        for index in range(1, count + 1):
            first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
            municipality_id, region_id, _name, _population = rng.choices(municipalities, weights=weights)[0]
            joined = self.end - timedelta(days=800 + rng.random() * 200)
            stem = f"{slugify(first)}_{slugify(last).replace('-', '')}"[:24]
            members.append(
                Member(
                    email=bench_email(index),
                    handle=f"{stem}_{index}",
                    name=f"{first} {last}",
                    position=_weighted(rng, POSITIONS),
                    municipality_id=municipality_id,
                    status=Member.Status.ACTIVE,
                    email_verified_at=joined + timedelta(minutes=5),
                    approved_at=joined + timedelta(hours=2 + rng.random() * 48),
                    date_joined=joined,
                    password=password,
                )
            )
        Member.objects.bulk_create(members, batch_size=BATCH)
        if members[0].pk is None:  # a backend that does not return ids from bulk inserts
            ids = dict(Member.objects.filter(email__endswith=f"@{BENCH_DOMAIN}").values_list("email", "pk"))
            for member in members:
                member.pk = ids[member.email]
        self.members = members
        self.member_ids = [m.pk for m in members]

        # The groups approval adds (GroupQuerySet.automatic_for), computed for all members at once.
        groups = list(Group.objects.values_list("pk", "kind", "region_id", "typology_id"))
        plaza = next(pk for pk, kind, _r, _t in groups if kind == Group.Kind.PLAZA)
        by_region = {region: pk for pk, kind, region, _t in groups if kind == Group.Kind.REGION}
        by_typology = {typology: pk for pk, kind, _r, typology in groups if kind == Group.Kind.TYPOLOGY}
        typologies = defaultdict(list)
        for municipality_id, typology_id in MunicipalityTypology.objects.values_list("municipality_id", "typology_id"):
            if typology_id in by_typology:
                typologies[municipality_id].append(by_typology[typology_id])
        region_of = {pk: region for pk, region, _name, _population in municipalities}
        self.group_members: dict[int, list[int]] = defaultdict(list)
        self.member_groups: dict[int, list[int]] = {}
        self.group_kind = {pk: kind for pk, kind, _r, _t in groups}
        self.plaza_id = plaza
        memberships = []
        for member in members:
            wanted = [plaza]
            if region_of[member.municipality_id] in by_region:
                wanted.append(by_region[region_of[member.municipality_id]])
            wanted.extend(sorted(set(typologies[member.municipality_id])))
            self.member_groups[member.pk] = wanted
            for group_id in wanted:
                self.group_members[group_id].append(member.pk)
                memberships.append(Membership(member_id=member.pk, group_id=group_id, created=member.approved_at))
        Membership.objects.bulk_create(memberships, batch_size=BATCH)
        facts.memberships_changed(
            member_ids=[], group_ids=Group.objects.values_list("pk", flat=True)
        )  # bulk_create sends no signals
        self.counts["members"] = len(members)
        self.counts["memberships"] = len(memberships)
        self.timings["members"] = time.monotonic() - lap

    # --- The pool of rendered bodies -----------------------------------------------------------

    def _bodies(self, count: int) -> None:
        """Render ``count`` distinct bodies once; the posts share them. A quarter are opening posts."""
        lap = time.monotonic()
        rng = self.rng
        mentionable = self.members[: min(len(self.members), 300)]
        handles = [m.handle for m in mentionable]
        targets = {
            m.handle.lower(): MentionTarget(handle=m.handle, url=reverse("member", args=[m.handle]), name=m.name)
            for m in mentionable
        }
        id_of = {m.handle.lower(): m.pk for m in mentionable}
        writer = BodyWriter(rng, handles, self.municipality_names)

        def find_members(wanted: set[str]) -> dict[str, MentionTarget]:
            return {h: targets[h] for h in wanted if h in targets}

        n_openings = max(1, count // 4)
        self.openings: list[PooledBody] = []
        self.replies: list[PooledBody] = []
        seen: set[str] = set()
        while len(self.openings) + len(self.replies) < count:
            opening = len(self.openings) < n_openings
            body = writer.opening() if opening else writer.reply()
            if body in seen:
                continue
            seen.add(body)
            rendered = render_markdown(body, find_members=find_members)
            pooled = PooledBody(
                body=body,
                html=rendered.html,
                text=rendered.text,
                mentioned_ids=tuple(sorted(id_of[h.lower()] for h in rendered.mentioned_handles)),
            )
            (self.openings if opening else self.replies).append(pooled)
        if not self.replies:
            self.replies = self.openings
        self.counts["distinct bodies rendered"] = len(self.openings) + len(self.replies)
        self.timings["render"] = time.monotonic() - lap

    # --- Planning threads and posts (no queries) -----------------------------------------------

    def _post_counts(self, n_threads: int, n_posts: int, n_big: int) -> list[int]:
        """Posts per thread: the big one first, the others skewed (most short, a few long) and
        each at most half the big one (unless the total leaves no other choice)."""
        rng = self.rng
        others = n_threads - 1
        if others == 0:
            return [n_big]
        extra = n_posts - n_big - others  # replies to spread over the other threads
        limit = max(n_big // 2 - 1, -(-extra // others), 0)  # most replies one other thread gets
        # One in ten threads has no reply yet (the unanswered list needs them).
        weights = [0.0 if rng.random() < 0.1 else rng.paretovariate(1.3) for _ in range(others)]
        if not any(weights):
            weights = [1.0] * others
        total = sum(weights)
        shares = [min(limit, int(extra * w / total)) for w in weights]
        left = extra - sum(shares)
        order = [i for i in range(others) if weights[i]]
        rng.shuffle(order)
        while left > 0:
            if all(shares[i] >= limit for i in order):
                order = list(range(others))
            for i in order:
                if left and shares[i] < limit:
                    shares[i] += 1
                    left -= 1
        return [n_big] + [1 + s for s in shares]

    def _plan_threads(self, n_threads: int, n_posts: int, n_big: int) -> list[ThreadPlan]:
        lap = time.monotonic()
        rng = self.rng
        theme_ids = list(Theme.objects.order_by("slug").values_list("pk", flat=True))
        counts = self._post_counts(n_threads, n_posts, n_big)
        plans = []
        for index, n in enumerate(counts):
            big = index == 0
            if big:
                group_id = self.plaza_id
                # bench-0001 stays out of the big thread, so its first visit is a real first visit.
                candidates = self.group_members[group_id][1:] or self.group_members[group_id]
                author_id = candidates[0]
                created = self.end - timedelta(days=400)
                span = timedelta(days=399, hours=23)
                kind = Thread.Kind.EXPERIENCE
                title = big_thread_title(n)
                participants = rng.sample(candidates, min(len(candidates), 80))
                if author_id not in participants:
                    participants[0] = author_id
                group_pool = candidates
            else:
                author_id = rng.choice(self.member_ids)
                groups = self.member_groups[author_id]
                group_id = self._pick_group(groups)
                kind = _weighted(rng, KINDS)
                title = self._title()
                age = timedelta(days=720 * rng.random() ** 1.6 + 0.05)
                created = self.end - age
                span = min(age * 0.98, timedelta(days=3 + rng.expovariate(1 / 40)) * max(1, n / 50))
                pool = self.group_members[group_id]
                participants = rng.sample(pool, min(len(pool), 2 + int(rng.expovariate(1 / 8))))
                if author_id not in participants:
                    participants.append(author_id)
                group_pool = pool
            offsets = sorted(rng.random() for _ in range(n - 1))
            posts = [PostPlan(author_id=author_id, body=rng.randrange(len(self.openings)), created=created)]
            for offset in offsets:
                previous = posts[-1].author_id
                writer = rng.choice(participants)
                if writer == previous and len(participants) > 1:
                    writer = rng.choice(participants)
                when = max(created + span * offset, posts[-1].created + timedelta(seconds=1))
                posts.append(PostPlan(author_id=writer, body=rng.randrange(len(self.replies)), created=when))
            # A few replies were deleted later; they keep their number.
            for post in posts[1:]:
                if rng.random() < 0.004:
                    post.deleted = True
            for post in posts:
                if post.deleted:
                    continue
                roll = rng.random()
                wanted = 0 if roll < 0.72 else 1 if roll < 0.88 else 2 if roll < 0.95 else rng.randint(3, 8)
                if wanted:
                    picks = rng.sample(group_pool, min(len(group_pool), wanted + 1))
                    post.markers = [m for m in picks if m != post.author_id][:wanted]
            plan = ThreadPlan(
                group_id=group_id,
                author_id=author_id,
                title=title,
                kind=kind,
                created=created,
                theme_ids=rng.sample(theme_ids, min(len(theme_ids), rng.randint(1, 3))) if theme_ids else [],
                posts=posts,
            )
            if kind == Thread.Kind.QUESTION and n > 1 and rng.random() < 0.35:
                visible = [number for number, post in enumerate(posts, 1) if number > 1 and not post.deleted]
                if visible:
                    plan.accepted_number = rng.choice(visible)
            plans.append(plan)
        self.timings["plan"] = time.monotonic() - lap
        return plans

    def _pick_group(self, groups: list[int]) -> int:
        """Het Plein most often, then the regional group, then a typology group."""
        rng = self.rng
        roll = rng.random()
        regional = [g for g in groups if self.group_kind[g] == Group.Kind.REGION]
        typology = [g for g in groups if self.group_kind[g] == Group.Kind.TYPOLOGY]
        if roll < 0.45 or not (regional or typology):
            return self.plaza_id
        if roll < 0.75 and regional:
            return regional[0]
        return rng.choice(typology or regional)

    def _title(self) -> str:
        rng = self.rng
        topic = rng.choice(TOPICS)
        return rng.choice(TITLE_PATTERNS).format(
            topic=topic, Topic=_cap(topic), municipality=rng.choice(self.municipality_names)
        )

    def _readers(self, plans: list[ThreadPlan], readers: int) -> None:
        """Read positions: every poster up to their last post (as the actions write them), and the
        first ``readers`` members have opened a few hundred readable threads, often not to the end."""
        rng = self.rng
        read: dict[tuple[int, int], tuple[int, datetime]] = {}
        for t, plan in enumerate(plans):
            for number, post in enumerate(plan.posts, 1):
                key = (post.author_id, t)
                if key not in read or read[key][0] < number:
                    read[key] = (number, post.created)
        readable = defaultdict(list)  # thread indexes per group
        for t, plan in enumerate(plans):
            readable[plan.group_id].append(t)
        open_groups = [g for g, kind in self.group_kind.items() if kind != Group.Kind.REGION]
        for member_id in self.member_ids[:readers]:
            groups = set(open_groups) | set(self.member_groups[member_id])
            choices = [t for g in sorted(groups) for t in readable.get(g, ())]
            if member_id == self.member_ids[0]:
                choices = [t for t in choices if t != 0]  # bench-0001 has not opened the big thread
            for t in rng.sample(choices, min(len(choices), rng.randint(150, 350))):
                plan = plans[t]
                n = len(plan.posts)
                number = n if rng.random() < 0.4 else rng.randint(1, n)
                key = (member_id, t)
                if key not in read or read[key][0] < number:
                    read[key] = (number, plan.posts[number - 1].created + timedelta(minutes=rng.randint(1, 600)))
        self.read = read

    # --- Writing ------------------------------------------------------------------------------

    def _write(self, plans: list[ThreadPlan]) -> None:
        lap = time.monotonic()
        threads = []
        for plan in plans:
            last = plan.posts[-1]
            threads.append(
                Thread(
                    group_id=plan.group_id,
                    title=plan.title,
                    slug=slugify(plan.title)[:80] or "onderwerp",
                    kind=plan.kind,
                    author_id=plan.author_id,
                    created=plan.created,
                    last_post_number=len(plan.posts),
                    reply_count=sum(1 for p in plan.posts[1:] if not p.deleted),
                    useful_count=sum(len(p.markers) for p in plan.posts),
                    last_activity_at=last.created,
                    last_poster_id=last.author_id,
                )
            )
        Thread.objects.bulk_create(threads, batch_size=BATCH)
        ThreadTheme.objects.bulk_create(
            [
                ThreadTheme(content_object_id=thread.pk, tag_id=tag)
                for thread, plan in zip(threads, plans, strict=True)
                for tag in plan.theme_ids
            ],
            batch_size=BATCH,
        )
        self.timings["threads"] = time.monotonic() - lap

        lap = time.monotonic()
        n_posts = n_marks = n_mentions = 0
        accepted: dict[int, Post] = {}  # thread index -> its accepted answer
        pending: list[tuple[Post, PostPlan, PooledBody]] = []

        def flush() -> None:
            nonlocal n_posts, n_marks, n_mentions
            if not pending:
                return
            Post.objects.bulk_create([post for post, _plan, _body in pending], batch_size=BATCH)
            marks, mentions = [], []
            for post, plan, body in pending:
                for i, member_id in enumerate(plan.markers):
                    marks.append(
                        Mark(
                            post_id=post.pk,
                            member_id=member_id,
                            created=min(self.end, plan.created + timedelta(hours=1 + i)),
                        )
                    )
                for member_id in body.mentioned_ids:
                    if member_id != plan.author_id:
                        mentions.append(Mention(post_id=post.pk, member_id=member_id))
            Mark.objects.bulk_create(marks, batch_size=BATCH)
            Mention.objects.bulk_create(mentions, batch_size=BATCH)
            n_posts += len(pending)
            n_marks += len(marks)
            n_mentions += len(mentions)
            pending.clear()

        for t, (thread, plan) in enumerate(zip(threads, plans, strict=True)):
            for number, post_plan in enumerate(plan.posts, 1):
                pooled = (self.openings if number == 1 else self.replies)[post_plan.body]
                post = Post(
                    thread_id=thread.pk,
                    number=number,
                    author_id=post_plan.author_id,
                    body=pooled.body,
                    html=pooled.html,
                    text=pooled.text,
                    created=post_plan.created,
                    useful_count=len(post_plan.markers),
                    deleted_at=post_plan.created + timedelta(hours=3) if post_plan.deleted else None,
                )
                pending.append((post, post_plan, pooled))
                if number == plan.accepted_number:
                    accepted[t] = post
            if len(pending) >= 5 * BATCH:
                flush()
        flush()
        self.timings["posts"] = time.monotonic() - lap

        lap = time.monotonic()
        with_answer = []
        for t, post in accepted.items():
            threads[t].accepted_post_id = post.pk
            with_answer.append(threads[t])
        Thread.objects.bulk_update(with_answer, ["accepted_post"], batch_size=500)
        states = [
            ReadState(
                member_id=member_id, thread_id=threads[t].pk, last_read_number=number, updated=min(when, self.end)
            )
            for (member_id, t), (number, when) in sorted(self.read.items())
        ]
        ReadState.objects.bulk_create(states, batch_size=BATCH)
        self.timings["answers and read states"] = time.monotonic() - lap
        self.counts.update(
            {
                "threads": len(threads),
                "posts": n_posts,
                "nuttig marks": n_marks,
                "mentions": n_mentions,
                "accepted answers": len(with_answer),
                "read states": len(states),
                "big thread": threads[0].pk,
            }
        )


__all__ = ["BENCH_DOMAIN", "BENCH_PASSWORD", "BIG_TITLE_PREFIX", "Command", "bench_email", "big_thread_title"]
