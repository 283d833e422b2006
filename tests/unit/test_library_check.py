"""Blocks checked on their own: every block of a library (`archc validate lib.yaml`) and the blocks a model never
calls, for any arguments, without false errors on valid specs."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from archcompiler import CompileError, compile_text
from archcompiler.check import check_blocks, uncalled_blocks
from archcompiler.cli import main
from archcompiler.load import resolve_file, resolve_text
from archcompiler.pipeline import check_library, run_stages
from helpers import ROOT

BUNDLED = sorted(str(p.relative_to(ROOT)) for p in [*ROOT.glob("specs/**/*.yaml"), *ROOT.glob("specs/**/*.json")])


def problems(text: str) -> list[tuple[str, int, int, str]]:
    """(code, line, col, message) of every problem check_library finds in a library given as text."""
    spec = resolve_text(textwrap.dedent(text).lstrip("\n"), "lib.yaml")
    with pytest.raises(CompileError) as info:
        check_library(spec)
    return [(d.code, d.span.line, d.span.col, d.message) for d in info.value.diagnostics]


def clean(text: str, name: str = "lib.yaml", base_dir: Path | None = None) -> None:
    check_library(resolve_text(textwrap.dedent(text).lstrip("\n"), name, base_dir))


# -- one case per kind of error ---------------------------------------------------------------------------------

def test_undefined_variable() -> None:
    found = problems("""
        blocks:
          conv:
            params: {filters: {type: int}}
            layers:
              - Conv2D: {filters: "${filterz * 2}", kernel_size: 3}
        """)
    assert [f[:3] for f in found] == [("E301", 5, 30)]
    assert found[0][3] == "Conv2D.filters: unknown variable 'filterz'"


def test_unknown_function() -> None:
    found = problems("""
        blocks:
          b:
            params: {n: {type: int}}
            layers:
              - Dense: {units: "${maxi(n, 2)}"}
        """)
    assert [f[:3] for f in found] == [("E301", 5, 27)] and "unknown function 'maxi'" in found[0][3]


def test_expression_syntax() -> None:
    found = problems("""
        blocks:
          b:
            params: {n: {type: int}}
            layers:
              - Dense: {units: "${n +* 2}"}
        """)
    assert [f[:3] for f in found] == [("E300", 5, 30)]


def test_unknown_layer_argument() -> None:
    found = problems("""
        blocks:
          b:
            params: {f: {type: int}}
            layers:
              - Conv2D: {filters: $f, kernel_size: 3, paddin: same}
        """)
    assert [f[:3] for f in found] == [("E200", 5, 47)] and found[0][3] == "unknown key 'paddin'"


def test_unknown_argument_with_a_computed_value() -> None:
    found = problems("""
        blocks:
          b:
            params: {f: {type: int}}
            layers:
              - Dense: {units: $f, activaton: $f}
        """)
    assert [f[:3] for f in found] == [("E200", 5, 28)]


def test_wrong_literal_type() -> None:
    found = problems("""
        blocks:
          b:
            params: {f: {type: int}}
            layers:
              - Conv2D: {filters: $f, kernel_size: three}
              - Dense: {units: 0}
        """)
    assert [f[:3] for f in found] == [("E201", 5, 44), ("E201", 6, 24)]
    assert found[0][3].startswith("Conv2D.kernel_size:") and found[1][3].startswith("Dense.units:")


def test_missing_layer_argument() -> None:
    found = problems("""
        blocks:
          b:
            layers:
              - Conv2D: {kernel_size: 3}
        """)
    assert [f[:2] for f in found] == [("E202", 4)] and "'filters'" in found[0][3]


def test_default_of_the_wrong_type() -> None:
    found = problems("""
        params:
          width: {type: int, default: wide}
        blocks:
          b:
            params:
              n: {type: int, default: 2.5}
            layers: [Dense: $n]
        """)
    assert [f[:3] for f in found] == [("E310", 2, 31), ("E310", 6, 31)]
    assert found[0][3].startswith("the spec parameter 'width' expects int")
    assert found[1][3].startswith("block 'b' parameter 'n' expects int")


def test_unknown_type() -> None:
    found = problems("""
        blocks:
          b:
            layers:
              - Dense: 4
              - Conv2d: {filters: 3, kernel_size: 1}
        """)
    assert [f[:3] for f in found] == [("E203", 5, 9)] and found[0][3] == "unknown layer or block type 'Conv2d'"


def test_unknown_reference() -> None:
    found = problems("""
        blocks:
          b:
            layers:
              - Dense: {units: 4, id: a}
              - Add: {inputs: [a, nope]}
            output: nope2
        """)
    assert [f[:3] for f in found] == [("E320", 5, 27), ("E320", 6, 13)]
    assert found[0][3] == "unknown reference 'nope'"


def test_reference_to_a_later_id() -> None:
    found = problems("""
        blocks:
          b:
            layers:
              - Add: {inputs: [x, later]}
              - Dense: {units: 4, id: later}
        """)
    assert [f[:3] for f in found] == [("E320", 4, 27)]


def test_taps_are_checked_against_the_called_block() -> None:
    found = problems("""
        blocks:
          inner:
            layers:
              - Dense: {units: 4, id: act}
              - Dense: 4
          outer:
            layers:
              - inner: {id: s}
              - Add: {inputs: [s.act, s.nope]}
              - Add: {inputs: [s.act.deeper, _]}
        """)
    assert [f[:3] for f in found] == [("E320", 9, 31), ("E320", 10, 24)]
    assert found[0][3] == "unknown reference 's.nope' inside 's'"


def test_wrong_number_of_inputs() -> None:
    found = problems("""
        blocks:
          pair:
            inputs: [a, b]
            layers: [Add: {inputs: [a, b]}]
          b:
            layers:
              - Add: {}
              - pair: {}
        """)
    assert [f[:3] for f in found] == [("E322", 7, 9), ("E322", 8, 9)]


def test_missing_required_block_parameter_in_a_nested_call() -> None:
    found = problems("""
        blocks:
          conv:
            params:
              filters: {type: int}
              strides: {type: int, default: 1}
            layers: [Conv2D: {filters: $filters, kernel_size: 3, strides: $strides}]
          stage:
            params: {w: {type: int}}
            layers:
              - conv: {strides: 2}
              - conv: {filters: $w, stride: 2}
              - conv: {filters: "${w}", strides: two}
        """)
    assert [f[:3] for f in found] == [("E310", 10, 9), ("E310", 11, 29), ("E310", 12, 42)]
    assert found[0][3] == "block 'conv' needs parameter 'filters'"
    assert found[1][3] == "block 'conv' has no parameter 'stride'"
    assert found[2][3].startswith("block 'conv' parameter 'strides' expects int")


def test_loop_variable_used_outside_its_loop() -> None:
    found = problems("""
        blocks:
          b:
            params: {n: {type: int}}
            layers:
              - repeat: $n
                var: k
                layers: [Dense: {units: "${k + 1}"}]
              - for: w
                in: [8, 16]
                layers: [Dense: $w]
              - Dense: {units: "${k * w}"}
        """)
    assert [f[:3] for f in found] == [("E301", 11, 27), ("E301", 11, 31)]


def test_recursive_blocks() -> None:
    found = problems("""
        blocks:
          a:
            layers: [b]
          b:
            params: {n: {type: int, default: 1}}
            layers:
              - if: ${n > 0}
                layers: [a]
        """)
    assert [f[:2] for f in found] == [("E311", 8)] and found[0][3] == "block 'a' uses itself: a -> b -> a"


def test_literal_control_values() -> None:
    found = problems("""
        blocks:
          b:
            layers:
              - repeat: -1
                layers: [Dense: 2]
              - if: maybe
                layers: [Dense: 2]
        """)
    assert [f[:3] for f in found] == [("E201", 4, 17), ("E201", 6, 13)]


def test_all_errors_at_once() -> None:
    found = problems("""
        params:
          width: {type: int, default: 8}
        blocks:
          conv:
            params:
              filters: {type: int}
              strides: {type: int, default: 1}
            layers:
              - Conv2D: {filters: "${filterz * 2}", kernel_size: 3, paddin: same}
              - Conv2D: {filters: $filters, kernel_size: three}
              - Conv2d: {filters: 3, kernel_size: 1}
              - Add: {inputs: [_, nope]}
              - repeat: 2
                var: k
                layers: [Dense: {units: "${k + width}"}]
              - Dense: {units: "${k}"}
          outer:
            layers:
              - conv: {strides: 2}
              - conv: {filters: "${width}", stride: 2}
        """)
    assert [f[:3] for f in found] == [
        ("E301", 9, 30), ("E200", 9, 61), ("E201", 10, 50), ("E203", 11, 9), ("E320", 12, 27), ("E301", 16, 27),
        ("E310", 19, 9), ("E310", 20, 37)]


# -- no false errors ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", BUNDLED)
def test_every_block_of_every_bundled_spec_is_clean(path: str, in_root: Path) -> None:
    spec = resolve_file(path)
    assert check_blocks(spec, spec.blocks, spec_params=True) == []
    if spec.model is None:
        check_library(spec)
    else:
        run_stages(spec)


def test_tricky_valid_library() -> None:
    clean("""
        params:
          eps: {type: number, default: 1.0e-3}
          act: {default: relu}
          stages: {type: list, default: [{filters: 8, n: 2}, {filters: 16, n: 1}]}
        blocks:
          unit:
            params:
              filters: {type: int}
              k: {type: int, default: 3}
              project: {type: bool}
              double: {default: "${k * 2}"}
            layers:
              - Conv2D: {filters: "${filters * 4 // k}", kernel_size: $k, padding: same, id: main}
              - BatchNormalization: {epsilon: $eps, name: "${name}_bn${k}"}
              - Activation: $act
              - if: $project
                layers:
                  - Conv2D: {filters: "${filters * 4 // k}", kernel_size: 1, inputs: x, id: x}
                else:
                  - Dense: {units: "${double}", inputs: x, id: alt}
              - Add: {inputs: [_, x]}
              - Add: {inputs: [main, alt]}
              - Activation: {activation: relu, id: "${'out' if project else 'last'}"}
              - Add: {inputs: [out, last]}
          stack:
            params: {widths: {type: int_list}, depth: {type: int}}
            layers:
              - unit: {filters: "${widths[0]}", project: true, id: stem}
              - Add: {inputs: [stem.main, stem.x, stem]}
              - for: st
                in: $stages
                layers:
                  - repeat: ${st.n - 1 if depth > 1 else 0}
                    start: 1
                    layers:
                      - unit: {filters: $st.filters, project: "${i == 1}", name: "${name}_u${i}", id: last}
              - Dense: {units: "${max(widths) + len(stages)}", inputs: last.main}
              - if: false
                layers: [Nonexistent: {units: "${undefined}"}]
              - repeat: 0
                layers: [Dense: {units: 0}]
            output: _
        """)


def test_library_that_imports_a_library(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text(textwrap.dedent("""
        params: {width: {type: int, default: 4}}
        blocks:
          dense:
            params: {units: {type: int}}
            layers: [Dense: {units: "${units * width}", id: d}]
        """), encoding="utf-8")
    clean("""
        imports: [{from: base.yaml}]
        blocks:
          two:
            layers:
              - dense: {units: "${width}", id: a}
              - dense: {units: 2, inputs: x}
              - Add: {inputs: [a.d, _]}
        """, "top.yaml", tmp_path)


def test_checking_a_library_does_not_evaluate_its_parameters() -> None:
    clean("""
        params:
          n: {type: int}
        blocks:
          b:
            params: {m: {type: int}}
            layers: [Dense: {units: "${100 // (n - m)}"}]
        """)


# -- blocks a model never calls ---------------------------------------------------------------------------------

UNCALLED = """
blocks:
  used:
    layers: [Dense: 4]
  unused:
    layers:
      - Dense: {units: "${nope}"}
model:
  inputs: {x: {shape: [4]}}
  layers: [used]
"""


def test_a_model_reports_its_uncalled_blocks() -> None:
    with pytest.raises(CompileError) as info:
        compile_text(UNCALLED, "m.yaml")
    assert [(d.code, d.span.line, d.span.col) for d in info.value.diagnostics] == [("E301", 7, 27)]


def test_uncalled_blocks_are_reported_with_the_models_own_errors() -> None:
    with pytest.raises(CompileError) as info:
        compile_text(UNCALLED.replace("layers: [used]", "layers: [used, Dense: 0]"), "m.yaml")
    assert [(d.code, d.span.line) for d in info.value.diagnostics] == [("E301", 7), ("E201", 10)]


def test_uncalled_means_never_instantiated() -> None:
    text = """
        params: {deep: false}
        blocks:
          leaf:
            layers: [Dense: 4]
          sometimes:
            layers: [leaf]
        model:
          inputs: {x: {shape: [4]}}
          layers:
            - if: $deep
              layers: [sometimes]
            - leaf
        """
    spec = resolve_text(textwrap.dedent(text), "m.yaml")
    comp = run_stages(spec)
    assert uncalled_blocks(spec, comp.graph) == ["sometimes"]
    assert uncalled_blocks(spec, None) == []  # without an expansion: what the model's entries can reach


def test_called_blocks_are_left_to_the_expander() -> None:
    # the expander reports the error once, with its call chain; the block check does not repeat it
    with pytest.raises(CompileError) as info:
        compile_text("blocks:\n  b:\n    layers: [Dense: {units: \"${nope}\"}]\n"
                     "model:\n  inputs: {x: {shape: [4]}}\n  layers: [b]\n", "m.yaml")
    assert [(d.code, len(d.chain)) for d in info.value.diagnostics] == [("E301", 1)]


# -- the command line ------------------------------------------------------------------------------------------

def test_validate_reports_a_broken_library(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("lib.yaml").write_text("archspec: 1\nblocks:\n  b:\n    layers:\n      - Dense: {units: \"${nope}\"}\n"
                                "      - Add: {inputs: [_, gone]}\n", encoding="utf-8")
    assert main(["validate", "lib.yaml"]) == 1
    err = capsys.readouterr().err
    assert "lib.yaml:5:27: error[E301]: Dense.units: unknown variable 'nope'" in err
    assert "lib.yaml:6:27: error[E320]: unknown reference 'gone'" in err
    assert "2 errors" in err
