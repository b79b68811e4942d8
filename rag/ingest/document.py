"""What every reader of `rag.ingest` shares: the document it returns, the limits it keeps, the
error it raises, the page-break mark, and a line of a laid-out page (PDF text layer and OCR alike)."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import UserError
from ..tables import Table

# Marks a page break inside the text until `split_pages` removes it: a Unicode noncharacter,
# which no document contains and no cleaning step touches.
PAGE_BREAK = "\ufdd0"


class UnreadableFile(UserError):
    """This one file cannot be read; the message says why, in Chinese."""


@dataclass(frozen=True)
class Limits:
    """What one file may cost before it is refused (see `Settings`, which reads them from the environment)."""

    max_bytes: int = 20_000_000  # RAG_MAX_FILE_MB
    pdf_pages: int = 1000  # RAG_MAX_PDF_PAGES
    ocr_pages: int = 200  # RAG_MAX_OCR_PAGES
    unpacked_bytes: int = 100_000_000  # RAG_MAX_UNPACKED_MB
    zip_members: int = 2000  # RAG_MAX_ZIP_MEMBERS
    page_seconds: float = 60.0  # RAG_PDF_PAGE_SECONDS


@dataclass(frozen=True)
class Document:
    text: str  # the file's text as read, before cleaning (PAGE_BREAK between pages)
    format: str  # txt / md / html / pdf / docx
    encoding: str  # detected text encoding ("" for pdf and docx)
    pages: int = 0  # pages of a paged source (0: not paged)
    ocr_pages: tuple[int, ...] = ()  # pages read by OCR
    tables: tuple[Table, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)


@dataclass
class Line:
    """One line of a page as laid out; coordinates in points from the page's top-left corner."""

    text: str
    left: float
    right: float
    top: float
    bottom: float
    size: float  # character height
    page: int  # 1-based
    table: bool = False  # a row line of a table: never joined to its neighbours
    sized: bool = True  # `size` measured on ideographs (a line of digits only has a smaller box)

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2
