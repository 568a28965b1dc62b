"""What a member typed, turned into search terms: safely, the same on every database.

Nothing typed reaches SQL as SQL. The text is cut to ``MAX_QUERY_LENGTH`` characters
and read with the syntax of PostgreSQL's ``websearch_to_tsquery`` (what web search
engines accept): words, "quoted phrases", ``or`` between two terms (either will do)
and ``-word`` or ``-"a phrase"`` (leave out posts that contain it); everything else
(operators such as ``& | ! ( ) : * < >``, stray quotes, punctuation) is dropped.
Stop words are left out, as PostgreSQL's ``dutch`` configuration would. Each remaining
word or phrase becomes a :class:`Term` whose alternatives are what was typed plus its
synonyms (an ``or`` joins the alternatives of its two sides): a post must match every
term that is not excluded and none that is, and a term matches when any of its
alternatives does. The backends pass the alternatives as parameters
(``websearch_to_tsquery`` on PostgreSQL, a whole-word pattern on SQLite).

Accents do not count: ``fold`` is what PostgreSQL's ``unaccent`` does to the text
(``taalcafé`` and ``taalcafe`` are the same word), applied to what was typed, to the
synonyms and, on SQLite, to the posts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12

# Letters and digits, with hyphens inside a word (EU-migrant); underscores are not letters.
WORD = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
# What websearch_to_tsquery reads: an optional "-" at the start of a term (after a space),
# then a "quoted phrase" or a word. Anything else between them is skipped.
TOKEN = re.compile(r'(?P<minus>(?<!\S)-)?(?:"(?P<phrase>[^"]*)"|(?P<word>[^\W_]+(?:-[^\W_]+)*))')
OR = "or"
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

# What unaccent does beyond dropping accents, for the letters a Dutch text may hold.
LETTERS = str.maketrans({"ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ı": "i"})


def fold(text: str) -> str:
    """Lower case without accents (taalcafé -> taalcafe, Oekraïne -> oekraine)."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(LETTERS))
    return "".join(character for character in decomposed if not unicodedata.combining(character))


def fold_with_origins(text: str) -> tuple[str, list[int]]:
    """``fold(text)`` and, per folded character, the index of the character it came from
    (a ligature such as "ĳ" becomes two), to put highlights back on the original text.

    Every search hit's title and snippet pass here: plain ASCII (most text) folds to
    itself in lower case, character for character; other text is folded a character at
    a time from a cache."""
    if text.isascii():
        return text.lower(), list(range(len(text)))
    folded: list[str] = []
    origins: list[int] = []
    for position, character in enumerate(text):
        part = _fold_character(character)
        folded.append(part)
        if len(part) == 1:
            origins.append(position)
        else:
            origins.extend([position] * len(part))
    return "".join(folded), origins


@lru_cache(maxsize=2048)
def _fold_character(character: str) -> str:
    return fold(character)


def words_of(text: str) -> Words:
    """The folded words of a text; single letters carry no meaning and are left out."""
    return tuple(word for word in WORD.findall(fold(text)) if len(word) > 1 or word.isdigit())


def singular(word: str) -> str:
    """A crude Dutch singular (statushouders, arbeidsmigranten -> statushouder, arbeidsmigrant).

    Used to look synonyms up whatever the number, and on SQLite as the start of the
    whole words that match (see ``word_pattern``). PostgreSQL stems properly.
    """
    if len(word) > 5 and word.endswith("en"):
        return word[:-2]
    if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def key_of(words: Iterable[str]) -> Words:
    return tuple(singular(word) for word in words)


# The endings a word may have and still be the word that was typed, on SQLite: plurals,
# inflected adjectives and verb forms (statushouder-s, Haag-se is not: whole words only,
# so "den" never matches "denk" nor "houden").
ENDINGS = ("s", "'s", "e", "n", "en", "es", "er", "ers", "t", "te", "ten", "de", "den", "d")
DOUBLED_ENDINGS = ("e", "en", "er", "ers")  # les -> lessen, kind -> kinderen is not covered


def word_pattern(word: str) -> str:
    """A regular expression for one folded word and its inflected forms."""
    stem = singular(word)
    endings = "|".join(re.escape(ending) for ending in ENDINGS)
    doubled = ""
    if stem[-1:].isalpha() and stem[-1] not in "aeiou":
        doubled = "|" + re.escape(stem[-1]) + "(?:" + "|".join(DOUBLED_ENDINGS) + ")"
    return f"{re.escape(stem)}(?:{endings}{doubled})?"


def alternative_pattern(words: Words) -> str:
    """One word, or a phrase: its words in this order with only spaces or punctuation between."""
    return r"[\W_]+".join(word_pattern(word) for word in words)


@lru_cache(maxsize=256)
def whole_words(alternatives: tuple[Words, ...]) -> re.Pattern[str]:
    """Any of the alternatives as whole words, in folded text."""
    either = "|".join(alternative_pattern(words) for words in sorted(alternatives, key=len, reverse=True))
    return re.compile(rf"(?<![^\W_])(?:{either})(?![^\W_])")


@dataclass(frozen=True)
class Term:
    """One thing a hit must contain (or, when ``excluded``, must not): any of the
    alternatives (each one word or a phrase)."""

    alternatives: tuple[Words, ...]
    excluded: bool = False

    @property
    def typed(self) -> Words:
        return self.alternatives[0]

    @property
    def pattern(self) -> re.Pattern[str]:
        return whole_words(self.alternatives)


@dataclass(frozen=True)
class ParsedQuery:
    text: str
    terms: tuple[Term, ...] = ()
    # Why there is nothing to search for: "empty", "stop_words", "no_words" or
    # "only_excluded" (every term starts with "-": there must be one to look for).
    problem: str = ""
    shortened: bool = False

    @property
    def is_searchable(self) -> bool:
        return any(not term.excluded for term in self.terms)

    @property
    def included(self) -> tuple[Term, ...]:
        return tuple(term for term in self.terms if not term.excluded)

    @property
    def excluded(self) -> tuple[Term, ...]:
        return tuple(term for term in self.terms if term.excluded)

    @property
    def alternatives(self) -> list[Words]:
        """What a hit may contain: the alternatives of the terms that are not excluded."""
        return [alternative for term in self.included for alternative in term.alternatives]

    @property
    def pattern(self) -> re.Pattern[str] | None:
        """Every alternative as whole words, for highlighting folded text."""
        alternatives = tuple(dict.fromkeys(self.alternatives))
        return whole_words(alternatives) if alternatives else None


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


@dataclass(frozen=True)
class Token:
    """A word or a quoted phrase as typed, maybe with a "-" before it; or ``or``."""

    words: Words
    minus: bool = False
    phrase: bool = False

    @property
    def is_or(self) -> bool:
        return self.words == (OR,) and not self.minus and not self.phrase


def _tokens(text: str) -> list[Token]:
    """Words, quoted phrases (one token of several words) and ``or``, in the order typed."""
    tokens: list[Token] = []
    for match in TOKEN.finditer(text):
        minus = bool(match.group("minus"))
        if match.group("phrase") is not None:
            words = words_of(match.group("phrase"))
            if words:
                tokens.append(Token(words, minus=minus, phrase=True))
        else:
            tokens.extend(Token((word,), minus=minus) for word in words_of(match.group("word")))
    return tokens


def _expanded(tokens: list[Token], synonyms: SynonymIndex) -> list[Term | None]:
    """Terms in the order typed, ``None`` where an ``or`` stood. Runs of plain words are
    matched against the synonyms, longest first (internationale studenten)."""
    items: list[Term | None] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.is_or:
            items.append(None)
            index += 1
            continue
        term = None
        if not token.minus:
            for length in range(min(synonyms.longest, len(tokens) - index), 0, -1):
                run = tokens[index : index + length]
                if length > 1 and any(item.phrase or item.minus or item.is_or for item in run):
                    continue
                typed = tuple(word for item in run for word in item.words)
                expansions = synonyms.expand(typed)
                if expansions:
                    term = Term((typed, *(words for words in expansions if key_of(words) != key_of(typed))))
                    index += length
                    break
        if term is None:
            index += 1
            if all(word in STOP_WORDS for word in token.words):
                continue
            # What is left out is left out as typed: its synonyms would leave out too much.
            term = Term((token.words,), excluded=token.minus)
        items.append(term)
    return items


def _joined(items: list[Term | None]) -> list[Term]:
    """``a or b``: one term with the alternatives of both. An ``or`` with no term to join
    on either side (at the start, the end, next to a left-out term) means nothing."""
    terms: list[Term] = []
    joining = False
    for item in items:
        if item is None:
            joining = bool(terms) and not terms[-1].excluded
            continue
        if joining and not item.excluded:
            left = terms[-1]
            alternatives = left.alternatives + tuple(
                words for words in item.alternatives if words not in left.alternatives
            )
            terms[-1] = Term(alternatives)
        else:
            terms.append(item)
        joining = False
    return terms


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
    tokens = _tokens(text)
    terms: list[Term] = []
    seen: set[tuple[Words, bool]] = set()
    for term in _joined(_expanded(tokens, synonyms or SynonymIndex())):
        key = (key_of(term.typed), term.excluded)
        if key not in seen:
            seen.add(key)
            terms.append(term)
    if len(terms) > MAX_TERMS:
        terms, shortened = terms[:MAX_TERMS], True
    if not terms:
        meaningful = [token for token in tokens if not token.is_or]
        return ParsedQuery(text=text, problem="stop_words" if meaningful else "no_words", shortened=shortened)
    if not any(not term.excluded for term in terms):
        return ParsedQuery(text=text, terms=tuple(terms), problem="only_excluded", shortened=shortened)
    return ParsedQuery(text=text, terms=tuple(terms), shortened=shortened)
