"""Source files and spans: line/column arithmetic and the source snippet with a caret under the error."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple


class Span(NamedTuple):
    """A region of a source file. Lines and columns are 1-based; ``end_*`` is exclusive. (A named tuple: a
    document holds one per value, and a tuple is the cheapest immutable record to make.)"""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class SourceFile:
    """The text of one spec file, kept so that diagnostics can quote it."""

    path: str
    text: str

    def __post_init__(self) -> None:
        if "\r" in self.text:  # one newline convention everywhere: CRLF and CR files read like LF files
            object.__setattr__(self, "text", self.text.replace("\r\n", "\n").replace("\r", "\n"))

    @classmethod
    def read(cls, path: str | Path, display: str | None = None) -> "SourceFile":
        """Reads a file as UTF-8 (a BOM is dropped). ``display`` is the name shown in messages."""
        p = Path(path)
        data = p.read_bytes()
        text = data.decode("utf-8-sig")
        return cls(display or str(path), text)

    def line_text(self, line: int) -> str:
        """Returns line ``line`` (1-based) without its newline, or '' when out of range."""
        lines = self.text.splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else ""


def snippet(source: SourceFile | None, span: Span | None) -> str:
    """Renders the source line of ``span`` with a caret (and tildes) under the span, indented by 4 spaces."""
    if source is None or span is None:
        return ""
    text = source.line_text(span.line).rstrip("\n")
    if not text.strip():
        return ""
    text = text.expandtabs(1)
    col = span.col
    if len(text) > 120:  # show a window around the column of very long lines
        start = max(0, col - 60)
        text = ("..." if start else "") + text[start:start + 120] + ("..." if start + 120 < len(text) else "")
        col = col - start + (3 if start else 0)
        span = Span(span.file, span.line, col, span.line, min(span.end_col - start + (3 if start else 0), len(text)))
    width = (span.end_col - span.col) if span.end_line == span.line else len(text) - span.col + 1
    width = max(1, min(width, max(1, len(text) - span.col + 1)))
    gutter = f"{span.line:>4} | "
    return f"{gutter}{text}\n{' ' * len(gutter)}{' ' * (col - 1)}^{'~' * (width - 1)}"
