"""Finding spec files: the paths named on a command line, directories searched recursively, and the ``archspec:``
test that tells a spec from any other YAML or JSON file.

A file is a spec when its top-level mapping has the ``archspec`` key. The test parses the file (no guessing from
the text), except for the shortcut that a file without the word ``archspec`` (and without a backslash, through which
a quoted key could spell it) cannot have that key.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .diagnostics import CompileError, Diagnostic
from .source import Span

#: The file name endings searched for in directories.
SPEC_SUFFIXES = (".yaml", ".yml", ".json")
#: Directories never searched (besides hidden ones, whose names start with a dot, and virtual environments).
SKIPPED_DIRS = frozenset({"node_modules", "__pycache__"})

#: ``archspec:`` as a top-level key, for files that do not parse: a broken file with such a line is reported.
_TOP_KEY_YAML = re.compile(r"""^(?:\{[ \t]*)?["']?archspec["']?[ \t]*:""", re.M)
_TOP_KEY_JSON = re.compile(r"""^[ \t]*\{?[ \t]*"archspec"[ \t]*:""", re.M)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A file to validate: its path as shown in messages, and whether it was named on the command line."""

    path: str
    explicit: bool


def expand_paths(paths: Iterable[str]) -> list[Candidate]:
    """The files named in ``paths`` (in their order) and the ``.yaml``/``.yml``/``.json`` files below the
    directories named, sorted by path within each directory.

    Hidden directories and files (a name starting with ``.``: ``.git``, ``.venv``), ``node_modules``,
    ``__pycache__`` and virtual environments (a directory holding ``pyvenv.cfg``) are not searched. Symbolic links
    to directories are followed, each directory at most once, so a link loop ends. Only regular files are taken from
    directories (no FIFOs, devices, sockets or dangling links). A file reached twice is listed once; named
    explicitly once is enough for it to count as named.
    """
    out: list[Candidate] = []
    index: dict[str, int] = {}

    def add(path: str, explicit: bool) -> None:
        key = os.path.normpath(path)
        if key in index:
            if explicit and not out[index[key]].explicit:
                out[index[key]] = Candidate(out[index[key]].path, True)
            return
        index[key] = len(out)
        out.append(Candidate(path, explicit))

    for p in paths:
        if os.path.isdir(p):
            for f in _walk(p):
                add(f, False)
        else:
            add(p, True)
    return out


def _walk(top: str) -> list[str]:
    """The spec-suffixed files below ``top``, depth first in sorted order; see :func:`expand_paths`."""
    seen: set[tuple[int, int]] = set()
    found: list[str] = []

    def visit(d: str) -> None:
        try:
            st = os.stat(d)
        except OSError:
            return
        if (st.st_dev, st.st_ino) in seen:
            return
        seen.add((st.st_dev, st.st_ino))
        try:
            with os.scandir(d) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            return
        if any(e.name == "pyvenv.cfg" for e in entries) and d != top:
            return
        for e in entries:
            if e.name.startswith("."):
                continue
            path = os.path.normpath(os.path.join(d, e.name))
            try:
                is_dir, is_file = e.is_dir(), e.is_file()  # both follow symbolic links
            except OSError:
                continue
            if is_dir:
                if e.name not in SKIPPED_DIRS:
                    visit(path)
            elif is_file and e.name.endswith(SPEC_SUFFIXES):  # regular files only: no FIFOs, devices, sockets
                found.append(path)

    visit(top)
    return found


def may_be_spec(data: bytes) -> bool:
    """False when the bytes of a file cannot hold an ``archspec`` key; True means "parse it to know"."""
    return b"archspec" in data or b"\\" in data


def has_archspec_key(data: object) -> bool:
    """Whether parsed spec data is a mapping with the top-level ``archspec`` key."""
    return isinstance(data, dict) and "archspec" in data


def looks_like_broken_spec(path: str, text: str) -> bool:
    """For a file that does not parse: whether a line starts with ``archspec:``, so the file is meant as a spec."""
    text = text.lstrip("\ufeff")
    pattern = _TOP_KEY_JSON if path.endswith(".json") else _TOP_KEY_YAML
    return pattern.search(text) is not None


def not_a_spec(path: str, data: object, span: Span | None) -> Diagnostic:
    """The E106 diagnostic for a file named explicitly that parses but has no top-level ``archspec`` key."""
    if isinstance(data, dict):
        why = "its top-level mapping has no 'archspec' key"
    elif data is None:
        why = "the file is empty"
    else:
        kind = {list: "a list", str: "a string"}.get(type(data), f"a {type(data).__name__}")
        why = f"the file holds {kind}, not a mapping with an 'archspec' key"
    return Diagnostic("E106", f"not an archc spec: {why}", span or Span(path, 1, 1, 1, 2),
                      hint="a spec file starts with 'archspec: 1'; add it if this is a spec, or pass --specs-only "
                           "to skip the files that are not specs")


def check_spec_file(path: str | Path) -> None:
    """Reads and parses ``path``; raises CompileError with E106 when it is not a spec (or with its syntax error).

    ``archc validate`` makes the same check for every file named on its command line.
    """
    from .load import read_source
    from .parse import parse

    shown = str(path)
    source = read_source(path, shown)
    doc = parse(source)
    if not has_archspec_key(doc.data):
        raise CompileError([not_a_spec(shown, doc.data, doc.span(()))], {shown: source})


__all__ = ["Candidate", "SPEC_SUFFIXES", "expand_paths", "may_be_spec", "has_archspec_key",
           "looks_like_broken_spec", "not_a_spec", "check_spec_file"]
