"""What every answerer returns."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..retrieve import Passage
from ..targets import Target


@dataclass
class Answer:
    question: str
    answer: str  # the sentence(s) for the user, a refusal too
    found: bool  # the answer gives what was asked (not only what the plans do not state)
    passages: list[Passage]
    targets: list[Target] = field(default_factory=list)
    mode: str = "passage"  # how it was answered: target / compare / fact / list / passage / corpus / help / none
    highlight: list[tuple[str, int, int]] = field(default_factory=list)  # (plan_id, start, end) answering spans
    note: str = ""  # why nothing (or only part) was found
    type: str = ""  # the question's answer type (rag.question.TYPES)
    understood: str = ""  # the question as understood, when it differs from what was asked
    notice: str = ""  # how it was answered that the reader should know: a place selector not applied
    index_notice: str = ""  # the index is older than the corpus (`Index.stale_notice`)

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "found": self.found,
            "mode": self.mode,
            "type": self.type,
            "understood": self.understood,
            "passages": [p.to_dict() for p in self.passages],
            "targets": [t.to_dict() for t in self.targets],
            "highlight": [{"plan_id": p, "char_start": s, "char_end": e} for p, s, e in self.highlight],
            "note": self.note,
        }
