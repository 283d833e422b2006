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
from .fmt import find_unquoted, fixed_line, quote_unquoted
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


def _span(file: str, start: Any, end: Any) -> Span:
    return Span(file, start.line + 1, start.column + 1, end.line + 1, end.column + 1)


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
    """Parses YAML 1.2 (or JSON, which is YAML 1.2) into a :class:`Document`.

    The text is read as written: what archc reads, every other YAML tool reads the same way. An unquoted
    ``${...}`` that YAML cannot read gets its own diagnostic (E105) with the fixed line.

    Raises:
        CompileError: with E101 (syntax), E102 (duplicate key), E103 (tag), E104 (limits) or E105 (an expression
            that needs quotes), at their positions.
    """
    is_json = source.path.endswith(".json")
    json_data = _check_json(source) if is_json else None
    _check_depth(source)
    try:
        doc = _compose(source, source.text)
        # JSON's own reader is authoritative for JSON values (escapes YAML reads differently); YAML gives positions.
        return Document(source, json_data, doc.spans, doc.key_spans) if is_json else doc
    except CompileError:
        raise
    except yaml.YAMLError as e:
        if is_json:  # valid JSON that YAML cannot read (e.g. surrogate-pair escapes): no positions inside
            return Document(source, json_data, {(): Span(source.path, 1, 1, 1, 2)})
        raise CompileError(_explain_yaml_error(source, e), {source.path: source}) from None


def _yaml_error(source: SourceFile, e: yaml.YAMLError) -> Diagnostic:
    """The E101 (or, for libyaml's own nesting limit, E104) diagnostic of a YAML error."""
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    span = _span(source.path, mark, mark) if mark else Span(source.path, 1, 1, 1, 2)
    if "maximum nesting depth" in str(e):  # some libyaml builds have a limit of their own: same code as ours
        return Diagnostic("E104", f"the document nests deeper than {MAX_DEPTH} levels", span)
    if isinstance(e, yaml.MarkedYAMLError):
        msg = " ".join(x for x in (e.context, e.problem) if x) or "invalid YAML"
    else:
        msg = str(e)
    return Diagnostic("E101", f"invalid YAML: {msg}", span)


def _explain_yaml_error(source: SourceFile, e: yaml.YAMLError) -> list[Diagnostic]:
    """Explains a YAML syntax error: every unquoted ``${...}`` that YAML cannot read (E105, with the fixed line),
    and the syntax error itself unless those explain it."""
    first = _yaml_error(source, e)
    edits = find_unquoted(source.text)
    if not edits:
        return [first]
    diags = []
    for ed in edits:
        span = Span(source.path, ed.line, ed.col, ed.line, ed.end_col)
        why = ("inside {...} or [...], YAML reads '{' and '}' as brackets" if ed.in_flow
               else "YAML reads ': ' as a key and ' #' as a comment")
        fixed = fixed_line(source.text, ed.line).strip()
        diags.append(Diagnostic(
            "E105", f"the expression {ed.text!r} must be quoted: {why}", span,
            hint=f"quote it: {fixed}  ('archc fmt {source.path}' quotes every one)"))
    # Does quoting them leave another syntax error? Report it too, where its position is still the file's.
    fixed_text, _ = quote_unquoted(source.text)
    edited = {ed.line for ed in edits}
    try:
        _compose(SourceFile(source.path, fixed_text), fixed_text)
    except yaml.YAMLError as e2:
        d = _yaml_error(source, e2)
        if d.span is not None and d.span.line not in edited:
            diags.append(d)
    except CompileError as e2:
        diags.extend(d for d in e2.diagnostics if d.span is not None and d.span.line not in edited)
    return diags


def _check_depth(source: SourceFile) -> None:
    """Refuses flow collections nested deeper than MAX_DEPTH before any YAML reader sees the text.

    libyaml reads ahead through runs of brackets, and some builds stop at a limit of their own; checking first
    keeps the error (E104) and its limit the same whatever PyYAML build is installed. Linear, and skipped for
    texts with fewer brackets than the limit.
    """
    text = source.text
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    depth = 0
    quote = None
    line, col = 1, 0
    prev = "\n"
    for ch in text:
        col += 1
        if ch == "\n":
            line, col = line + 1, 0
            if quote is None and depth == 0:
                prev = ch
                continue
        if quote:
            if ch == quote and prev != "\\":
                quote = None
        elif ch in "'\"" and prev in " \t\n[{,:-?":
            quote = ch
        elif ch in "[{" and (depth > 0 or prev in " \t\n:-?"):
            depth += 1
            if depth > MAX_DEPTH:
                span = Span(source.path, line, col, line, col + 1)
                raise CompileError([Diagnostic("E104", f"the document nests deeper than {MAX_DEPTH} levels", span)],
                                   {source.path: source})
        elif ch in "]}" and depth > 0:
            depth -= 1
        elif ch == "#" and prev in " \t\n":
            quote = "\n"  # a comment runs to the end of the line
        prev = ch


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


def _compose(source: SourceFile, text: str) -> Document:
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
                span = _span(file, ev.start_mark, ev.end_mark)
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
                span = _span(file, ev.start_mark, ev.end_mark)
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
                span = _span(file, fr.start, ev.end_mark)
                if fr.anchor:
                    anchors[fr.anchor] = (fr.container, fr.size)
                # size already counted for children; count the container itself once
                place(fr.container, span, 1)
                if stack:
                    stack[-1].size += fr.size - 1
            elif kind is yaml.AliasEvent:
                span = _span(file, ev.start_mark, ev.end_mark)
                if ev.anchor not in anchors:
                    fail("E101", f"unknown alias '*{ev.anchor}'", span)
                value, size = anchors[ev.anchor]
                place(value, span, size)
            elif kind is yaml.DocumentStartEvent:
                docs += 1
                if docs > 1:
                    fail("E101", "a spec file holds one YAML document; found a second '---'",
                         _span(file, ev.start_mark, ev.end_mark))
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
