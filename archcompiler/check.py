"""Checking blocks on their own: every block of a block library, and the blocks a model never calls.

The expander (expand.py) checks a block's body when a call expands it, with that call's arguments, and only in the
branches and iterations those arguments select. Here each body is checked once, for all calls at the same time:
the block's parameters, the spec's parameters, ``name`` and the loop variables are known by name, their values
are not. What is reported is wrong whatever the arguments are:

* expressions that do not parse or that name an unknown variable or function (a loop variable is known only in
  its loop), and parameter defaults that are not of their declared type;
* unknown layer or block types, unknown layer arguments, missing required ones and literal arguments of the wrong
  type or out of range;
* references (``inputs:``, ``output:``, taps) to ids not defined above them in the body, and wrong numbers of
  inputs;
* calls of blocks with unknown, missing or (literal) mistyped parameters, and blocks that call themselves.

A value computed from a parameter or a loop variable is unknown here, so the checks that need it (an argument's
range, a repeat count, a condition) are left to the expander, at each call. Both branches of a conditional are
checked and a loop's body once; ids defined in a branch or a loop are known after it. Only a branch or loop that
no call can reach (``if: false``, ``repeat: 0``) is skipped, as expansion skips it.

The checker is an :class:`~archcompiler.expand.Expander` whose values may be unknown: it reads the same typed
entries (entries.py) and reuses the expander's checks and messages, so an error reads the same whether a call or
the library check finds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Optional

import pydantic

from . import layers as registry
from .diagnostics import Diagnostic
from .entries import RESERVED_KEYS, BlockCall, Body, Conditional, ForLoop, Invalid, LayerCall, OwnKeys, Repeat
from .entries import called_blocks, literal_id
from .expand import MAX_BLOCK_DEPTH, Expander, _Abort, _Skip, check_type
from .expressions import FUNCTIONS, Call, ExprError, Node, Var, compile_string, evaluate, evaluate_string, free_names
from .ir import Graph
from .load import Located, ResolvedSpec, _with_dependencies
from .parse import Document
from .spec import BlockDef


class _Unknown:
    """A value that depends on a parameter or a loop variable: known only when a call expands the block."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN: Any = _Unknown()


@dataclass
class _Ids:
    """The ids defined so far in a body, each with the ids inside it (a block instance) or None (a layer).
    ``open``: an id was computed by an expression (or the table is not known), so any name may be defined."""

    names: dict[str, Optional["_Ids"]] = field(default_factory=dict)
    open: bool = False
    #: The ids of layers that may have several outputs (``lstm.state_h`` is checked when a call expands them).
    several: set[str] = field(default_factory=set)

    def copy(self) -> "_Ids":
        return _Ids(dict(self.names), self.open, set(self.several))

    def merge(self, other: "_Ids") -> None:
        """Adds the ids of another branch (an id that is a different thing in each is no longer checked inside)."""
        for k, v in other.names.items():
            self.names[k] = v if k not in self.names or self.names[k] is v else _Ids(open=True)
        self.open = self.open or other.open
        self.several |= other.several


@dataclass
class _Body:
    """Where the checker is: the block's document, the names in scope (all UNKNOWN) and the ids defined so far.
    ``doc`` and ``chain`` make it usable where the expander's methods take their context."""

    doc: Document
    env: dict[str, Any]
    ids: _Ids
    chain: tuple = ()

    def inner(self, env: dict[str, Any], ids: Optional[_Ids] = None) -> "_Body":
        """The same body with other names in scope (a loop's), and the same ids unless ``ids`` is given."""
        return _Body(self.doc, env, self.ids if ids is None else ids, self.chain)


@dataclass
class BlockChecker(Expander):
    """Checks block bodies without a caller. Use :func:`check_blocks`."""

    report: set[str] = field(default_factory=set)
    tables: dict[str, _Ids] = field(default_factory=dict)
    active: list[str] = field(default_factory=list)
    names: dict[str, Any] = field(default_factory=dict)

    def check(self, blocks: Iterable[str], spec_params: bool) -> list[Diagnostic]:
        self.report = set(blocks)
        if spec_params:
            self.names = self.check_params(self.spec.params, {}, "the spec")
        else:
            self.names = {k: UNKNOWN for k in self.spec.params}
        try:
            for block in self.spec.blocks:
                if block in self.report:
                    self.table(block)
        except _Abort:  # the spec's work budget ran out: what was found so far is the report
            pass
        return list(self.diags.items)

    # -- values ------------------------------------------------------------------------------------------------
    def value(self, v: Any, env: dict, doc: Document, path: tuple, ctx: Any, what: str = "") -> Any:
        """Checks the expressions inside ``v``: its value when it uses no variable, else UNKNOWN (also after an
        error, which is recorded)."""
        if isinstance(v, dict):
            d = {k: self.value(x, env, doc, path + (k,), ctx, what) for k, x in v.items()}
            return UNKNOWN if any(x is UNKNOWN for x in d.values()) else d
        if isinstance(v, list):
            items = [self.value(x, env, doc, path + (i,), ctx, what) for i, x in enumerate(v)]
            return UNKNOWN if any(x is UNKNOWN for x in items) else items
        if not isinstance(v, str):
            return v
        try:
            compiled = compile_string(v)
        except ExprError as e:
            self.expr_error(e, doc, path, ctx, what)
            return UNKNOWN
        if compiled[0] == "lit":
            return compiled[1]
        trees = [compiled[1]] if compiled[0] == "expr" else [p[0] for p in compiled[1] if not isinstance(p, str)]
        uses, ok = False, True
        for tree in trees:
            for node in _names(tree):
                if isinstance(node, Var) and (node.name in env or _is_tensor(node.name, ctx)):
                    uses = True
                elif isinstance(node, Var) or node.name not in FUNCTIONS:
                    try:  # the evaluator's own message for an unknown variable or function
                        evaluate(Call(node.pos, node.name, ()) if isinstance(node, Call) else node, env)
                    except ExprError as e:
                        self.expr_error(e, doc, path, ctx, what)
                    ok = False
        if not ok or uses:
            return UNKNOWN
        try:
            return evaluate_string(v, {})
        except ExprError as e:
            self.expr_error(e, doc, path, ctx, what)
            return UNKNOWN

    def check_params(self, decls: dict[str, Located], scope: dict[str, Any], owner: str) -> dict[str, Any]:
        """Checks parameter defaults (each sees the names of ``scope`` and the parameters before it); returns the
        scope with the parameters added."""
        scope = dict(scope)
        for name, loc in decls.items():
            decl = loc.value
            if not decl.required:
                path = loc.path + ("default",)
                value = self.value(decl.default, scope, loc.doc, path, None, f"default of '{name}'")
                problem = None if value is UNKNOWN else check_type(value, decl)
                if problem:
                    self.error("E310", f"{owner} parameter '{name}' {problem}", loc.doc.span(path), None, path)
            scope[name] = UNKNOWN
        return scope

    # -- blocks ------------------------------------------------------------------------------------------------
    def table(self, block: str) -> _Ids:
        """Checks ``block`` (once) and returns the ids its body defines, for taps into its instances. Problems are
        kept only for the blocks asked for."""
        if block in self.tables:
            return self.tables[block]
        if block in self.active or len(self.active) >= MAX_BLOCK_DEPTH:
            return _Ids(open=True)
        mark = len(self.diags.items)
        self.active.append(block)
        try:
            ids = self.check_block(block)
        finally:
            self.active.pop()
        if block not in self.report:
            del self.diags.items[mark:]
        self.tables[block] = ids
        return ids

    def check_block(self, block: str) -> _Ids:
        loc = self.spec.blocks[block]
        bdef: BlockDef = loc.value
        decls = {k: Located(d, loc.doc, loc.path + ("params", k)) for k, d in bdef.params.items()}
        env = {**self.check_params(decls, self.names, f"block '{block}'"), "name": UNKNOWN}
        body = _Body(loc.doc, env, _Ids({n: None for n in bdef.inputs}))
        saved, self.claimed = self.claimed, {}
        try:
            self.entries(self.body_of(block), body)
            if bdef.output is not None:
                p = loc.path + ("output",)
                try:
                    self.ref(self.value(bdef.output, env, loc.doc, p, body, "output"), body, p)
                except _Skip:
                    pass
        finally:
            self.claimed = saved
        return body.ids

    # -- entries -----------------------------------------------------------------------------------------------
    def entries(self, entries: Body, body: _Body) -> None:
        for entry in entries.entries:
            try:
                self.entry(entry, body)
            except _Skip:
                ident = literal_id(entry.raw)
                if ident:  # its problem is reported: references to it stay quiet
                    body.ids.names[ident] = _Ids(open=True)

    def entry(self, entry: Any, body: _Body) -> None:
        """Checks one typed entry (see entries.py), dispatching on its type as the expander does."""
        match entry:
            case LayerCall():
                self.layer(entry, body)
            case BlockCall():
                self.call(entry, body)
            case Repeat() | ForLoop():
                self.loop(entry, body)
            case Conditional():
                self.conditional(entry, body)
            case Invalid():
                self.relay(entry.problems, body)
                raise _Skip()

    def own(self, own: OwnKeys, body: _Body) -> tuple[Any, Optional[int], bool]:
        """Checks an entry's archc keys and its references. Returns its id (None when it has none, UNKNOWN when
        computed), its number of inputs when known, and whether a problem was found."""
        failed = False
        values: dict[str, Any] = {}
        for key in RESERVED_KEYS:
            raw = getattr(own, key)
            if raw is not None and key != "inputs":  # the references are checked below
                v, p = raw
                value = self.value(v, body.env, body.doc, p, body, key)
                if value is not UNKNOWN:
                    try:
                        self.check_own(key, value, body, p)
                        if key == "name":
                            self.claimed.setdefault(value, body.doc.span(p))
                    except _Skip:
                        failed, value = True, UNKNOWN
                values[key] = value
        count: Optional[int] = 1  # the previous entry; a block's body always has one (its first input)
        if own.inputs is not None and isinstance(own.inputs[0], dict):  # named inputs: {query: q, value: v}
            v, p = own.inputs
            count = len(v)
            for name, x in v.items():
                try:
                    r = self.value(x, body.env, body.doc, p + (name,), body, "inputs")
                    if r is not UNKNOWN:
                        self.check_own("inputs", [r], body, p + (name,))
                    self.ref(r, body, p + (name,))
                except _Skip:
                    failed = True
        elif own.inputs is not None:
            v, p = own.inputs
            items = v if isinstance(v, list) else [v]
            refs = [self.value(x, body.env, body.doc, p + (j,) if isinstance(v, list) else p, body, "inputs")
                    for j, x in enumerate(items)]
            count = len(refs) if isinstance(v, list) else None
            if all(r is not UNKNOWN for r in refs):
                try:
                    refs = self.check_own("inputs", refs if isinstance(v, list) else refs[0], body, p)
                    count = len(refs)
                except _Skip:
                    failed, refs = True, []
            for j, r in enumerate(refs):
                try:
                    self.ref(r, body, p + (j,) if isinstance(v, list) else p)
                except _Skip:
                    failed = True
        return values.get("id"), count, failed

    def define(self, ident: Any, inner: Optional[_Ids], body: _Body) -> None:
        if ident is UNKNOWN:
            body.ids.open = True
        elif ident is not None:
            body.ids.names[ident] = inner

    def layer(self, call: LayerCall, body: _Body) -> None:
        op, kpath = call.op, call.key_path
        defn = registry.REGISTRY[op]
        self.check_layer_type(op, body, kpath)
        self.check_body_problem(call, body)
        ident, count, failed = self.own(call.own, body)
        if call.own.inputs is not None and isinstance(call.own.inputs[0], dict):
            try:
                self.check_input_names(defn, call.own.inputs[0], body, call.own.inputs[1])
            except _Skip:
                failed = True
        values: dict[str, Any] = {}
        unknown: set[str] = set()
        for k, v, p in call.args:
            value = self.value(v, body.env, body.doc, p, body, f"{op}.{k}")
            if value is UNKNOWN:
                unknown.add(k)
                if k not in defn.params.model_fields:
                    values[k] = None  # still reported as an unknown argument
            else:
                values[k] = value
        if defn.wraps is not None and values.get("layer") is not None:  # the inner entry, at its own positions
            try:
                values["layer"] = self.wrapped_layer(defn, values["layer"], call, body)
            except _Skip:
                failed = True
                unknown.add("layer")
                values["layer"] = None

        def keep(code: str, loc: tuple) -> bool:
            # an error about an unknown value is not known yet (a missing field here is one left out as unknown)
            return not unknown if not loc else loc[0] not in unknown or code == "E200"
        try:
            defn.params.model_validate(values)
        except pydantic.ValidationError as e:
            self.argument_errors(e, op, call.body, body, kpath, keep)
        if count is not None:
            try:
                self.check_arity(op, count, body, kpath)
            except _Skip:
                failed = True
        self.define(ident, _Ids(open=True) if failed else None, body)
        if isinstance(ident, str) and defn.outputs is not None:
            body.ids.several.add(ident)
        elif isinstance(ident, str):
            body.ids.several.discard(ident)

    def call(self, call: BlockCall, body: _Body) -> None:
        block, kpath = call.block, call.key_path
        loc = self.spec.blocks[block]
        bdef: BlockDef = loc.value
        doc = body.doc
        self.check_recursion(block, self.active, body, kpath)
        self.check_body_problem(call, body)
        ident, count, failed = self.own(call.own, body)
        if call.own.inputs is not None and isinstance(call.own.inputs[0], dict):
            try:
                self.block_inputs_by_name(block, bdef, call, body)
            except _Skip:
                failed = True
        strange = False
        args = {k for k, _, _ in call.args}
        for k, v, p in call.args:
            if k not in bdef.params:
                self.unknown_param(block, bdef, k, doc, p, body)
                strange = True
                continue
            value = self.value(v, body.env, doc, p, body, f"{block}.{k}")
            problem = None if value is UNKNOWN else check_type(value, bdef.params[k])
            if problem:
                self.error("E310", f"block '{block}' parameter '{k}' {problem}", doc.span(p), body, p)
        if not strange:  # a misspelt parameter is reported once, not also as a missing one
            for k, decl in bdef.params.items():
                if decl.required and k not in args:
                    self.missing_param(f"block '{block}'", k, Located(decl, loc.doc, loc.path + ("params", k)), body,
                                       doc.span(kpath, key=True))
        if count is not None:
            try:
                self.check_block_inputs(block, bdef, count, body, kpath)
            except _Skip:
                failed = True
        inner = self.table(block)
        self.define(ident, _Ids(open=True) if failed else inner, body)

    def ref(self, ref: Any, body: _Body, path: tuple) -> None:
        """Checks a reference against the ids defined so far (one computed by an expression is not checked)."""
        if ref is UNKNOWN:
            return
        self.check_ref_type(ref, body, path)
        if ref == "_":
            return
        table: Optional[_Ids] = body.ids
        parent: Optional[_Ids] = None
        parts = ref.split(".")
        for k, part in enumerate(parts):
            if table is not None and table.open and part not in table.names:
                return
            if table is None and k == len(parts) - 1 and parent is not None and parts[k - 1] in parent.several:
                return  # `lstm.state_h`: the layer's outputs depend on its arguments, checked when a call expands it
            parent = table
            if table is None or part not in table.names:
                self.unknown_ref(ref, k, list(table.names if table else {}), body, path)
            table = table.names[part]

    def loop(self, loop: Repeat | ForLoop, body: _Body) -> None:
        path = loop.path
        keys = (("repeat", loop.count), ("start", loop.start)) if isinstance(loop, Repeat) else (("in", loop.values),)
        empty = False
        for key, v in keys:
            value = self.value(v, body.env, body.doc, path + (key,), body, key)
            if value is not UNKNOWN:
                try:
                    self.check_control(key, value, body, path)
                except _Skip:
                    continue
                empty = empty or key in ("repeat", "in") and not value
        if empty:  # never expanded
            return
        self.entries(loop.body, body.inner({**body.env, loop.var: UNKNOWN}))

    def conditional(self, cond: Conditional, body: _Body) -> None:
        path = cond.path
        value = self.value(cond.cond, body.env, body.doc, path + ("if",), body, "if")
        if value is not UNKNOWN:
            try:
                self.check_control("if", value, body, path)
            except _Skip:
                value = UNKNOWN
        tables = []
        for entries, reachable in ((cond.then, value is not False), (cond.otherwise, value is not True)):
            branch = body.inner(body.env, body.ids.copy())
            if entries is not None and reachable:
                self.entries(entries, branch)
            tables.append(branch.ids)
        tables[0].merge(tables[1])
        body.ids.names, body.ids.open = tables[0].names, tables[0].open  # in place: a loop's body shares its table


def _is_tensor(name: str, ctx: Any) -> bool:
    """Whether an expression's ``name`` may be a tensor in the body being checked: ``_``, a block input or an id
    defined above (its shape is known only when a call expands the block)."""
    return isinstance(ctx, _Body) and (name == "_" or name in ctx.ids.names or ctx.ids.open)


def _names(tree: Node) -> Iterator[Var | Call]:
    """The variable and function-call nodes of an expression's syntax tree that its environment provides (a
    comprehension's loop variables are its own)."""
    return free_names(tree)


def check_blocks(spec: ResolvedSpec, blocks: Iterable[str], spec_params: bool = False) -> list[Diagnostic]:
    """Checks the bodies of ``blocks`` for any arguments (and with ``spec_params`` the defaults of the spec's
    parameters); returns every problem found."""
    blocks = [b for b in blocks if b in spec.blocks]
    if not blocks and not spec_params:
        return []
    return BlockChecker(spec).check(blocks, spec_params)


def uncalled_blocks(spec: ResolvedSpec, graph: Graph | None) -> list[str]:
    """The blocks of ``spec`` that no expansion of its model instantiates: those of ``graph`` when expansion
    succeeded, else those the model's entries cannot reach even through other blocks."""
    if graph is not None:
        used = {b.block for b in graph.blocks}
    elif spec.model is not None:
        used = set(_with_dependencies(sorted(called_blocks(spec.model.value.layers, spec.blocks)), spec.blocks))
    else:
        used = set()
    return [b for b in spec.blocks if b not in used]
