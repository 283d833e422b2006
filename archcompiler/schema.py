"""The JSON Schema (draft 2020-12) of spec files, generated from the pydantic models and the layer registry.

Two committed copies hold this module's output, and a test fails when either is stale: the package's
``archcompiler/data/archspec.schema.json`` (package data, so an installed archc has it) and the repository's
``schema/archspec.schema.json`` (what editors and other tools point at). ``make schema`` writes both.
"""

from __future__ import annotations

import copy
import json
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Optional

from .layers import REGISTRY
from .entries import CONTROL_KEYS, IDENT, RESERVED, RESERVED_KEYS, IfEntry, RepeatEntry
from .spec import SpecFile

SCHEMA_ID = "https://archc.dev/schema/archspec.schema.json"

#: A block name in a block call: an identifier other than the keys every entry may have (id, inputs ...).
BLOCK_NAME = "^(?!(?:" + "|".join(RESERVED_KEYS) + ")$)" + IDENT[1:]

EXPRESSION = {
    "type": "string",
    "pattern": r"\$",
    "description": "An expression: `$name`, `${expr}` (typed value) or text with `${expr}` inside (a template).",
}


_EXPRESSION_REF = {"$ref": "#/$defs/Expression"}

#: Annotations that describe a value rather than constrain it: they stay on the outside when a value schema is
#: wrapped to also accept expressions, where editors look for them (hover, completion).
_ANNOTATIONS = ("title", "description", "default")


def _allow_expressions(node: Any) -> Any:
    """Wraps every value schema so that an expression string is accepted wherever a value is.

    Pydantic's generated titles (``"Kernel Size"``) are dropped: editors would show them instead of the
    descriptions."""
    if isinstance(node, list):
        return [_allow_expressions(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k == "title":
            continue
        if k in ("properties", "$defs", "patternProperties"):
            out[k] = {name: _allow_expressions(s) for name, s in v.items()}
        elif k in ("items", "additionalProperties") and isinstance(v, dict):
            out[k] = _allow_expressions(v)
        elif k in ("prefixItems", "anyOf", "oneOf", "allOf"):
            out[k] = [_allow_expressions(s) for s in v]
        else:
            out[k] = v
    if any(k in out for k in ("type", "enum", "const", "$ref", "anyOf")) and "properties" not in out:
        notes = {k: out.pop(k) for k in _ANNOTATIONS if k in out}
        alternatives = [a for a in _alternatives(out) if a != _EXPRESSION_REF]
        return {**notes, "anyOf": [*alternatives, _EXPRESSION_REF]}
    return out


def _alternatives(node: dict) -> list[dict]:
    """The alternatives of a bare ``anyOf`` (nested bare ``anyOf`` flattened), or ``[node]``."""
    if list(node) == ["anyOf"]:
        return [a for n in node["anyOf"] for a in _alternatives(n)]
    return [node]


def _layer_schema(op: str, defs: dict) -> dict:
    """The value of a layer's key: its arguments as a mapping, nothing (``Flatten:``) or the shorthand scalar.

    Each argument's description is :meth:`LayerDef.argument_doc`: its meaning (from the parameter model), its
    default and Keras's name for it."""
    defn = REGISTRY[op]
    schema = defn.params.model_json_schema(ref_template="#/$defs/{model}")
    for name, d in schema.pop("$defs", {}).items():
        defs.setdefault(name, _allow_expressions(d))
    schema = _allow_expressions(schema)
    # Editors show the title as the heading of a hover, the description below it.
    props = {name: {"title": f"{op}.{name}", "description": defn.argument_doc(name),
                    **{k: v for k, v in prop.items() if k != "description"}}
             for name, prop in schema.get("properties", {}).items()}
    props.update(_reserved_props())
    schema["properties"] = props
    args = {k: v for k, v in schema.items() if k not in ("title", "description")}
    args["additionalProperties"] = False
    alternatives: list[dict] = [args, {"type": "null"}]
    if defn.positional:
        value = {k: v for k, v in props[defn.positional].items() if k not in _ANNOTATIONS}
        alternatives.append({**value, "description": f"Shorthand for `{op}: {{{defn.positional}: value}}`."})
    doc = f"{defn.doc} Keras: `{defn.keras_full_name if defn.is_layer else defn.arithmetic}`."
    if defn.positional:
        doc += f" Shorthand: `{op}: <{defn.positional}>`."
    return {"title": op, "description": doc, "anyOf": alternatives}


def _reserved_props() -> dict:
    """The properties of archc's own keys of a call (entries.RESERVED)."""
    return {key: {**copy.deepcopy(schema), "description": doc} for key, (doc, schema) in RESERVED.items()}


def _link_entries(node: Any) -> Any:
    """Replaces the models' ``{"x-archc": "Entry"}`` placeholders by a reference to the registry-made Entry."""
    if isinstance(node, dict):
        if node.get("x-archc") == "Entry":
            return {"$ref": "#/$defs/Entry"}
        if node.get("x-archc") == "Layer":  # a wrapper's inner layer, with the argument's description
            return {**{k: v for k, v in node.items() if k != "x-archc"}, "$ref": "#/$defs/Layer"}
        return {k: _link_entries(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_link_entries(v) for v in node]
    return node


def _drop_property_titles(node: Any, is_property: bool = False) -> Any:
    """Drops pydantic's titles of properties (``"Layers"`` for ``layers``): editors show a title as the heading of
    every hover below it, instead of the property's own description."""
    if isinstance(node, list):
        return [_drop_property_titles(v) for v in node]
    if not isinstance(node, dict):
        return node
    return {k: ({name: _drop_property_titles(s, True) for name, s in v.items()} if k == "properties"
                else _drop_property_titles(v))
            for k, v in node.items() if not (is_property and k == "title" and isinstance(v, str))}


def build_schema(plugins: bool = False) -> dict:
    """Returns the JSON Schema of spec files as a dict: of the built-in layer types, and with ``plugins`` of the
    installed plugins' types too (``archc schema --plugins``; the committed copies have the built-in ones only)."""
    schema = SpecFile.model_json_schema(ref_template="#/$defs/{model}")
    defs = schema.setdefault("$defs", {})
    for model in (RepeatEntry, IfEntry):
        s = model.model_json_schema(ref_template="#/$defs/{model}")
        for name, d in s.pop("$defs", {}).items():
            defs.setdefault(name, d)
        defs[model.__name__] = s
    schema = _drop_property_titles(schema)
    defs = schema["$defs"] = _drop_property_titles(defs)
    for name in ("shape", "dtype"):  # model.inputs declare Input layers: their arguments' descriptions
        defs["InputDecl"]["properties"][name]["description"] = REGISTRY["Input"].argument_doc(name)
    ops = sorted(REGISTRY)
    if plugins:
        from .layers.plugins import discover
        ops = sorted([*ops, *discover().types])
    layers = [op for op in ops if op != "Input"]  # inputs are declared under model.inputs
    entries = [{"type": "string", "pattern": IDENT, "description": "A layer type or block without arguments."},
               {"$ref": "#/$defs/Layer"}]
    # One object with a property per layer type, so that editors propose each layer name once; `oneOf` requires
    # exactly one of them.
    defs["Layer"] = {
        "type": "object",
        "description": "A layer: `{LayerType: arguments}` plus id / inputs / name / trainable.",
        "properties": {**{op: _layer_schema(op, defs) for op in layers}, **_reserved_props()},
        "oneOf": [{"required": [op]} for op in layers],
        "additionalProperties": False,
    }
    not_block = [{"required": [op]} for op in ops] + [{"required": [k]} for k in CONTROL_KEYS]
    defs["BlockCall"] = {
        "type": "object",
        "description": "A use of a block: {block_name: {param: value, ...}} plus id / inputs / name.",
        "minProperties": 1,
        "not": {"anyOf": not_block},
        "properties": _reserved_props(),
        "patternProperties": {BLOCK_NAME: {"type": ["object", "null"]}},
        "additionalProperties": False,
    }
    entries += [{"$ref": "#/$defs/RepeatEntry"}, {"$ref": "#/$defs/IfEntry"}, {"$ref": "#/$defs/BlockCall"}]
    defs["Entry"] = {"anyOf": entries, "description": "A layer, a block call, a repeat or a conditional."}
    defs["Expression"] = EXPRESSION
    schema = _link_entries(schema)
    defs = _link_entries(defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "archc spec",
        **{k: v for k, v in schema.items() if k not in ("title",)},
        "$defs": dict(sorted(defs.items())),
    }


def schema_text(plugins: bool = False) -> str:
    """The schema as stable, pretty JSON text (what both committed copies hold, without ``plugins``)."""
    return json.dumps(build_schema(plugins), indent=2, sort_keys=False) + "\n"


#: The repository's copy, relative to the repository root.
REPOSITORY_SCHEMA = Path("schema") / "archspec.schema.json"


def packaged_schema() -> Traversable:
    """The copy shipped as package data (``archcompiler/data/archspec.schema.json``)."""
    return resources.files(__package__).joinpath("data", "archspec.schema.json")


def repository_schema(start: Path) -> Optional[Path]:
    """The repository's copy when ``start`` is inside a checkout of archc (a folder with ``schema/`` and the
    ``archcompiler`` package), searching ``start`` and its parents; None elsewhere."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / REPOSITORY_SCHEMA).is_file() and (folder / "archcompiler" / "schema.py").is_file():
            return folder / REPOSITORY_SCHEMA
    return None
