"""The output formats of ``archc validate``, as one table: format name -> reporter class.

A reporter turns the per-file results of a run into text and never prints: :meth:`Reporter.file` is called for each
file in command-line order as its result arrives, :meth:`Reporter.end` once at the end; both return a list of
``(stream, text)`` pieces, ``stream`` being ``"stdout"`` or ``"stderr"``, which the command line writes out. The same
results give the same text, byte for byte, whatever the number of worker processes (only the JSON report's
``milliseconds`` and the text format's final "(N ms)" are timings).
"""

from __future__ import annotations

import json
import os
import urllib.parse
from dataclasses import dataclass, field
from importlib import resources
from typing import ClassVar, Sequence

from . import __version__
from .diagnostics import CODES, Diagnostic, render_github, render_text
from .source import SourceFile

#: The version of the JSON report's layout (``archc validate --format json``); see report_schema().
REPORT_VERSION = 1
#: Where archc's documentation lives (SARIF's informationUri and each rule's helpUri point there).
DOCS_URI = "https://archc.dev/docs/"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

Output = tuple[str, str]


@dataclass(frozen=True)
class FileResult:
    """What validating one file found (made in a worker process, so plain picklable data).

    status: ``"ok"``, ``"error"`` or ``"skipped"`` (not a spec: no top-level ``archspec`` key).
    kind: ``"model"`` or ``"library"`` (a file of blocks only) for a spec that was read; None otherwise.
    layers, params, flops: a model's size (flops None when a dimension is unknown); blocks: a library's block count.
    diagnostics: every error found (sorted); sources: the text of the files they point into, for snippets.
    exit_code: 0, 1 (errors in the spec) or 2 (the file cannot be read).
    """

    path: str
    status: str
    kind: str | None = None
    layers: int | None = None
    params: int | None = None
    flops: int | None = None
    blocks: int | None = None
    diagnostics: tuple[Diagnostic, ...] = ()
    sources: dict[str, SourceFile] = field(default_factory=dict)
    exit_code: int = 0

    def detail(self) -> str:
        """The text after ``ok  PATH: `` for a valid spec."""
        if self.kind == "library":
            return f"block library ({self.blocks} blocks)"
        flops = f"{self.flops:,} FLOPs" if self.flops is not None else "FLOPs unknown (a dimension is None)"
        return f"{self.layers} layers, {self.params:,} params, {flops}"


def _checked(results: Sequence[FileResult]) -> list[FileResult]:
    return [r for r in results if r.status != "skipped"]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class Reporter:
    """Base of the reporters: no output unless a method says otherwise."""

    name: ClassVar[str] = ""
    help: ClassVar[str] = ""

    def __init__(self, *, color: bool = False, quiet: bool = False):
        self.color = color
        self.quiet = quiet

    def file(self, result: FileResult) -> list[Output]:
        """The output for one file, written as soon as the file is done."""
        return []

    def end(self, results: Sequence[FileResult], milliseconds: float) -> list[Output]:
        """The output after the last file."""
        return []


class TextReporter(Reporter):
    name = "text"
    help = "text (default): one line per valid spec on stdout, errors with source snippets on stderr"

    def file(self, result: FileResult) -> list[Output]:
        if result.status == "ok":
            return [] if self.quiet else [("stdout", f"ok  {result.path}: {result.detail()}\n")]
        if result.status == "error":
            text = "\n".join(render_text(d, result.sources.get(d.span.file) if d.span else None, self.color)
                             for d in result.diagnostics)
            return [("stderr", f"{text}\n{_plural(len(result.diagnostics), 'error')}\n")]
        return []

    def end(self, results: Sequence[FileResult], milliseconds: float) -> list[Output]:
        if self.quiet:
            return []
        checked = _checked(results)
        valid = sum(r.status == "ok" for r in checked)
        skipped = len(results) - len(checked)
        note = f", {_plural(skipped, 'other file')} skipped" if skipped else ""
        stream = "stdout" if valid == len(checked) else "stderr"
        head = f"{valid}/{_plural(len(checked), 'spec')} valid" if checked else "no specs found"
        return [(stream, f"{head}{note} ({milliseconds:.0f} ms)\n")]


class JsonReporter(Reporter):
    name = "json"
    help = "json: one report on stdout (layout: report_schema(), docs/cli.md)"

    def end(self, results: Sequence[FileResult], milliseconds: float) -> list[Output]:
        return [("stdout", json.dumps(report(results, milliseconds), indent=2) + "\n")]


class GithubReporter(Reporter):
    name = "github"
    help = "github: GitHub Actions workflow commands (annotations on the pull request)"

    def file(self, result: FileResult) -> list[Output]:
        if result.status != "error":
            return []
        return [("stdout", render_github(result.diagnostics, default_file=result.path) + "\n")]


class SarifReporter(Reporter):
    name = "sarif"
    help = "sarif: a SARIF 2.1.0 log on stdout (for code scanning)"

    def end(self, results: Sequence[FileResult], milliseconds: float) -> list[Output]:
        return [("stdout", json.dumps(sarif_log(results), indent=2) + "\n")]


#: Every output format of ``archc validate``: name -> reporter class.
REPORTERS: dict[str, type[Reporter]] = {r.name: r for r in (TextReporter, JsonReporter, GithubReporter,
                                                             SarifReporter)}


# ---------------------------------------------------------------------------------------------------------------
# the JSON report
# ---------------------------------------------------------------------------------------------------------------

def report(results: Sequence[FileResult], milliseconds: float) -> dict:
    """The JSON report (version :data:`REPORT_VERSION`), as described by :func:`report_schema`."""
    checked = _checked(results)
    return {
        "version": REPORT_VERSION,
        "archc": __version__,
        "files": len(checked),
        "valid": sum(r.status == "ok" for r in checked),
        "skipped": len(results) - len(checked),
        "results": [{"file": r.path, "status": r.status, "kind": r.kind, "layers": r.layers, "params": r.params,
                     "flops": r.flops, "blocks": r.blocks, "errors": len(r.diagnostics)} for r in checked],
        "diagnostics": [d.as_dict() for r in checked for d in r.diagnostics],
        "milliseconds": round(milliseconds, 1),
    }


def report_schema() -> dict:
    """The JSON Schema of the JSON report, shipped in the package as ``archcompiler/data/report.schema.json``."""
    text = resources.files("archcompiler").joinpath("data/report.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


# ---------------------------------------------------------------------------------------------------------------
# SARIF 2.1.0
# ---------------------------------------------------------------------------------------------------------------

def artifact_uri(path: str) -> str:
    """A file's SARIF artifact URI: relative to the working directory, ``/``-separated and percent-escaped."""
    if os.path.isabs(path):
        try:
            path = os.path.relpath(path)
        except ValueError:  # pragma: no cover (another drive on Windows)
            pass
    return urllib.parse.quote(path.replace(os.sep, "/"), safe="/")


def _location(file: str, span: object | None = None, text: str | None = None) -> dict:
    phys: dict = {"artifactLocation": {"uri": artifact_uri(file)}}
    if span is not None:
        phys["region"] = {"startLine": span.line, "startColumn": span.col,  # type: ignore[attr-defined]
                          "endLine": span.end_line, "endColumn": span.end_col}  # type: ignore[attr-defined]
    loc: dict = {"physicalLocation": phys}
    if text:
        loc["message"] = {"text": text}
    return loc


def _sarif_result(d: Diagnostic, default_file: str, rule_index: dict[str, int]) -> dict:
    text = d.message
    if d.path:
        from .diagnostics import format_path
        text += f"\nat {format_path(d.path)}"
    if d.hint:
        text += f"\nhint: {d.hint}"
    out: dict = {
        "ruleId": d.code,
        "ruleIndex": rule_index[d.code],
        "level": "error",
        "message": {"text": text},
        "locations": [_location(d.span.file, d.span) if d.span else _location(default_file)],
    }
    related = [_location(f.span.file, f.span, f"in block '{f.block}' (instance '{f.instance}')") | {"id": i}
               for i, f in enumerate(reversed(d.chain)) if f.span is not None]
    if related:
        out["relatedLocations"] = related
    return out


def sarif_rules() -> list[dict]:
    """One SARIF reportingDescriptor per error code, in code order."""
    return [{
        "id": code,
        "name": "".join(w.capitalize() for w in title.replace("-", " ").split() if w.isalnum()) or code,
        "shortDescription": {"text": title},
        "helpUri": f"{DOCS_URI}errors.md",
        "help": {"text": f"{code} ({title}): see docs/errors.md for its typical causes and fixes.",
                 "markdown": f"**{code}** {title}: see [docs/errors.md]({DOCS_URI}errors.md) for its typical "
                             "causes and fixes."},
        "defaultConfiguration": {"level": "error"},
    } for code, title in sorted(CODES.items())]


def sarif_log(results: Sequence[FileResult]) -> dict:
    """The SARIF 2.1.0 log of a run: one run, archc as the tool, one result per diagnostic."""
    rules = sarif_rules()
    index = {r["id"]: i for i, r in enumerate(rules)}
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "archc", "version": __version__, "semanticVersion": __version__,
                                "informationUri": DOCS_URI, "rules": rules}},
            "columnKind": "unicodeCodePoints",
            "results": [_sarif_result(d, r.path, index) for r in results for d in r.diagnostics],
        }],
    }


__all__ = ["FileResult", "Reporter", "REPORTERS", "REPORT_VERSION", "report", "report_schema", "sarif_log",
           "sarif_rules", "artifact_uri"]
