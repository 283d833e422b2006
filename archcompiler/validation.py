"""Pydantic's validation errors as diagnostics: each at the file:line:col of the value it is about.

Loading (the spec file against :class:`~archcompiler.spec.SpecFile`) and expansion (a layer's evaluated arguments
against its parameter model) both validate with pydantic; :func:`pydantic_diagnostics` turns what pydantic reports
into archc's diagnostics for both, with "did you mean" for unknown keys and one message per place.
"""

from __future__ import annotations

import re
import typing
from typing import Any

import pydantic

from .diagnostics import Diagnostic, did_you_mean
from .expressions import short_repr
from .parse import Document

__all__ = ["pydantic_diagnostics", "real_loc", "is_tag", "fields_at"]


def pydantic_diagnostics(err: pydantic.ValidationError, doc: Document, base: tuple, model: type,
                         prefix: tuple = ()) -> list[Diagnostic]:
    """Turns pydantic's errors into diagnostics at the right file:line:col, with "did you mean" for unknown keys.

    Args:
        err: what validating the data at ``base`` in ``doc`` against ``model`` raised.
        doc: the document the data was written in.
        base: the path of the validated data inside ``doc``.
        model: the pydantic model it was validated against (for the keys allowed at each place).
        prefix: the keys that name the validated value in messages (``("training",)`` for that section, validated
            on its own), before the keys of the place inside it.
    """
    out = []
    errors = err.errors(include_url=False)
    # A value that fits no member of a union gets one error per member: keep the most telling one per place.
    rank = {"literal_error": 0, "enum": 0, "missing": 1, "extra_forbidden": 1}
    best: dict[tuple, dict] = {}
    data = _data_at(doc.data, base)
    locs = [real_loc(e["loc"], data) for e in errors]
    for e, loc in zip(errors, locs):
        if loc not in best or rank.get(e["type"], 2) < rank.get(best[loc]["type"], 2):
            best[loc] = e
    for e, loc in zip(errors, locs):
        if best.get(loc) is not e:
            continue
        path = base + loc
        kind = e["type"]
        named = prefix + loc
        key = named[-1] if named else None
        label = ".".join(str(x) for x in named if isinstance(x, str)) or "value"
        if kind == "extra_forbidden":
            known = fields_at(model, loc[:-1])
            hint = did_you_mean(str(key), known) or (f"allowed keys: {', '.join(known)}" if known else None)
            if key == "<<":
                hint = "YAML merge keys are not supported; share values with parameters or blocks"
            out.append(Diagnostic("E200", f"unknown key '{key}'", doc.span(path, key=True), path=path, hint=hint))
        elif kind == "missing" and isinstance(key, int):  # a tuple with too few items
            where = ".".join(str(x) for x in named[:-1] if isinstance(x, str)) or "value"
            out.append(Diagnostic("E201", f"{where}: expected more items (item {key} is missing)",
                                  doc.span(path[:-1]), path=path[:-1]))
        elif kind == "missing":
            out.append(Diagnostic("E202", f"missing required key '{key}'", doc.span(path[:-1]), path=path))
        else:
            msg = e["msg"]
            msg = msg[0].lower() + msg[1:] if msg else "invalid value"
            received = short_repr(e.get("input"))
            hint = None
            if kind in ("literal_error", "enum"):
                choices = re.findall(r"'([^']*)'", str((e.get("ctx") or {}).get("expected", "")))
                if len(choices) > 8:
                    msg = f"expected one of {len(choices)} names ({', '.join(choices[:4])}, ...)"
                hint = did_you_mean(str(e.get("input")), choices) if isinstance(e.get("input"), str) else None
            if kind == "value_error":  # our own checks: their message says what was expected and received
                text = str((e.get("ctx") or {}).get("error", msg))
                out.append(Diagnostic("E201", f"{label}: {text}" if loc else text, doc.span(path), path=path))
                continue
            given = f"{key}={received}" if isinstance(key, str) else received  # list items have no name
            out.append(Diagnostic("E201", f"{label}: {msg}. Received: {given}", doc.span(path), path=path, hint=hint))
    return out


_TAGS = {"ParamDecl", "int", "float", "bool", "str", "none", "list", "str-enum", "constrained-str", "any"}


def is_tag(x: Any) -> bool:
    """True for the segments pydantic adds to an error's location for union members (not keys of the spec)."""
    return isinstance(x, str) and (x.startswith(("function-", "literal[")) or "[" in x or x in _TAGS)


_MISSING = object()


def _data_at(data: Any, path: tuple) -> Any:
    """The value at ``path`` inside ``data``, or a marker when there is none."""
    for p in path:
        if isinstance(data, dict) and p in data or isinstance(data, list) and isinstance(p, int) and \
                -len(data) <= p < len(data):
            data = data[p]
        else:
            return _MISSING
    return data


def real_loc(loc: tuple, data: Any) -> tuple:
    """The keys and indexes of a pydantic error location, without the segments it adds for union members.

    The spec's data decides: a segment that is a key of the mapping at that point is a key, even when it reads like
    a union member's tag (a key named ``int``, ``str`` or ``list``); otherwise tags are recognised by their form.
    """
    out = []
    node = data
    for seg in loc:
        if isinstance(node, dict) and seg in node:
            out.append(seg)
            node = node[seg]
        elif isinstance(node, list) and isinstance(seg, int):
            out.append(seg)
            node = node[seg] if -len(node) <= seg < len(node) else _MISSING
        elif seg in ("args", "name") and isinstance(node, dict) and len(node) == 1:
            # ``{random_normal: {stddev: -1}}`` is read as ``{name: random_normal, args: {stddev: -1}}``
            (key, value), = node.items()
            if seg == "name":  # the name is wrong: the error belongs to the whole mapping
                node = _MISSING
                continue
            out.append(key)
            node = value
        elif is_tag(seg):
            continue
        else:
            out.append(seg)
            node = _MISSING
    return tuple(out)


def fields_at(model: Any, loc: tuple) -> list[str]:
    """The keys allowed at ``loc`` inside ``model`` (walking through dicts, lists, Optional and unions)."""
    cur: Any = model
    for step in loc:
        cur = _unwrap(cur)
        if isinstance(cur, type) and issubclass(cur, pydantic.BaseModel):
            f = next((f for n, f in cur.model_fields.items() if (f.alias or n) == step or n == step), None)
            if f is None:
                return []
            cur = f.annotation
        elif typing.get_origin(cur) in (dict, list):
            cur = typing.get_args(cur)[-1]
        else:
            return []
    cur = _unwrap(cur)
    if isinstance(cur, type) and issubclass(cur, pydantic.BaseModel):
        return [f.alias or n for n, f in cur.model_fields.items()]
    return []


def _unwrap(t: Any) -> Any:
    while True:
        origin = typing.get_origin(t)
        if origin is typing.Annotated:
            t = typing.get_args(t)[0]
        elif origin is typing.Union or str(origin) == "types.UnionType":
            models = [a for a in typing.get_args(t) if isinstance(a, type) and issubclass(a, pydantic.BaseModel)]
            if not models:
                return t
            t = models[0]
        else:
            return t
