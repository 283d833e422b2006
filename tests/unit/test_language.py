"""The spec language end to end on small specs: wiring, blocks, repeats, conditionals, taps, names, imports."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from archcompiler import CompileError, compile_text, load


def compile_(text: str, **kw):
    return compile_text(text, "t.yaml", **kw)


def errors(text: str, **kw) -> list[tuple[str, str]]:
    with pytest.raises(CompileError) as info:
        compile_(text, **kw)
    return [(d.code, d.message) for d in info.value.diagnostics]


MLP = """
params:
  width: {type: int, default: 8, doc: hidden units}
blocks:
  mlp:
    doc: n dense layers
    params: {units: {type: int}, n: {type: int, default: 2}}
    layers:
      - repeat: $n
        layers:
          - Dense: {units: "${units * (i + 1)}", activation: relu, name: "${name}_d${i}"}
model:
  inputs: {x: {shape: [4]}}
  layers:
    - mlp: {units: $width, name: m}
    - Dense: 1
"""


def test_sequential_blocks_and_repeats() -> None:
    c = compile_(MLP)
    assert [n.name for n in c.graph.nodes] == ["x", "m_d0", "m_d1", "dense"]
    assert [n.inputs for n in c.graph.nodes] == [(), ("x",), ("m_d0",), ("m_d1",)]
    assert c.graph.node("m_d1").params.units == 16
    assert c.graph.node("m_d0").scope == ("m",)
    assert c.stats.blocks[("m",)].total == (4 * 8 + 8) + (8 * 16 + 16)


def test_overrides_and_defaults() -> None:
    c = compile_(MLP, overrides={"width": 2})
    assert c.graph.node("m_d1").params.units == 4


def test_auto_names_follow_keras_and_skip_taken_names() -> None:
    c = compile_("""
model:
  inputs: {x: {shape: [4]}}
  layers:
    - Dense: {units: 2, name: dense_1}
    - Dense: 2
    - Dense: 2
    - ReLU
    - BatchNormalization
""")
    assert [n.name for n in c.graph.nodes] == ["x", "dense_1", "dense", "dense_2", "re_lu", "batch_normalization"]


def test_ids_branches_and_merges() -> None:
    c = compile_("""
model:
  inputs: {x: {shape: [8, 8, 3]}}
  layers:
    - Conv2D: {filters: 4, kernel_size: 1, id: a}
    - Conv2D: {filters: 4, kernel_size: 3, padding: same, inputs: x, id: b}
    - Concatenate: {inputs: [a, b]}
    - Add: {inputs: [_, _]}
""")
    assert c.graph.node("concatenate").inputs == ("conv2d", "conv2d_1")
    assert c.types["add"].shape == (8, 8, 8)


def test_taps_into_a_block_instance() -> None:
    c = compile_("""
blocks:
  pre:
    layers:
      - BatchNormalization
      - Activation: {activation: relu, id: act}
      - Conv2D: {filters: 4, kernel_size: 3, padding: same}
model:
  inputs: {x: {shape: [8, 8, 3]}}
  layers:
    - pre: {id: p}
    - Conv2D: {filters: 4, kernel_size: 1, inputs: p.act, id: proj}
    - Add: {inputs: [p, proj]}
""")
    assert c.graph.node("conv2d_1").inputs == ("activation",)


def test_for_loops_over_tables_and_conditionals() -> None:
    c = compile_("""
params:
  stages: {type: list, default: [{w: 4, n: 1}, {w: 8, n: 2}]}
model:
  inputs: {x: {shape: [4]}}
  layers:
    - for: s
      in: $stages
      layers:
        - repeat: $s.n
          layers:
            - Dense: $s.w
        - if: ${s.w > 4}
          layers: [ReLU]
          else: [Softmax]
""")
    assert [n.op for n in c.graph.nodes] == ["Input", "Dense", "Softmax", "Dense", "Dense", "ReLU"]


LONG_SKIPS = """
params:
  depth: {type: int, default: 3}
blocks:
  down:
    params: {filters: {type: int}}
    layers:
      - Conv2D: {filters: $filters, kernel_size: 3, padding: same, name: "${name}_conv"}
model:
  inputs: {x: {shape: [16, 16, 1]}}
  layers:
    - for: l
      in: ${range(depth)}
      layers:
        - down: {filters: "${4 * (l + 1)}", name: "enc${l}", id: "skip${l}"}
        - MaxPooling2D: {name: "pool${l}"}
    - for: l
      in: ${range(depth - 1, -1, -1)}
      layers:
        - Conv2DTranspose: {filters: "${4 * (l + 1)}", kernel_size: 2, strides: 2, name: "up${l}"}
        - Concatenate: {inputs: [_, "skip${l}"], name: "cat${l}"}
"""


def test_templated_ids_wire_long_skips() -> None:
    """Ids built from loop variables name each iteration's output; a later loop reads them back in any order."""
    c = compile_(LONG_SKIPS)
    assert [c.graph.node(f"cat{l}").inputs for l in (2, 1, 0)] == [("up2", "enc2_conv"), ("up1", "enc1_conv"),
                                                                   ("up0", "enc0_conv")]
    assert c.types["cat0"].shape == (16, 16, 8)
    assert compile_(LONG_SKIPS, overrides={"depth": 1}).graph.node("cat0").inputs == ("up0", "enc0_conv")


def test_templated_ids_are_checked_after_evaluation() -> None:
    bad_id = LONG_SKIPS.replace('id: "skip${l}"', 'id: "skip${l - 5}"')
    assert ("E201", "an id is a name like 'shortcut' (letters, digits, _). Received: id='skip-5'") in errors(bad_id)
    ahead = LONG_SKIPS.replace('inputs: [_, "skip${l}"]', 'inputs: [_, "skip${l + 1}"]')
    assert ("E320", "unknown reference 'skip3'") in errors(ahead)


def test_repeat_zero_times_and_start() -> None:
    c = compile_("""
model:
  inputs: {x: {shape: [4]}}
  layers:
    - repeat: 0
      layers: [Dense: 3]
    - repeat: 2
      start: 5
      layers:
        - Dense: {units: 2, name: "d${i}"}
""")
    assert [n.name for n in c.graph.nodes] == ["x", "d5", "d6"]


def test_nested_blocks_carry_scopes_and_chains() -> None:
    with pytest.raises(CompileError) as info:
        compile_("""
blocks:
  inner:
    params: {k: {type: int}}
    layers:
      - Conv2D: {filters: 4, kernel_size: $k}
  outer:
    layers:
      - inner: {k: 3, name: in1}
      - inner: {k: 9, name: in2}
model:
  inputs: {x: {shape: [8, 8, 3]}}
  layers:
    - outer: {name: o}
""")
    (d,) = info.value.diagnostics
    assert d.code == "E402"
    assert [f.instance for f in d.chain] == ["o", "in2"]
    assert "in block 'inner' (instance 'in2')" in info.value.render()


def test_trainable_false_freezes_layers_and_blocks() -> None:
    c = compile_("""
blocks:
  b:
    layers: [Dense: 3, BatchNormalization]
model:
  inputs: {x: {shape: [4]}}
  layers:
    - b: {trainable: false}
    - Dense: {units: 2}
""")
    t = c.stats.total
    assert (t.trainable, t.non_trainable) == (8, 15 + 12)


def test_several_inputs_and_outputs() -> None:
    c = compile_("""
model:
  inputs:
    image: {shape: [8, 8, 3]}
    meta: {shape: [2]}
  layers:
    - Flatten
    - Concatenate: {inputs: [_, meta]}
    - Dense: {units: 3, id: logits}
    - Dense: {units: 1, inputs: logits, name: aux, id: aux}
  outputs: [logits, aux]
""")
    assert c.graph.inputs == ("image", "meta")
    assert c.graph.outputs == ("dense", "aux")
    assert c.output_shapes == [(3,), (1,)]


def test_all_independent_errors_at_once() -> None:
    errs = errors("""
model:
  inputs: {x: {shape: [4]}}
  layers:
    - Dense: {units: 0}
    - Dense: {units: "${nope}"}
    - Dense: {units: 3, name: a/b}
    - Dropout: 2
""")
    assert [c for c, _ in errs] == ["E201", "E301", "E321", "E201"]


def test_expectations(tmp_path: Path) -> None:
    ok = MLP + "expect: {total_params: 201, layers: 4, output_shape: [1]}\n"
    compile_(ok)
    assert errors(MLP + "expect: {total_params: 200}\n")[0][0] == "E500"


def test_imports_extends_and_confinement(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "blocks.yaml").write_text(
        "params: {act: relu}\nblocks:\n  unit:\n    params: {w: {type: int}}\n    layers:\n"
        "      - Dense: {units: $w, activation: $act}\n")
    (tmp_path / "base.yaml").write_text(
        "imports: [{from: lib/blocks.yaml, blocks: [unit]}]\nparams: {depth: 2}\n"
        "model:\n  inputs: {x: {shape: [4]}}\n  layers:\n    - repeat: $depth\n      layers: [unit: {w: 3}]\n"
        "expect: {layers: 3}\n")
    (tmp_path / "variant.yaml").write_text("extends: base.yaml\nname: deeper\nparams: {depth: 4}\n")
    assert len(load(tmp_path / "base.yaml").graph.nodes) == 3
    v = load(tmp_path / "variant.yaml")
    assert v.name == "deeper" and len(v.graph.nodes) == 5
    assert load(tmp_path / "variant.yaml", overrides={"act": "tanh"}).graph.node("dense").params.activation == "tanh"
    # outside the tree of the spec being compiled
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "escape.yaml").write_text("extends: ../base.yaml\n")
    with pytest.raises(CompileError) as info:
        load(tmp_path / "sub" / "escape.yaml")
    assert info.value.diagnostics[0].code == "E210" and "outside" in info.value.diagnostics[0].message
    # a symlink that points out of the tree is refused too
    os.symlink(tmp_path / "base.yaml", tmp_path / "sub" / "link.yaml")
    (tmp_path / "sub" / "via_link.yaml").write_text("extends: link.yaml\n")
    with pytest.raises(CompileError) as info:
        load(tmp_path / "sub" / "via_link.yaml")
    assert info.value.diagnostics[0].code == "E210"
    # absolute paths are refused
    (tmp_path / "abs.yaml").write_text(f"extends: {tmp_path / 'base.yaml'}\n")
    with pytest.raises(CompileError) as info:
        load(tmp_path / "abs.yaml")
    assert "absolute" in info.value.diagnostics[0].message


def test_block_params_cannot_shadow_entry_keys() -> None:
    errs = errors("blocks:\n  b:\n    params: {id: 3}\n    layers: [Dense: 2]\n"
                  "model:\n  inputs: {x: {shape: [4]}}\n  layers: [b]\n")
    assert errs[0][0] == "E201" and "'id' cannot be a block parameter" in errs[0][1]


def test_a_library_without_model_cannot_be_compiled() -> None:
    assert errors("blocks:\n  b:\n    layers: [Dense: 2]\n")[0][0] == "E202"


def test_input_layers_live_under_model_inputs() -> None:
    errs = errors("model:\n  inputs: {x: {shape: [4]}}\n  layers: [Input: [3]]\n")
    assert errs[0][0] == "E201" and "model.inputs" in errs[0][1]


def test_expansion_is_fast_for_the_largest_reference(benchmark_free=True) -> None:
    import time
    t = time.process_time()
    load(Path(__file__).resolve().parents[2] / "specs" / "keras_applications" / "resnet152.yaml")
    assert time.process_time() - t < 5  # generous bound: a hang would fail; speed is measured in benchmarks/
