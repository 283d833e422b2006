"""Expansion: bind parameters, unroll repeats, call blocks, resolve references and names -> a flat ir.Graph.

Errors are collected, not raised one by one: an entry that fails is "poisoned" and whatever reads its output is
skipped quietly, so one mistake gives one message. Expansion is bounded (``MAX_LAYERS``, ``MAX_BLOCK_DEPTH``) and
recursive blocks are reported with the chain of calls that led to them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

import pydantic

from . import layers as registry
from .diagnostics import Collector, CompileError, Diagnostic, Frame, did_you_mean
from .expressions import ExprError, evaluate_data, evaluate_string, type_name
from .ir import BlockInstance, Graph, Node
from .load import Located, ResolvedSpec
from .parse import Document
from .source import Span
from .spec import IDENT, RESERVED_KEYS, BlockDef, IfEntry, ModelDef, ParamDecl, RepeatEntry
from .validation import pydantic_diagnostics

#: Most layers a spec may expand to.
MAX_LAYERS = 50_000
#: Deepest nesting of block calls.
MAX_BLOCK_DEPTH = 32
#: Most entries expansion may visit (loop iterations included), so that empty loops cannot spin for hours.
MAX_STEPS = 200_000

NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,199}$")
_IDENT_RE = re.compile(IDENT)
POISON = "<error>"


class _Abort(Exception):
    """Stops expansion when a hard limit is reached (the diagnostic is already recorded)."""


@dataclass
class Handle:
    """What an id refers to: a node's output, and for a block instance the ids inside it (for taps)."""

    node: str
    inner: Optional[dict[str, "Handle"]] = None


@dataclass
class _Draft:
    op: str
    params: Any
    inputs: tuple[str, ...]
    scope: tuple[str, ...]
    span: Optional[Span]
    chain: tuple[Frame, ...]
    name: Optional[str]
    name_span: Optional[Span]
    trainable: bool


@dataclass
class _Ctx:
    env: dict[str, Any]
    ids: dict[str, Handle]
    prev: Optional[str]
    scope: tuple[str, ...]
    chain: tuple[Frame, ...]
    stack: tuple[str, ...]
    doc: Document
    trainable: bool = True


@dataclass
class Expander:
    """Turns a resolved spec into an IR graph. Use :func:`expand`."""

    spec: ResolvedSpec
    overrides: dict[str, Any] = field(default_factory=dict)
    diags: Collector = field(default_factory=Collector)
    drafts: dict[str, _Draft] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    instances: list[BlockInstance] = field(default_factory=list)
    instance_names: dict[tuple[str, ...], Span | None] = field(default_factory=dict)
    block_counts: dict[str, int] = field(default_factory=dict)
    block_decls: dict[str, dict[str, Located]] = field(default_factory=dict)
    globals: dict[str, Any] = field(default_factory=dict)
    claimed: dict[str, Span | None] = field(default_factory=dict)
    steps: int = 0

    # -- diagnostics -------------------------------------------------------------------------------------------
    def error(self, code: str, message: str, span: Span | None, ctx: _Ctx | None = None, path: tuple = (),
              hint: str | None = None) -> None:
        self.diags.add(code, message, span, chain=ctx.chain if ctx else (), path=path, hint=hint)

    def expr_error(self, e: ExprError, doc: Document, path: tuple, ctx: _Ctx | None, what: str = "") -> None:
        self.error(e.code, (what + ": " if what else "") + e.message, expr_span(e, doc, path), ctx, path, e.hint)
        if e.fatal:  # the spec's work budget is spent: nothing more can be evaluated
            raise _Abort()

    # -- values ------------------------------------------------------------------------------------------------
    def evaluate(self, value: Any, env: dict, doc: Document, path: tuple, ctx: _Ctx | None, what: str = "") -> Any:
        """Evaluates the expressions inside ``value``; on error records it and raises _Skip."""
        try:
            if isinstance(value, dict):
                return {k: self.evaluate(v, env, doc, path + (k,), ctx, what) for k, v in value.items()}
            if isinstance(value, list):
                return [self.evaluate(v, env, doc, path + (i,), ctx, what) for i, v in enumerate(value)]
            return evaluate_data(value, env)
        except ExprError as e:
            self.expr_error(e, doc, path, ctx, what)
            raise _Skip() from None

    # -- parameters --------------------------------------------------------------------------------------------
    def bind_params(self, decls: dict[str, Located], given: dict[str, tuple[Any, Document | None, tuple]],
                    env: dict, ctx: _Ctx | None, owner: str, call_span: Span | None) -> dict[str, Any]:
        """Binds declared parameters to given values (already evaluated) or defaults; checks types. Linear in
        the number of parameters: a default sees ``env`` and the parameters bound before it."""
        self.count_steps(len(decls), call_span, ctx, ())
        out: dict[str, Any] = {}
        scope: dict[str, Any] | None = None  # env with the parameters bound so far, made when a default needs it
        for name, loc in decls.items():
            decl: ParamDecl = loc.value
            if name in given:
                value, vdoc, vpath = given[name]
            elif decl.required:
                self.missing_param(owner, name, loc, ctx, call_span)
                raise _Skip()
            else:
                vdoc, vpath = loc.doc, loc.path + ("default",)
                if scope is None:
                    scope = {**env, **out}
                value = self.evaluate(decl.default, scope, vdoc, vpath, ctx, f"default of '{name}'")
            problem = check_type(value, decl)
            if problem and vdoc is None:  # the value came from the command line
                self.error("E330", f"--set {name}: the parameter {problem}", None)
                raise _Skip()
            if problem:
                self.error("E310", f"{owner} parameter '{name}' {problem}", vdoc.span(vpath), ctx, vpath)
                raise _Skip()
            out[name] = value
            if scope is not None:
                scope[name] = value
        return out

    def missing_param(self, owner: str, name: str, loc: Located, ctx: _Ctx | None, call_span: Span | None) -> None:
        """Reports a required parameter that was not given (at the call; for the spec's own, at its declaration)."""
        decl: ParamDecl = loc.value
        top = ctx is None  # a parameter of the spec itself: only --set can give it
        self.error("E310", f"{owner} needs parameter '{name}'" + (f" ({decl.doc})" if decl.doc else ""),
                   loc.span(key=True) if top else call_span, ctx,
                   hint=f"give it with --set {name}=<{decl.type}>" if top else f"add {name}: <{decl.type}>")

    def unknown_param(self, block: str, bdef: BlockDef, key: str, doc: Document, path: tuple, ctx: _Ctx) -> None:
        """Reports an argument of a block call that the block does not declare."""
        self.error("E310", f"block '{block}' has no parameter '{key}'", doc.span(path, key=True), ctx, path,
                   hint=did_you_mean(key, [*bdef.params, *RESERVED_KEYS]) or
                   (f"its parameters: {', '.join(bdef.params)}" if bdef.params else "it takes no parameters"))

    def count_steps(self, n: int, span: Span | None, ctx: _Ctx | None, path: tuple) -> None:
        """Counts ``n`` steps of expansion work (an entry, a loop iteration, a parameter bound); past MAX_STEPS
        the expansion ends with E312."""
        self.steps += n
        if self.steps > MAX_STEPS:
            self.error("E312", f"expanding the spec takes more than {MAX_STEPS} steps (entries, loop iterations and "
                               f"block parameters bound included)", span, ctx, path,
                       hint="check repeat counts, loops and block sizes; the limit protects the compiler from "
                            "runaway specs")
            raise _Abort()

    # -- entries -----------------------------------------------------------------------------------------------
    def expand_entries(self, entries: list, ctx: _Ctx, base: tuple) -> None:
        for i, entry in enumerate(entries):
            path = base + (i,)
            self.count_steps(1, ctx.doc.span(path), ctx, path)
            try:
                self.expand_entry(entry, ctx, path)
            except _Skip:
                ctx.prev = POISON
                ident = _literal_id(entry)
                if ident:
                    ctx.ids[ident] = Handle(POISON)

    def expand_entry(self, entry: Any, ctx: _Ctx, path: tuple) -> None:
        if isinstance(entry, dict) and ("repeat" in entry or "for" in entry):
            return self.expand_repeat(entry, ctx, path)
        if isinstance(entry, dict) and "if" in entry:
            return self.expand_if(entry, ctx, path)
        kind, body, extra, kpath = self.entry_parts(entry, ctx, path)
        if kind in registry.REGISTRY:
            return self.expand_layer(kind, body, extra, ctx, path, kpath)
        if kind in self.spec.blocks:
            return self.expand_call(kind, body, extra, ctx, path, kpath)
        self.unknown_type(kind, ctx, kpath)

    def entry_parts(self, entry: Any, ctx: _Ctx, path: tuple) -> tuple[str, Any, dict, tuple]:
        """Splits a layer or block entry (not a loop or conditional) into its type, its body, its archc keys written
        beside the type, and the path of its type key."""
        doc = ctx.doc
        if isinstance(entry, str):
            kind, body, extra = entry, None, {}
        elif isinstance(entry, dict):
            keys = [k for k in entry if k not in RESERVED_KEYS]
            if len(keys) != 1:
                what = "no layer or block name" if not keys else f"several: {', '.join(keys)}"
                self.error("E201", f"an entry names one layer or block type as its key; found {what}",
                           doc.span(path), ctx, path,
                           hint="write '- Conv2D: {filters: 64}'; a second key is usually a missing indentation")
                raise _Skip()
            kind = keys[0]
            body = entry[kind]
            extra = {k: entry[k] for k in entry if k in RESERVED_KEYS}
        else:
            self.error("E201", f"an entry must be a layer or block name or a one-key mapping. Received: "
                               f"{type_name(entry)} {entry!r}"[:200], doc.span(path), ctx, path)
            raise _Skip()
        return kind, body, extra, path + (kind,) if isinstance(entry, dict) else path

    def unknown_type(self, kind: str, ctx: _Ctx, kpath: tuple) -> None:
        """Reports an entry whose type is neither a layer nor a block, and abandons it."""
        choices = [*registry.REGISTRY, *self.spec.blocks]
        self.error("E203", f"unknown layer or block type '{kind}'", ctx.doc.span(kpath, key=True), ctx, kpath,
                   hint=did_you_mean(kind, choices) or "run `archc layers` for the layer types")
        raise _Skip()

    def split_args(self, body: Any, extra: dict, positional: str | None, ctx: _Ctx, kpath: tuple, what: str
                   ) -> tuple[dict[str, tuple[Any, tuple]], dict[str, tuple[Any, tuple]]]:
        """Splits an entry's arguments into (arguments, archc keys), each value with its path."""
        args: dict[str, tuple[Any, tuple]] = {}
        own: dict[str, tuple[Any, tuple]] = {}
        if body is None:
            pass
        elif isinstance(body, dict):
            for k, v in body.items():
                (own if k in RESERVED_KEYS else args)[k] = (v, kpath + (k,))
        elif positional is not None:
            args[positional] = (body, kpath)
        else:
            self.error("E201", f"{what} takes a mapping of arguments. Received: {type_name(body)} {body!r}"[:200],
                       ctx.doc.span(kpath), ctx, kpath)
            raise _Skip()
        path = kpath[:-1]
        for k, v in extra.items():
            own[k] = (v, path + (k,))
        return args, own

    def own_keys(self, own: dict, ctx: _Ctx) -> tuple[Optional[str], Optional[list[str]], Optional[str],
                                                       Optional[Span], Optional[bool]]:
        """Evaluates the archc keys of an entry: id, inputs, name, trainable."""
        doc = ctx.doc
        ident = inputs = name = trainable = None
        name_span = None
        if "id" in own:
            v, p = own["id"]
            ident = self.check_own("id", self.evaluate(v, ctx.env, doc, p, ctx, "id"), ctx, p)
        if "inputs" in own:
            v, p = own["inputs"]
            inputs = self.check_own("inputs", self.evaluate(v, ctx.env, doc, p, ctx, "inputs"), ctx, p)
        if "name" in own:
            v, p = own["name"]
            name = self.check_own("name", self.evaluate(v, ctx.env, doc, p, ctx, "name"), ctx, p)
            name_span = doc.span(p)
        if "trainable" in own:
            v, p = own["trainable"]
            trainable = self.check_own("trainable", self.evaluate(v, ctx.env, doc, p, ctx, "trainable"), ctx, p)
        return ident, inputs, name, name_span, trainable

    def check_own(self, key: str, value: Any, ctx: _Ctx, p: tuple) -> Any:
        """Checks the evaluated value of an archc key (id, inputs, name, trainable); ``inputs`` becomes a list."""
        doc = ctx.doc
        if key == "id" and (not isinstance(value, str) or not _IDENT_RE.match(value)):
            self.error("E201", f"an id is a name like 'shortcut' (letters, digits, _). Received: id={value!r}",
                       doc.span(p), ctx, p)
            raise _Skip()
        if key == "inputs":
            inputs = [value] if isinstance(value, str) else value
            if not isinstance(inputs, list) or not all(isinstance(x, str) for x in inputs):
                self.error("E201", f"inputs are references (ids): 'x' or [a, b]. Received: inputs={value!r}",
                           doc.span(p), ctx, p)
                raise _Skip()
            return inputs
        if key == "name" and (not isinstance(value, str) or not NAME_RE.match(value)):
            self.error("E321", f"{_name_rule(value)}. Received: name={_short(value)}", doc.span(p), ctx, p)
            raise _Skip()
        if key == "trainable" and not isinstance(value, bool):
            self.error("E201", f"trainable is true or false. Received: trainable={value!r}", doc.span(p), ctx, p)
            raise _Skip()
        return value

    def resolve_inputs(self, refs: Optional[list[str]], ctx: _Ctx, path: tuple) -> list[str]:
        if refs is None:
            if ctx.prev is None:
                return []
            return [ctx.prev]
        out = []
        for j, ref in enumerate(refs):
            node = self.resolve_ref(ref, ctx, path + (j,))
            out.append(node)
        return out

    def resolve_ref(self, ref: Any, ctx: _Ctx, path: tuple) -> str:
        self.check_ref_type(ref, ctx, path)
        if ref == "_":
            if ctx.prev is None:
                self.error("E320", "'_' (the previous entry) has nothing before it here", ctx.doc.span(path), ctx, path)
                raise _Skip()
            return ctx.prev
        parts = ref.split(".")
        table = ctx.ids
        handle: Optional[Handle] = None
        for k, part in enumerate(parts):
            if table is None or part not in table:
                self.unknown_ref(ref, k, list(table or {}), ctx, path)
            handle = table[part]
            if handle.node == POISON and handle.inner is None:  # its entry failed and was reported already
                return POISON
            table = handle.inner
        assert handle is not None
        return handle.node

    def check_ref_type(self, ref: Any, ctx: Any, path: tuple) -> None:
        """A reference is a string: anything else is reported and abandons the entry."""
        if not isinstance(ref, str):
            self.error("E201", f"a reference is an id (a string) like 'shortcut' or 'stem.act'. Received: "
                               f"{type_name(ref)} {ref!r}"[:200], ctx.doc.span(path), ctx, path)
            raise _Skip()

    def unknown_ref(self, ref: str, k: int, known: list[str], ctx: Any, path: tuple) -> None:
        """Reports that part ``k`` of the reference ``ref`` names no id among ``known``, and abandons the entry."""
        parts = ref.split(".")
        part = parts[k]
        where = "" if k == 0 else f" inside '{'.'.join(parts[:k])}'"
        if part in self.claimed and k == 0:
            hint = f"'{part}' is a layer name; references use ids: give that entry `id: {part}`"
        else:
            hint = did_you_mean(part, known) or (f"known here: {', '.join(sorted(known))}" if known
                                                 else "give an entry `id: name` to refer to it")
        self.error("E320", f"unknown reference '{ref}'{where}", ctx.doc.span(path), ctx, path, hint=hint)
        raise _Skip()

    def claim_name(self, name: str, span: Span | None, ctx: _Ctx | None) -> None:
        """Records an explicit layer name; a second use is an error (reported even if the layer itself failed)."""
        first = self.claimed.get(name)
        if first is not None:
            self.diags.items.append(Diagnostic(
                "E321", f"layer name '{name}' is used twice" + (f" (first at {first})" if first else ""), span,
                chain=ctx.chain if ctx else (), hint="names must be unique in a model; in a block or a repeat, "
                                                     "build names from parameters: name: ${name}_conv"))
            raise _Skip()
        self.claimed[name] = span

    def add_node(self, draft: _Draft) -> str:
        if len(self.order) >= MAX_LAYERS:
            self.error("E312", f"the spec expands to more than {MAX_LAYERS} layers", draft.span, None,
                       hint="check repeat counts; the limit protects the compiler from runaway specs")
            raise _Abort()
        key = f"#{len(self.order)}"
        self.drafts[key] = draft
        self.order.append(key)
        return key

    def expand_layer(self, op: str, body: Any, extra: dict, ctx: _Ctx, path: tuple, kpath: tuple) -> None:
        defn = registry.REGISTRY[op]
        doc = ctx.doc
        self.check_layer_type(op, ctx, kpath)
        args, own = self.split_args(body, extra, defn.positional, ctx, kpath, op)
        ident, refs, name, name_span, trainable = self.own_keys(own, ctx)
        values: dict[str, Any] = {}
        failed = False
        for k, (v, p) in args.items():
            try:
                values[k] = self.evaluate(v, ctx.env, doc, p, ctx, f"{op}.{k}")
            except _Skip:
                failed = True
        if failed:
            raise _Skip()
        try:
            params = defn.params.model_validate(values)
        except pydantic.ValidationError as e:
            self.argument_errors(e, op, body, ctx, kpath)
            raise _Skip()
        inputs = self.resolve_inputs(refs, ctx, kpath[:-1] + ("inputs",) if refs is not None else path)
        self.check_arity(op, len(inputs), ctx, kpath)
        if name is not None:
            self.claim_name(name, name_span, ctx)
        if POISON in inputs:
            ctx.prev = POISON
            if ident:
                ctx.ids[ident] = Handle(POISON)
            return
        key = self.add_node(_Draft(op, params, tuple(inputs), ctx.scope, doc.span(kpath, key=True), ctx.chain, name,
                                   name_span, ctx.trainable if trainable is None else trainable and ctx.trainable))
        ctx.prev = key
        if ident:
            ctx.ids[ident] = Handle(key)

    def check_layer_type(self, op: str, ctx: Any, kpath: tuple) -> None:
        """``Input`` is the one layer type that is not an entry."""
        if op == "Input":
            self.error("E201", "inputs are declared under model.inputs, not as layers", ctx.doc.span(kpath, key=True),
                       ctx, kpath)
            raise _Skip()

    def argument_errors(self, e: pydantic.ValidationError, op: str, body: Any, ctx: Any, kpath: tuple,
                        keep: Any = None) -> None:
        """Records a layer's argument errors, each at its argument; ``keep(code, loc)`` may drop some (``loc``: the
        place inside the arguments, starting with the argument's name)."""
        doc = ctx.doc
        base = kpath if isinstance(body, dict) or body is None else kpath[:-1]
        for d in pydantic_diagnostics(e, doc, base, registry.REGISTRY[op].params):
            if keep is not None and not keep(d.code, d.path[len(base):]):
                continue
            sep = "." if len(d.path) > len(kpath) or not isinstance(body, dict) else ": "
            msg = d.message if d.code != "E201" else f"{op}{sep}{d.message}"
            span, dpath = d.span, d.path
            if d.code == "E201" and not isinstance(body, dict):  # the shorthand value: `Dense: 0`
                span, dpath = doc.span(kpath), kpath
            self.diags.items.append(Diagnostic(d.code, msg, span, dpath, ctx.chain, d.hint))

    def check_arity(self, op: str, n: int, ctx: Any, kpath: tuple) -> None:
        """Checks that a layer gets as many inputs as it takes."""
        lo, hi = registry.REGISTRY[op].arity
        if not (lo <= n and (hi is None or n <= hi)):
            want = f"{lo}" if lo == hi else f"at least {lo}" if hi is None else f"{lo} to {hi}"
            self.error("E322", f"{op} takes {want} input(s). Received: {n}", ctx.doc.span(kpath, key=True), ctx,
                       kpath, hint="list them with inputs: [a, b] (ids of earlier entries; '_' is the previous one)"
                       if lo > 1 else None)
            raise _Skip()

    def expand_call(self, block: str, body: Any, extra: dict, ctx: _Ctx, path: tuple, kpath: tuple) -> None:
        loc = self.spec.blocks[block]
        bdef: BlockDef = loc.value
        doc = ctx.doc
        span = doc.span(kpath, key=True)
        self.check_recursion(block, ctx.stack, ctx, kpath)
        if len(ctx.stack) >= MAX_BLOCK_DEPTH:
            self.error("E312", f"blocks nest deeper than {MAX_BLOCK_DEPTH} levels", span, ctx, kpath)
            raise _Skip()
        args, own = self.split_args(body, extra, None, ctx, kpath, f"block '{block}'")
        ident, refs, name, name_span, trainable = self.own_keys(own, ctx)
        given: dict[str, tuple[Any, Document, tuple]] = {}
        failed = False
        for k, (v, p) in args.items():
            if k not in bdef.params:
                self.unknown_param(block, bdef, k, doc, p, ctx)
                failed = True
                continue
            try:
                given[k] = (self.evaluate(v, ctx.env, doc, p, ctx, f"{block}.{k}"), doc, p)
            except _Skip:
                failed = True
        if failed:
            raise _Skip()
        decls = self.block_decls.get(block)
        if decls is None:
            decls = self.block_decls[block] = {k: Located(d, loc.doc, loc.path + ("params", k))
                                               for k, d in bdef.params.items()}
        bound = self.bind_params(decls, given, dict(self.globals), ctx, f"block '{block}'", span)
        inputs = self.resolve_inputs(refs, ctx, kpath[:-1] + ("inputs",) if refs is not None else path)
        self.check_block_inputs(block, bdef, len(inputs), ctx, kpath)
        if name is None:
            n = self.block_counts.get(block, 0) + 1
            self.block_counts[block] = n
            instance = f"{block}_{n}"
            while ctx.scope + (instance,) in self.instance_names:
                n += 1
                self.block_counts[block] = n
                instance = f"{block}_{n}"
        else:
            instance = name
        scope = ctx.scope + (instance,)
        if scope in self.instance_names:
            first = self.instance_names[scope]
            self.error("E321", f"block instance name '{instance}' is used twice" + (f" (first at {first})" if first
                                                                                   else ""), name_span or span, ctx)
            raise _Skip()
        self.instance_names[scope] = span
        env = {**self.globals, **bound, "name": instance}
        inner = _Ctx(env=env, ids={n: Handle(i) for n, i in zip(bdef.inputs, inputs)}, prev=inputs[0] if inputs else None,
                     scope=scope, chain=ctx.chain + (Frame(block, instance, span),), stack=ctx.stack + (block,),
                     doc=loc.doc, trainable=ctx.trainable if trainable is None else trainable and ctx.trainable)
        self.expand_entries(bdef.layers, inner, loc.path + ("layers",))
        out = inner.prev
        if bdef.output is not None:
            try:
                out = self.resolve_ref(self.evaluate(bdef.output, env, loc.doc, loc.path + ("output",), inner),
                                       inner, loc.path + ("output",))
            except _Skip:
                out = POISON
        if out is None:  # pragma: no cover (a block has at least one entry)
            out = POISON
        self.instances.append(BlockInstance(scope, block, span, tuple(inputs), out))
        ctx.prev = out
        if ident:
            ctx.ids[ident] = Handle(out, inner.ids)

    def check_recursion(self, block: str, stack: tuple[str, ...] | list[str], ctx: Any, kpath: tuple) -> None:
        """A call of ``block`` inside the blocks of ``stack`` (the calls being expanded) is a cycle."""
        if block in stack:
            cycle = " -> ".join((*stack[stack.index(block):], block))
            self.error("E311", f"block '{block}' uses itself: {cycle}", ctx.doc.span(kpath, key=True), ctx, kpath,
                       hint="blocks cannot be recursive; use repeat for repetition")
            raise _Skip()

    def check_block_inputs(self, block: str, bdef: BlockDef, n: int, ctx: Any, kpath: tuple) -> None:
        """Checks that a block call gives as many inputs as the block declares."""
        if n != len(bdef.inputs):
            self.error("E322", f"block '{block}' takes {len(bdef.inputs)} input(s) ({', '.join(bdef.inputs)}). "
                               f"Received: {n}", ctx.doc.span(kpath, key=True), ctx, kpath)
            raise _Skip()

    def validate_entry(self, model: type, entry: dict, ctx: _Ctx, path: tuple) -> Any:
        """Validates a repeat or conditional entry against its model, recording errors with the block chain."""
        try:
            return model.model_validate(entry)
        except pydantic.ValidationError as e:
            for d in pydantic_diagnostics(e, ctx.doc, path, model):
                self.diags.items.append(Diagnostic(d.code, d.message, d.span, d.path, ctx.chain, d.hint))
            raise _Skip() from None

    def loop_entry(self, entry: dict, ctx: Any, path: tuple) -> RepeatEntry:
        """Validates a loop entry: either ``repeat`` or ``for`` with ``in``."""
        rep = self.validate_entry(RepeatEntry, entry, ctx, path)
        if (rep.repeat is None) == (rep.for_ is None):
            self.error("E201", "a loop has either 'repeat: N' or 'for: var' with 'in: [...]'", ctx.doc.span(path), ctx,
                       path)
            raise _Skip()
        if rep.for_ is not None and rep.in_ is None:
            self.error("E202", "missing required key 'in' (the values of the 'for' variable)", ctx.doc.span(path),
                       ctx, path)
            raise _Skip()
        return rep

    def check_control(self, key: str, value: Any, ctx: Any, path: tuple) -> None:
        """Checks the evaluated ``repeat``, ``start``, ``in`` or ``if`` of a loop or conditional at ``path``."""
        p = path + (key,)
        if key == "repeat" and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_LAYERS):
            self.error("E201", f"repeat takes a whole number from 0 to {MAX_LAYERS}. Received: repeat={value!r}",
                       ctx.doc.span(p), ctx, p)
            raise _Skip()
        if key == "start" and (isinstance(value, bool) or not isinstance(value, int)):
            self.error("E201", f"start takes an integer. Received: start={value!r}", ctx.doc.span(p), ctx, p)
            raise _Skip()
        if key == "in" and not isinstance(value, list):
            self.error("E201", f"'in' takes a list. Received: {type_name(value)} {value!r}"[:200], ctx.doc.span(p),
                       ctx, p)
            raise _Skip()
        if key == "if" and not isinstance(value, bool):
            self.error("E201", f"'if' needs true or false. Received: {type_name(value)} {value!r}"[:200],
                       ctx.doc.span(p), ctx, p)
            raise _Skip()

    def expand_repeat(self, entry: dict, ctx: _Ctx, path: tuple) -> None:
        doc = ctx.doc
        rep = self.loop_entry(entry, ctx, path)
        if rep.repeat is not None:
            count = self.evaluate(rep.repeat, ctx.env, doc, path + ("repeat",), ctx, "repeat")
            start = self.evaluate(rep.start, ctx.env, doc, path + ("start",), ctx, "start")
            self.check_control("repeat", count, ctx, path)
            self.check_control("start", start, ctx, path)
            var, values = rep.var, list(range(start, start + count))
        else:
            values = self.evaluate(rep.in_, ctx.env, doc, path + ("in",), ctx, "in")
            self.check_control("in", values, ctx, path)
            var = rep.for_
        saved = ctx.env
        try:
            for v in values:
                ctx.env = {**saved, var: v}
                self.expand_entries(rep.layers, ctx, path + ("layers",))
        finally:
            ctx.env = saved

    def expand_if(self, entry: dict, ctx: _Ctx, path: tuple) -> None:
        doc = ctx.doc
        cond = self.validate_entry(IfEntry, entry, ctx, path)
        value = self.evaluate(cond.if_, ctx.env, doc, path + ("if",), ctx, "if")
        self.check_control("if", value, ctx, path)
        if value:
            self.expand_entries(cond.layers, ctx, path + ("layers",))
        elif cond.else_ is not None:
            self.expand_entries(cond.else_, ctx, path + ("else",))

    # -- the model ---------------------------------------------------------------------------------------------
    def run(self) -> Graph:
        spec = self.spec
        root = spec.root
        assert root is not None
        self.globals = self.bind_globals()
        if spec.model is None:
            self.error("E202", "the spec has no 'model' section (a file of blocks only can be imported, not compiled)",
                       root.span(()))
            raise CompileError(self.diags.items, spec.sources)
        mdef: ModelDef = spec.model.value
        mdoc, mpath = spec.model.doc, spec.model.path
        ctx = _Ctx(env=dict(self.globals), ids={}, prev=None, scope=(), chain=(), stack=(), doc=mdoc)
        input_keys = []
        for key, decl in mdef.inputs.items():
            p = mpath + ("inputs", key)
            try:
                shape = self.evaluate(decl.shape, ctx.env, mdoc, p + ("shape",), ctx, "shape")
                params = registry.REGISTRY["Input"].params.model_validate({"shape": shape, "dtype": decl.dtype})
            except _Skip:
                ctx.ids[key] = Handle(POISON)
                continue
            except pydantic.ValidationError as e:
                for d in pydantic_diagnostics(e, mdoc, p, registry.REGISTRY["Input"].params):
                    self.diags.items.append(Diagnostic(d.code, "input " + d.message, d.span, d.path))
                ctx.ids[key] = Handle(POISON)
                continue
            try:
                name = key if decl.name is None else self.evaluate(decl.name, ctx.env, mdoc, p + ("name",), ctx,
                                                                   "name")
                if not isinstance(name, str) or not NAME_RE.match(name):
                    self.error("E321", f"{_name_rule(name)}. Received: name={_short(name)}",
                               mdoc.span(p + ("name",) if decl.name else p, key=decl.name is None), ctx, p)
                    raise _Skip()
                self.claim_name(name, mdoc.span(p, key=True), None)
            except _Skip:
                ctx.ids[key] = Handle(POISON)
                continue
            node = self.add_node(_Draft("Input", params, (), (), mdoc.span(p, key=True), (), name,
                                        mdoc.span(p, key=True), True))
            ctx.ids[key] = Handle(node)
            input_keys.append(node)
        ctx.prev = ctx.ids[next(iter(mdef.inputs))].node if mdef.inputs else None
        try:
            self.expand_entries(mdef.layers, ctx, mpath + ("layers",))
        except _Abort:
            raise CompileError(self.diags.items, spec.sources) from None
        outs: list[str] = []
        if mdef.outputs is None:
            outs = [ctx.prev] if ctx.prev else []
        else:
            refs = [mdef.outputs] if isinstance(mdef.outputs, str) else mdef.outputs
            for j, r in enumerate(refs):
                p = mpath + ("outputs",) + ((j,) if not isinstance(mdef.outputs, str) else ())
                try:
                    ref = self.evaluate(r, ctx.env, mdoc, p, ctx, "outputs")
                    outs.append(self.resolve_ref(ref, ctx, p))
                except _Skip:
                    outs.append(POISON)
        return self.finish(input_keys, outs)

    def bind_globals(self) -> dict[str, Any]:
        """Evaluates the spec's parameters in order, applying --set overrides."""
        spec = self.spec
        given: dict[str, tuple[Any, Document, tuple]] = {}
        for k, v in self.overrides.items():
            if k not in spec.params:
                self.error("E330", f"--set {k}: the spec has no parameter '{k}'", None,
                           hint=did_you_mean(k, spec.params) or (f"its parameters: {', '.join(spec.params)}"
                                                                 if spec.params else "it declares no parameters"))
                continue
            given[k] = (v, None, ("--set", k))  # type: ignore[assignment]
        if self.diags:
            raise CompileError(self.diags.items, spec.sources)
        try:
            return self.bind_params(spec.params, given, {}, None, "the spec", None)
        except _Skip:
            raise CompileError(self.diags.items, spec.sources) from None

    def finish(self, input_keys: list[str], outs: list[str]) -> Graph:
        """Names every node, checks names and reachability, and freezes the graph."""
        names: dict[str, str] = {}
        taken: dict[str, _Draft] = {}
        for key in self.order:
            d = self.drafts[key]
            if d.name is not None:  # explicit names were checked for duplicates as they were claimed
                taken[d.name] = d
                names[key] = d.name
        counters: dict[str, int] = {}
        for key in self.order:
            d = self.drafts[key]
            if key in names:
                continue
            stem = registry.default_name(d.op)  # inputs are always named (by their key)
            while True:
                n = counters.get(stem, 0)
                counters[stem] = n + 1
                cand = stem if n == 0 else f"{stem}_{n}"
                if cand not in taken:
                    break
            taken[cand] = d
            names[key] = cand
        if self.diags:  # unused layers are only reported when nothing else failed (errors orphan layers)
            raise CompileError(self.diags.items, self.spec.sources)
        # reachability: everything must feed an output
        live: set[str] = set()
        todo = [o for o in outs if o != POISON]
        while todo:
            k = todo.pop()
            if k in live:
                continue
            live.add(k)
            todo.extend(self.drafts[k].inputs)
        for key in self.order:
            if key not in live:
                d = self.drafts[key]
                self.diags.add("E403", f"the output of layer '{names[key]}' ({d.op}) is never used", d.span,
                               chain=d.chain, hint="feed it to another entry with inputs: [...] or list it in "
                                                   "model.outputs")
        if self.diags:
            raise CompileError(self.diags.items, self.spec.sources)
        nodes = tuple(Node(names[k], d.op, d.params, tuple(names[i] for i in d.inputs), d.scope, d.span, d.chain,
                           d.trainable) for k, d in ((k, self.drafts[k]) for k in self.order))
        blocks = tuple(BlockInstance(b.scope, b.block, b.span, tuple(names[i] for i in b.inputs), names[b.output])
                       for b in self.instances)
        return Graph(self.spec.name, nodes, tuple(names[k] for k in input_keys), tuple(names[o] for o in outs),
                     blocks)


class _Skip(Exception):
    """Abandons the current entry (its error is recorded); later entries go on."""


def _name_rule(name: Any) -> str:
    """What a valid layer name is, with the part ``name`` breaks first."""
    rule = "a layer name is 1 to 200 letters, digits, '_', '.' or '-', starting with a letter, digit or '_'"
    if isinstance(name, str) and "/" in name:
        rule += " (Keras 3 does not allow '/' in layer names)"
    elif isinstance(name, str) and len(name) > 200:
        rule += f" (this one has {len(name)} characters)"
    return rule


def _short(v: Any) -> str:
    r = repr(v)
    return r if len(r) <= 80 else r[:77] + "..."


def expr_span(e: ExprError, doc: Document, path: tuple) -> Span | None:
    """Where an expression error is: the culprit inside the value at ``path`` when it can be located, else the value."""
    span = doc.span(path)
    line = doc.source.line_text(span.line) if span is not None else ""
    if span is not None and span.line == span.end_line and "\\" not in line[span.col - 1:span.end_col - 1]:
        # point at the culprit inside the value (not when escapes make source and value columns differ)
        quoted = 1 if span.col - 1 < len(line) and line[span.col - 1] in "'\"" else 0
        col = span.col + quoted + e.offset
        span = Span(span.file, span.line, col, span.line, col + e.length)
    return span


def _literal_id(entry: Any) -> Optional[str]:
    """The id an entry declares, when written literally (so that a failed entry's id still resolves, quietly)."""
    if not isinstance(entry, dict):
        return None
    candidates = [entry.get("id")] + [v.get("id") for v in entry.values() if isinstance(v, dict)]
    for c in candidates:
        if isinstance(c, str) and _IDENT_RE.match(c):
            return c
    return None


def check_type(value: Any, decl: ParamDecl) -> str | None:
    """Returns what is wrong with ``value`` for the declared type, or None."""
    t = decl.type
    ok = True
    if t == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif t == "float" or t == "number":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif t == "bool":
        ok = isinstance(value, bool)
    elif t == "str":
        ok = isinstance(value, str)
    elif t == "list":
        ok = isinstance(value, list)
    elif t == "int_list":
        ok = isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    elif t == "shape":
        ok = isinstance(value, list) and all(v is None or (isinstance(v, int) and not isinstance(v, bool) and v > 0)
                                             for v in value)
    if not ok:
        return f"expects {t}. Received: {type_name(value)} {value!r}"[:200]
    if decl.choices is not None and value not in decl.choices:
        return f"must be one of {decl.choices}. Received: {value!r}"[:200]
    return None


def expand(spec: ResolvedSpec, overrides: dict[str, Any] | None = None) -> Graph:
    """Expands a resolved spec into an IR graph.

    Raises:
        CompileError: every independent problem, each at its position with its chain of block calls.
    """
    return Expander(spec, dict(overrides or {})).run()
