"""Every write to handelingsperspectieven.

Keyword-only, atomic, returning what changed, as in ``threads.actions``. Who may act is
checked by the caller (``threads.perspectives.permissions``); the rules of the workflow
are enforced here with DomainError: draft → in review → published (by a second editor,
never by someone who worked on the round) → superseded. Every change of the working copy
is a revision with the whole document; publishing freezes a version. The domain signal
``perspective_published`` goes out inside the transaction (notifications listen).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from community.errors import DomainError
from community.models import Member, Typology
from threads.markup import render_markdown, render_title
from threads.models import Post, Theme, Thread
from threads.perspectives import document, signals
from threads.perspectives.models import (
    Citation,
    Perspective,
    PerspectiveRevision,
    PerspectiveVersion,
    Source,
    Suggestion,
)

MAX_TITLE_LENGTH = 200
MAX_SUMMARY_LENGTH = 1000
MAX_SECTION_LENGTH = 30_000
MAX_QUOTE_LENGTH = 3000
#: Path segments under /perspectives/ that are pages, never a perspective's slug.
RESERVED_SLUGS = frozenset({"feed", "editors", "new", "use", "suggest", "suggestions"})

Status = Perspective.Status


# --- Helpers -------------------------------------------------------------------------------


def _lock(perspective: Perspective) -> Perspective:
    return Perspective.objects.select_for_update().get(pk=perspective.pk)


def _render(source: str) -> str:
    """Markdown through the one seam (``threads.markup``), stored in the site's language."""
    if not source:
        return ""
    with translation.override(settings.LANGUAGE_CODE):
        return render_markdown(source).html


def _check_section(value: str, label: str) -> str:
    value = (value or "").strip()
    if len(value) > MAX_SECTION_LENGTH:
        raise DomainError(
            _("%(section)s can be at most %(limit)d characters long.") % {"section": label, "limit": MAX_SECTION_LENGTH}
        )
    return value


def _check_title(title: str) -> str:
    title = render_title(title or "")
    if len(title) < 5:
        raise DomainError(_("Give the handelingsperspectief a title of at least 5 characters."))
    return title[:MAX_TITLE_LENGTH]


def _check_summary(summary: str) -> str:
    """May stay empty in a draft; a perspective is reviewed only with one (``_check_complete``)."""
    summary = " ".join((summary or "").split())
    if len(summary) > MAX_SUMMARY_LENGTH:
        raise DomainError(_("The summary can be at most %(limit)d characters long.") % {"limit": MAX_SUMMARY_LENGTH})
    return summary


def _unique_slug(title: str) -> str:
    base = slugify(title)[:70].strip("-") or "perspectief"
    if base in RESERVED_SLUGS:
        base = f"{base}-perspectief"
    taken = set(Perspective.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def _revise(perspective: Perspective, *, editor: Member, description: str) -> PerspectiveRevision | None:
    """Record the working copy as a new revision, unless nothing changed since the last one.
    An edit of a published perspective starts a new round: the perspective is a draft
    again, while members keep reading the current version."""
    content = document.snapshot(perspective)
    last = (
        PerspectiveRevision.objects.filter(perspective=perspective)
        .order_by("-number")
        .values_list("content", flat=True)
        .first()
    )
    if last == content:
        return None
    number = perspective.revision_count + 1
    now = timezone.now()
    revision = PerspectiveRevision.objects.create(
        perspective=perspective,
        number=number,
        editor=editor,
        description=description[:300],
        content=content,
        created=now,
    )
    perspective.revision_count, perspective.updated = number, now
    fields = ["revision_count", "updated"]
    if perspective.status == Status.PUBLISHED:
        perspective.status, perspective.review_note = Status.DRAFT, ""
        fields += ["status", "review_note"]
    perspective.save(update_fields=fields)
    return revision


def _check_changeable(perspective: Perspective) -> None:
    if perspective.status == Status.REVIEW:
        raise DomainError(_("This handelingsperspectief is in review. Send it back to draft to change it."))
    if perspective.status == Status.SUPERSEDED:
        raise DomainError(_("This handelingsperspectief has been superseded and can no longer be changed."))


def round_authors(perspective: Perspective) -> set[int]:
    """Who worked on the round under review: the editors of its revisions since the last
    publication, and whoever sent it for review. None of them publishes it."""
    editors = PerspectiveRevision.objects.filter(perspective=perspective, number__gt=perspective.published_revision)
    authors = {pk for pk in editors.values_list("editor_id", flat=True) if pk is not None}
    if perspective.submitted_by_id:
        authors.add(perspective.submitted_by_id)
    return authors


# --- The working copy ------------------------------------------------------------------------


@transaction.atomic
def create_perspective(
    *,
    actor: Member,
    title: str,
    summary: str = "",
    situation: str = "",
    dilemmas: str = "",
    options: str = "",
    typologies: Iterable[Typology] = (),
    themes: Iterable[Theme] = (),
) -> Perspective:
    """Start a perspective: a draft with its first revision."""
    title, summary = _check_title(title), _check_summary(summary)
    situation = _check_section(situation, _("The situation"))
    dilemmas = _check_section(dilemmas, _("The dilemmas"))
    options = _check_section(options, _("The options"))
    now = timezone.now()
    perspective = Perspective.objects.create(
        slug=_unique_slug(title),
        title=title,
        summary=summary,
        situation=situation,
        situation_html=_render(situation),
        dilemmas=dilemmas,
        dilemmas_html=_render(dilemmas),
        options=options,
        options_html=_render(options),
        created_by=actor,
        created=now,
        updated=now,
    )
    perspective.typologies.set(list(typologies))
    perspective.themes.set(list(themes))
    with translation.override(settings.LANGUAGE_CODE):
        _revise(perspective, editor=actor, description=_("started the handelingsperspectief"))
    return perspective


@transaction.atomic
def edit_perspective(
    *,
    actor: Member,
    perspective: Perspective,
    title: str,
    summary: str,
    situation: str,
    dilemmas: str,
    options: str,
    typologies: Iterable[Typology],
    themes: Iterable[Theme],
) -> Perspective:
    """Change the text, typologies and themes of the working copy (one revision, if anything changed)."""
    perspective = _lock(perspective)
    _check_changeable(perspective)
    perspective.title, perspective.summary = _check_title(title), _check_summary(summary)
    sections = {
        "situation": (situation, _("The situation")),
        "dilemmas": (dilemmas, _("The dilemmas")),
        "options": (options, _("The options")),
    }
    for name, (value, label) in sections.items():
        value = _check_section(value, label)
        setattr(perspective, name, value)
        setattr(perspective, f"{name}_html", _render(value))
    perspective.save(
        update_fields=[
            "title",
            "summary",
            "situation",
            "situation_html",
            "dilemmas",
            "dilemmas_html",
            "options",
            "options_html",
        ]
    )
    perspective.typologies.set(list(typologies))
    perspective.themes.set(list(themes))
    with translation.override(settings.LANGUAGE_CODE):
        _revise(perspective, editor=actor, description=_("edited the text"))
    return perspective


def _normalise(text: str) -> str:
    return " ".join(text.split())


def default_quote(post: Post) -> str:
    """What a citation quotes when the editor chooses no passage: the post's plain text."""
    text = (post.text or "").strip()
    if len(text) <= MAX_QUOTE_LENGTH:
        return text
    cut = text[:MAX_QUOTE_LENGTH]
    return cut[: cut.rfind(" ")] + " …" if " " in cut else cut


@transaction.atomic
def cite_post(
    *, actor: Member, perspective: Perspective, post: Post, quote: str = "", name_consent: bool = False, note: str = ""
) -> Citation:
    """Add a post as an example. The quote is kept as the post reads now: the whole text,
    or a passage of it the editor chose (it must be the post's own words). The author's
    municipality and position are kept as they are today; their name shows in public
    versions only when ``name_consent`` records that they agreed."""
    perspective = _lock(perspective)
    _check_changeable(perspective)
    post = Post.objects.select_related("thread", "author__municipality").get(pk=post.pk)
    if not post.is_visible or post.thread.hidden:
        raise DomainError(_("This post is hidden or deleted; it cannot be used as an example."))
    quote = (quote or "").strip()
    if quote:
        if _normalise(quote) not in _normalise(post.text):
            raise DomainError(
                _("The quote must be a passage of the post, word for word. Leave it empty to quote the whole post.")
            )
        if len(quote) > MAX_QUOTE_LENGTH:
            raise DomainError(_("A quote can be at most %(limit)d characters long.") % {"limit": MAX_QUOTE_LENGTH})
    else:
        quote = default_quote(post)
    if not quote:
        raise DomainError(_("This post has no text to quote."))
    author = post.author
    municipality = author.municipality if author is not None else None
    try:
        with transaction.atomic():
            citation = Citation.objects.create(
                perspective=perspective,
                post=post,
                thread=post.thread,
                author=author,
                quote=quote,
                municipality=municipality,
                municipality_name=municipality.name if municipality is not None else "",
                position=author.position if author is not None and not author.is_former_member else "",
                posted_at=post.created,
                name_consent=bool(name_consent) and author is not None and not author.is_former_member,
                note=(note or "").strip()[:1000],
                added_by=actor,
            )
    except IntegrityError as error:
        raise DomainError(_("This post is already an example in this handelingsperspectief.")) from error
    # Members who suggested the thread hear nothing, but the editors' queue is done with it.
    Suggestion.objects.filter(thread_id=post.thread_id, status=Suggestion.Status.OPEN).update(
        status=Suggestion.Status.USED, perspective=perspective, handled_by=actor, handled_at=timezone.now()
    )
    with translation.override(settings.LANGUAGE_CODE):
        # Not the thread's title: every editor reads the history, not every editor the thread.
        _revise(
            perspective,
            editor=actor,
            description=_("added an example from %(municipality)s")
            % {"municipality": citation.municipality_name or "?"},
        )
    return citation


@transaction.atomic
def start_perspective_from_post(
    *, actor: Member, title: str, post: Post, quote: str = "", name_consent: bool = False, note: str = ""
) -> tuple[Perspective, Citation]:
    """Start a perspective with a post as its first example, in one step (both or neither)."""
    perspective = create_perspective(actor=actor, title=title)
    citation = cite_post(
        actor=actor, perspective=perspective, post=post, quote=quote, name_consent=name_consent, note=note
    )
    return perspective, citation


@transaction.atomic
def remove_citation(*, actor: Member, citation: Citation) -> Citation:
    """Take an example out of the working copy; the versions that had it keep it."""
    perspective = _lock(citation.perspective)
    _check_changeable(perspective)
    citation = Citation.objects.get(pk=citation.pk)
    if citation.removed_at is None:
        citation.removed_at = timezone.now()
        citation.save(update_fields=["removed_at"])
        with translation.override(settings.LANGUAGE_CODE):
            _revise(
                perspective,
                editor=actor,
                description=_("removed an example from %(municipality)s")
                % {"municipality": citation.municipality_name},
            )
    return citation


@transaction.atomic
def add_source(
    *, actor: Member, perspective: Perspective, title: str, publisher: str = "", year: int | None = None, url: str = ""
) -> Source:
    perspective = _lock(perspective)
    _check_changeable(perspective)
    title = render_title(title or "")
    if len(title) < 3:
        raise DomainError(_("Give the source its title."))
    this_year = timezone.now().year
    if year is not None and not 1800 <= year <= this_year + 1:
        raise DomainError(_("Give a year between 1800 and %(year)d.") % {"year": this_year + 1})
    url = (url or "").strip()
    if url and not url.lower().startswith(("https://", "http://")):
        raise DomainError(_("A web address starts with https:// or http://."))
    source = Source.objects.create(
        perspective=perspective,
        title=title[:300],
        publisher=render_title(publisher or "")[:200],
        year=year,
        url=url[:500],
        added_by=actor,
    )
    with translation.override(settings.LANGUAGE_CODE):
        _revise(perspective, editor=actor, description=_("added the source “%(title)s”") % {"title": source.title})
    return source


@transaction.atomic
def remove_source(*, actor: Member, source: Source) -> Source:
    perspective = _lock(source.perspective)
    _check_changeable(perspective)
    source = Source.objects.get(pk=source.pk)
    if source.removed_at is None:
        source.removed_at = timezone.now()
        source.save(update_fields=["removed_at"])
        with translation.override(settings.LANGUAGE_CODE):
            _revise(
                perspective, editor=actor, description=_("removed the source “%(title)s”") % {"title": source.title}
            )
    return source


# --- Review and publication ---------------------------------------------------------------


def _check_complete(perspective: Perspective) -> None:
    if not perspective.summary:
        raise DomainError(_("Write a short summary: it shows in lists, the digest and the feed."))
    if not perspective.typologies.exists():
        raise DomainError(_("Choose at least one typology: for which municipalities is this handelingsperspectief?"))
    if not (perspective.situation or perspective.dilemmas or perspective.options):
        raise DomainError(_("Describe the situation, the dilemmas or the options before it is reviewed."))


@transaction.atomic
def submit_perspective(*, actor: Member, perspective: Perspective, note: str = "") -> Perspective:
    """Send the working copy for review by a second editor."""
    perspective = _lock(perspective)
    if perspective.status != Status.DRAFT:
        raise DomainError(_("Only a draft is sent for review."))
    if not perspective.has_unpublished_changes:
        raise DomainError(_("Nothing has changed since the published version."))
    _check_complete(perspective)
    perspective.status = Status.REVIEW
    perspective.submitted_by, perspective.submitted_at = actor, timezone.now()
    perspective.change_note, perspective.review_note = (note or "").strip()[:2000], ""
    perspective.save(update_fields=["status", "submitted_by", "submitted_at", "change_note", "review_note"])
    return perspective


@transaction.atomic
def return_perspective(*, actor: Member, perspective: Perspective, note: str = "") -> Perspective:
    """Send a perspective in review back to draft, with a note for its writers."""
    perspective = _lock(perspective)
    if perspective.status != Status.REVIEW:
        raise DomainError(_("This handelingsperspectief is not in review."))
    perspective.status = Status.DRAFT
    perspective.review_note = (note or "").strip()[:2000]
    perspective.submitted_by, perspective.submitted_at = None, None
    perspective.save(update_fields=["status", "review_note", "submitted_by", "submitted_at"])
    return perspective


def _update_search_vector(version: PerspectiveVersion) -> None:
    if connection.vendor != "postgresql":
        return
    from django.contrib.postgres.search import SearchVector

    from threads.search.engine import CONFIG  # accents folded, as the posts (threads migration 0007)

    PerspectiveVersion.objects.filter(pk=version.pk).update(
        search_vector=SearchVector("title", weight="A", config=CONFIG)
        + SearchVector("summary", weight="B", config=CONFIG)
        + SearchVector("text", weight="C", config=CONFIG)
    )


def cited_threads_key(thread_id: int) -> str:
    """The cache key of "which perspectives cite this thread" (``blocks.thread_block``)."""
    return f"perspectives:cited-by:{thread_id}"


#: The cache key of the ids of every thread a published perspective cites (few): a thread
#: page that is not among them needs no query of its own (``blocks.citing_perspectives``).
CITED_THREAD_IDS_KEY = "perspectives:cited-threads"


def _forget_cited_threads(thread_ids: Iterable[int | None]) -> None:
    """The thread pages read their list of citing perspectives afresh: forgotten now, and
    again after commit (a page read between the two would have cached the old list)."""
    keys = [cited_threads_key(pk) for pk in set(thread_ids) if pk is not None]
    if not keys:
        return
    keys.append(CITED_THREAD_IDS_KEY)

    def forget() -> None:
        try:
            cache.delete_many(keys)
        except Exception:
            pass

    forget()
    transaction.on_commit(forget)


@transaction.atomic
def publish_perspective(*, actor: Member, perspective: Perspective) -> PerspectiveVersion:
    """A second editor publishes the working copy under review as a new, frozen version.

    Refused to anyone who worked on this round (``round_authors``). The members whose
    posts are new examples in this version hear of it (``signals.perspective_published``).
    """
    perspective = _lock(perspective)
    if perspective.status != Status.REVIEW:
        raise DomainError(_("Only a handelingsperspectief in review is published."))
    if actor.pk in round_authors(perspective):
        raise DomainError(_("A second editor reviews and publishes: you worked on this version yourself."))
    _check_complete(perspective)
    previous = perspective.current_version
    number = (PerspectiveVersion.objects.filter(perspective=perspective).aggregate(last=Max("number"))["last"] or 0) + 1
    content = document.snapshot(perspective)
    version = PerspectiveVersion.objects.create(
        perspective=perspective,
        number=number,
        title=perspective.title,
        summary=perspective.summary,
        situation_html=perspective.situation_html,
        dilemmas_html=perspective.dilemmas_html,
        options_html=perspective.options_html,
        text=document.plain_text(content),
        revision=perspective.revision_count,
        submitted_by=perspective.submitted_by,
        published_by=actor,
        published_at=timezone.now(),
        change_note=perspective.change_note,
    )
    citations = list(perspective.citations.filter(removed_at__isnull=True))
    version.typologies.set(list(perspective.typologies.all()))
    version.themes.set(list(perspective.themes.all()))
    version.citations.set(citations)
    version.sources.set(list(perspective.sources.filter(removed_at__isnull=True)))
    _update_search_vector(version)

    # Members already cited in an earlier version heard of it then.
    earlier = set(
        Citation.objects.filter(perspective=perspective, versions__number__lt=number).values_list(
            "author_id", flat=True
        )
    )
    cited = {c.author_id for c in citations if c.author_id is not None} - earlier
    previous_threads = set(previous.citations.values_list("thread_id", flat=True)) if previous is not None else set()

    perspective.current_version = version
    perspective.status = Status.PUBLISHED
    perspective.published_revision = perspective.revision_count
    perspective.review_note = ""
    perspective.save(update_fields=["current_version", "status", "published_revision", "review_note"])
    _forget_cited_threads({c.thread_id for c in citations} | previous_threads)
    signals.perspective_published.send(
        sender=None, perspective=perspective, version=version, actor=actor, cited_member_ids=sorted(cited)
    )
    return version


@transaction.atomic
def supersede_perspective(*, actor: Member, perspective: Perspective, successor: Perspective) -> Perspective:
    """Replace a published perspective by another published one. Its page stays (it is
    cited) and points to the successor; it leaves the lists."""
    perspective = _lock(perspective)
    successor = Perspective.objects.get(pk=successor.pk)
    if perspective.current_version_id is None:
        raise DomainError(_("Only a published handelingsperspectief can be superseded."))
    if perspective.status == Status.SUPERSEDED:
        raise DomainError(_("This handelingsperspectief has already been superseded."))
    if successor.pk == perspective.pk:
        raise DomainError(_("A handelingsperspectief cannot supersede itself."))
    if successor.current_version_id is None or successor.status == Status.SUPERSEDED:
        raise DomainError(_("Choose a published handelingsperspectief that is still current as its successor."))
    perspective.status, perspective.superseded_by, perspective.superseded_at = (
        Status.SUPERSEDED,
        successor,
        timezone.now(),
    )
    perspective.submitted_by, perspective.submitted_at = None, None
    perspective.save(update_fields=["status", "superseded_by", "superseded_at", "submitted_by", "submitted_at"])
    version = perspective.current_version
    assert version is not None  # checked above: only a published perspective is superseded
    _forget_cited_threads(version.citations.values_list("thread_id", flat=True))
    return perspective


@transaction.atomic
def set_perspective_public(*, actor: Member, perspective: Perspective, public: bool) -> Perspective:
    """Make a published perspective readable without an account (and in the Atom feed), or not."""
    perspective = _lock(perspective)
    if public and perspective.current_version_id is None:
        raise DomainError(_("Only a published handelingsperspectief can be made public."))
    if perspective.is_public != public:
        perspective.is_public = public
        perspective.save(update_fields=["is_public"])
    return perspective


# --- Suggestions from members -----------------------------------------------------------------


@transaction.atomic
def suggest_thread(*, member: Member, thread: Thread, note: str = "") -> Suggestion:
    """A member suggests a thread to the editors, once."""
    thread = Thread.objects.get(pk=thread.pk)
    if thread.hidden:
        raise DomainError(_("This thread is hidden; it cannot be suggested."))
    try:
        with transaction.atomic():
            return Suggestion.objects.create(thread=thread, member=member, note=(note or "").strip()[:1000])
    except IntegrityError as error:
        raise DomainError(_("You have already suggested this thread. Thank you!")) from error


@transaction.atomic
def dismiss_suggestion(*, actor: Member, suggestion: Suggestion) -> Suggestion:
    """An editor decides not to use a suggested thread (every open suggestion of it)."""
    suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    if suggestion.status != Suggestion.Status.OPEN:
        raise DomainError(_("This suggestion has already been handled."))
    now = timezone.now()
    Suggestion.objects.filter(thread_id=suggestion.thread_id, status=Suggestion.Status.OPEN).update(
        status=Suggestion.Status.DISMISSED, handled_by=actor, handled_at=now
    )
    suggestion.refresh_from_db()
    return suggestion
