"""Cut plans into passages that never cross a section boundary.

Each chunk is an exact slice of its plan's normalized text
(`plan.text[char_start:char_end] == chunk.text`), so a citation can point at
the very characters a user reads.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from .config import ChunkSettings
from .corpus import Plan, page_label
from .sections import Section, split_sections


@dataclass(frozen=True)
class Chunk:
    chunk_id: int
    plan_id: str
    city: str
    title: str
    section: str
    text: str
    char_start: int
    char_end: int
    page_start: int | None = None  # 1-based pages of a paged source (PDF); None otherwise
    page_end: int | None = None

    @property
    def pages(self) -> str:
        """"第 3 页" / "第 3–4 页", or "" for a source without pages."""
        return page_label(self.page_start, self.page_end)

    def search_text(self) -> str:
        """What the retrievers see: the section path is searchable too."""
        return f"{self.city} {self.section}\n{self.text}"

    def to_dict(self) -> dict:
        return asdict(self)


def chunk_plans(plans: list[Plan], settings: ChunkSettings) -> list[Chunk]:
    # imported here: building needs it, serving questions does not (~0.5 s of the web page's start)
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=settings.size,
        chunk_overlap=settings.overlap,
        separators=list(settings.separators),
        keep_separator="end",
        add_start_index=True,
        strip_whitespace=True,
    )
    chunks: list[Chunk] = []
    for plan in plans:
        for section in split_sections(plan.text):
            for text, start in _split_section(plan.text, section, splitter):
                end = start + len(text)
                chunks.append(Chunk(len(chunks), plan.plan_id, plan.label, plan.title, section.path, text, start, end,
                                    *plan.pages_of(start, end)))
    return chunks


def _split_section(text: str, section: Section, splitter) -> list[tuple[str, int]]:
    body = text[section.start : section.end]
    if not body[section.heading_end - section.start :].strip():
        return []  # a heading with nothing under it lives on in its children's paths
    pieces = []
    for doc in splitter.create_documents([body]):
        start = section.start + doc.metadata["start_index"]
        assert text[start : start + len(doc.page_content)] == doc.page_content
        if start + len(doc.page_content) <= section.heading_end:
            continue  # the bare heading line; the path already carries it
        pieces.append((doc.page_content, start))
    return pieces
