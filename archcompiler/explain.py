"""Provenance: where a layer's arguments and a block instance's parameters got their values (``archc explain``,
``archc summary --explain``).

The compiler's own expansion records nothing of this (it stays as fast as it is): :func:`trace` expands a compiled
spec once more with :class:`Tracer`, an :class:`~archcompiler.expand.Expander` that keeps, for every environment it
makes, an :class:`Origin` per name (the block parameter given at a call, its default, a loop variable, a top-level
parameter's default or its ``--set`` override), each pointing at the origins of the names its own expression read.
It never imports TensorFlow.
"""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping, NamedTuple, Optional

from . import layers as registry
from .diagnostics import did_you_mean
from .entries import BlockCall, Body, ForLoop, LayerCall, Repeat, TypedEntry
from .expand import Expander, Scope, assign_names, bind
from .expressions import string_names, work_budget
from .source import SourceFile, Span, snippet

class Origin(NamedTuple):
    """Where a name of an environment got its value.

    Attributes:
        name: the variable.
        kind: ``argument`` (given at a block call), ``default`` (a block parameter's default), ``param`` (a
            top-level parameter's default), ``set`` (``--set``), ``loop`` (a loop variable), ``instance`` (``name``).
        value: its value.
        span: where the value is written (None for ``--set``).
        written: the text written there (``f1: ${64 * 2**i}``, ``for i in $widths``, ``--set classes=3``).
        owner: whose parameter it is (``block 'residual'``, ``the spec``), or the loop's variable.
        reads: the origins of the variables that text reads.
    """

    name: str
    kind: str
    value: Any
    span: Optional[Span]
    written: str
    owner: str
    reads: tuple["Origin", ...] = ()


class LayerTrace(NamedTuple):
    """A layer as the tracer saw it: its entry, the document it is written in, the origins of its scope's names."""

    call: LayerCall
    doc: Any
    origins: Mapping[str, Origin]


def _names(raw: Any) -> list[str]:
    """The variables a value as written reads (its strings' expressions), in order, each once."""
    if isinstance(raw, str):
        return list(string_names(raw))
    items: Iterable[Any] = raw.values() if isinstance(raw, dict) else raw if isinstance(raw, list) else ()
    return list(dict.fromkeys(n for v in items for n in _names(v)))


def _reads(raw: Any, origins: Mapping[str, Origin]) -> tuple[Origin, ...]:
    return tuple(origins[n] for n in _names(raw) if n in origins)


def written_text(doc: Any, span: Optional[Span]) -> str:
    """The source text of ``span`` (its first line, with ``...`` when it goes on)."""
    if span is None:
        return ""
    line = doc.source.line_text(span.line)
    if span.end_line == span.line:
        return line[span.col - 1:span.end_col - 1]
    return line[span.col - 1:].rstrip() + " ..."


class Tracer(Expander):
    """An expander that records the origin of every name it binds (see the module's docstring)."""

    def __init__(self, spec: Any, overrides: Optional[dict[str, Any]] = None):
        super().__init__(spec, dict(overrides or {}))
        self.env_origins: dict[int, tuple[Mapping[str, Any], Mapping[str, Origin]]] = {}
        self.global_origins: dict[str, Origin] = {}
        self.block_origins: dict[tuple[str, ...], dict[str, Origin]] = {}
        self.layers: dict[int, LayerTrace] = {}
        self._pending: Optional[dict[str, Origin]] = None
        self._call: Optional[BlockCall] = None
        self._loop: Any = None

    def origins_of(self, env: Mapping[str, Any]) -> Mapping[str, Origin]:
        found = self.env_origins.get(id(env))
        return found[1] if found is not None else {}

    def register(self, env: Mapping[str, Any], origins: Mapping[str, Origin]) -> None:
        self.env_origins[id(env)] = (env, origins)  # the env is kept so that its id is not reused

    def bind_globals(self) -> dict[str, Any]:
        env = super().bind_globals()
        self.register(env, self.global_origins)
        return env

    def bind_params(self, decls: dict, given: dict, env: Mapping[str, Any], ctx: Any, owner: str,
                    call_span: Optional[Span]) -> dict[str, Any]:
        out = super().bind_params(decls, given, env, ctx, owner, call_span)
        caller = self.origins_of(ctx.env) if ctx is not None else {}
        raw_args = {k: v for k, v, _ in self._call.args} if ctx is not None and self._call is not None else {}
        origins: dict[str, Origin] = {}
        for name, value in out.items():
            loc = decls[name]
            if name in given and given[name][1] is None:  # --set
                origins[name] = Origin(name, "set", value, None, f"--set {name}={json.dumps(value)}", owner)
            elif name in given:
                _, vdoc, vpath = given[name]
                span = vdoc.span(vpath)
                origins[name] = Origin(name, "argument", value, span, f"{name}: {written_text(vdoc, span)}", owner,
                                       _reads(raw_args.get(name), caller))
            else:
                span = loc.doc.span(loc.path + ("default",))
                seen = {**(self.global_origins if ctx is not None else {}), **origins}
                text = written_text(loc.doc, span)
                origins[name] = Origin(name, "param" if ctx is None else "default", value, span,
                                       f"{name}: {text}" if not text.startswith(name) else text, owner,
                                       _reads(loc.value.default, seen))
        if ctx is None:
            self.global_origins = origins
        else:
            self._pending = origins
        return out

    def expand_call(self, call: BlockCall, scope: Scope) -> None:
        self._call, self._pending = call, None
        super().expand_call(call, scope)

    def expand_body(self, entries: Iterable[TypedEntry], scope: Scope) -> None:
        if id(scope.env) not in self.env_origins and self._pending is not None and scope.chain:
            frame = scope.chain[-1]
            own = {**self._pending,
                   "name": Origin("name", "instance", frame.instance, frame.span, frame.instance,
                                  f"block '{frame.block}'")}
            self.register(scope.env, {**self.global_origins, **own})
            self.block_origins[scope.instance] = self._pending
            self._pending = None
        super().expand_body(entries, scope)

    def expand_for(self, loop: ForLoop, scope: Scope) -> None:
        self._loop = loop
        super().expand_for(loop, scope)

    def expand_repeat(self, loop: Repeat, scope: Scope) -> None:
        self._loop = loop
        super().expand_repeat(loop, scope)

    def iterate(self, var: str, values: Iterable[Any], body: Body, scope: Scope) -> None:
        loop, doc = self._loop, scope.doc
        base = self.origins_of(scope.env)
        if isinstance(loop, ForLoop):
            span = doc.span(loop.path + ("in",))
            text, raw = f"for {var} in {written_text(doc, span)}", loop.values
        else:
            span = doc.span(loop.path + ("repeat",))
            text, raw = f"repeat: {written_text(doc, span)} (var {var})", loop.count
        reads = _reads(raw, base)
        for v in values:
            env = bind(scope.env, {var: v})
            self.register(env, {**base, var: Origin(var, "loop", v, span, text, f"loop variable '{var}'", reads)})
            self.expand_body(body.entries, scope.inner(env))

    def expand_layer(self, call: LayerCall, scope: Scope) -> None:
        n = len(self.drafts)
        super().expand_layer(call, scope)
        if len(self.drafts) > n:
            self.layers[len(self.drafts) - 1] = LayerTrace(call, scope.doc, self.origins_of(scope.env))


class Trace(NamedTuple):
    """A traced expansion: the tracer, and each layer's draft index by its name."""

    tracer: Tracer
    index: dict[str, int]


def trace(comp: Any) -> Trace:
    """Expands a compiled spec again, recording provenance (the spec compiled, so this expansion succeeds)."""
    tracer = Tracer(comp.spec, dict(comp.overrides))
    with work_budget():
        expansion = tracer.expand_model()
    names = assign_names(expansion.drafts)
    return Trace(tracer, {n: k for k, n in enumerate(names)})


# -- values as JSON --------------------------------------------------------------------------------------------------

def jsonable(v: Any) -> Any:
    """A layer argument's value as JSON data."""
    if isinstance(getattr(v, "params", None), registry.LayerParams):  # a wrapper's inner layer
        return {v.op: {k: jsonable(getattr(v.params, k)) for k in v.params.model_fields_set}}
    if hasattr(v, "to_config"):
        v = v.to_config()
    if hasattr(v, "model_dump"):
        v = v.model_dump(mode="json")
    if isinstance(v, (tuple, list)):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if v is None or isinstance(v, (int, float, str, bool)):
        return v
    return str(v)


def origin_data(o: Origin) -> dict:
    return {"name": o.name, "value": jsonable(o.value), "from": o.kind, "at": str(o.span) if o.span else None,
            "written": o.written, "owner": o.owner, "reads": [origin_data(r) for r in o.reads]}


def block_arguments(comp: Any, tr: Optional[Trace] = None) -> dict[str, dict[str, dict]]:
    """For ``archc summary --explain``: each block instance's (by scope, ``a/b``) arguments with their origins."""
    tr = tr or trace(comp)
    return {"/".join(scope): {k: origin_data(o) for k, o in origins.items()}
            for scope, origins in tr.tracer.block_origins.items()}


# -- archc explain ---------------------------------------------------------------------------------------------------

class ExplainError(Exception):
    """PATH names no layer, block instance or argument (the message says what does exist)."""


def explain(comp: Any, path: str) -> dict:
    """The provenance of ``path`` (``LAYER``, ``LAYER.ARG``, ``INSTANCE`` or ``INSTANCE.PARAM``; an instance as its
    scope ``a/b`` or its own name when that is unique) as JSON data. Raises ExplainError."""
    tr = trace(comp)
    blocks = {"/".join(b.scope): b for b in comp.graph.blocks}
    by_name: dict[str, list[str]] = {}
    for s, b in blocks.items():
        by_name.setdefault(b.scope[-1], []).append(s)

    def instance(name: str) -> Optional[str]:
        if name in blocks:
            return name
        found = by_name.get(name, [])
        return found[0] if len(found) == 1 else None

    head, arg = path, None
    if path not in tr.index and instance(path) is None and "." in path:
        head, _, arg = path.rpartition(".")
    if head in tr.index:
        return _layer(comp, tr, head, arg)
    scope = instance(head)
    if scope is not None:
        return _instance(comp, tr, blocks[scope], arg)
    hint = did_you_mean(head, [*tr.index, *blocks])
    raise ExplainError(f"the model has no layer or block instance '{head}'" + (f"; {hint}" if hint else
                       " (archc summary SPEC --depth all lists them)"))


def _frames(chain: Iterable[Any]) -> list[dict]:
    return [{"block": f.block, "instance": f.instance, "at": str(f.span) if f.span else None} for f in chain]


def _layer(comp: Any, tr: Trace, name: str, arg: Optional[str]) -> dict:
    node = comp.graph.node(name)
    lt = tr.tracer.layers.get(tr.index[name])
    out: dict[str, Any] = {"layer": name, "type": node.op, "at": str(node.span) if node.span else None,
                           "blocks": _frames(node.chain)}
    if arg is None:
        return out
    fields = type(node.params).model_fields
    if arg not in fields:
        hint = did_you_mean(arg, list(fields))
        raise ExplainError(f"{node.op} has no argument '{arg}'" + (f"; {hint}" if hint else "") +
                           f" (its arguments: {', '.join(fields)})")
    written = {k: (v, p) for k, v, p in lt.call.args} if lt is not None else {}
    entry: dict[str, Any] = {"name": arg, "value": jsonable(getattr(node.params, arg))}
    if arg in written:
        raw, p = written[arg]
        span = lt.doc.span(p)
        entry.update({"from": "spec", "at": str(span) if span else None,
                      "written": f"{arg}: {written_text(lt.doc, span)}",
                      "reads": [origin_data(o) for o in _reads(raw, lt.origins)]})
    else:
        entry.update({"from": "keras default", "at": None, "written": None, "reads": []})
    out["argument"] = entry
    return out


def _instance(comp: Any, tr: Trace, b: Any, arg: Optional[str]) -> dict:
    origins = tr.tracer.block_origins.get(b.scope, {})
    chain = ()
    for n in comp.graph.nodes:  # the frames of the calls down to this instance, from a layer inside it
        if n.scope[:len(b.scope)] == b.scope:
            chain = n.chain[:len(b.scope)]
            break
    out: dict[str, Any] = {"instance": "/".join(b.scope), "block": b.block, "at": str(b.span) if b.span else None,
                           "blocks": _frames(chain[:-1])}
    if arg is None:
        out["arguments"] = {k: origin_data(o) for k, o in origins.items()}
        return out
    if arg not in origins:
        hint = did_you_mean(arg, list(origins))
        raise ExplainError(f"block '{b.block}' has no parameter '{arg}'" + (f"; {hint}" if hint else "") +
                           f" (its parameters: {', '.join(origins) or 'none'})")
    out["argument"] = origin_data(origins[arg])
    return out


# -- text --------------------------------------------------------------------------------------------------------

def _at(sources: Mapping[str, SourceFile], at: Optional[str], indent: str) -> list[str]:
    """The source line of a ``file:line:col`` with a caret, indented."""
    if not at:
        return []
    file, line, col = at.rsplit(":", 2)
    src = sources.get(file)
    if src is None:
        return []
    ln, c = int(line), int(col)
    text = snippet(src, Span(file, ln, c, ln, c + 1))
    return [indent + s for s in text.splitlines()] if text else []


def _value(v: Any) -> str:
    text = json.dumps(v)
    return text if len(text) <= 80 else text[:76] + " ..."


def _origin_lines(o: dict, sources: Mapping[str, SourceFile], indent: str, seen: set) -> list[str]:
    what = {"argument": f"parameter of {o['owner']}, given at the call",
            "default": f"default of the parameter of {o['owner']}",
            "param": "default of the spec's parameter",
            "set": "--set on the command line",
            "loop": f"{o['owner']}, this iteration's value",
            "instance": f"name of the instance of {o['owner']}"}[o["from"]]
    lines = [f"{indent}{o['name']} = {_value(o['value'])}  ({what})"]
    if o["from"] == "set":
        lines.append(f"{indent}  {o['written']}")
    else:
        lines.append(f"{indent}  {o['at']}: {o['written']}")
    key = (o["name"], o["at"], _value(o["value"]))
    if key in seen:
        return lines
    seen.add(key)
    for r in o["reads"]:
        lines += _origin_lines(r, sources, indent + "  ", seen)
    return lines


def render_text(data: dict, sources: Mapping[str, SourceFile]) -> str:
    """The text form of :func:`explain`'s data."""
    if "layer" in data:
        lines = [f"layer '{data['layer']}' ({data['type']}) at {data['at']}", *_at(sources, data["at"], "")]
    else:
        lines = [f"block instance '{data['instance']}' ({data['block']}) called at {data['at']}",
                 *_at(sources, data["at"], "")]
    for f in data["blocks"]:
        lines.append(f"  in block '{f['block']}' (instance '{f['instance']}') at {f['at']}")
    arg = data.get("argument")
    if "arguments" in data:
        lines.append("")
        seen: set = set()
        for o in data["arguments"].values():
            lines += _origin_lines(o, sources, "", seen)
    elif arg is not None and "layer" in data:
        lines.append("")
        lines.append(f"{arg['name']} = {_value(arg['value'])}")
        if arg["from"] == "keras default":
            lines.append(f"  not written in the spec: the Keras default of {data['type']}.{arg['name']}")
        else:
            lines.append(f"  written at {arg['at']}: {arg['written']}")
            lines += _at(sources, arg["at"], "  ")
            seen = set()
            for o in arg["reads"]:
                lines += _origin_lines(o, sources, "  ", seen)
    elif arg is not None:
        lines.append("")
        lines += _origin_lines(arg, sources, "", set())
    return "\n".join(lines) + "\n"
