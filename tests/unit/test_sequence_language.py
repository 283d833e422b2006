"""Named inputs, layers with several outputs and wrappers, end to end on small specs (no Keras)."""

from __future__ import annotations

import json

import pytest

from archcompiler import CompileError, compile_text
from archcompiler.ir import node_of, output_of, port


def compile_(text: str, **kw):
    return compile_text(text, "t.yaml", **kw)


def errors(text: str) -> list[tuple[str, str, int]]:
    with pytest.raises(CompileError) as info:
        compile_(text)
    return [(d.code, d.message, d.span.line if d.span else 0) for d in info.value.diagnostics]


SEQ = """
model:
  inputs:
    x: {shape: [6, 8]}
    k: {shape: [5, 3]}
    v: {shape: [5, 4]}
  layers:
    - MultiHeadAttention: {num_heads: 2, key_dim: 4, inputs: {key: k, value: v, query: x},
                           return_attention_scores: true, id: att}
    - LSTM: {units: 3, return_state: true, return_sequences: true, id: lstm}
    - Flatten
    - Concatenate: {inputs: [_, lstm.state_h, lstm.state_c], id: cat}
  outputs: [cat, att.scores]
"""


def test_named_inputs_are_kept_in_the_declared_order_with_their_names() -> None:
    att = compile_(SEQ).graph.node("multi_head_attention")
    assert att.inputs == ("x", "v", "k")
    assert att.input_names == ("query", "value", "key")


def test_a_list_gives_named_inputs_by_position() -> None:
    text = SEQ.replace("inputs: {key: k, value: v, query: x}", "inputs: [x, v, k]")
    att = compile_(text).graph.node("multi_head_attention")
    assert (att.inputs, att.input_names) == (("x", "v", "k"), ("query", "value", "key"))


def test_further_outputs_are_tensors_of_their_own() -> None:
    c = compile_(SEQ)
    lstm = c.graph.node("lstm")
    assert lstm.outputs == ("output", "state_h", "state_c")
    assert lstm.tensors == ("lstm", "lstm:state_h", "lstm:state_c")
    assert c.graph.node("concatenate").inputs == ("flatten", "lstm:state_h", "lstm:state_c")
    assert c.graph.node("concatenate").sources == ("flatten", "lstm", "lstm")
    assert c.graph.outputs == ("concatenate", "multi_head_attention:scores")
    assert c.types["lstm"].shape == (6, 3) and c.types["lstm:state_c"].shape == (3,)
    assert c.types["multi_head_attention:scores"].shape == (2, 6, 5)
    assert c.types["concatenate"].shape == (18 + 3 + 3,)
    assert c.output_shapes == [(24,), (2, 6, 5)]
    assert (node_of("lstm:state_h"), output_of("lstm:state_h"), port("lstm", "state_c")) == \
        ("lstm", "state_h", "lstm:state_c")


def test_the_ir_dump_names_inputs_and_outputs() -> None:
    dump = compile_(SEQ).ir()
    assert ("%multi_head_attention = MultiHeadAttention(query=%x, value=%v, key=%k) "
            "{num_heads=2,key_dim=4,return_attention_scores=true} -> output (6, 8), scores (2, 6, 5)") in dump
    assert "%concatenate = Concatenate(%flatten, %lstm:state_h, %lstm:state_c) {} -> (24,)" in dump
    assert "outputs %concatenate, %multi_head_attention:scores" in dump


def test_the_first_output_may_be_named_too() -> None:
    c = compile_("""
        model:
          inputs: {x: {shape: [5, 2]}}
          layers:
            - LSTM: {units: 4, return_state: true, id: l}
            - Concatenate: {inputs: [l.output, l.state_c]}
        """)
    assert c.graph.node("concatenate").inputs == ("lstm", "lstm:state_c")


def test_a_block_output_may_be_a_further_output() -> None:
    c = compile_("""
        blocks:
          encoder:
            layers:
              - LSTM: {units: 4, return_state: true, id: l}
            output: l.state_c
        model:
          inputs: {x: {shape: [5, 2]}}
          layers:
            - encoder: {id: e}
            - Dense: 2
        """)
    assert c.graph.blocks[0].output == "lstm:state_c"
    assert c.graph.node("dense").inputs == ("lstm:state_c",)


def test_unused_states_are_no_error_but_an_unused_layer_still_is() -> None:
    text = SEQ.replace("outputs: [cat, att.scores]", "outputs: [cat]")
    assert compile_(text).graph.outputs == ("concatenate",)  # the scores are not read: fine
    found = errors(text.replace("  outputs: [cat]", "    - Dense: {units: 2, inputs: lstm.state_h}\n  outputs: [cat]"))
    assert [(c, m) for c, m, _ in found] == [("E403", "the output of layer 'dense' (Dense) is never used")]


def test_summary_shows_every_output() -> None:
    c = compile_(SEQ)
    text = c.summary("text")
    assert "lstm (LSTM)" in text and "[(None, 6, 3), (None, 3), (None, 3)]" in text
    layers = {row["name"]: row for row in json.loads(c.summary("json"))["layers"]}
    assert layers["lstm"]["outputs"] == [{"name": "output", "ref": "lstm", "shape": [6, 3]},
                                         {"name": "state_h", "ref": "lstm:state_h", "shape": [3]},
                                         {"name": "state_c", "ref": "lstm:state_c", "shape": [3]}]
    assert layers["multi_head_attention"]["input_names"] == ["query", "value", "key"]
    assert "outputs" not in layers["flatten"] and "input_names" not in layers["flatten"]


def test_the_diagram_names_the_outputs_an_edge_carries() -> None:
    dot = compile_(SEQ).to_dot(level="layer")
    assert '"lstm" -> "concatenate" [label="state_h, state_c", fontsize="9"];' in dot
    assert '"flatten" -> "concatenate";' in dot


def test_initial_state_by_name() -> None:
    c = compile_("""
        model:
          inputs: {x: {shape: [5, 2]}, y: {shape: [3, 2]}}
          layers:
            - GRU: {units: 4, return_state: true, id: enc, inputs: x}
            - GRU: {units: 4, inputs: {sequences: y, state: enc.state}}
        """)
    dec = c.graph.node("gru_1")
    assert (dec.inputs, dec.input_names) == (("y", "gru:state"), ("sequences", "state"))
    assert c.stats.nodes["gru_1"].total == c.stats.nodes["gru"].total  # the state adds no weights


def test_an_initial_state_is_all_of_it() -> None:
    found = errors("""
        model:
          inputs: {x: {shape: [5, 2]}}
          layers:
            - LSTM: {units: 4, return_state: true, id: enc}
            - LSTM: {units: 4, inputs: {sequences: x, state_h: enc.state_h}, id: dec}
            - GRU: {units: 3, inputs: {sequences: x, state: enc.state_h}, id: gru}
          outputs: [dec, gru]
        """)
    assert [(c, line) for c, _, line in found] == [("E322", 6), ("E401", 7)]
    assert "LSTM's initial state is state_h and state_c, all of them" in found[0][1]
    assert "expects an initial state of shape (3,)" in found[1][1]


def test_wrappers_shorthand_and_counts() -> None:
    c = compile_("""
        model:
          inputs: {x: {shape: [5, 3]}}
          layers:
            - Bidirectional: {LSTM: {units: 4, return_sequences: true}}
            - TimeDistributed: {Dense: 2}
        """)
    bi, td = c.graph.node("bidirectional"), c.graph.node("time_distributed")
    assert (bi.params.layer.op, bi.params.layer.params.units) == ("LSTM", 4)
    assert c.types["bidirectional"].shape == (5, 8) and c.types["time_distributed"].shape == (5, 2)
    assert c.stats.nodes["bidirectional"].total == 2 * 4 * (3 * 4 + 4 * 4 + 4)
    assert c.stats.nodes["time_distributed"].total == 8 * 2 + 2
    assert "Bidirectional(%x) {layer=LSTM{units=4,return_sequences=true}}" in c.ir()


def test_bidirectional_without_merge_has_two_outputs() -> None:
    c = compile_("""
        model:
          inputs: {x: {shape: [5, 3]}}
          layers:
            - Bidirectional: {layer: {GRU: {units: 2, return_state: true}}, merge_mode: null, id: b}
            - Concatenate: {inputs: [b.forward, b.backward, b.forward_state, b.backward_state]}
        """)
    assert c.graph.node("bidirectional").outputs == ("forward", "backward", "forward_state", "backward_state")
    assert c.types["concatenate"].shape == (8,)


def test_embedding_output_is_float_from_integer_ids() -> None:
    c = compile_("""
        model:
          inputs: {ids: {shape: [7], dtype: int32}}
          layers:
            - Embedding: {input_dim: 10, output_dim: 3}
        """)
    assert c.types["ids"].dtype == "int32"
    assert (c.types["embedding"].shape, c.types["embedding"].dtype) == ((7, 3), "float32")


def test_call_options_are_not_constructor_arguments() -> None:
    att = compile_(SEQ).graph.node("multi_head_attention")
    assert "return_attention_scores" not in att.params.to_config()
    assert att.params.call_options() == {"use_causal_mask": False, "return_attention_scores": True}


def test_blocks_no_call_reaches_are_checked_for_named_inputs_outputs_and_wrappers() -> None:
    found = errors("""
        blocks:
          unused:
            layers:
              - MultiHeadAttention: {num_heads: 2, key_dim: 4, inputs: {query: x, valu: x}}
              - LSTM: {units: 3, return_state: true, id: l}
              - Concatenate: {inputs: [l.state_h, l.state_c]}
              - Dense: {units: 3, id: d}
              - Add: {inputs: [d.act, d]}
              - Bidirectional: {layer: {LSTM: {unit: 4}}, merge_mode: max}
        model:
          inputs: {x: {shape: [6, 8]}}
          layers:
            - Dense: 3
        """)
    assert [(c, line) for c, _, line in found] == [("E325", 5), ("E320", 9), ("E202", 10), ("E200", 10),
                                                   ("E201", 10)]
    assert found[0][1] == "MultiHeadAttention has no input 'valu'"
