"""The JSON Schema (draft 2020-12) of spec files, generated from the pydantic models and the layer registry.

``schema/archspec.schema.json`` is this function's output, committed; a test fails when it is stale.
"""

from __future__ import annotations

import json
from typing import Any

from .layers import REGISTRY
from .spec import IDENT, IfEntry, RepeatEntry, SpecFile

SCHEMA_ID = "https://archc.dev/schema/archspec.schema.json"

EXPRESSION = {
    "type": "string",
    "pattern": r"\$",
    "description": "An expression: `$name`, `${expr}` (typed value) or text with `${expr}` inside (a template).",
}


def _allow_expressions(node: Any) -> Any:
    """Wraps every value schema so that an expression string is accepted wherever a value is."""
    if isinstance(node, list):
        return [_allow_expressions(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k in ("properties", "$defs", "patternProperties"):
            out[k] = {name: _allow_expressions(s) for name, s in v.items()}
        elif k in ("items", "additionalProperties") and isinstance(v, dict):
            out[k] = _allow_expressions(v)
        elif k in ("prefixItems", "anyOf", "oneOf", "allOf"):
            out[k] = [_allow_expressions(s) for s in v]
        else:
            out[k] = v
    if any(k in out for k in ("type", "enum", "const", "$ref", "anyOf")) and "properties" not in out:
        return {"anyOf": [out, {"$ref": "#/$defs/Expression"}]}
    return out


def _layer_entry(op: str, defs: dict) -> dict:
    defn = REGISTRY[op]
    schema = defn.params.model_json_schema(ref_template="#/$defs/{model}")
    for name, d in schema.pop("$defs", {}).items():
        defs.setdefault(name, _allow_expressions(d))
    schema = _allow_expressions(schema)
    props = schema.setdefault("properties", {})
    props.update(_reserved_props())
    args = {k: v for k, v in schema.items() if k != "title"}
    args["additionalProperties"] = False
    alternatives: list[dict] = [args, {"type": "null"}]
    if defn.positional:
        alternatives.append({"type": ["number", "string", "array", "boolean"],
                             "description": f"shorthand for {{{defn.positional}: value}}"})
    return {
        "type": "object",
        "description": defn.doc,
        "properties": {op: {"anyOf": alternatives}, **_reserved_props()},
        "required": [op],
        "additionalProperties": False,
    }


def _reserved_props() -> dict:
    return {
        "id": {"type": "string", "description": "A name other entries use to refer to this one's output."},
        "inputs": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
                   "description": "References to this entry's inputs (default: the previous entry)."},
        "name": {"type": "string", "description": "Keras layer name or block instance name (a template)."},
        "trainable": {"anyOf": [{"type": "boolean"}, {"$ref": "#/$defs/Expression"}],
                      "description": "false freezes the weights."},
    }


def _link_entries(node: Any) -> Any:
    """Replaces the models' ``{"x-archc": "Entry"}`` placeholders by a reference to the registry-made Entry."""
    if isinstance(node, dict):
        if node.get("x-archc") == "Entry":
            return {"$ref": "#/$defs/Entry"}
        return {k: _link_entries(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_link_entries(v) for v in node]
    return node


def build_schema() -> dict:
    """Returns the JSON Schema of spec files as a dict."""
    schema = SpecFile.model_json_schema(ref_template="#/$defs/{model}")
    defs = schema.setdefault("$defs", {})
    for model in (RepeatEntry, IfEntry):
        s = model.model_json_schema(ref_template="#/$defs/{model}")
        for name, d in s.pop("$defs", {}).items():
            defs.setdefault(name, d)
        defs[model.__name__] = s
    ops = sorted(REGISTRY)
    entries = [{"type": "string", "pattern": IDENT, "description": "A layer type or block without arguments."}]
    entries += [{"$ref": f"#/$defs/{op}Entry"} for op in ops if op != "Input"]
    for op in ops:
        if op != "Input":
            defs[f"{op}Entry"] = _layer_entry(op, defs)
    not_block = [{"required": [op]} for op in ops] + [{"required": [k]} for k in ("repeat", "for", "if")]
    defs["BlockCall"] = {
        "type": "object",
        "description": "A use of a block: {block_name: {param: value, ...}} plus id / inputs / name.",
        "minProperties": 1,
        "not": {"anyOf": not_block},
        "properties": _reserved_props(),
        "patternProperties": {IDENT: {"type": ["object", "null"]}},
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


def schema_text() -> str:
    """The schema as stable, pretty JSON text (what is committed under schema/)."""
    return json.dumps(build_schema(), indent=2, sort_keys=False) + "\n"
