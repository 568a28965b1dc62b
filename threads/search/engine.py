"""Finding posts: what a member may read, filtered, matched, ranked and paged.

A hit is a post, at most one per thread (the best match in it), so that a long
thread does not fill the page. What can never appear, for anyone: hidden threads,
hidden and deleted posts, and threads in groups the member may not read; the
filter is part of the one query that matches, ranks and counts, so nothing the
member may not read shows up in results, snippets or the number of results.

PostgreSQL: ``search_vector @@ tsquery`` over the GIN index (migrations 0003 and 0007,
configuration ``samenleven``: ``dutch`` with accents folded), ranked
with ``ts_rank`` (the title weighs more than the text); at equal rank title matches
and accepted answers come first, then the newest. A common word can match a fifth of
all posts, so the ranking looks at the ``CANDIDATES`` newest matches and at the
``TITLE_CANDIDATES`` threads whose title matches best, not at every match (see
``_postgresql_page``). Snippets come from ``ts_headline`` with random markers, put
back as ``<mark>`` after escaping (``marks.headline``: a phrase only where it stands whole).

Elsewhere (SQLite) ``threads.search.fallback`` finds the posts: every term must occur
(and no excluded one) as whole words, accents folded, without ranking.

Either way a page costs a few queries, never more with more hits: the synonyms; the
thread ids and member ids of the filters that have them; on PostgreSQL the newest post
id and one query (two or three when the recent posts hold too few matches) that
matches, ranks, counts and pages; on SQLite one that matches, counts (a window
function, no COUNT query) and pages (LIMIT per page + 1); and one for the page's posts
with their thread, group, author and municipality.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchQueryField,
    SearchRank,
    SearchVectorField,
)
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    F,
    Func,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.lookups import GreaterThan, Lookup
from django.utils import timezone

from community.models import Member
from community.performance.rows import one_of
from community.permissions import is_participant
from threads.models import Post, Synonym, Thread
from threads.permissions import readable_groups_q
from threads.querysets import TOP_PERIODS
from threads.search.fallback import fallback_page
from threads.search.hits import RESULTS_PER_PAGE, Hit, SearchPage, page_posts
from threads.search.marks import headline
from threads.search.query import ParsedQuery, SynonymIndex, parse_query

if TYPE_CHECKING:
    from community.models import Group, Municipality, Region
    from threads.models import Theme

# The text search configuration of migration 0007: 'dutch' with accents folded.
CONFIG = "samenleven"
# How many of the newest matching posts PostgreSQL ranks, looking first among the
# RECENT newest posts, and how many of the best title matches (see _postgresql_page).
# Reading the matches among the recent posts is most of a search's cost (the search
# index, then the rows): 200 candidates among the 10,000 newest posts give ten pages
# of threads for a common word at 40 % of the cost of 500 among 25,000 (bench/README.md).
CANDIDATES = 200
RECENT = 10_000
# Posts per era lexeme in the search vectors: the same number is in migration 0003.
ERA = 1000
TITLE_CANDIDATES = 100
# Filters that leave at most this many threads or authors are passed as lists of ids,
# which the indexes combine before any post is read; they hold about as many posts as
# RECENT or fewer, so all their matches are read at once. Wider filters are joined.
NARROW_THREADS = 1_500
NARROW_AUTHORS = 500


@dataclass(frozen=True)
class Filters:
    """Narrow the results down; every filter is optional and they combine (AND)."""

    group: Group | None = None
    theme: Theme | None = None
    kind: str = ""
    solved: str = ""  # "yes": solved questions, "no": questions without an accepted answer
    region: Region | None = None  # province of the post author's municipality
    municipality: Municipality | None = None  # of the post's author
    author: Member | None = None
    period: str = ""  # "week", "month" or "year": posts written in it


def load_synonyms() -> SynonymIndex:
    """The staff's synonym list, in one query (it holds tens of rows, not thousands);
    the index is built once per distinct list, not per search."""
    return _synonym_index(tuple(Synonym.objects.values_list("term", "synonyms", "mutual")))


@lru_cache(maxsize=4)
def _synonym_index(rows: tuple[tuple[str, str, bool], ...]) -> SynonymIndex:
    return SynonymIndex.build(rows)


@dataclass
class Scope:
    """Where to search: the posts a member may find that pass the filters, the threads
    (visible, passing the thread filters) whose titles count, and whether the filters
    are narrow (see ``apply_filters``)."""

    posts: QuerySet[Post]
    threads: QuerySet[Thread]
    opening_posts: QuerySet[Post]  # the posts' filters but the thread filters (``threads`` has those)
    narrow: bool = False


def searchable_posts(member: Member) -> QuerySet[Post]:
    """Posts a member may find: visible posts in visible threads of groups they may read.

    Stricter than the thread pages: moderators see hidden posts there (with the
    reason), but never in search.
    """
    if not is_participant(member):
        return Post.objects.none()
    return Post.objects.filter(hidden=False, deleted_at__isnull=True, thread__hidden=False).filter(
        readable_groups_q(member, "thread__group__")
    )


def searchable_threads(member: Member) -> QuerySet[Thread]:
    if not is_participant(member):
        return Thread.objects.none()
    return Thread.objects.filter(hidden=False).filter(readable_groups_q(member, "group__"))


def apply_filters(member: Member, filters: Filters) -> Scope:
    """The member's scope, narrowed down by the filters.

    Thread filters and author filters that leave few threads or authors become lists
    of ids, which PostgreSQL combines with the search index before it reads any post.
    Such filters are narrow: they leave so few posts to read that looking among the
    recent ones first would mostly cost an extra query. Wider filters are joins.
    """
    by_thread: list[Q | Lookup] = []  # on posts, for what the threads filters say
    by_post: list[Q | Lookup] = []  # on posts, for the author and the period
    threads, narrow = searchable_threads(member), False
    filtered = Thread.objects.all()
    if filters.group is not None:
        filtered = filtered.filter(group=filters.group)
    if filters.theme is not None:
        filtered = filtered.filter(theme_links__tag=filters.theme)
    if filters.kind:
        filtered = filtered.filter(kind=filters.kind)
    if filters.solved == "yes":
        filtered = filtered.filter(accepted_post__isnull=False)
    elif filters.solved == "no":
        filtered = filtered.filter(kind="question", accepted_post__isnull=True)
    if filtered.query.where:
        thread_ids = list(filtered.values_list("pk", flat=True)[: NARROW_THREADS + 1])
        if len(thread_ids) <= NARROW_THREADS:
            by_thread.append(one_of("thread_id", thread_ids))
            threads = threads.filter(one_of("pk", thread_ids))
            narrow = True
        else:
            by_thread.append(Q(thread__in=filtered))
            threads = threads.filter(pk__in=filtered)
    if filters.author is not None:
        by_post.append(Q(author_id=filters.author.pk))
        if filters.municipality is not None:
            by_post.append(Q(author__municipality=filters.municipality))
        if filters.region is not None:
            by_post.append(Q(author__municipality__region=filters.region))
        narrow = True
    elif filters.municipality is not None or filters.region is not None:
        members = Member.objects.all()
        if filters.municipality is not None:
            members = members.filter(municipality=filters.municipality)
        if filters.region is not None:
            members = members.filter(municipality__region=filters.region)
        author_ids = list(members.values_list("pk", flat=True)[: NARROW_AUTHORS + 1])
        if len(author_ids) <= NARROW_AUTHORS:
            by_post.append(one_of("author_id", author_ids))
            narrow = True
        else:
            by_post.append(Q(author__in=members))
    days = TOP_PERIODS.get(filters.period) if filters.period else None
    if days is not None:
        by_post.append(Q(created__gte=timezone.now() - timedelta(days=days)))
    posts = searchable_posts(member).filter(*by_post)
    # The opening posts of the threads in ``threads`` need no thread list again.
    return Scope(posts=posts.filter(*by_thread), threads=threads, opening_posts=posts.filter(number=1), narrow=narrow)


def search_posts(
    *, member: Member, text: str, filters: Filters = Filters(), page: int = 1, per_page: int = RESULTS_PER_PAGE
) -> SearchPage:
    """One page of hits for what the member typed. Never raises on odd input: a query
    with nothing to search for gives an empty page whose ``query.problem`` says why."""
    query = parse_query(text, load_synonyms())
    if not query.is_searchable:
        return SearchPage(query=query, hits=[], number=page, has_next=False, total=0, per_page=per_page)
    scope = apply_filters(member, filters)
    offset = (page - 1) * per_page
    if connection.vendor == "postgresql":
        hits, total, is_lower_bound = _postgresql_page(scope, query, offset=offset, limit=per_page + 1)
    else:
        hits, total, is_lower_bound = fallback_page(scope.posts, query, offset=offset, limit=per_page + 1)
    return SearchPage(
        query=query,
        hits=hits[:per_page],
        number=page,
        has_next=len(hits) > per_page,
        total=total,
        total_is_lower_bound=is_lower_bound,
        per_page=per_page,
    )


# --- PostgreSQL -------------------------------------------------------------------------


class Tsquery(SearchQuery):
    """A whole tsquery as one SQL fragment with its parameters.

    Built once per search and used in up to seven places (the match, the recent match,
    two ranks, the title match and rank, two headlines). A tree of ``SearchQuery``
    objects, one per synonym, cost the ORM milliseconds to resolve and compile in each
    place; this costs nothing, and PostgreSQL folds the constant functions at planning.
    """

    def __init__(self, sql: str, params: Sequence[str] = ()) -> None:
        Func.__init__(self, output_field=SearchQueryField())
        self.invert = False
        self.sql, self.params = sql, tuple(params)

    def resolve_expression(self, *args, **kwargs):
        return self

    def as_sql(self, compiler, connection, function=None, template=None):
        return f"!!({self.sql})" if self.invert else f"({self.sql})", list(self.params)

    def windowed(self) -> Tsquery:
        """This query with a place for the era lexemes of a window (``window``): the SQL
        is written once and searched with several windows."""
        return Tsquery(f"{self.sql}{WINDOW}", self.params)


# Where the SQL of a search takes the window's era lexemes: replaced by " && " and the
# lexemes (``window``), or by nothing to search all posts.
WINDOW = " && '~window'::tsquery"


def window(*, newest_id: int, posts: int | None) -> str:
    """Only the ``posts`` newest posts (about: whole eras), by the era lexemes of
    migration 0003: the search index answers that by itself, so it reads only the
    recent matches. ``None``: all posts."""
    if posts is None:
        return ""
    return " && " + eras(first=(newest_id - posts) // ERA, last=newest_id // ERA)


def eras(*, first: int, last: int) -> str:
    """The literal tsquery of the era lexemes (to_tsquery() would drop the "~")."""
    return "'" + " | ".join(f"''~e{era}''" for era in range(max(first, 0), last + 1)) + "'::tsquery"


def tsquery(query: ParsedQuery) -> Tsquery:
    """Every term (AND), each term any of its alternatives (OR), none of the excluded
    terms (AND NOT). Each alternative travels as a parameter: a phrase quoted to
    websearch_to_tsquery (its words next to each other), a word to plainto_tsquery
    (the same lexemes, but a hyphenated word as all of its parts rather than a phrase,
    which the search index can answer without reading the rows again). ``parse_query``
    has left only letters, digits and hyphens in them, so the quotes are all the syntax
    either function sees."""
    groups, params = [], []
    for term in (*query.included, *query.excluded):
        alternatives = list(dict.fromkeys(term.alternatives))
        either = " || ".join(
            "websearch_to_tsquery(%s::regconfig, %s)" if len(words) > 1 else "plainto_tsquery(%s::regconfig, %s)"
            for words in alternatives
        )
        groups.append(f"!!({either})" if term.excluded else f"({either})")
        for words in alternatives:
            params.extend([CONFIG, f'"{" ".join(words)}"' if len(words) > 1 else words[0]])
    return Tsquery(" && ".join(groups), params)


class TitleVector(Func):
    """The thread title's vector, as the expression index of migration 0003 has it."""

    template = "to_tsvector('public.samenleven'::regconfig, %(expressions)s)"
    output_field = SearchVectorField()


def _ranked(posts: QuerySet[Post], match: SearchQuery) -> QuerySet[Post]:
    """What ordering the hits needs, per post: rank, title match, accepted answer."""
    return posts.annotate(
        rank=SearchRank(F("search_vector"), match),
        # Only opening posts carry the title (weight A); don't rank the others twice.
        title_hit=Case(
            When(number=1, then=GreaterThan(SearchRank(F("search_vector"), match, weights=[0, 0, 0, 1]), 0)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        accepted=Case(
            When(thread__accepted_post=F("pk"), then=Value(True)), default=Value(False), output_field=BooleanField()
        ),
    ).values_list("id", "thread_id", "number", "created", "rank", "title_hit", "accepted")


CANDIDATE_COLUMNS = "id, thread_id, number, created, rank, title_hit, accepted"


def _postgresql_page(scope: Scope, query: ParsedQuery, *, offset: int, limit: int) -> tuple[list[Hit], int, bool]:
    """Rank the candidates, keep the best post per thread, take one page.

    Candidates: the ``CANDIDATES`` newest matching posts, and the opening posts of
    the ``TITLE_CANDIDATES`` threads whose title matches best (a title match is the
    strongest signal, however old). Ranking every match of a common word (a fifth of
    all posts) would read most of the table; the newest matches and the titles are
    what a member looks for in a forum. The count is exact when there were fewer
    matches than that, and a lower bound otherwise.

    The newest matches are looked for among the ``RECENT`` newest posts first (by their
    era lexemes, see ``Tsquery.within_eras``). When there are some but not enough there
    (a wide filter such as "unsolved questions" or "this month" leaves fewer), once more
    as far back as should hold enough by the share found, and only when that falls short
    too among all posts; when there are none at all (a rare word) at once among all. A
    common word then costs reading a thousand posts or so instead of tens of thousands,
    a rare one all its few matches; the result is the same. With narrow filters the
    search index and the id lists already leave few posts to read: all of them are
    looked at at once.
    """
    match = tsquery(query)
    with connection.cursor() as cursor:  # plain SQL: the ORM took longer to write it than PostgreSQL to run it
        cursor.execute("SELECT max(id) FROM threads_post")
        newest_id = cursor.fetchone()[0] or 0
    written = _candidate_sql(scope, match)
    if written is None:  # a filter that nothing can pass, such as an empty list of authors
        return [], 0, False
    posts: int | None = RECENT
    while True:
        if scope.narrow or (posts is not None and posts >= newest_id // 2):
            posts = None  # all posts
        rows = _candidate_page(written, window(newest_id=newest_id, posts=posts), offset=offset, limit=limit)
        found = rows[0][2] if rows else 0
        if found >= CANDIDATES or posts is None:
            break
        # Too few among the recent posts (a filter, a rarer word): once more, as far back
        # as should hold enough by the share found in the eras searched; then all posts.
        searched = newest_id - ERA * max((newest_id - posts) // ERA, 0)
        posts = searched * CANDIDATES * 3 // (2 * found) if found and posts == RECENT else None
    rows = [row for row in rows if row[0] is not None]
    if not rows:
        return [], 0, False
    total, is_lower_bound = rows[0][1], rows[0][2] >= CANDIDATES or rows[0][3] >= TITLE_CANDIDATES
    start, stop = f"hl{secrets.token_hex(8)}", f"lh{secrets.token_hex(8)}"
    marks = {"config": CONFIG, "start_sel": start, "stop_sel": stop}
    page = page_posts(
        [row[0] for row in rows],
        snippet_text=SearchHeadline("text", match, max_words=35, min_words=15, **marks),
        title_text=SearchHeadline("thread__title", match, highlight_all=True, **marks),
    )
    hits = [
        Hit(
            post=post,
            title=headline(post.title_text, start, stop, query),
            snippet=headline(post.snippet_text, start, stop, query),
        )
        for post in page
    ]
    return hits, total, is_lower_bound


def _candidate_sql(scope: Scope, match: Tsquery) -> tuple[str, list] | None:
    """The SQL (with ``WINDOW`` for the era lexemes) and parameters of a page of
    candidates, written once per search; ``None`` when a filter leaves nothing.

    The newest posts are found by ``match`` in a window (``window``) and ranked by ``match``.
    """
    try:
        newest_sql, newest_params = (
            _ranked(scope.posts.filter(search_vector=match.windowed()), match)
            .order_by("-id")[:CANDIDATES]
            .query.sql_with_params()
        )
        # Rank the titles on the small threads table first; read only the best ones' posts.
        best_titles = (
            scope.threads.alias(title_vector=TitleVector("title"))
            .filter(title_vector=match)
            .annotate(title_rank=SearchRank(TitleVector("title"), match))
            .order_by("-title_rank", "-id")
            .values("id")[:TITLE_CANDIDATES]
        )
        # The opening post holds the title: the same match, which leaves out what was excluded.
        titled = scope.opening_posts.filter(thread_id__in=Subquery(best_titles), search_vector=match)
        titled_sql, titled_params = _ranked(titled, match).order_by().query.sql_with_params()
    except EmptyResultSet:
        return None
    # Django cannot select FROM subqueries: the ORM writes both candidate queries
    # (with their parameters); this SQL only combines, dedupes per thread and pages.
    # What was typed is only ever in the parameters, never in the SQL text.
    sql = (
        f"WITH candidates AS ("
        f"SELECT {CANDIDATE_COLUMNS}, true AS newest FROM ({newest_sql}) AS newest_posts "
        f"UNION ALL SELECT {CANDIDATE_COLUMNS}, false FROM ({titled_sql}) AS title_posts"
        "), best AS (SELECT DISTINCT ON (thread_id) * FROM candidates ORDER BY thread_id, rank DESC, number"
        "), ranked AS (SELECT id, count(*) OVER () AS total, row_number() OVER ("
        "ORDER BY rank DESC, title_hit DESC, accepted DESC, created DESC, id DESC) AS position FROM best) "
        "SELECT page.id, page.total, (SELECT count(*) FROM candidates WHERE newest), "
        "(SELECT count(*) FROM candidates WHERE NOT newest) FROM (SELECT 1) AS one "
        "LEFT JOIN (SELECT * FROM ranked ORDER BY position LIMIT %s OFFSET %s) AS page ON true ORDER BY page.position"
    )
    assert sql.count(WINDOW) == 1
    return sql, [*newest_params, *titled_params]


def _candidate_page(written: tuple[str, list], window_sql: str, *, offset: int, limit: int) -> list[tuple]:
    """Rows (post id, threads with a hit, newest candidates, title candidates) of one
    page, best first, searching the window ``window_sql``; one row with no post id when the
    page is empty, for the counts."""
    sql, params = written
    with connection.cursor() as cursor:
        cursor.execute(sql.replace(WINDOW, window_sql), [*params, limit, offset])
        return cursor.fetchall()
