"""Formatting: finds the ``${...}`` expressions that YAML cannot read unquoted, and quotes them.

A spec is a plain YAML 1.2 document, read the same way by archc and by every other YAML tool. Inside a flow
collection (``{...}`` or ``[...]``) YAML reads ``{`` and ``}`` as the collection's own brackets, so
``{filters: ${4 * filters}}`` is a syntax error everywhere; the value must be written ``"${4 * filters}"``. In
block context an expression only needs quotes when it holds ``: `` or `` #`` (YAML reads them as a key or a
comment).

:func:`find_unquoted` lists those places (the parser turns them into E105 diagnostics with the fixed line) and
:func:`quote_unquoted` rewrites the text with only the needed quotes added: comments, order and layout are kept,
and a second run changes nothing. One pass over the text, linear in its length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Edit:
    """One plain scalar that needs quotes: line (1-based), columns [col, end_col) (1-based), and its quoted form."""

    line: int
    col: int
    end_col: int
    text: str
    quoted: str
    in_flow: bool


#: A line that starts a block scalar: ``key: |``, ``- >-``, ``key: |2 # comment``.
_BLOCK_SCALAR = re.compile(r"(^|[\s:-])[|>][+-]?[1-9]?[+-]?\s*(#.*)?$")


def find_unquoted(text: str) -> list[Edit]:
    """Returns every plain scalar holding ``${`` that YAML would not read as written, in text order.

    ``text`` uses ``\\n`` line ends (a trailing ``\\r`` on a line is ignored). Block scalars (``|``, ``>``) and
    quoted strings, also those that continue over several lines, are text and never touched.
    """
    if "${" not in text:
        return []
    edits: list[Edit] = []
    depth = 0  # flow-collection depth, carried across lines
    quote: str | None = None  # a quoted scalar that continues on the next line
    block_indent: int | None = None  # inside a block scalar (| or >) indented more than this
    for lineno, raw in enumerate(text.split("\n"), start=1):
        line = raw[:-1] if raw.endswith("\r") else raw
        indent = len(line) - len(line.lstrip(" "))
        if block_indent is not None:
            if not line.strip() or indent > block_indent:
                continue  # block scalar content is text
            block_indent = None
        if quote is None and "${" in line:
            depth, quote = _scan(line, depth, None, lineno, edits)
        else:
            depth, quote = _scan(line, depth, quote, lineno, None)
        if quote is None and _BLOCK_SCALAR.search(line):
            block_indent = indent
    return edits


def quote_unquoted(text: str) -> tuple[str, list[Edit]]:
    """Returns ``text`` with every place of :func:`find_unquoted` quoted, and those places."""
    edits = find_unquoted(text)
    if not edits:
        return text, []
    lines = text.split("\n")
    by_line: dict[int, list[Edit]] = {}
    for e in edits:
        by_line.setdefault(e.line, []).append(e)
    for lineno, line_edits in by_line.items():
        line = lines[lineno - 1]
        for e in sorted(line_edits, key=lambda e: e.col, reverse=True):
            line = line[:e.col - 1] + e.quoted + line[e.end_col - 1:]
        lines[lineno - 1] = line
    return "\n".join(lines), edits


def fixed_line(text: str, line: int) -> str:
    """Line ``line`` (1-based) of ``text`` with its unquoted expressions quoted (for hints)."""
    lines = text.split("\n")
    if not 0 < line <= len(lines):
        return ""
    edits = [e for e in find_unquoted(text) if e.line == line]
    out = lines[line - 1].rstrip("\r")
    for e in sorted(edits, key=lambda e: e.col, reverse=True):
        out = out[:e.col - 1] + e.quoted + out[e.end_col - 1:]
    return out


def _quote(scalar: str) -> str:
    return '"' + scalar.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _scan(line: str, depth: int, quote: str | None, lineno: int, edits: list[Edit] | None) -> tuple[int, str | None]:
    """Follows flow depth and quoting through one line; with ``edits``, records the scalars that need quotes.

    Returns the flow depth and the quote still open at the end of the line.
    """
    first = len(line) - len(line.lstrip(" \t"))
    i = 0
    n = len(line)
    while i < n:
        c = line[i]
        if quote:
            if (c == "\\" and quote == '"') or (c == "'" == quote and line.startswith("''", i)):
                i += 2
                continue
            if c == quote:
                quote = None
            i += 1
            continue
        if c in "'\"" and (i == 0 or line[i - 1] in " \t[{,:-?"):
            quote = c
            i += 1
            continue
        if c == "#" and (i == 0 or line[i - 1] in " \t"):
            break
        if edits is not None and c == "$" and line.startswith("${", i):
            a = _scalar_start(line, i, depth, first)
            b = i
            while b < n:
                if line.startswith("${", b):
                    b = _skip_expr(line, b)
                    continue
                if _scalar_boundary_right(line, b, depth):
                    break
                b += 1
            end = b
            while end > a and line[end - 1] in " \t":
                end -= 1
            scalar = line[a:end]
            if depth > 0 or _breaks_block_scalar(scalar):
                if not edits or (edits[-1].line, edits[-1].col) != (lineno, a + 1):
                    edits.append(Edit(lineno, a + 1, end + 1, scalar, _quote(scalar), depth > 0))
            i = max(end, i + 2)
            continue
        if c in "[{":
            depth += 1
        elif c in "]}":
            depth = max(0, depth - 1)
        i += 1
    return depth, quote


def _breaks_block_scalar(scalar: str) -> bool:
    """Whether a plain scalar in block context would be cut by YAML (a ``: `` or `` #`` inside it)."""
    return ": " in scalar or " #" in scalar


def _skip_expr(line: str, i: int) -> int:
    """Given ``line[i:i+2] == '${'``, returns the index just past the matching ``}`` (or len(line))."""
    j = i + 2
    nest = 0
    quote = None
    while j < len(line):
        c = line[j]
        if quote:
            if c == "\\":
                j += 1
            elif c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c in "([{":
            nest += 1
        elif c in ")]}" and nest > 0:
            nest -= 1
        elif c == "}":
            return j + 1
        j += 1
    return len(line)


def _scalar_start(line: str, i: int, depth: int, first: int) -> int:
    """Where the plain scalar holding position ``i`` starts: one pass leftwards, linear in the line."""
    a = i
    while a > 0:
        prev = line[a - 1]
        if depth > 0 and prev in "[{,":
            return a
        if prev in " \t":
            k = a - 1
            while k >= 0 and line[k] in " \t":
                k -= 1
            if k < 0:
                return a
            c = line[k]
            if c == ":" or (c in "-?" and k == first) or (depth > 0 and c in "[{,"):
                return a
            a = k  # the spaces belong to the scalar: go on from the character before them
            continue
        a -= 1
    return a


def _scalar_boundary_right(line: str, b: int, depth: int) -> bool:
    c = line[b]
    if depth > 0 and c in ",]}":
        return True
    if c == ":" and (b + 1 == len(line) or line[b + 1] in " \t"):
        return True
    if c == "#" and b > 0 and line[b - 1] in " \t":
        return True
    return False


#: A top-level ``archspec:`` key, the mark of a spec file (YAML or JSON), found without parsing the file.
_SPEC_KEY = re.compile(r"""^(?:archspec|"archspec"|'archspec')[ \t]*:|^[ \t]*\{?[ \t]*"archspec"[ \t]*:""", re.M)


def looks_like_spec(text: str) -> bool:
    """Whether ``text`` has a top-level ``archspec:`` key (read as text: the file may not parse yet)."""
    return _SPEC_KEY.search(text) is not None


@dataclass(frozen=True, slots=True)
class Formatted:
    """The result of formatting one file: its new text (``None`` when unchanged) and the places quoted."""

    text: str | None
    edits: tuple[Edit, ...]


def format_text(raw: str, name: str = "<string>") -> Formatted:
    """Formats spec text: quotes what :func:`find_unquoted` finds, keeping line ends (LF or CRLF) and a BOM.

    Raises:
        CompileError: when the text still is not a valid spec document once quoted (nothing should be written).
    """
    from .parse import parse  # parse uses this module's scanner
    from .source import SourceFile

    bom = raw.startswith("\ufeff")
    body = raw[1:] if bom else raw
    crlf = "\r\n" in body
    text = body.replace("\r\n", "\n") if crlf else body
    new, edits = quote_unquoted(text)
    parse(SourceFile(name, new))  # the result must be YAML that archc reads; raises with the remaining errors
    if not edits:
        return Formatted(None, ())
    if crlf:
        new = new.replace("\n", "\r\n")
    return Formatted(("\ufeff" if bom else "") + new, tuple(edits))
