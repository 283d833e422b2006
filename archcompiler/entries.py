"""The entry grammar: what may stand in a ``layers:`` list, declared once.

An entry is one of four forms, told apart by its keys:

* a **layer call**: a layer type as its one key, ``- Conv2D: {filters: 64}``, its positional argument alone
  (``- Dense: 10``) or the bare name (``- Flatten``);
* a **block call**: a block's name in the same place, ``- residual: {channels: 64}``;
* a **loop**: ``{repeat: N, var: i, start: 0, layers: [...]}`` or ``{for: v, in: [...], layers: [...]}``;
* a **conditional**: ``{if: cond, layers: [...], else: [...]}``.

A layer or block call may carry archc's own keys (:data:`RESERVED`: id, inputs, name, trainable), inside its
mapping or beside the type key. The JSON Schema (schema.py), the loader (load.py, for the blocks a body calls), the
expander (expand.py) and the block checker (check.py) all read this module. :func:`classify` reads a raw entry
once into its typed form (:class:`LayerCall`, :class:`BlockCall`, :class:`Repeat`, :class:`ForLoop`,
:class:`Conditional`, or :class:`Invalid` with its diagnostics); bodies of loops and conditionals are read with
it, so a loop body is read once however many times it runs.

A problem found while reading an entry is kept in its typed form as a :class:`~archcompiler.diagnostics.Diagnostic`
without a chain of block calls: the expander reports it, with the chain, when (and each time) it reaches the entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Container, Iterator, Mapping, NamedTuple, Optional, Union

import pydantic
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, WithJsonSchema

from .diagnostics import Diagnostic, did_you_mean
from .expressions import type_name
from .layers import known_as
from .validation import pydantic_diagnostics

if TYPE_CHECKING:
    from .parse import Document

#: An identifier: a block, parameter, input, id or loop variable name.
IDENT = r"^[A-Za-z][A-Za-z0-9_]*$"
Ident = Annotated[str, StringConstraints(pattern=IDENT, max_length=128)]
_IDENT_RE = re.compile(IDENT)

_EXPRESSION = {"$ref": "#/$defs/Expression"}

#: archc's own keys of a layer or block call (every other key of its mapping is an argument): for each, what it
#: means and the JSON Schema of its value (as written, before expressions are evaluated).
RESERVED: dict[str, tuple[str, dict]] = {
    "id": ("A name other entries use to refer to this one's output.", {"type": "string"}),
    "inputs": ("References to this entry's inputs (default: the previous entry); for a layer with named inputs "
               "also by name, {query: q, value: v}.",
               {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}},
                          {"type": "object", "additionalProperties": {"type": "string"}}]}),
    "name": ("Keras layer name or block instance name (a template).", {"type": "string"}),
    "trainable": ("false freezes the weights.", {"anyOf": [{"type": "boolean"}, _EXPRESSION]}),
}
RESERVED_KEYS = tuple(RESERVED)

#: A mapping with one of these keys is a loop (repeat, for) or a conditional (if), never a call.
CONTROL_KEYS = ("repeat", "for", "if")
#: The keys of loops and conditionals whose values are lists of entries.
BODY_KEYS = ("layers", "else")

#: A list of entries as the spec models hold it; its schema comes from the layer registry (schema.py fills in
#: ``#/$defs/Entry``).
Entry = Annotated[Any, WithJsonSchema({"x-archc": "Entry"})]


class StrictModel(BaseModel):
    """The base of the spec language's models: unknown keys are errors, values are immutable. Schemas are built on
    first use (``defer_build``), not when archc is imported."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


class RepeatEntry(StrictModel):
    """Repeats a list of entries: ``{repeat: 5, var: i, layers: [...]}`` or ``{for: w, in: [64, 128], layers: [...]}``.

    Ids defined in the body are visible after the loop (the last iteration's)."""

    repeat: Union[int, str, None] = Field(None, description="How many times (an integer or an expression).")
    for_: Optional[Ident] = Field(None, alias="for", description="Loop variable taking each value of `in`.")
    in_: Union[list[Any], str, None] = Field(None, alias="in", description="The values of the `for` variable.")
    var: Ident = Field("i", description="With `repeat`: the index variable.")
    start: Union[int, str] = Field(0, description="With `repeat`: the first index.")
    layers: list[Entry] = Field(min_length=1, description="The body, expanded once per iteration.")


class IfEntry(StrictModel):
    """Includes entries only when a condition holds: ``{if: $use_projection, layers: [...], else: [...]}``."""

    if_: Union[StrictBool, str] = Field(alias="if", description="The condition (an expression).")
    layers: list[Entry] = Field(min_length=1, description="Entries used when the condition holds.")
    else_: Optional[list[Entry]] = Field(None, alias="else", description="Entries used otherwise.")


def _keys(model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(f.alias or n for n, f in model.model_fields.items())


#: The keys of a loop and of a conditional.
LOOP_KEYS = _keys(RepeatEntry)
IF_KEYS = _keys(IfEntry)

#: A value as written in the spec, with its path in the document.
Raw = tuple[Any, tuple]


class OwnKeys(NamedTuple):
    """archc's keys of a call as written (:data:`RESERVED`), each as (value, path) or None when absent."""

    id: Optional[Raw] = None
    inputs: Optional[Raw] = None
    name: Optional[Raw] = None
    trainable: Optional[Raw] = None


NO_OWN_KEYS = OwnKeys()


@dataclass(frozen=True, slots=True)
class LayerCall:
    """``- Conv2D: {filters: 64, id: c}``: a layer of type ``op``.

    Attributes:
        args: the arguments as written, each (name, value, path), in the order written.
        own: archc's keys (id, inputs, name, trainable).
        body: the value of the type key as written (a mapping, the shorthand value or None).
        problem: the body cannot be read as arguments (reported after the checks of the type itself).
        path: where the entry is; key_path: its type key (the entry itself for a bare name).
        raw: the entry as written.
    """

    op: str
    args: tuple[tuple[str, Any, tuple], ...]
    own: OwnKeys
    body: Any
    problem: Optional[Diagnostic]
    path: tuple
    key_path: tuple
    raw: Any


@dataclass(frozen=True, slots=True)
class BlockCall:
    """``- residual: {channels: 64, name: res1}``: a use of a block; the fields are those of :class:`LayerCall`."""

    block: str
    args: tuple[tuple[str, Any, tuple], ...]
    own: OwnKeys
    body: Any
    problem: Optional[Diagnostic]
    path: tuple
    key_path: tuple
    raw: Any


@dataclass(frozen=True, slots=True)
class Repeat:
    """``{repeat: count, var: i, start: 0, layers: body}`` (count and start as written: values or expressions)."""

    count: Any
    start: Any
    var: str
    body: "Body"
    path: tuple
    raw: Any


@dataclass(frozen=True, slots=True)
class ForLoop:
    """``{for: var, in: values, layers: body}`` (values as written: a list or an expression)."""

    var: str
    values: Any
    body: "Body"
    path: tuple
    raw: Any


@dataclass(frozen=True, slots=True)
class Conditional:
    """``{if: cond, layers: then, else: otherwise}``."""

    cond: Any
    then: "Body"
    otherwise: Optional["Body"]
    path: tuple
    raw: Any


@dataclass(frozen=True, slots=True)
class Invalid:
    """An entry that is none of the forms (or a loop or conditional whose keys are wrong), with its problems."""

    problems: tuple[Diagnostic, ...]
    path: tuple
    raw: Any


TypedEntry = Union[LayerCall, BlockCall, Repeat, ForLoop, Conditional, Invalid]


class Body(NamedTuple):
    """A list of entries read into their typed forms; ``path`` is where the list is written."""

    entries: tuple[TypedEntry, ...]
    path: tuple


def classify_body(entries: Any, doc: "Document", path: tuple, layers: Mapping[str, Any],
                  blocks: Container[str]) -> Body:
    """Reads each entry of the list at ``path`` with :func:`classify`."""
    return Body(tuple(read_entries(entries, doc, path, layers, blocks)), path)


def read_entries(entries: Any, doc: "Document", path: tuple, layers: Mapping[str, Any], blocks: Container[str]
                 ) -> Iterator[TypedEntry]:
    """Reads the entries of the list at ``path`` one by one, as they are asked for (for a list visited once)."""
    for i, e in enumerate(entries if isinstance(entries, list) else ()):
        yield classify(e, doc, path + (i,), layers, blocks)


def classify(entry: Any, doc: "Document", path: tuple, layers: Mapping[str, Any], blocks: Container[str]
             ) -> TypedEntry:
    """Reads one raw entry (at ``path`` in ``doc``) into its typed form.

    ``layers`` maps the layer types to their definitions (their ``positional`` argument is read), ``blocks`` holds
    the names of the blocks the spec defines or imports; any other type name makes an :class:`Invalid` entry
    (E203). Loops and conditionals are checked against :class:`RepeatEntry` and :class:`IfEntry` and their bodies
    read too.
    """
    if isinstance(entry, dict) and not entry.keys().isdisjoint(CONTROL_KEYS):
        if "repeat" in entry or "for" in entry:
            return _loop(entry, doc, path, layers, blocks)
        return _conditional(entry, doc, path, layers, blocks)
    if isinstance(entry, str):
        kind, body, beside, key_path = entry, None, {}, path
    elif isinstance(entry, dict) and len(entry) == 1 and next(iter(entry)) not in RESERVED:  # the usual case
        (kind, body), = entry.items()
        beside, key_path = {}, path + (kind,)
    elif isinstance(entry, dict):
        keys = [k for k in entry if k not in RESERVED]
        if len(keys) != 1:
            what = "no layer or block name" if not keys else f"several: {', '.join(keys)}"
            return Invalid((Diagnostic("E201", f"an entry names one layer or block type as its key; found {what}",
                                       doc.span(path), path,
                                       hint="write '- Conv2D: {filters: 64}'; a second key is usually a missing "
                                            "indentation"),), path, entry)
        kind = keys[0]
        body = entry[kind]
        beside = {k: entry[k] for k in entry if k in RESERVED}
        key_path = path + (kind,)
    else:
        return Invalid((Diagnostic("E201", f"an entry must be a layer or block name or a one-key mapping. Received: "
                                           f"{type_name(entry)} {entry!r}"[:200], doc.span(path), path),), path, entry)
    # Blocks first: no block has a built-in type's name (load.py), and a spec's own block takes precedence over
    # a plugin's type of the same name; a name that is neither built in nor a block makes the registry read the
    # installed plugins (layers/plugins.py), so a spec of built-in types and blocks never does.
    if kind in blocks:
        args, own, problem = _split(body, beside, None, doc, key_path, f"block '{kind}'")
        return BlockCall(kind, args, own, body, problem, path, key_path, entry)
    if kind in layers:
        args, own, problem = _split(body, beside, layers[kind].positional, doc, key_path, kind)
        return LayerCall(kind, _wrapped_shorthand(layers[kind], args, layers, key_path), own, body, problem, path,
                         key_path, entry)
    plugins = _plugin_types(layers)
    choices = [*layers, *plugins.types, *blocks]  # type: ignore[misc]
    hint = known_as(kind) or did_you_mean(kind, choices) or "run `archc layers` for the layer types"
    # A plugin that failed to load may be where the type was to come from: its problems are reported too.
    return Invalid((Diagnostic("E203", f"unknown layer or block type '{kind}'", doc.span(key_path, key=True),
                               key_path, hint=hint), *(p.diagnostic() for p in plugins.problems)), path, entry)


def _plugin_types(layers: Mapping[str, Any]) -> Any:
    """The installed plugins when ``layers`` is the registry (read already by the lookup that missed), else none."""
    from .layers.base import LayerRegistry
    from .layers.plugins import Plugins, discover

    return discover(layers.builtins()) if isinstance(layers, LayerRegistry) else Plugins()


def _split(body: Any, beside: dict, positional: Optional[str], doc: "Document", key_path: tuple, what: str
           ) -> tuple[tuple[tuple[str, Any, tuple], ...], OwnKeys, Optional[Diagnostic]]:
    """A call's arguments and archc keys, each with its path (keys beside the type win over the same key inside
    its mapping), and the problem when the body is neither a mapping nor a shorthand the type takes."""
    args: list[tuple[str, Any, tuple]] = []
    own: dict[str, Raw] = {}
    problem = None
    if body is None:
        pass
    elif isinstance(body, dict):
        for k, v in body.items():
            if k in RESERVED:
                own[k] = (v, key_path + (k,))
            else:
                args.append((k, v, key_path + (k,)))
    elif positional is not None:
        args.append((positional, body, key_path))
    else:
        problem = Diagnostic("E201", f"{what} takes a mapping of arguments. Received: {type_name(body)} {body!r}"[:200],
                             doc.span(key_path), key_path)
    for k, v in beside.items():
        own[k] = (v, key_path[:-1] + (k,))
    return tuple(args), OwnKeys(**own) if own else NO_OWN_KEYS, problem


def _wrapped_shorthand(defn: Any, args: tuple, layers: Mapping[str, Any], key_path: tuple) -> tuple:
    """A wrapper's arguments: ``TimeDistributed: {Dense: 8}`` is short for ``TimeDistributed: {layer: {Dense: 8}}``
    (a wrapper whose one key is a layer type, not one of its arguments)."""
    if getattr(defn, "wraps", None) is None or len(args) != 1:
        return args
    (k, v, _), = args
    if k in layers and k not in defn.params.model_fields:
        return (("layer", {k: v}, key_path),)
    return args


def _loop(entry: dict, doc: "Document", path: tuple, layers: Mapping[str, Any], blocks: Container[str]
          ) -> Union[Repeat, ForLoop, Invalid]:
    """A loop: either ``repeat`` or ``for`` with ``in``."""
    rep = _validate(RepeatEntry, entry, doc, path)
    if isinstance(rep, Invalid):
        return rep
    if (rep.repeat is None) == (rep.for_ is None):
        return Invalid((Diagnostic("E201", "a loop has either 'repeat: N' or 'for: var' with 'in: [...]'",
                                   doc.span(path), path),), path, entry)
    if rep.for_ is not None and rep.in_ is None:
        return Invalid((Diagnostic("E202", "missing required key 'in' (the values of the 'for' variable)",
                                   doc.span(path), path),), path, entry)
    body = classify_body(rep.layers, doc, path + ("layers",), layers, blocks)
    if rep.repeat is not None:
        return Repeat(rep.repeat, rep.start, rep.var, body, path, entry)
    return ForLoop(rep.for_, rep.in_, body, path, entry)


def _conditional(entry: dict, doc: "Document", path: tuple, layers: Mapping[str, Any], blocks: Container[str]
                 ) -> Union[Conditional, Invalid]:
    cond = _validate(IfEntry, entry, doc, path)
    if isinstance(cond, Invalid):
        return cond
    otherwise = None if cond.else_ is None else classify_body(cond.else_, doc, path + ("else",), layers, blocks)
    return Conditional(cond.if_, classify_body(cond.layers, doc, path + ("layers",), layers, blocks), otherwise,
                       path, entry)


def _validate(model: type[BaseModel], entry: dict, doc: "Document", path: tuple) -> Any:
    """The entry checked against ``model``, or an :class:`Invalid` entry with pydantic's errors."""
    try:
        return model.model_validate(entry)
    except pydantic.ValidationError as e:
        return Invalid(tuple(pydantic_diagnostics(e, doc, path, model)), path, entry)


def literal_id(entry: Any) -> Optional[str]:
    """The id an entry declares, when written literally (so that a failed entry's id still resolves, quietly)."""
    if not isinstance(entry, dict):
        return None
    candidates = [entry.get("id")] + [v.get("id") for v in entry.values() if isinstance(v, dict)]
    for c in candidates:
        if isinstance(c, str) and _IDENT_RE.match(c):
            return c
    return None


def called_blocks(entries: Any, blocks: Container[str]) -> set[str]:
    """Names of the blocks a list of raw entries calls (inside loops and conditionals too): every key or bare name
    that is a block's, whatever else is wrong with the entry."""
    found: set[str] = set()
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, str) and entry in blocks:
            found.add(entry)
        elif isinstance(entry, dict):
            for key, value in entry.items():
                if key in blocks:
                    found.add(key)
                elif key in BODY_KEYS:
                    found |= called_blocks(value, blocks)
    return found
