"""What a member typed, turned into search terms: safely, the same on every database.

Nothing typed reaches SQL as SQL. The text is cut to ``MAX_QUERY_LENGTH`` characters
and split into words and "quoted phrases"; everything else (operators such as
``& | ! ( ) : * < >``, stray quotes, punctuation) is dropped. Stop words are left out,
as PostgreSQL's ``dutch`` configuration would. Each remaining word or phrase becomes a
:class:`Term` whose alternatives are what was typed plus its synonyms: a post must match
every term, and a term matches when any of its alternatives does. The backends pass
the alternatives as parameters (``plainto_tsquery``/``phraseto_tsquery`` on PostgreSQL,
``LIKE`` on SQLite).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12

# Letters and digits, with hyphens inside a word (EU-migrant); underscores are not letters.
WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
PHRASE = re.compile(r'"([^"]*)"')
QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})
SYNONYM_SEPARATORS = re.compile(r"[,;/\n]+")

# The Snowball list that PostgreSQL's 'dutch' configuration uses (tsearch_data/dutch.stop),
# so that both backends leave out the same words.
STOP_WORDS = frozenset(
    [
        "de",
        "en",
        "van",
        "ik",
        "te",
        "dat",
        "die",
        "in",
        "een",
        "hij",
        "het",
        "niet",
        "zijn",
        "is",
        "was",
        "op",
        "aan",
        "met",
        "als",
        "voor",
        "had",
        "er",
        "maar",
        "om",
        "hem",
        "dan",
        "zou",
        "of",
        "wat",
        "mijn",
        "men",
        "dit",
        "zo",
        "door",
        "over",
        "ze",
        "zich",
        "bij",
        "ook",
        "tot",
        "je",
        "mij",
        "uit",
        "der",
        "daar",
        "haar",
        "naar",
        "heb",
        "hoe",
        "heeft",
        "hebben",
        "deze",
        "u",
        "want",
        "nog",
        "zal",
        "me",
        "zij",
        "nu",
        "ge",
        "geen",
        "omdat",
        "iets",
        "worden",
        "toch",
        "al",
        "waren",
        "veel",
        "meer",
        "doen",
        "toen",
        "moet",
        "ben",
        "zonder",
        "kan",
        "hun",
        "dus",
        "alles",
        "onder",
        "ja",
        "eens",
        "hier",
        "wie",
        "werd",
        "altijd",
        "doch",
        "wordt",
        "wezen",
        "kunnen",
        "ons",
        "zelf",
        "tegen",
        "na",
        "reeds",
        "wil",
        "kon",
        "niets",
        "uw",
        "iemand",
        "geweest",
        "andere",
    ]
)

Words = tuple[str, ...]


def words_of(text: str) -> Words:
    """The lower-case words of a text; single letters carry no meaning and are left out."""
    return tuple(word for word in WORD.findall(text.lower()) if len(word) > 1 or word.isdigit())


def singular(word: str) -> str:
    """A crude Dutch singular (statushouders, arbeidsmigranten -> statushouder, arbeidsmigrant).

    Used to look synonyms up whatever the number, and as the LIKE pattern on SQLite,
    where a shorter stem also finds the longer forms. PostgreSQL stems properly.
    """
    if len(word) > 5 and word.endswith("en"):
        return word[:-2]
    if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def key_of(words: Iterable[str]) -> Words:
    return tuple(singular(word) for word in words)


@dataclass(frozen=True)
class Term:
    """One thing a hit must contain: any of the alternatives (each one word or a phrase)."""

    alternatives: tuple[Words, ...]

    @property
    def typed(self) -> Words:
        return self.alternatives[0]


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    terms: tuple[Term, ...] = ()
    # Why there is nothing to search for: "empty", "stop_words" or "no_words".
    problem: str = ""
    shortened: bool = False

    @property
    def is_searchable(self) -> bool:
        return bool(self.terms)

    @property
    def alternatives(self) -> list[Words]:
        return [alternative for term in self.terms for alternative in term.alternatives]


@dataclass
class SynonymIndex:
    """Which alternatives a word or phrase expands to, by the singular form of its words."""

    entries: dict[Words, list[Words]] = field(default_factory=dict)

    @classmethod
    def build(cls, rows: Iterable[tuple[str, str, bool]]) -> SynonymIndex:
        """From (term, synonyms, mutual) rows, as staff keep them in the admin."""
        index = cls()
        for term, synonyms, mutual in rows:
            group = [words_of(term), *(words_of(text) for text in SYNONYM_SEPARATORS.split(synonyms))]
            group = [words for words in group if words]
            if not group:
                continue
            for words in group if mutual else group[:1]:
                expansions = index.entries.setdefault(key_of(words), [])
                expansions.extend(alternative for alternative in group if alternative not in expansions)
        return index

    @property
    def longest(self) -> int:
        return max((len(key) for key in self.entries), default=1)

    def expand(self, words: Words) -> list[Words] | None:
        return self.entries.get(key_of(words))


def _tokens(text: str) -> list[Words]:
    """Words, and quoted phrases as one token of several words, in the order typed."""
    tokens: list[Words] = []
    position = 0
    for match in PHRASE.finditer(text):
        tokens.extend((word,) for word in words_of(text[position : match.start()]))
        phrase = words_of(match.group(1))
        if phrase:
            tokens.append(phrase)
        position = match.end()
    tokens.extend((word,) for word in words_of(text[position:]))
    return tokens


def parse_query(text: str, synonyms: SynonymIndex | None = None) -> ParsedQuery:
    """Split a query into terms, expanding synonyms. Never raises, whatever the text."""
    text = (text or "").translate(QUOTES).replace("\x00", "").strip()
    shortened = len(text) > MAX_QUERY_LENGTH
    if shortened:
        # Cut at the last space before the limit, so that no half word remains.
        cut = text[: MAX_QUERY_LENGTH + 1]
        text = cut[: cut.rfind(" ")] if " " in cut.strip() else cut[:MAX_QUERY_LENGTH]
    text = text.strip()
    if not text:
        return ParsedQuery(text="", problem="empty")
    synonyms = synonyms or SynonymIndex()
    tokens = _tokens(text)
    terms: list[Term] = []
    seen: set[Words] = set()
    index = 0
    while index < len(tokens):
        term = None
        # The longest run of single words that is a synonym entry (internationale studenten).
        for length in range(min(synonyms.longest, len(tokens) - index), 0, -1):
            run = tokens[index : index + length]
            if length > 1 and any(len(token) > 1 for token in run):
                continue
            typed = tuple(word for token in run for word in token)
            expansions = synonyms.expand(typed)
            if expansions:
                term = Term((typed, *(words for words in expansions if key_of(words) != key_of(typed))))
                index += length
                break
        if term is None:
            token = tokens[index]
            index += 1
            if all(word in STOP_WORDS for word in token):
                continue
            term = Term((token,))
        if key_of(term.typed) not in seen:
            seen.add(key_of(term.typed))
            terms.append(term)
    if len(terms) > MAX_TERMS:
        terms, shortened = terms[:MAX_TERMS], True
    if not terms:
        return ParsedQuery(text=text, problem="stop_words" if tokens else "no_words", shortened=shortened)
    return ParsedQuery(text=text, terms=tuple(terms), shortened=shortened)
