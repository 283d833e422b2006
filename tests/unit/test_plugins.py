"""Layer plugins (archcompiler/layers/plugins.py): discovery through the ``archcompiler.layers`` entry points, the
checks of a registration (E800), laziness (a spec of built-in types never reads the installed packages), and that
nothing in a spec makes archc import anything.

Most tests give discovery fake entry points (modules written to a temporary folder); the last ones use the
example plugin of the repository (plugins/archc-vit-layers) when it is installed, as ``make setup`` does.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Iterator

import pytest

import archcompiler
from archcompiler import CompileError
from archcompiler.cli import main
from archcompiler.layers import REGISTRY, plugins
from archcompiler.layers.base import CALL_STYLES, LayerDef, same_shape

from helpers import ROOT

SPEC = """\
archspec: 1
model:
  inputs: {x: {shape: [16, 8]}}
  layers:
    - %s
"""


class FakeDist:
    def __init__(self, name: str, version: str = "1.0"):
        self.metadata = {"Name": name}
        self.version = version


class FakeEntryPoint:
    """What importlib.metadata gives: a name, a value ``module:attr``, the distribution, and load()."""

    def __init__(self, name: str, value: str, package: str):
        self.name, self.value, self.dist = name, value, FakeDist(package)

    def load(self) -> Any:
        import importlib
        module, _, attr = self.value.partition(":")
        return getattr(importlib.import_module(module), attr)


@pytest.fixture
def fake_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A function (package, module source) -> installs a fake plugin whose entry point names ``module:LAYERS``;
    discovery forgotten before and after."""
    monkeypatch.syspath_prepend(str(tmp_path))
    eps: list[FakeEntryPoint] = []
    monkeypatch.setattr(plugins, "_entry_points", lambda: list(eps))
    plugins.reset()

    def install(package: str, source: str, attr: str = "LAYERS") -> None:
        module = f"fake_{package.replace('-', '_')}"
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        eps.append(FakeEntryPoint(package, f"{module}:{attr}", package))
    yield install
    plugins.reset()
    for name in [m for m in sys.modules if m.startswith("fake_")]:
        del sys.modules[name]


GOOD = """
    from archcompiler.layers.base import LayerDef, LayerParams, same_shape

    class ScaleParams(LayerParams):
        pass

    LAYERS = (LayerDef(op="Scale", params=ScaleParams, infer=same_shape, count_params=lambda p, i, o: (i[0][-1], 0),
                       keras_path="fake_scale_pkg.keras:Scale", doc="Scales each channel.", label=lambda p: ""),)
"""


def test_a_plugin_type_is_found_by_name_and_compiles(fake_plugins: Any) -> None:
    fake_plugins("scale-pkg", GOOD)
    comp = archcompiler.compile_text(SPEC % "Scale", "net.yaml")
    assert [n.op for n in comp.graph.nodes] == ["Input", "Scale"]
    assert comp.stats.total.trainable == 8 and comp.output_shapes == [(16, 8)]
    assert "scale (Scale)" in comp.summary()
    assert "Scale" not in list(REGISTRY) and "Scale" in REGISTRY  # iterating sees the built-in types only
    assert REGISTRY["Scale"].keras_name == "Scale" and REGISTRY.get("Scale") is REGISTRY["Scale"]
    origin = plugins.discover().origins["Scale"]
    assert (origin.package, origin.version) == ("scale-pkg", "1.0")


def test_archc_layers_lists_plugins_with_their_package(fake_plugins: Any, capsys: pytest.CaptureFixture) -> None:
    fake_plugins("scale-pkg", GOOD)
    assert main(["layers"]) == 0
    out = capsys.readouterr().out
    assert "Scale" in out and "(plugin: scale-pkg 1.0)" in out and all(op in out for op in REGISTRY)
    assert main(["layers", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert set(listed) == set(REGISTRY) | {"Scale"}
    assert listed["Scale"]["plugin"] == {"package": "scale-pkg", "version": "1.0",
                                         "entry_point": "scale-pkg = fake_scale_pkg:LAYERS",
                                         "keras_path": "fake_scale_pkg.keras:Scale"}
    assert "plugin" not in listed["Dense"]


BROKEN = {
    "cannot be imported": ("import no_such_module_here\nLAYERS = ()", "cannot be imported: ModuleNotFoundError"),
    "raises on import": ("raise RuntimeError('boom')", "cannot be imported: RuntimeError: boom"),
    "not layer definitions": ("LAYERS = {'Scale': 1}", "must name a LayerDef or a tuple of them. Received: dict"),
    "an empty tuple": ("LAYERS = ()", "must name a LayerDef or a tuple of them"),
    "something else in the tuple": ("LAYERS = ('Scale',)", "expected a LayerDef. Received: str 'Scale'"),
    "a built-in name": (GOOD.replace('op="Scale"', 'op="Dense"'), "'Dense' is a built-in type of archc"),
    "a name specs cannot write": (GOOD.replace('op="Scale"', 'op="my-scale"'), "Received: 'my-scale'"),
    "no keras_path": (GOOD.replace('keras_path="fake_scale_pkg.keras:Scale"', 'keras_path=""'),
                      "keras_path must name the Keras layer class as 'package.module:Class'. Received: ''"),
    "a file path as keras_path": (GOOD.replace("fake_scale_pkg.keras:Scale", "/tmp/x.py:Scale"),
                                  "Received: '/tmp/x.py:Scale'"),
    "params not a LayerParams": (GOOD.replace("params=ScaleParams", "params=dict"),
                                 "params must be a subclass of archcompiler.layers.base.LayerParams"),
    "a rule that is not a function": (GOOD.replace("infer=same_shape", "infer=3"), "infer must be a function"),
    "a bad call style": (GOOD.replace('doc="Scales', 'call_style="kwargs", doc="Scales'),
                         f"call_style must be one of {', '.join(CALL_STYLES)}. Received: 'kwargs'"),
    "a bad arity": (GOOD.replace('doc="Scales', 'arity=(0, 1), doc="Scales'), "arity must be (min, max)"),
    "an unknown positional": (GOOD.replace('doc="Scales', 'positional="factor", doc="Scales'),
                              "positional names 'factor', which is not one of its arguments"),
}


@pytest.mark.parametrize("source, message", BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_plugin_is_a_diagnostic_naming_its_package(fake_plugins: Any, source: str, message: str,
                                                            capsys: pytest.CaptureFixture) -> None:
    fake_plugins("broken-pkg", source)
    found = plugins.discover()
    assert "Scale" not in found.types and len(found.problems) == 1
    d = found.problems[0].diagnostic()
    assert d.code == "E800" and d.message.startswith("layer plugin of package broken-pkg (entry point "
                                                     "broken-pkg = fake_broken_pkg:LAYERS): ")
    assert message in d.message, d.message
    # a spec naming the type: E203, and the plugin's problem with it (never a traceback)
    with pytest.raises(CompileError) as info:
        archcompiler.compile_text(SPEC % "Scale", "net.yaml")
    assert [x.code for x in info.value.diagnostics] == ["E800", "E203"]
    assert "Traceback" not in info.value.render()
    # archc layers: the rest listed, the problem on standard error, exit code 1
    assert main(["layers"]) == 1
    out, err = capsys.readouterr()
    assert "Conv2D" in out and "error[E800]" in err and "broken-pkg" in err and "Traceback" not in err


def test_a_broken_plugin_does_not_stop_the_others(fake_plugins: Any) -> None:
    fake_plugins("broken-pkg", "raise ImportError('missing dependency')")
    fake_plugins("scale-pkg", GOOD)
    fake_plugins("again-pkg", GOOD.replace("fake_scale_pkg.keras", "fake_again_pkg.keras"))
    found = plugins.discover()
    assert list(found.types) == ["Scale"] and found.origins["Scale"].package == "scale-pkg"
    assert [p.origin.package for p in found.problems] == ["broken-pkg", "again-pkg"]
    assert "'Scale' is registered by scale-pkg 1.0 already" in found.problems[1].message
    assert archcompiler.compile_text(SPEC % "Scale", "net.yaml").graph.nodes[-1].op == "Scale"


def test_a_built_in_type_never_reads_plugins_and_a_clash_keeps_the_built_in(fake_plugins: Any) -> None:
    fake_plugins("clash-pkg", GOOD.replace('op="Scale"', 'op="Dense"'))
    comp = archcompiler.compile_text(SPEC % "Dense: 4", "net.yaml")
    assert not plugins.discovered() and comp.graph.nodes[-1].op == "Dense"
    assert REGISTRY["Dense"].keras_path == ""


def test_a_block_of_the_name_of_a_plugin_type_takes_precedence(fake_plugins: Any) -> None:
    fake_plugins("scale-pkg", GOOD)
    text = SPEC % "Scale" + "blocks:\n  Scale:\n    layers: [Dense: 3]\n"
    comp = archcompiler.compile_text(text, "net.yaml")
    assert [n.op for n in comp.graph.nodes] == ["Input", "Dense"] and not plugins.discovered()


def test_misspelt_plugin_type_gets_a_suggestion(fake_plugins: Any) -> None:
    fake_plugins("scale-pkg", GOOD)
    with pytest.raises(CompileError) as info:
        archcompiler.compile_text(SPEC % "Scael", "net.yaml")
    (d,) = info.value.diagnostics
    assert d.code == "E203" and d.hint == "did you mean 'Scale'?"


def test_specs_of_built_in_types_do_not_read_plugins() -> None:
    """Start-up: compiling (and summarising) specs of built-in types and blocks never scans the entry points."""
    plugins.reset()
    for spec in ("specs/keras_applications/resnet152.yaml", "specs/happy_model.yaml", "specs/squeezenet.yaml",
                 "specs/two_tower_multitask.yaml"):
        archcompiler.load(ROOT / spec).summary()
    assert not plugins.discovered()


def test_archc_summary_does_not_scan_entry_points() -> None:
    """In a fresh process, with importlib.metadata's entry_points made to fail for the plugins' group: archc
    summary of a spec of built-in types (with blocks) works, so it never asked."""
    code = textwrap.dedent("""
        import importlib.metadata, sys
        scan = importlib.metadata.entry_points
        def boom(*a, **k):
            if k.get("group") == "archcompiler.layers":
                raise SystemExit("the layer plugins were scanned")
            return scan(*a, **k)  # other libraries' own groups (pydantic's plugins)
        importlib.metadata.entry_points = boom
        from archcompiler.cli import main
        sys.exit(main(["summary", "specs/keras_applications/resnet152.yaml"]))
    """)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Total params: 60,419,944" in proc.stdout


def test_a_spec_cannot_make_archc_import_anything(tmp_path: Path) -> None:
    """Type names, argument values and keys that look like modules or classes import nothing: a module beside the
    spec (and on the path) that would leave a mark when imported is never imported."""
    (tmp_path / "evil_marker.py").write_text(
        "import pathlib\npathlib.Path(__file__).with_name('imported').write_text('yes')\nclass Thing: pass\n",
        encoding="utf-8")
    spec = tmp_path / "net.yaml"
    spec.write_text(textwrap.dedent("""\
        archspec: 1
        model:
          inputs: {x: {shape: [4]}}
          layers:
            - evil_marker
            - evil_marker:Thing
            - evil_marker.Thing: {units: 3}
            - Dense: {units: 3, keras_path: "evil_marker:Thing", module: evil_marker, class_name: Thing}
            - Dense: {units: 3, kernel_initializer: {class_name: Thing, module: evil_marker}}
        training:
          loss: {class_name: Thing, module: evil_marker}
          optimizer: {adam: {learning_rate: {class_name: Thing, module: evil_marker}}}
    """), encoding="utf-8")
    code = textwrap.dedent(f"""
        import sys
        from archcompiler import CompileError, load
        try:
            load({str(spec)!r})
        except CompileError as e:
            print(sorted({{d.code for d in e.diagnostics}}))
        print("evil_marker" in sys.modules)
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(tmp_path)])}
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    codes, imported = proc.stdout.splitlines()[-2:]
    assert codes.startswith("['E20") and imported == "False"
    assert not (tmp_path / "imported").exists()


def test_the_registry_copies_plugins_nowhere(fake_plugins: Any) -> None:
    """Generated artefacts (schema, layer reference) stay those of the built-in types whatever is installed."""
    from archcompiler.docs import layer_reference
    from archcompiler.schema import schema_text

    before = (schema_text(), layer_reference())
    fake_plugins("scale-pkg", GOOD)
    archcompiler.compile_text(SPEC % "Scale", "net.yaml")
    assert (schema_text(), layer_reference()) == before


def test_the_schema_with_plugins_has_their_types(fake_plugins: Any, tmp_path: Path) -> None:
    fake_plugins("scale-pkg", GOOD)
    out = tmp_path / "schema.json"
    assert main(["schema", "--plugins", "-o", str(out)]) == 0
    layer = json.loads(out.read_text(encoding="utf-8"))["$defs"]["Layer"]
    assert "Scale" in layer["properties"] and {"required": ["Scale"]} in layer["oneOf"]
    assert "Keras: `fake_scale_pkg.keras:Scale`" in layer["properties"]["Scale"]["description"]


# ---------------------------------------------------------------------------------------------------------------
# the example plugin (plugins/archc-vit-layers), when installed
# ---------------------------------------------------------------------------------------------------------------

VIT = ROOT / "plugins" / "archc-vit-layers" / "examples" / "vit_tiny.yaml"


@pytest.fixture
def vit() -> Iterator[None]:
    pytest.importorskip("archc_vit_layers", reason="the example plugin is not installed (make setup installs it)")
    plugins.reset()
    yield
    plugins.reset()


def test_the_example_plugin_is_found_with_its_package(vit: None) -> None:
    found = plugins.discover()
    assert {"ClassToken", "AddPositionEmbedding"} <= set(found.types)
    assert found.origins["ClassToken"].package == "archc-vit-layers"
    assert found.types["ClassToken"].keras_path == "archc_vit_layers.keras_layers:ClassToken"


def test_a_spec_using_the_example_plugin_validates_and_summarises(vit: None, capsys: pytest.CaptureFixture,
                                                                  in_root: Path) -> None:
    comp = archcompiler.load(VIT)
    by_name = {n.name: n for n in comp.graph.nodes}
    assert comp.types["class_token"].shape == (17, 32) and comp.types["position_embedding"].shape == (17, 32)
    assert comp.stats.nodes["class_token"].trainable == 32
    assert comp.stats.nodes["position_embedding"].trainable == 17 * 32
    assert by_name["position_embedding"].params.to_config() == {
        "initializer": {"class_name": "RandomNormal", "config": {"stddev": 0.02, "seed": 0}}}
    rel = str(VIT.relative_to(ROOT))
    assert main(["validate", rel]) == 0
    assert main(["summary", rel]) == 0
    out = capsys.readouterr().out
    assert "class_token (ClassToken)" in out and "Total params: 19,818" in out


def test_the_example_plugin_definitions_do_not_import_keras(vit: None) -> None:
    code = ("import sys; from archcompiler.layers import REGISTRY; assert 'ClassToken' in REGISTRY; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('keras', 'tensorflow')))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_a_definition_with_a_keras_path_is_still_a_layer_def() -> None:
    d = LayerDef(op="X", params=REGISTRY["ReLU"].params, infer=same_shape, keras_path="pkg.mod:Cls")
    assert d.keras_name == "Cls" and plugins.malformed(d) is None
    assert dataclasses.replace(d, keras_path="").keras_name == "X"
