"""Parsing: YAML or JSON text -> plain data plus a table of source spans for every path inside it.

We build the data ourselves from PyYAML's event stream (never from its constructors), which gives us, in one
non-recursive pass: positions for every key and value, duplicate-key errors, no Python tags, YAML 1.2 scalars
(``2e-5`` is a float; ``yes`` and ``on`` are strings), and hard limits on nesting depth and on the size of the data
once aliases are expanded (no "billion laughs").
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from .diagnostics import CompileError, Diagnostic
from .source import SourceFile, Span

try:  # libyaml when available: several times faster
    _Loader = yaml.CSafeLoader  # type: ignore[attr-defined]
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

#: Deepest nesting of mappings and sequences a spec may have.
MAX_DEPTH = 64
#: Most nodes a document may hold once aliases are expanded.
MAX_NODES = 200_000
#: Longest integer literal, in digits.
MAX_INT_DIGITS = 30

Path = tuple  # tuple[str | int, ...]

_INT10 = re.compile(r"[-+]?[0-9]+")
_INT8 = re.compile(r"0o[0-7]+")
_INT16 = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)")
_NAN = re.compile(r"\.(nan|NaN|NAN)")
_NULLS = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_STD = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {"!", _STD + "str", _STD + "int", _STD + "float", _STD + "bool", _STD + "null", _STD + "seq",
                 _STD + "map"}


@dataclass(frozen=True)
class Document:
    """Parsed spec data with source positions.

    Attributes:
        source: the file the data came from.
        data: plain Python data (dict, list, str, int, float, bool, None).
        spans: the span of the value at each path (``("model", "layers", 3)``).
        key_spans: the span of the key at each mapping path (for "unknown key" errors).
    """

    source: SourceFile
    data: Any
    spans: dict[Path, Span] = field(default_factory=dict)
    key_spans: dict[Path, Span] = field(default_factory=dict)

    def span(self, path: Path, key: bool = False) -> Span | None:
        """The span of ``path`` (of its key with ``key=True``), falling back to the nearest enclosing span."""
        path = tuple(path)
        if key and path in self.key_spans:
            return self.key_spans[path]
        while path:
            if path in self.spans:
                return self.spans[path]
            path = path[:-1]
        return self.spans.get((), None)


def _span(file: str, start: Any, end: Any, colmap: dict[int, list[int]] | None = None) -> Span:
    sc, ec = start.column, end.column
    if colmap:
        m = colmap.get(start.line)
        if m is not None:
            sc = m[min(sc, len(m) - 1)]
        m = colmap.get(end.line)
        if m is not None:
            ec = m[min(ec, len(m) - 1)]
    return Span(file, start.line + 1, sc + 1, end.line + 1, ec + 1)


def protect_expressions(text: str) -> tuple[str, dict[int, list[int]]]:
    """Quotes plain scalars that contain ``${...}`` so that YAML flow mappings accept them unquoted.

    ``{filters: ${F * 4}, kernel_size: $f}`` is not valid YAML (braces end the mapping); this turns the first value
    into ``"${F * 4}"``, which reads the same. Returns the new text and, for each changed line, a map from new
    column to original column so that positions still point into the file as written.
    """
    if "${" not in text:
        return text, {}
    out_lines = []
    colmap: dict[int, list[int]] = {}
    depth = 0  # flow-collection depth, carried across lines
    quote: str | None = None  # a quoted scalar that continues on the next line
    block_indent: int | None = None  # inside a block scalar (| or >) indented more than this
    for lineno, line in enumerate(text.split("\n")):
        indent = len(line) - len(line.lstrip(" "))
        if block_indent is not None:
            if not line.strip() or indent > block_indent:
                out_lines.append(line)  # block scalar content is text, never touched
                continue
            block_indent = None
        if quote is None and "${" in line:
            new, mapping, depth, quote = _protect_line(line, depth)
            if mapping is not None:
                colmap[lineno] = mapping
        else:
            new = line
            depth, quote = _scan(line, depth, quote)
        if quote is None and _BLOCK_SCALAR.search(new):
            block_indent = indent
        out_lines.append(new)
    return "\n".join(out_lines), colmap


#: A line that starts a block scalar: ``key: |``, ``- >-``, ``key: |2 # comment``.
_BLOCK_SCALAR = re.compile(r"(^|[\s:-])[|>][+-]?[1-9]?[+-]?\s*(#.*)?$")


def _scan(line: str, depth: int, quote: str | None) -> tuple[int, str | None]:
    """Follows flow depth and quoting through a line that is not changed (quotes may span lines)."""
    i = 0
    while i < len(line):
        c = line[i]
        if quote:
            if (c == "\\" and quote == '"') or (c == "'" == quote and line.startswith("''", i)):
                i += 2
                continue
            if c == quote:
                quote = None
        elif c in "'\"" and (i == 0 or line[i - 1] in " \t[{,:-?"):
            quote = c
        elif c == "#" and (i == 0 or line[i - 1] in " \t"):
            break
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth = max(0, depth - 1)
        i += 1
    return depth, quote


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
        elif c in "([":
            nest += 1
        elif c in ")]":
            nest -= 1
        elif c == "}" and nest <= 0:
            return j + 1
        j += 1
    return len(line)


def _protect_line(line: str, depth: int) -> tuple[str, list[int] | None, int, str | None]:
    """Quotes the plain scalars of one line that contain ``${``; returns the line, its column map (or None when
    unchanged), the flow depth and the quote still open at the end of the line."""
    pieces: list[tuple[str, list[int]]] = []  # (text, original column of each char)
    quote = None
    i = 0
    changed = False
    emitted = 0
    first = len(line) - len(line.lstrip(" \t"))
    while i < len(line):
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
        if c == "$" and line.startswith("${", i):
            a = _scalar_start(line, i, depth, first)
            b = i
            while b < len(line):
                if line.startswith("${", b):
                    b = _skip_expr(line, b)
                    continue
                if _scalar_boundary_right(line, b, depth):
                    break
                b += 1
            end = b
            while end > a and line[end - 1] in " \t":
                end -= 1
            if a < emitted:
                i += 2
                continue
            scalar = line[a:end]
            pieces.append((line[emitted:a], list(range(emitted, a))))
            quoted = ['"']
            cols = [a]
            for k, ch in enumerate(scalar):
                if ch in '\\"':
                    quoted.append("\\")
                    cols.append(a + k)
                quoted.append(ch)
                cols.append(a + k)
            quoted.append('"')
            cols.append(end)
            pieces.append(("".join(quoted), cols))
            emitted = end
            changed = True
            i = end
            continue
        if c in "[{":
            depth += 1
        elif c in "]}":
            depth = max(0, depth - 1)
        i += 1
    if not changed:
        return line, None, depth, quote
    pieces.append((line[emitted:], list(range(emitted, len(line)))))
    text = "".join(p[0] for p in pieces)
    cols = [c for p in pieces for c in p[1]] + [len(line)]
    return text, cols, depth, quote


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


def resolve_plain(text: str) -> Any:
    """Resolves an unquoted scalar with the YAML 1.2 core schema. Raises ValueError for oversized integers."""
    if text in _NULLS:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if _INT10.fullmatch(text):
        if len(text.lstrip("+-")) > MAX_INT_DIGITS:
            raise ValueError(f"integer literal has more than {MAX_INT_DIGITS} digits")
        return int(text, 10)
    if _INT8.fullmatch(text):
        return int(text[2:], 8) if len(text) <= MAX_INT_DIGITS else _too_long()
    if _INT16.fullmatch(text):
        return int(text[2:], 16) if len(text) <= MAX_INT_DIGITS else _too_long()
    if _FLOAT.fullmatch(text):
        return float(text)
    if _INF.fullmatch(text):
        return float("-inf") if text.startswith("-") else float("inf")
    if _NAN.fullmatch(text):
        return float("nan")
    return text


def _too_long() -> Any:
    raise ValueError(f"integer literal has more than {MAX_INT_DIGITS} digits")


class _Frame:
    __slots__ = ("container", "path", "key", "key_span", "start", "anchor", "size")

    def __init__(self, container: Any, path: Path, start: Any, anchor: str | None):
        self.container = container
        self.path = path
        self.key: Any = _NO_KEY
        self.key_span: Span | None = None
        self.start = start
        self.anchor = anchor
        self.size = 1


_NO_KEY = object()


def parse(source: SourceFile) -> Document:
    """Parses YAML (or JSON, which is YAML 1.2) into a :class:`Document`.

    Raises:
        CompileError: with E101 (syntax), E102 (duplicate key), E103 (tag) or E104 (limits), at their positions.
    """
    is_json = source.path.endswith(".json")
    json_data = _check_json(source) if is_json else None
    text, colmap = (source.text, {}) if is_json else protect_expressions(source.text)
    try:
        doc = _compose(source, text, colmap)
        # JSON's own reader is authoritative for JSON values (escapes YAML reads differently); YAML gives positions.
        return Document(source, json_data, doc.spans, doc.key_spans) if is_json else doc
    except CompileError:
        raise
    except yaml.MarkedYAMLError as e:
        if is_json:  # valid JSON that YAML cannot read (e.g. surrogate-pair escapes): no positions inside
            return Document(source, json_data, {(): Span(source.path, 1, 1, 1, 2)})
        mark = e.problem_mark or e.context_mark
        span = _span(source.path, mark, mark, colmap) if mark else Span(source.path, 1, 1, 1, 2)
        msg = " ".join(x for x in (e.context, e.problem) if x) or "invalid YAML"
        raise CompileError([Diagnostic("E101", f"invalid YAML: {msg}", span)], {source.path: source}) from None
    except yaml.YAMLError as e:
        raise CompileError([Diagnostic("E101", f"invalid YAML: {e}", Span(source.path, 1, 1, 1, 2))],
                           {source.path: source}) from None


def _check_json(source: SourceFile) -> Any:
    """Reads JSON with JSON's own reader, reporting syntax errors at JSON's positions (YAML's parser is laxer)."""
    try:
        return json.loads(source.text, parse_constant=_no_constant)
    except ValueError as e:
        if not isinstance(e, json.JSONDecodeError):
            code = "E104" if "digits" in str(e) else "E101"  # huge integers vs NaN/Infinity
            raise CompileError([Diagnostic(code, f"invalid JSON: {e}", Span(source.path, 1, 1, 1, 2))],
                               {source.path: source}) from None
        raise CompileError([Diagnostic("E101", f"invalid JSON: {e.msg}",
                                       Span(source.path, e.lineno, e.colno, e.lineno, e.colno + 1))],
                           {source.path: source}) from None
    except json.JSONDecodeError as e:
        span = Span(source.path, e.lineno, e.colno, e.lineno, e.colno + 1)
        raise CompileError([Diagnostic("E101", f"invalid JSON: {e.msg}", span)], {source.path: source}) from None
    except RecursionError:
        raise CompileError([Diagnostic("E104", f"the document nests deeper than {MAX_DEPTH} levels",
                                       Span(source.path, 1, 1, 1, 2))], {source.path: source}) from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _compose(source: SourceFile, text: str, colmap: dict[int, list[int]]) -> Document:
    file = source.path
    spans: dict[Path, Span] = {}
    key_spans: dict[Path, Span] = {}
    anchors: dict[str, tuple[Any, int]] = {}
    errors: list[Diagnostic] = []
    stack: list[_Frame] = []
    root: Any = None
    have_root = False
    total = 0
    docs = 0

    def fail(code: str, msg: str, span: Span) -> None:
        raise CompileError([*errors, Diagnostic(code, msg, span)], {file: source})

    def place(value: Any, span: Span, size: int) -> None:
        """Puts a finished value into the enclosing container (or makes it the root)."""
        nonlocal root, have_root, total
        total += size
        if total > MAX_NODES:
            fail("E104", f"the document expands to more than {MAX_NODES} values (aliases included)", span)
        if not stack:
            root, have_root = value, True
            spans[()] = span
            return
        top = stack[-1]
        top.size += size
        if isinstance(top.container, list):
            path = top.path + (len(top.container),)
            top.container.append(value)
            spans[path] = span
            return
        if top.key is _NO_KEY:  # this value is a key
            if isinstance(value, (dict, list)):
                fail("E101", "a mapping key must be a plain value, not a mapping or a list", span)
            key = value if isinstance(value, str) else str(value)
            if key in top.container:
                first = key_spans.get(top.path + (key,))
                errors.append(Diagnostic(
                    "E102", f"duplicate key '{key}'" + (f" (first defined at {first})" if first else ""), span,
                    path=top.path + (key,)))
                key = _DuplicateKey(key)
            top.key, top.key_span = key, span
            return
        key = top.key
        top.key = _NO_KEY
        if isinstance(key, _DuplicateKey):
            return
        path = top.path + (key,)
        top.container[key] = value
        spans[path] = span
        key_spans[path] = top.key_span

    loader = _Loader(text)
    try:
        while True:
            ev = loader.get_event()
            if ev is None:
                break
            kind = type(ev)
            if kind is yaml.ScalarEvent:
                span = _span(file, ev.start_mark, ev.end_mark, colmap)
                if ev.tag is not None and ev.tag not in _ALLOWED_TAGS:
                    fail("E103", f"YAML tags are not allowed (found '{ev.tag}'); specs are plain data", span)
                if ev.implicit[0] and ev.tag is None and not (stack and _is_key_pos(stack[-1])):
                    try:
                        value = resolve_plain(ev.value)
                    except ValueError as e:
                        fail("E104", str(e), span)
                else:
                    value = ev.value
                if ev.anchor:
                    anchors[ev.anchor] = (value, 1)
                place(value, span, 1)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                span = _span(file, ev.start_mark, ev.end_mark, colmap)
                if ev.tag is not None and ev.tag not in _ALLOWED_TAGS:
                    fail("E103", f"YAML tags are not allowed (found '{ev.tag}'); specs are plain data", span)
                if len(stack) >= MAX_DEPTH:
                    fail("E104", f"the document nests deeper than {MAX_DEPTH} levels", span)
                if stack and isinstance(stack[-1].container, dict) and stack[-1].key is _NO_KEY:
                    fail("E101", "a mapping key must be a plain value, not a mapping or a list", span)
                path = _child_path(stack)
                container: Any = {} if kind is yaml.MappingStartEvent else []
                stack.append(_Frame(container, path, ev.start_mark, ev.anchor))
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                fr = stack.pop()
                span = _span(file, fr.start, ev.end_mark, colmap)
                if fr.anchor:
                    anchors[fr.anchor] = (fr.container, fr.size)
                # size already counted for children; count the container itself once
                place(fr.container, span, 1)
                if stack:
                    stack[-1].size += fr.size - 1
            elif kind is yaml.AliasEvent:
                span = _span(file, ev.start_mark, ev.end_mark, colmap)
                if ev.anchor not in anchors:
                    fail("E101", f"unknown alias '*{ev.anchor}'", span)
                value, size = anchors[ev.anchor]
                place(value, span, size)
            elif kind is yaml.DocumentStartEvent:
                docs += 1
                if docs > 1:
                    fail("E101", "a spec file holds one YAML document; found a second '---'",
                         _span(file, ev.start_mark, ev.end_mark, colmap))
    finally:
        loader.dispose()
    if errors:
        raise CompileError(errors, {file: source})
    if not have_root:
        root = None
        spans[()] = Span(file, 1, 1, 1, 1)
    return Document(source, root, spans, key_spans)


class _DuplicateKey(str):
    """Marks a duplicate key so that its value is dropped (the error is already recorded)."""


def _is_key_pos(fr: _Frame) -> bool:
    return isinstance(fr.container, dict) and fr.key is _NO_KEY


def _child_path(stack: list[_Frame]) -> Path:
    if not stack:
        return ()
    top = stack[-1]
    if isinstance(top.container, list):
        return top.path + (len(top.container),)
    key = top.key
    return top.path + ((str(key) if not isinstance(key, _DuplicateKey) else "<duplicate>"),)
