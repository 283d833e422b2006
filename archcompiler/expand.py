"""Expansion: bind parameters, unroll loops, call blocks, resolve references and names -> a flat ir.Graph.

:func:`expand` runs three passes, in this order:

1. **entries** (:class:`Expander`): each ``layers:`` list is read once into typed entries (entries.py; a block's
   or a loop's body before it is first expanded, the model's own entries as they come) and expanded by
   dispatching on their type, in a :class:`Scope` (the names visible, the ids defined so far, the block instance,
   the chain of calls); a block call or a loop iteration gets its own scope from :meth:`Scope.inner`. The result
   is one draft per layer, in graph order.
2. **naming** (:func:`assign_names`): Keras's automatic names for the layers without an explicit one.
3. **unused outputs** (:func:`unused_outputs`): a layer whose output reaches no model output is E403.

Errors are collected, not raised one by one: an entry that fails is "poisoned" and whatever reads its output is
skipped quietly, so one mistake gives one message; :func:`expand_partial` hands on the graph of what did expand, so
that inference reports its shape errors in the same run. An expression may read the static type of a tensor in
scope (``x.shape[-1]``: :meth:`Expander.with_tensors`); that tensor's layers are inferred then, each once. Expansion is bounded (``MAX_LAYERS``, ``MAX_STEPS``,
``MAX_BLOCK_DEPTH``) and recursive blocks are reported with the chain of calls that led to them. Its cost is linear
in the work done: a loop body is read once, identical layer arguments are validated once, and binding a name never
copies more than a few names of an environment.
"""

from __future__ import annotations

import re
from collections import ChainMap
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, NamedTuple, Optional, Union

import pydantic

from . import layers as registry
from .diagnostics import Collector, CompileError, Diagnostic, Frame, did_you_mean
from .entries import (
    IDENT, NO_OWN_KEYS, RESERVED_KEYS, BlockCall, Body, Conditional, ForLoop, Invalid, LayerCall, OwnKeys, Repeat,
    TypedEntry, classify_body, literal_id, read_entries,
)
from .expressions import ExprError, TensorRef, evaluate_data, short_repr, string_names, type_name
from .infer import infer_node, infer_partial
from .ir import BlockInstance, Graph, Node, port
from .layers import ShapeError
from .load import Located, ResolvedSpec
from .parse import Document
from .source import Span
from .spec import BlockDef, ModelDef, ParamDecl
from .validation import pydantic_diagnostics

#: Most layers a spec may expand to.
MAX_LAYERS = 50_000
#: Deepest nesting of block calls.
MAX_BLOCK_DEPTH = 32
#: Most entries expansion may visit (loop iterations included), so that empty loops cannot spin for hours.
MAX_STEPS = 200_000

NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,199}$")
_IDENT_RE = re.compile(IDENT)
#: The node of an entry that failed (its error is reported): whatever reads it is skipped quietly.
POISON = -1
#: The types of values that need no evaluation.
_PLAIN = frozenset((int, float, bool))

#: Environments of up to this many names are copied when a name is bound; larger ones are layered, so that binding
#: a loop variable or entering a block costs the same however many parameters a spec declares.
_COPIED_ENV = 32


class _Abort(Exception):
    """Stops expansion when a hard limit is reached (the diagnostic is already recorded)."""


class _Skip(Exception):
    """Abandons the current entry (its error is recorded); later entries go on."""


# The small records made for every entry or layer are named tuples: immutable, and the cheapest to make.

class Port(NamedTuple):
    """A further output of a draft with several (``lstm.state_h``): the draft and the output's name. A draft's
    first output is the draft's index itself; a tensor of the expansion is either (see :data:`Tensor`)."""

    node: int
    output: str


#: A tensor as expansion refers to it: a draft's index (its first output) or a :class:`Port`.
Tensor = Union[int, Port]


def _node(t: Tensor) -> int:
    """The draft a tensor belongs to."""
    return t.node if isinstance(t, Port) else t


class Handle(NamedTuple):
    """What an id refers to: a node's output, and for a block instance the ids inside it (for taps)."""

    node: Tensor
    inner: Optional[dict[str, "Handle"]] = None


class _Draft(NamedTuple):
    """A layer as expansion makes it: a node of the graph before the naming pass."""

    op: str
    params: Any
    inputs: tuple[Tensor, ...]
    scope: tuple[str, ...]
    span: Optional[Span]
    chain: tuple[Frame, ...]
    name: Optional[str]
    trainable: bool
    input_names: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()


class _Instance(NamedTuple):
    """A block instance as expansion makes it (its inputs and output are draft indexes)."""

    scope: tuple[str, ...]
    block: str
    span: Optional[Span]
    inputs: tuple[Tensor, ...]
    output: Tensor
    auto_name: bool = False


class Flow:
    """The wiring of one body as it is expanded: what each id refers to, and the output of the latest entry
    (``prev``: None before the first). A loop iteration shares its body's flow; a block call has its own."""

    __slots__ = ("ids", "prev")

    def __init__(self, ids: dict[str, Handle], prev: Optional[Tensor]):
        self.ids = ids
        self.prev = prev


class Scope(NamedTuple):
    """Where entries are expanded.

    Attributes:
        env: the names expressions see (spec and block parameters, ``name``, loop variables); never changed.
        flow: the ids and the previous entry (shared by the iterations of a loop).
        doc: the document the entries are written in.
        instance: the block instances the entries sit in, outermost first (the scope of their layers).
        chain: the block calls that led here, outermost first (for diagnostics).
        stack: the blocks being expanded (for recursion).
        trainable: False inside a call with ``trainable: false``.
    """

    env: Mapping[str, Any]
    flow: Flow
    doc: Document
    instance: tuple[str, ...] = ()
    chain: tuple[Frame, ...] = ()
    stack: tuple[str, ...] = ()
    trainable: bool = True

    def inner(self, env: Mapping[str, Any], call: Optional[Frame] = None, doc: Optional[Document] = None,
              flow: Optional[Flow] = None, trainable: bool = True) -> "Scope":
        """The scope of a loop iteration (``env`` only: the same ids, previous entry and instance), or with
        ``call`` that of a block's body: the block's document, its own flow, one instance and call deeper."""
        if call is None:
            return Scope(env, self.flow, self.doc, self.instance, self.chain, self.stack, self.trainable)
        assert doc is not None and flow is not None
        return Scope(env, flow, doc, self.instance + (call.instance,), self.chain + (call,),
                     self.stack + (call.block,), trainable)


def bind(env: Mapping[str, Any], names: dict[str, Any]) -> Mapping[str, Any]:
    """``env`` with ``names`` bound over it (``env`` itself is left as it is). Iterating it gives ``env``'s names,
    then the new ones, as ``{**env, **names}`` would."""
    if isinstance(env, dict) and len(env) <= _COPIED_ENV:
        return {**env, **names}
    return ChainMap(names, *env.maps) if isinstance(env, ChainMap) else ChainMap(names, env)


class Own(NamedTuple):
    """archc's keys of a call, evaluated and checked: its id, its input references, its name (and where that is
    written) and its trainable flag; None for each key not given."""

    ident: Optional[str] = None
    inputs: Optional[Union[list[str], dict[str, str]]] = None
    name: Optional[str] = None
    name_span: Optional[Span] = None
    trainable: Optional[bool] = None


_NO_OWN = Own()


class Expansion(NamedTuple):
    """What the entries pass makes: the layer drafts in graph order, the inputs, the outputs and the block
    instances (as draft indexes)."""

    name: str
    drafts: list[_Draft]
    inputs: list[int]
    outputs: list[Tensor]
    instances: list[_Instance]


@dataclass
class Expander:
    """The entries pass: turns a resolved spec into layer drafts. Use :func:`expand`."""

    spec: ResolvedSpec
    overrides: dict[str, Any] = field(default_factory=dict)
    diags: Collector = field(default_factory=Collector)
    drafts: list[_Draft] = field(default_factory=list)
    instances: list[_Instance] = field(default_factory=list)
    instance_names: dict[tuple[str, ...], Span | None] = field(default_factory=dict)
    block_counts: dict[str, int] = field(default_factory=dict)
    block_decls: dict[str, dict[str, Located]] = field(default_factory=dict)
    bodies: dict[str, Body] = field(default_factory=dict)
    params_cache: dict[tuple, Any] = field(default_factory=dict)
    globals: dict[str, Any] = field(default_factory=dict)
    claimed: dict[str, Span | None] = field(default_factory=dict)
    steps: int = 0
    #: Entries left out without a message of their own: they read the shape of a layer whose shape error the
    #: inference stage reports (see shape-aware blocks below).
    incomplete: int = 0
    #: The types inferred so far for expressions that read a shape (by draft index; None: cannot be inferred).
    known: dict[int, Any] = field(default_factory=dict)

    # -- diagnostics -------------------------------------------------------------------------------------------
    def error(self, code: str, message: str, span: Span | None, ctx: Any = None, path: tuple = (),
              hint: str | None = None) -> None:
        self.diags.add(code, message, span, chain=ctx.chain if ctx else (), path=path, hint=hint)

    def relay(self, diags: Iterable[Diagnostic], ctx: Any) -> None:
        """Records diagnostics made without a chain of block calls (pydantic's, or those of an entry read by
        entries.py) with the chain of ``ctx``."""
        chain = ctx.chain if ctx is not None else ()
        for d in diags:
            self.diags.items.append(Diagnostic(d.code, d.message, d.span, d.path, chain, d.hint))

    def expr_error(self, e: ExprError, doc: Document, path: tuple, ctx: Any, what: str = "") -> None:
        if e.quiet:  # it read the shape of a layer whose own error the inference stage reports
            self.incomplete += 1
            return
        self.error(e.code, (what + ": " if what else "") + e.message, expr_span(e, doc, path), ctx, path, e.hint)
        if e.fatal:  # the spec's work budget is spent: nothing more can be evaluated
            raise _Abort()

    # -- values ------------------------------------------------------------------------------------------------
    def evaluate(self, value: Any, env: Mapping[str, Any], doc: Document, path: tuple, ctx: Any, what: str = "",
                 tensors: bool = True) -> Any:
        """Evaluates the expressions inside ``value``; on error records it and raises _Skip. With ``tensors``, in
        a scope, an expression also sees the tensors of the scope's ids (see :meth:`with_tensors`)."""
        if value is None or type(value) in _PLAIN:
            return value
        try:
            if isinstance(value, dict):
                return {k: self.evaluate(v, env, doc, path + (k,), ctx, what, tensors) for k, v in value.items()}
            if isinstance(value, list):
                return [self.evaluate(v, env, doc, path + (i,), ctx, what, tensors) for i, v in enumerate(value)]
            if tensors and type(value) is str and type(ctx) is Scope:
                env = self.with_tensors(value, env, ctx)
            return evaluate_data(value, env)
        except ExprError as e:
            self.expr_error(e, doc, path, ctx, what)
            raise _Skip() from None

    # -- shape-aware expressions -------------------------------------------------------------------------------
    def with_tensors(self, value: str, env: Mapping[str, Any], scope: Scope) -> Mapping[str, Any]:
        """``env`` with a :class:`TensorRef` bound for each name the string's expressions read that is no variable
        but an id of ``scope`` (a block input, an earlier entry's id, a model input) or ``_`` (the previous entry).
        Nothing is inferred here: a tensor's type is inferred when an expression reads it."""
        names = string_names(value)
        if not names:
            return env
        ids = scope.flow.ids
        found: dict[str, TensorRef] = {}
        for n in names:
            if n in env:
                continue
            if n in ids:
                found[n] = self.tensor(ids[n], n)
            elif n == "_" and scope.flow.prev is not None:
                found[n] = self.tensor(Handle(scope.flow.prev), n)
        return bind(env, found) if found else env

    def tensor(self, handle: Handle, name: str) -> TensorRef:
        """The tensor an id refers to, for expressions (its taps, for a block instance)."""
        inner = handle.inner

        def tap(key: str) -> Optional[TensorRef]:
            return self.tensor(inner[key], f"{name}.{key}") if inner is not None and key in inner else None
        return TensorRef(name, lambda: self.type_of(handle.node), tap if inner is not None else None)

    def type_of(self, t: Tensor) -> Optional[tuple[tuple, str]]:
        """The static ``(shape, dtype)`` of tensor ``t`` (a draft's first output, or a :class:`Port`), inferred on
        demand (its ancestors first, each once: the results are kept), or None when it cannot be: the entry failed
        (reported), or a layer on the way has a shape error (which the inference stage reports)."""
        known = self.known
        if _node(t) == POISON:
            return None
        todo = [_node(t)]
        while todo:
            j = todo[-1]
            if j in known:
                todo.pop()
                continue
            draft = self.drafts[j]
            missing = [_node(i) for i in draft.inputs if _node(i) not in known]
            if missing:
                todo.extend(missing)
                continue
            todo.pop()
            ins = [self._known_type(i) for i in draft.inputs]
            if any(x is None for x in ins):
                known[j] = None
                continue
            try:
                known[j] = infer_node(draft.op, draft.params, ins, draft.input_names,  # type: ignore[arg-type]
                                      bool(draft.outputs))
            except ShapeError:
                known[j] = None
        found = self._known_type(t)
        return None if found is None else (found.shape, found.dtype)

    def _known_type(self, t: Tensor) -> Any:
        """The type of ``t`` among those inferred already (None when its layer's could not be)."""
        outs = self.known[_node(t)]
        if outs is None:
            return None
        if isinstance(t, Port):
            names = self.drafts[t.node].outputs
            return outs[names.index(t.output)] if t.output in names else None
        return outs[0]

    # -- parameters --------------------------------------------------------------------------------------------
    def bind_params(self, decls: dict[str, Located], given: dict[str, tuple[Any, Document | None, tuple]],
                    env: Mapping[str, Any], ctx: Any, owner: str, call_span: Span | None) -> dict[str, Any]:
        """Binds declared parameters to given values (already evaluated) or defaults; checks types. Linear in
        the number of parameters: a default sees ``env`` and the parameters bound before it."""
        self.count_steps(len(decls), call_span, ctx, ())
        out: dict[str, Any] = {}
        scope: Mapping[str, Any] | None = None  # env under the parameters bound so far, made when a default needs it
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
                    scope = ChainMap(out, env)
                value = self.evaluate(decl.default, scope, vdoc, vpath, ctx, f"default of '{name}'", tensors=False)
            problem = check_type(value, decl)
            if problem and vdoc is None:  # the value came from the command line
                self.error("E330", f"--set {name}: the parameter {problem}", None)
                raise _Skip()
            if problem:
                self.error("E310", f"{owner} parameter '{name}' {problem}", vdoc.span(vpath), ctx, vpath)
                raise _Skip()
            out[name] = value
        return out

    def missing_param(self, owner: str, name: str, loc: Located, ctx: Any, call_span: Span | None) -> None:
        """Reports a required parameter that was not given (at the call; for the spec's own, at its declaration)."""
        decl: ParamDecl = loc.value
        top = ctx is None  # a parameter of the spec itself: only --set can give it
        self.error("E310", f"{owner} needs parameter '{name}'" + (f" ({decl.doc})" if decl.doc else ""),
                   loc.span(key=True) if top else call_span, ctx,
                   hint=f"give it with --set {name}=<{decl.type}>" if top else f"add {name}: <{decl.type}>")

    def unknown_param(self, block: str, bdef: BlockDef, key: str, doc: Document, path: tuple, ctx: Any) -> None:
        """Reports an argument of a block call that the block does not declare."""
        self.error("E310", f"block '{block}' has no parameter '{key}'", doc.span(path, key=True), ctx, path,
                   hint=did_you_mean(key, [*bdef.params, *RESERVED_KEYS]) or
                   (f"its parameters: {', '.join(bdef.params)}" if bdef.params else "it takes no parameters"))

    def count_steps(self, n: int, span: Span | None, ctx: Any, path: tuple) -> None:
        """Counts ``n`` steps of expansion work (an entry, a loop iteration, a parameter bound); past MAX_STEPS
        the expansion ends with E312."""
        self.steps += n
        if self.steps > MAX_STEPS:
            self.too_many_steps(span, ctx, path)

    def too_many_steps(self, span: Span | None, ctx: Any, path: tuple) -> None:
        self.error("E312", f"expanding the spec takes more than {MAX_STEPS} steps (entries, loop iterations and "
                           f"block parameters bound included)", span, ctx, path,
                   hint="check repeat counts, loops and block sizes; the limit protects the compiler from "
                        "runaway specs")
        raise _Abort()

    # -- entries -----------------------------------------------------------------------------------------------
    def body_of(self, block: str) -> Body:
        """The body of ``block``, read into typed entries once."""
        body = self.bodies.get(block)
        if body is None:
            loc = self.spec.blocks[block]
            body = self.bodies[block] = classify_body(loc.value.layers, loc.doc, loc.path + ("layers",),
                                                      registry.REGISTRY, self.spec.blocks)
        return body

    def expand_body(self, entries: Iterable[TypedEntry], scope: Scope) -> None:
        """Expands typed entries in order: a block's or loop's body (read once however often it is expanded), or
        the model's own entries, read as they come."""
        flow = scope.flow
        for entry in entries:
            self.steps += 1
            if self.steps > MAX_STEPS:
                self.too_many_steps(scope.doc.span(entry.path), scope, entry.path)
            try:
                self.expand_entry(entry, scope)
            except _Skip:
                flow.prev = POISON
                ident = literal_id(entry.raw)
                if ident:
                    flow.ids[ident] = Handle(POISON)

    def expand_entry(self, entry: TypedEntry, scope: Scope) -> None:
        """Expands one typed entry (see entries.py) in ``scope``."""
        match entry:
            case LayerCall():
                self.expand_layer(entry, scope)
            case BlockCall():
                self.expand_call(entry, scope)
            case Repeat():
                self.expand_repeat(entry, scope)
            case ForLoop():
                self.expand_for(entry, scope)
            case Conditional():
                self.expand_if(entry, scope)
            case Invalid():
                self.relay(entry.problems, scope)
                raise _Skip()

    def check_body_problem(self, call: LayerCall | BlockCall, ctx: Any) -> None:
        """A call whose body cannot be read as arguments is reported (after the checks of its type) and abandoned."""
        if call.problem is not None:
            self.relay((call.problem,), ctx)
            raise _Skip()

    def own_keys(self, own: OwnKeys, ctx: Any) -> Own:
        """Evaluates and checks the archc keys of an entry: id, inputs, name, trainable (in that order)."""
        if own is NO_OWN_KEYS:
            return _NO_OWN
        doc, env = ctx.doc, ctx.env
        values: dict[str, Any] = {}
        for key in RESERVED_KEYS:
            raw = getattr(own, key)
            if raw is not None:
                v, p = raw
                values[key] = self.check_own(key, self.evaluate(v, env, doc, p, ctx, key), ctx, p)
        return Own(values.get("id"), values.get("inputs"), values.get("name"),
                   doc.span(own.name[1]) if own.name is not None else None, values.get("trainable"))

    def check_own(self, key: str, value: Any, ctx: Any, p: tuple) -> Any:
        """Checks the evaluated value of an archc key (id, inputs, name, trainable); ``inputs`` becomes a list."""
        doc = ctx.doc
        if key == "id" and (not isinstance(value, str) or not _IDENT_RE.match(value)):
            self.error("E201", f"an id is a name like 'shortcut' (letters, digits, _). Received: id={value!r}",
                       doc.span(p), ctx, p)
            raise _Skip()
        if key == "inputs":
            inputs = [value] if isinstance(value, str) else value
            refs = inputs.values() if isinstance(inputs, dict) else inputs
            if not isinstance(inputs, (list, dict)) or not all(isinstance(x, str) for x in refs):
                self.error("E201", f"inputs are references (ids): 'x', [a, b] or, for a layer with named inputs, "
                                   f"{{query: q, value: v}}. Received: inputs={value!r}"[:300], doc.span(p), ctx, p)
                raise _Skip()
            return inputs
        if key == "name" and (not isinstance(value, str) or not NAME_RE.match(value)):
            self.error("E321", f"{_name_rule(value)}. Received: name={short_repr(value, 80)}", doc.span(p), ctx, p)
            raise _Skip()
        if key == "trainable" and not isinstance(value, bool):
            self.error("E201", f"trainable is true or false. Received: trainable={value!r}", doc.span(p), ctx, p)
            raise _Skip()
        return value

    # -- references --------------------------------------------------------------------------------------------
    def resolve_inputs(self, refs: Optional[list[str]], scope: Scope, path: tuple) -> list[Tensor]:
        if refs is None:
            prev = scope.flow.prev
            return [] if prev is None else [prev]
        return [self.resolve_ref(ref, scope, path + (j,)) for j, ref in enumerate(refs)]

    def resolve_ref(self, ref: Any, scope: Scope, path: tuple) -> Tensor:
        self.check_ref_type(ref, scope, path)
        if ref == "_":
            if scope.flow.prev is None:
                self.error("E320", "'_' (the previous entry) has nothing before it here", scope.doc.span(path),
                           scope, path)
                raise _Skip()
            return scope.flow.prev
        parts = ref.split(".")
        table: Optional[dict[str, Handle]] = scope.flow.ids
        handle: Optional[Handle] = None
        for k, part in enumerate(parts):
            if table is None and handle is not None and k == len(parts) - 1:  # `lstm.state_h`: a layer's output
                return self.output_port(handle.node, ref, scope, path)
            if table is None or part not in table:
                self.unknown_ref(ref, k, list(table or {}), scope, path)
            handle = table[part]
            if handle.node == POISON and handle.inner is None:  # its entry failed and was reported already
                return POISON
            table = handle.inner
        assert handle is not None
        return handle.node

    def output_port(self, node: Tensor, ref: str, ctx: Any, path: tuple) -> Tensor:
        """The output ``ref`` names after its last dot (``lstm.state_h``) of the layer ``node``: the draft itself
        for its first output, else a :class:`Port`; an output the layer does not have is E320."""
        head, _, name = ref.rpartition(".")
        outputs = () if isinstance(node, Port) else self.drafts[node].outputs
        if name in outputs:
            return node if name == outputs[0] else Port(node, name)  # type: ignore[arg-type]
        what = "its output is a tensor" if isinstance(node, Port) else f"{self.drafts[node].op} '{head}'"
        if outputs:
            hint = did_you_mean(name, outputs) or f"its outputs: {', '.join(outputs)}"
        else:
            hint = ("it has one output: refer to it as '" + head + "'" if isinstance(node, Port) else
                    "it has one output with these arguments: refer to it as '" + head + "'")
        self.error("E320", f"unknown reference '{ref}': {what} has no output '{name}'", ctx.doc.span(path), ctx, path,
                   hint=hint)
        raise _Skip()

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

    # -- names given in the spec -------------------------------------------------------------------------------
    def claim_name(self, name: str, span: Span | None, ctx: Any) -> None:
        """Records an explicit layer name; a second use is an error (reported even if the layer itself failed),
        and abandons the entry like any invalid key, so that what reads it stays quiet."""
        first = self.claimed.get(name)
        if first is not None:
            self.diags.items.append(Diagnostic(
                "E321", f"layer name '{name}' is used twice" + (f" (first at {first})" if first else ""), span,
                chain=ctx.chain if ctx else (), hint="names must be unique in a model; in a block or a repeat, "
                                                     "build names from parameters: name: ${name}_conv"))
            raise _Skip()
        self.claimed[name] = span

    def instance_name(self, block: str, name: Optional[str], outer: tuple[str, ...]) -> str:
        """A block instance's name: the one given, else ``block_N`` with the next N free among its siblings."""
        if name is not None:
            return name
        n = self.block_counts.get(block, 0) + 1
        instance = f"{block}_{n}"
        while outer + (instance,) in self.instance_names:
            n += 1
            instance = f"{block}_{n}"
        self.block_counts[block] = n
        return instance

    # -- layers ------------------------------------------------------------------------------------------------
    def add_node(self, draft: _Draft) -> int:
        if len(self.drafts) >= MAX_LAYERS:
            self.error("E312", f"the spec expands to more than {MAX_LAYERS} layers", draft.span, None,
                       hint="check repeat counts; the limit protects the compiler from runaway specs")
            raise _Abort()
        self.drafts.append(draft)
        return len(self.drafts) - 1

    def expand_layer(self, call: LayerCall, scope: Scope) -> None:
        op, kpath, doc = call.op, call.key_path, scope.doc
        defn = registry.REGISTRY[op]
        self.check_layer_type(op, scope, kpath)
        self.check_body_problem(call, scope)
        own = self.own_keys(call.own, scope)
        values: dict[str, Any] = {}
        failed = False
        for k, v, p in call.args:
            if v is None or type(v) in _PLAIN:  # most arguments are written as plain values
                values[k] = v
                continue
            try:
                values[k] = self.evaluate(v, scope.env, doc, p, scope, f"{op}.{k}")
            except _Skip:
                failed = True
        if failed:
            raise _Skip()
        if "layer" in values and defn.wraps:
            try:
                values["layer"] = self.wrapped_layer(defn, values["layer"], call, scope)
            except _Skip:  # the wrapper's other arguments are still checked
                try:
                    defn.params.model_validate({**values, "layer": None})
                except pydantic.ValidationError as e:
                    self.argument_errors(e, op, call.body, scope, kpath, lambda code, loc: loc[:1] != ("layer",))
                raise
        if "layers" in values and defn.wraps:
            values["layers"] = self.member_layers(defn, values["layers"], call, scope)
        params = self.layer_params(defn, values, call, scope)
        if defn.input_names:
            inputs, input_names = self.named_inputs(defn, own.inputs, scope, call)
        else:
            input_names = ()
            if isinstance(own.inputs, dict):
                self.check_input_names(defn, own.inputs, scope, call.own.inputs[1])  # type: ignore[index]
            inputs = self.resolve_inputs(own.inputs, scope, kpath[:-1] + ("inputs",) if own.inputs is not None
                                         else call.path)
        self.check_arity(op, len(inputs), scope, kpath)
        if own.name is not None:
            self.claim_name(own.name, own.name_span, scope)
        flow = scope.flow
        if POISON in inputs:
            flow.prev = POISON
            if own.ident:
                flow.ids[own.ident] = Handle(POISON)
            return
        trainable = scope.trainable if own.trainable is None else own.trainable and scope.trainable
        key = self.add_node(_Draft(op, params, tuple(inputs), scope.instance, doc.span(kpath, key=True), scope.chain,
                                   own.name, trainable, input_names,
                                   () if defn.outputs is None else defn.output_names(params)))
        flow.prev = key
        if own.ident:
            flow.ids[own.ident] = Handle(key)

    def named_inputs(self, defn: Any, refs: Any, scope: Scope, call: LayerCall) -> tuple[list[Tensor], tuple[str, ...]]:
        """The inputs of a layer with named inputs (``defn.input_names``) and their names, in the declared order:
        from ``{query: q, value: v}``, from a list (by position) or, without ``inputs``, the previous entry as the
        first. An unknown name, or a required one (the first ``arity[0]``) left out, is E325."""
        declared = defn.input_names
        if not isinstance(refs, dict):
            inputs = self.resolve_inputs(refs, scope, call.own.inputs[1] if refs is not None else call.path)
            return inputs, declared[:len(inputs)]
        path = call.own.inputs[1]  # type: ignore[index]
        self.check_input_names(defn, refs, scope, path)
        names = tuple(n for n in declared if n in refs)
        return [self.resolve_ref(refs[n], scope, path + (n,)) for n in names], names

    def check_input_names(self, defn: Any, refs: dict, ctx: Any, path: tuple) -> None:
        """E325 for a name in ``inputs: {...}`` that the layer does not declare, or a required one left out."""
        declared, doc = defn.input_names, ctx.doc
        if not declared:
            self.error("E325", f"{defn.op} takes its inputs by position, not by name", doc.span(path), ctx, path,
                       hint="write inputs: [a, b]; named inputs are for layers such as MultiHeadAttention")
            raise _Skip()
        for name in refs:
            if name not in declared:
                self.error("E325", f"{defn.op} has no input '{name}'", doc.span(path + (name,), key=True), ctx,
                           path + (name,), hint=did_you_mean(name, declared) or f"its inputs: {', '.join(declared)}")
                raise _Skip()
        missing = [n for n in declared[:defn.arity[0]] if n not in refs]
        if missing:
            self.error("E325", f"{defn.op} needs input{'s' if len(missing) > 1 else ''} "
                               f"{', '.join(repr(m) for m in missing)}", doc.span(path), ctx, path,
                       hint=f"add {missing[0]}: <id> to its inputs (its inputs: {', '.join(declared)}; the first "
                            f"{defn.arity[0]} are required)")
            raise _Skip()

    def wrapped_layer(self, defn: Any, value: Any, call: LayerCall, ctx: Any) -> Any:
        """The inner layer of a wrapper (``Bidirectional: {layer: {LSTM: {units: 32}}}``), validated with the inner
        type's own arguments model, its errors at their own positions."""
        from .layers.wrappers import Wrapped

        kpath = next(p for k, _, p in call.args if k == "layer")
        doc = ctx.doc
        if not (isinstance(value, dict) and len(value) == 1 and next(iter(value)) in registry.REGISTRY):
            self.error("E201", f"{defn.op}.layer is one layer entry, its type as the key: "
                               f"{{LSTM: {{units: 32}}}}. Received: {short_repr(value, 80)}", doc.span(kpath), ctx,
                       kpath, hint=did_you_mean(next(iter(value)), registry.REGISTRY) if isinstance(value, dict)
                       and len(value) == 1 else None)
            raise _Skip()
        (op, args), = value.items()
        inner = registry.REGISTRY[op]
        problem = defn.wraps(op, inner)
        if problem:
            self.error("E201", f"{defn.op}.layer: {problem}", doc.span(kpath + (op,), key=True), ctx, kpath + (op,))
            raise _Skip()
        if args is not None and not isinstance(args, dict):
            args = {inner.positional: args} if inner.positional else args
        if not isinstance(args, (dict, type(None))):
            self.error("E201", f"{op} takes a mapping of arguments. Received: {short_repr(args, 80)}",
                       doc.span(kpath + (op,)), ctx, kpath + (op,))
            raise _Skip()
        try:
            params = inner.params.model_validate(args or {})
        except pydantic.ValidationError as e:
            self.argument_errors(e, op, value[op], ctx, kpath + (op,))
            raise _Skip() from None
        return Wrapped(op, params)

    def member_layers(self, defn: Any, value: Any, call: LayerCall, ctx: Any) -> Any:
        """The inner layers of a container (``Sequential: {layers: [{Conv2D: {..., name: c}}, ...]}``), each
        validated with its own type's arguments model and its name claimed (unique in the model), every error at
        its own position."""
        from .layers.containers import Member, Members

        kpath = next(p for k, _, p in call.args if k == "layers")
        doc = ctx.doc
        if not isinstance(value, list) or not value:
            self.error("E201", f"{defn.op}.layers is a non-empty list of layer entries, each with its name: "
                               f"[{{Conv2D: {{filters: 8, kernel_size: 3, name: conv}}}}]. Received: "
                               f"{short_repr(value, 80)}", doc.span(kpath), ctx, kpath)
            raise _Skip()
        members, failed = [], False
        for i, entry in enumerate(value):
            path = kpath + (i,)
            try:
                members.append(self.member_layer(defn, entry, path, ctx))
            except _Skip:
                failed = True
        if failed:
            raise _Skip()
        return Members(tuple(Member(op, params, name) for op, params, name in members))

    def member_layer(self, defn: Any, entry: Any, path: tuple, ctx: Any) -> tuple[str, Any, str]:
        """One inner layer of a container: (type, validated parameters, name)."""
        doc = ctx.doc
        if not (isinstance(entry, dict) and len(entry) == 1 and next(iter(entry)) in registry.REGISTRY):
            self.error("E201", f"{defn.op}.layers: an inner layer is one layer entry, its type as the key: "
                               f"{{Conv2D: {{filters: 8, kernel_size: 3, name: conv}}}}. Received: "
                               f"{short_repr(entry, 80)}", doc.span(path), ctx, path,
                       hint=did_you_mean(next(iter(entry)), registry.REGISTRY) if isinstance(entry, dict)
                       and len(entry) == 1 else None)
            raise _Skip()
        (op, args), = entry.items()
        inner = registry.REGISTRY[op]
        problem = defn.wraps(op, inner)
        if problem:
            self.error("E201", f"{defn.op}.layers: {problem}", doc.span(path + (op,), key=True), ctx, path + (op,))
            raise _Skip()
        if args is not None and not isinstance(args, dict):
            self.error("E201", f"{defn.op}.layers: {op} takes a mapping of arguments with its name. Received: "
                               f"{short_repr(args, 80)}", doc.span(path + (op,)), ctx, path + (op,))
            raise _Skip()
        args = dict(args or {})
        name = args.pop("name", None)
        if name is None:
            self.error("E202", f"{defn.op}.layers: inner layer {op} needs its Keras name (name: ...)",
                       doc.span(path + (op,), key=True), ctx, path + (op,),
                       hint="a Sequential's layers are named explicitly: name: ${name}_conv")
            raise _Skip()
        if not isinstance(name, str) or not NAME_RE.match(name):
            self.error("E321", f"{_name_rule(name)}. Received: name={short_repr(name, 80)}",
                       doc.span(path + (op, "name")), ctx, path + (op, "name"))
            raise _Skip()
        try:
            params = inner.params.model_validate(args)
        except pydantic.ValidationError as e:
            self.argument_errors(e, op, entry[op], ctx, path + (op,))
            raise _Skip() from None
        self.claim_name(name, doc.span(path + (op, "name")), ctx)
        return op, params, name

    def layer_params(self, defn: Any, values: dict[str, Any], call: LayerCall, ctx: Any) -> Any:
        """The layer's validated arguments. The same arguments give the same (immutable) parameters, so they are
        validated once per spec."""
        key = _frozen_args(defn.op, values)
        params = self.params_cache.get(key) if key is not None else None
        if params is None:
            try:
                params = defn.params.model_validate(values)
            except pydantic.ValidationError as e:
                self.argument_errors(e, defn.op, call.body, ctx, call.key_path)
                raise _Skip() from None
            if key is not None:
                self.params_cache[key] = params
        return params

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
        out = []
        for d in pydantic_diagnostics(e, doc, base, registry.REGISTRY[op].params):
            if keep is not None and not keep(d.code, d.path[len(base):]):
                continue
            sep = "." if len(d.path) > len(kpath) or not isinstance(body, dict) else ": "
            msg = d.message if d.code != "E201" else f"{op}{sep}{d.message}"
            span, dpath = d.span, d.path
            if d.code == "E201" and not isinstance(body, dict):  # the shorthand value: `Dense: 0`
                span, dpath = doc.span(kpath), kpath
            out.append(Diagnostic(d.code, msg, span, dpath, (), d.hint))
        self.relay(out, ctx)

    def check_arity(self, op: str, n: int, ctx: Any, kpath: tuple) -> None:
        """Checks that a layer gets as many inputs as it takes."""
        lo, hi = registry.REGISTRY[op].arity
        if not (lo <= n and (hi is None or n <= hi)):
            want = f"{lo}" if lo == hi else f"at least {lo}" if hi is None else f"{lo} to {hi}"
            self.error("E322", f"{op} takes {want} input(s). Received: {n}", ctx.doc.span(kpath, key=True), ctx,
                       kpath, hint="list them with inputs: [a, b] (ids of earlier entries; '_' is the previous one)"
                       if lo > 1 else None)
            raise _Skip()

    # -- block calls -------------------------------------------------------------------------------------------
    def expand_call(self, call: BlockCall, scope: Scope) -> None:
        block, kpath, doc = call.block, call.key_path, scope.doc
        loc = self.spec.blocks[block]
        bdef: BlockDef = loc.value
        span = doc.span(kpath, key=True)
        self.check_recursion(block, scope.stack, scope, kpath)
        if len(scope.stack) >= MAX_BLOCK_DEPTH:
            self.error("E312", f"blocks nest deeper than {MAX_BLOCK_DEPTH} levels", span, scope, kpath)
            raise _Skip()
        self.check_body_problem(call, scope)
        own = self.own_keys(call.own, scope)
        given: dict[str, tuple[Any, Document | None, tuple]] = {}
        failed = False
        for k, v, p in call.args:
            if k not in bdef.params:
                self.unknown_param(block, bdef, k, doc, p, scope)
                failed = True
                continue
            try:
                given[k] = (self.evaluate(v, scope.env, doc, p, scope, f"{block}.{k}"), doc, p)
            except _Skip:
                failed = True
        if failed:
            raise _Skip()
        decls = self.block_decls.get(block)
        if decls is None:
            decls = self.block_decls[block] = {k: Located(d, loc.doc, loc.path + ("params", k))
                                               for k, d in bdef.params.items()}
        bound = self.bind_params(decls, given, self.globals, scope, f"block '{block}'", span)
        if isinstance(own.inputs, dict):
            self.block_inputs_by_name(block, bdef, call, scope)
        inputs = self.resolve_inputs(own.inputs, scope, kpath[:-1] + ("inputs",) if own.inputs is not None
                                     else call.path)
        self.check_block_inputs(block, bdef, len(inputs), scope, kpath)
        instance = self.instance_name(block, own.name, scope.instance)
        where = scope.instance + (instance,)
        if where in self.instance_names:
            first = self.instance_names[where]
            self.error("E321", f"block instance name '{instance}' is used twice" + (f" (first at {first})" if first
                                                                                   else ""), own.name_span or span,
                       scope)
            raise _Skip()
        self.instance_names[where] = span
        env = bind(self.globals, {**bound, "name": instance})
        flow = Flow({n: Handle(i) for n, i in zip(bdef.inputs, inputs)}, inputs[0] if inputs else None)
        trainable = scope.trainable if own.trainable is None else own.trainable and scope.trainable
        inner = scope.inner(env, Frame(block, instance, span), loc.doc, flow, trainable)
        self.expand_body(self.body_of(block).entries, inner)
        out = flow.prev
        if bdef.output is not None:
            opath = loc.path + ("output",)
            try:
                out = self.resolve_ref(self.evaluate(bdef.output, env, loc.doc, opath, inner), inner, opath)
            except _Skip:
                out = POISON
        if out is None:  # pragma: no cover (a block has at least one entry)
            out = POISON
        self.instances.append(_Instance(where, block, span, tuple(inputs), out, own.name is None))
        scope.flow.prev = out
        if own.ident:
            scope.flow.ids[own.ident] = Handle(out, flow.ids)

    def block_inputs_by_name(self, block: str, bdef: BlockDef, call: BlockCall, ctx: Any) -> None:
        """A block takes its inputs by position (in the order of its ``inputs:``): a mapping is E325."""
        p = call.own.inputs[1]  # type: ignore[index]
        self.error("E325", f"block '{block}' takes its inputs by position, not by name", ctx.doc.span(p), ctx, p,
                   hint=f"write inputs: [...] in the order of its inputs ({', '.join(bdef.inputs)})")
        raise _Skip()

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

    # -- loops and conditionals --------------------------------------------------------------------------------
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

    def expand_repeat(self, loop: Repeat, scope: Scope) -> None:
        doc, path = scope.doc, loop.path
        count = self.evaluate(loop.count, scope.env, doc, path + ("repeat",), scope, "repeat")
        start = self.evaluate(loop.start, scope.env, doc, path + ("start",), scope, "start")
        self.check_control("repeat", count, scope, path)
        self.check_control("start", start, scope, path)
        self.iterate(loop.var, range(start, start + count), loop.body, scope)

    def expand_for(self, loop: ForLoop, scope: Scope) -> None:
        values = self.evaluate(loop.values, scope.env, scope.doc, loop.path + ("in",), scope, "in")
        self.check_control("in", values, scope, loop.path)
        self.iterate(loop.var, values, loop.body, scope)

    def iterate(self, var: str, values: Iterable[Any], body: Body, scope: Scope) -> None:
        """Expands ``body`` once per value, each iteration in a scope of its own with ``var`` bound."""
        for v in values:
            self.expand_body(body.entries, scope.inner(bind(scope.env, {var: v})))

    def expand_if(self, cond: Conditional, scope: Scope) -> None:
        value = self.evaluate(cond.cond, scope.env, scope.doc, cond.path + ("if",), scope, "if")
        self.check_control("if", value, scope, cond.path)
        if value:
            self.expand_body(cond.then.entries, scope)
        elif cond.otherwise is not None:
            self.expand_body(cond.otherwise.entries, scope)

    # -- the model ---------------------------------------------------------------------------------------------
    def run(self) -> Expansion:
        """Expands the model's entries. Raises CompileError with every problem found."""
        expansion = self.expand_model()
        if self.diags:
            raise CompileError(self.diags.items, self.spec.sources)
        return expansion

    def expand_model(self) -> Expansion:
        """Expands the model's entries as far as they go: the drafts of every entry that expanded (one that failed
        is left out with whatever reads it, its problem in ``diags``). Raises CompileError when nothing can be
        expanded (the spec's own parameters are wrong, no model) or a hard limit stopped the expansion."""
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
        flow = Flow({}, None)
        scope = Scope(self.globals, flow, mdoc)
        inputs = self.model_inputs(mdef, mdoc, mpath, scope)
        flow.prev = flow.ids[next(iter(mdef.inputs))].node if mdef.inputs else None
        try:
            self.expand_body(read_entries(mdef.layers, mdoc, mpath + ("layers",), registry.REGISTRY, spec.blocks),
                             scope)
        except _Abort:
            raise CompileError(self.diags.items, spec.sources) from None
        outs: list[Tensor] = []
        if mdef.outputs is None:
            outs = [flow.prev] if flow.prev is not None else []
        else:
            refs = [mdef.outputs] if isinstance(mdef.outputs, str) else mdef.outputs
            for j, r in enumerate(refs):
                p = mpath + ("outputs",) + ((j,) if not isinstance(mdef.outputs, str) else ())
                try:
                    ref = self.evaluate(r, scope.env, mdoc, p, scope, "outputs")
                    outs.append(self.resolve_ref(ref, scope, p))
                except _Skip:
                    outs.append(POISON)
        return Expansion(spec.name, self.drafts, inputs, outs, self.instances)

    def model_inputs(self, mdef: ModelDef, mdoc: Document, mpath: tuple, scope: Scope) -> list[int]:
        """Makes the model's Input layers (each named by its key unless it says otherwise); returns their drafts."""
        ids = scope.flow.ids
        out = []
        input_model = registry.REGISTRY["Input"].params
        for key, decl in mdef.inputs.items():
            p = mpath + ("inputs", key)
            try:
                shape = self.evaluate(decl.shape, scope.env, mdoc, p + ("shape",), scope, "shape")
                params = input_model.model_validate({"shape": shape, "dtype": decl.dtype})
            except _Skip:
                ids[key] = Handle(POISON)
                continue
            except pydantic.ValidationError as e:
                self.relay([Diagnostic(d.code, "input " + d.message, d.span, d.path)
                            for d in pydantic_diagnostics(e, mdoc, p, input_model)], None)
                ids[key] = Handle(POISON)
                continue
            try:
                name = key if decl.name is None else self.evaluate(decl.name, scope.env, mdoc, p + ("name",), scope,
                                                                   "name")
                if not isinstance(name, str) or not NAME_RE.match(name):
                    self.error("E321", f"{_name_rule(name)}. Received: name={short_repr(name, 80)}",
                               mdoc.span(p + ("name",) if decl.name else p, key=decl.name is None), scope, p)
                    raise _Skip()
                self.claim_name(name, mdoc.span(p, key=True), None)
            except _Skip:
                ids[key] = Handle(POISON)
                continue
            node = self.add_node(_Draft("Input", params, (), (), mdoc.span(p, key=True), (), name, True))
            ids[key] = Handle(node)
            out.append(node)
        return out

    def bind_globals(self) -> dict[str, Any]:
        """Evaluates the spec's parameters in order, applying --set overrides."""
        spec = self.spec
        given: dict[str, tuple[Any, Document | None, tuple]] = {}
        for k, v in self.overrides.items():
            if k not in spec.params:
                self.error("E330", f"--set {k}: the spec has no parameter '{k}'", None,
                           hint=did_you_mean(k, spec.params) or (f"its parameters: {', '.join(spec.params)}"
                                                                 if spec.params else "it declares no parameters"))
                continue
            given[k] = (v, None, ("--set", k))
        if self.diags:
            raise CompileError(self.diags.items, spec.sources)
        try:
            return self.bind_params(spec.params, given, {}, None, "the spec", None)
        except _Skip:
            raise CompileError(self.diags.items, spec.sources) from None


# -- the naming and unused-output passes, and the frozen graph -------------------------------------------------------

def assign_names(drafts: list[_Draft]) -> list[str]:
    """The naming pass: each draft's Keras layer name. Explicit names stay (their duplicates were reported when
    they were claimed); every other layer gets Keras's automatic name in graph order (``conv2d``, ``conv2d_1``, ...),
    skipping the names given explicitly anywhere in the graph."""
    taken = {d.name for d in drafts if d.name is not None}
    taken.update(m.name for d in drafts if d.op == "Sequential" for m in d.params.layers)  # a container's layers
    stems: dict[str, str] = {}
    counters: dict[str, int] = {}
    names = []
    for d in drafts:
        if d.name is not None:
            names.append(d.name)
            continue
        stem = stems.get(d.op)
        if stem is None:
            stem = stems[d.op] = registry.default_name(d.op)  # inputs are always named (by their key)
        n = counters.get(stem, 0)
        cand = stem if n == 0 else f"{stem}_{n}"
        while cand in taken:
            n += 1
            cand = f"{stem}_{n}"
        counters[stem] = n + 1
        taken.add(cand)
        names.append(cand)
    return names


def unused_outputs(drafts: list[_Draft], names: list[str], outputs: list[int]) -> list[Diagnostic]:
    """The unused-output pass: E403 for every layer whose output feeds no model output."""
    live = [False] * len(drafts)
    todo = [_node(o) for o in outputs if o != POISON]
    while todo:
        k = todo.pop()
        if live[k]:
            continue
        live[k] = True
        todo.extend(_node(i) for i in drafts[k].inputs)
    return [Diagnostic("E403", f"the output of layer '{names[k]}' ({d.op}) is never used", d.span, chain=d.chain,
                       hint="feed it to another entry with inputs: [...] or list it in model.outputs")
            for k, d in enumerate(drafts) if not live[k]]


def freeze(expansion: Expansion, names: list[str]) -> Graph:
    """The immutable IR graph of an expansion whose layers are named. After a failed expansion, the outputs and
    block instances that would be failed entries are left out (the graph is then only for inference)."""
    def ref(t: Tensor) -> str:
        return port(names[t.node], t.output) if isinstance(t, Port) else names[t]

    def failed(t: Tensor) -> bool:
        return _node(t) == POISON
    nodes = tuple(Node(names[k], d.op, d.params, tuple([names[i] if i.__class__ is int else ref(i) for i in d.inputs]),
                       d.scope, d.span, d.chain, d.trainable, d.input_names, d.outputs, d.name is None)
                  for k, d in enumerate(expansion.drafts))
    blocks = tuple(BlockInstance(b.scope, b.block, b.span, tuple(ref(i) for i in b.inputs), ref(b.output),
                                 b.auto_name)
                   for b in expansion.instances if not failed(b.output) and not any(failed(i) for i in b.inputs))
    return Graph(expansion.name, nodes, tuple(names[k] for k in expansion.inputs),
                 tuple(ref(o) for o in expansion.outputs if not failed(o)), blocks)


def expand_partial(spec: ResolvedSpec, overrides: dict[str, Any] | None = None) -> tuple[Graph, list[Diagnostic]]:
    """Expands a resolved spec as far as it goes: the entries pass, naming, and (when every entry expanded) the
    unused-output check. Returns the graph of every entry that expanded, and the problems. An entry that failed is
    left out with whatever reads its output, so the graph can still be inferred and its shape errors reported in
    the same run, without one about a layer downstream of the failure. The unused-output check (E403) needs the
    whole graph: after a failure it is not made (what fed the failed entry would look unused).

    Raises:
        CompileError: when nothing can be expanded (the spec's own parameters, ``--set``) or a hard limit (E312,
        the work budget) stopped the expansion: the problems found so far.
    """
    graph, problems, _ = _expand(spec, overrides)
    return graph, problems


def _expand(spec: ResolvedSpec, overrides: dict[str, Any] | None) -> tuple[Graph, list[Diagnostic], bool]:
    """:func:`expand_partial`, and whether entries were left out without a message of their own (they read the
    shape of a layer whose shape error inference reports)."""
    expander = Expander(spec, dict(overrides or {}))
    expansion = expander.expand_model()
    names = assign_names(expansion.drafts)
    problems = list(expander.diags.items)
    if not problems and not expander.incomplete:
        problems = unused_outputs(expansion.drafts, names, expansion.outputs)
    return freeze(expansion, names), problems, bool(expander.incomplete)


def expand(spec: ResolvedSpec, overrides: dict[str, Any] | None = None) -> Graph:
    """Expands a resolved spec into an IR graph: the entries pass, then naming, then the unused-output check.

    Raises:
        CompileError: every independent problem, each at its position with its chain of block calls.
    """
    graph, problems, incomplete = _expand(spec, overrides)
    if incomplete and not problems:  # an entry read a shape that cannot be inferred: that layer's error
        problems = infer_partial(graph)[1]
    if problems:
        raise CompileError(problems, spec.sources)
    return graph


# -- helpers -----------------------------------------------------------------------------------------------------

def _frozen_args(op: str, values: dict[str, Any]) -> tuple | None:
    """A key that is equal for equal arguments of the same type (``1``, ``1.0`` and ``true`` differ; so do ``0.0``
    and ``-0.0``), or None for a value that has none."""
    try:
        return (op, tuple((k, _frozen(v)) for k, v in values.items()))
    except TypeError:
        return None


def _frozen(v: Any) -> Any:
    t = type(v)
    if t is dict:
        return (dict, tuple((k, _frozen(x)) for k, x in v.items()))
    if t is list:
        return (list, tuple(_frozen(x) for x in v))
    if t is float:
        return (float, repr(v))
    if t in (int, str, bool) or v is None:
        return (t, v)
    raise TypeError(t)


def _name_rule(name: Any) -> str:
    """What a valid layer name is, with the part ``name`` breaks first."""
    rule = "a layer name is 1 to 200 letters, digits, '_', '.' or '-', starting with a letter, digit or '_'"
    if isinstance(name, str) and "/" in name:
        rule += " (Keras 3 does not allow '/' in layer names)"
    elif isinstance(name, str) and len(name) > 200:
        rule += f" (this one has {len(name)} characters)"
    return rule


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
