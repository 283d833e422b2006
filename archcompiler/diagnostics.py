"""Diagnostics: the error-code catalogue, the Diagnostic record, CompileError and the text/JSON renderers."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from .source import SourceFile, Span, snippet

#: Every error code archc can report, with a one-line title. One place: tests check each code is documented.
CODES: dict[str, str] = {
    "E100": "cannot read the spec file",
    "E101": "syntax error in YAML or JSON",
    "E102": "duplicate key",
    "E103": "tags are not allowed",
    "E104": "input exceeds a size or nesting limit",
    "E105": "an expression that YAML cannot read unquoted",
    "E106": "not an archc spec",
    "E200": "unknown key",
    "E201": "invalid value",
    "E202": "missing required key",
    "E203": "unknown layer or block type",
    "E210": "cannot import or extend a spec",
    "E211": "import or extends cycle",
    "E300": "syntax error in an expression",
    "E301": "unknown variable in an expression",
    "E302": "cannot evaluate an expression",
    "E310": "invalid block parameter",
    "E311": "recursive block",
    "E312": "expansion exceeds a limit",
    "E320": "unknown reference",
    "E321": "invalid or duplicate layer name",
    "E322": "wrong number of inputs",
    "E325": "unknown or missing named input",
    "E330": "invalid --set override",
    "E400": "shape error",
    "E401": "incompatible shapes at a merge",
    "E402": "spatial dimension below 1",
    "E403": "layer output is never used",
    "E410": "the model exceeds a size ceiling",
    "E500": "expectation does not hold",
    "E600": "unknown output name in the training section",
    "E601": "training values do not match the model's outputs",
    "E602": "a loss or metric that does not fit its output",
    "E700": "Keras rejected a layer",
    "E800": "a layer plugin cannot be used",
}


@dataclass(frozen=True, slots=True)
class Frame:
    """One block expansion on the way to an error: the block's name, the instance name and the call's span."""

    block: str
    instance: str
    span: Span | None

    def __str__(self) -> str:
        where = f" at {self.span}" if self.span else ""
        return f"in block '{self.block}' (instance '{self.instance}'){where}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in a spec: what, where, and through which block expansions."""

    code: str
    message: str
    span: Span | None = None
    path: tuple[str | int, ...] = ()
    chain: tuple[Frame, ...] = ()
    hint: str | None = None
    severity: str = "error"  # always "error": every diagnostic fails the run (kept in reports as "severity")

    def sort_key(self) -> tuple:
        s = self.span
        return (s.file, s.line, s.col, self.code, self.message) if s else ("", 0, 0, self.code, self.message)

    def as_dict(self) -> dict:
        """Returns a JSON-ready dict with stable keys."""
        s = self.span
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "file": s.file if s else None,
            "line": s.line if s else None,
            "col": s.col if s else None,
            "end_line": s.end_line if s else None,
            "end_col": s.end_col if s else None,
            "path": format_path(self.path),
            "chain": [{"block": f.block, "instance": f.instance, "at": str(f.span) if f.span else None}
                      for f in self.chain],
            "hint": self.hint,
        }


class UsageError(Exception):
    """A problem with the command line, the file system or a missing tool, not with a spec (exit code 2)."""


class CompileError(Exception):
    """Raised by the compiler with every independent diagnostic found; never a bare traceback for user input."""

    def __init__(self, diagnostics: Sequence[Diagnostic], sources: dict[str, SourceFile] | None = None):
        self.diagnostics = tuple(sorted(dedupe(diagnostics), key=Diagnostic.sort_key))
        self.sources = dict(sources or {})
        first = self.diagnostics[0] if self.diagnostics else None
        super().__init__(f"{len(self.diagnostics)} error(s); first: {first.message if first else '?'}")

    def render(self, color: bool = False) -> str:
        """Renders all diagnostics as text, with source snippets."""
        return "\n".join(render_text(d, self.sources.get(d.span.file) if d.span else None, color)
                         for d in self.diagnostics)


def dedupe(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Drops exact repeats (the same error reached twice), keeping the first occurrence's order."""
    seen: set = set()
    out = []
    for d in diags:
        key = (d.code, d.message, d.span)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def format_path(path: Sequence[str | int]) -> str:
    """Formats a path inside the spec as ``model.layers[3].Conv2D.filters``."""
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """Returns "did you mean 'x'?" for the closest choice, or None."""
    choices = list(choices)
    m = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not m:
        lower = {c.lower(): c for c in choices}
        m = [lower[word.lower()]] if word.lower() in lower else []
    return f"did you mean '{m[0]}'?" if m else None


def render_text(d: Diagnostic, source: SourceFile | None = None, color: bool = False) -> str:
    """Renders one diagnostic: ``file:line:col: error[E201]: message``, the source line, a caret, the chain."""
    where = f"{d.span}: " if d.span else ""
    sev = d.severity
    if color:
        sev = f"\033[1;31m{sev}\033[0m" if sev == "error" else f"\033[1;33m{sev}\033[0m"
    lines = [f"{where}{sev}[{d.code}]: {d.message}"]
    if d.path:
        lines.append(f"  at {format_path(d.path)}")
    snip = snippet(source, d.span)
    if snip:
        lines.append(snip)
    for f in reversed(d.chain):
        lines.append(f"  {f}")
    if d.hint:
        lines.append(f"  hint: {d.hint}")
    return "\n".join(lines)


def render_json(diags: Sequence[Diagnostic]) -> str:
    """Renders diagnostics as a JSON array."""
    return json.dumps([d.as_dict() for d in diags], indent=2)


def escape_data(text: str) -> str:
    """Escapes the message of a GitHub Actions workflow command (``%``, CR and LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escapes a property value of a workflow command: as :func:`escape_data`, and ``:`` and ``,`` too."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(diags: Sequence[Diagnostic], default_file: str | None = None) -> str:
    """Renders diagnostics as GitHub Actions workflow commands (annotations on the pull request).

    Each is ``::error file=F,line=L,col=C,endLine=L2,endColumn=C2,title=CODE title::message``, the hint on a
    second line of the message; a diagnostic without a position is placed on ``default_file`` when given.
    """
    out = []
    for d in diags:
        s = d.span
        if s:
            props = [f"file={escape_property(s.file)}", f"line={s.line}", f"col={s.col}",
                     f"endLine={s.end_line}", f"endColumn={s.end_col}"]
        else:
            props = [f"file={escape_property(default_file)}"] if default_file else []
        title = f"{d.code} {CODES[d.code]}" if d.code in CODES else d.code
        props.append(f"title={escape_property(title)}")
        msg = d.message + (f"\nhint: {d.hint}" if d.hint else "")
        out.append(f"::{d.severity} {','.join(props)}::{escape_data(msg)}")
    return "\n".join(out)


@dataclass
class Collector:
    """Accumulates diagnostics during a stage so that all independent errors are reported at once."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, code: str, message: str, span: Span | None = None, **kw) -> None:
        assert code in CODES, code
        self.items.append(Diagnostic(code, message, span, **kw))

    def __bool__(self) -> bool:
        return bool(self.items)
