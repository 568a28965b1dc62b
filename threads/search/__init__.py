"""Search over thread titles and posts (SPEC F3, ``/search/?q=``).

- ``query``: what was typed, turned into terms with synonyms; never raises.
- ``engine``: visibility, filters, and on PostgreSQL matching, ranking, snippets, pages.
- ``fallback``: the simpler search on SQLite (every word must occur, no ranking).
- ``hits``: what a page of results holds.
- ``forms``: the query and filters as GET parameters.
"""

from threads.search.engine import Filters, load_synonyms, search_posts, searchable_posts
from threads.search.forms import SearchForm
from threads.search.hits import RESULTS_PER_PAGE, Hit, SearchPage
from threads.search.query import (
    MAX_QUERY_LENGTH,
    ParsedQuery,
    SynonymIndex,
    parse_query,
)

__all__ = [
    "MAX_QUERY_LENGTH",
    "RESULTS_PER_PAGE",
    "Filters",
    "Hit",
    "ParsedQuery",
    "SearchForm",
    "SearchPage",
    "SynonymIndex",
    "load_synonyms",
    "parse_query",
    "search_posts",
    "searchable_posts",
]
