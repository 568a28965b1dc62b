"""The one cached fragment of the meetings app: a question as a member sees it, on the
meeting page, on the live page and in a live event (``community.performance.fragments`` says why it is
declared this way)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from community.performance.fragments import Fragment


@dataclass(frozen=True, slots=True)
class Asker:
    """Who asked, for those who may see it."""

    name: str
    municipality: str | None
    former: bool


@dataclass(frozen=True, slots=True)
class QuestionFragment(Fragment):
    """``meetings/_question.html``."""

    template_name: ClassVar[str] = "meetings/_question.html"

    pk: int
    text: str
    status: str
    vote_count: int
    hidden: bool
    hidden_reason: str
    anonymous: bool
    #: None when the member may not see who asked.
    asker: Asker | None
    can_vote: bool
    can_moderate: bool
    voted: bool
    #: The page the question's forms return to ("live" or the meeting page, "").
    page: str

    @classmethod
    def of(
        cls, question: Any, *, can_vote: bool, can_moderate: bool, can_see_asker: bool, voted: bool, page: str
    ) -> QuestionFragment:
        asker = None
        if can_see_asker:
            author = question.author
            former = author is None or author.is_former_member
            municipality = None if former or author.municipality_id is None else author.municipality.name
            asker = Asker(name="" if former else author.name, municipality=municipality, former=former)
        return cls(
            pk=question.pk, text=question.text, status=question.status, vote_count=question.vote_count,
            hidden=question.hidden, hidden_reason=question.hidden_reason, anonymous=question.anonymous, asker=asker,
            can_vote=can_vote, can_moderate=can_moderate, voted=voted, page=page,
        )  # fmt: skip
