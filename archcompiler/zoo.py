"""The zoo page, docs/zoo.md: every bundled spec with its static figures, grouped by family.

``python -m archcompiler.docs`` writes the page (and ``make docs`` the diagrams under docs/zoo/); a test checks that
the page is current. Everything on it comes from the specs themselves (compiled statically, without TensorFlow)
and from the sources they are compared with; the only data kept here is :data:`META`, keyed by spec path.

Families: a spec that ``extends:`` another belongs to the family of the spec it extends (followed to the end of
the chain); every other spec starts a family. A spec not in :data:`META` still gets its row, in a family of its own
or of the spec it extends.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import yaml

#: Where the family diagrams are, relative to the repository root (and their name inside docs/).
IMAGE_DIR = "docs/zoo"

#: The Keras source a test compares the hand-written networks with.
EQUIVALENCE = "tests/keras/test_equivalence.py"


@dataclass(frozen=True)
class Meta:
    """What the page cannot read from a spec.

    Attributes:
        family: the family's heading (on the family's first spec; default: the model's name).
        keras: the Keras source the spec replaces: ``keras:<path inside the keras package>`` (a whole module,
            for keras.applications) or ``<repository path>::<function>,<function>`` (the hand-written Keras
            functions a test compares the spec with).
        seed: the tutorial the spec comes from (a file of the tutorials the specs were written from, which are
            not in the repository), the lines of its Keras listing (None where the tutorial's text runs its code
            together into paragraphs: then its statements are counted, one line each) and their code lines.
    """

    family: Optional[str] = None
    keras: Optional[str] = None
    seed: Optional[tuple[str, Optional[str], int]] = None


def _eq(*functions: str) -> str:
    return f"{EQUIVALENCE}::{','.join(functions)}"


#: Per spec path (relative to the repository root). A spec of keras.applications whose module has the spec's
#: file name (``xception.yaml`` -> ``keras/src/applications/xception.py``) needs no ``keras``
#: (:func:`default_keras_ref`), nor does a variant of a family that has one.
META: dict[str, Meta] = {
    "specs/happy_model.yaml": Meta(family="HappyModel", keras=_eq("happy_model"),
                                   seed=("002_41b7c7d170aa6d52.txt", "59-87", 11)),
    "specs/happy_model.json": Meta(keras=_eq("happy_model")),
    "specs/resnet50_signs.yaml": Meta(family="ResNet-50 (SIGNS tutorial)",
                                      keras=_eq("identity_block", "convolutional_block", "resnet50_signs"),
                                      seed=("000_5f600ff291be77c8.txt", "63-107, 134-178, 203-278", 62)),
    "specs/resnet18.yaml": Meta(family="ResNet-18/34 (two-convolution blocks)", keras=_eq("residual", "resnet_basic"),
                                seed=("003_4be79d71d2629af4.txt", "13-44, 51-70, 75-118", 60)),
    "specs/resnet34.yaml": Meta(keras=_eq("residual", "resnet_basic")),
    "specs/preact_resnet_cifar.yaml": Meta(family="Pre-activation ResNet (CIFAR-10)",
                                           keras=_eq("residual_module", "preact_resnet"),
                                           seed=("001_ecdd814d83238177.txt", "22-129", 42)),
    "specs/linear_regression.yaml": Meta(family="Linear regression", keras=_eq("linear_regression"),
                                         seed=("004_67bde965998b72e3.txt", None, 2)),
    "specs/vgg16.yaml": Meta(family="VGG", keras="keras:src/applications/vgg16.py",
                             seed=("004_67bde965998b72e3.txt", None, 23)),
    "specs/vgg19.yaml": Meta(keras="keras:src/applications/vgg19.py"),
    "specs/squeezenet.yaml": Meta(family="SqueezeNet", keras=_eq("fire_module", "squeezenet"),
                                  seed=("004_67bde965998b72e3.txt", None, 33)),
    "specs/unet.yaml": Meta(family="U-Net", keras=_eq("double_conv", "unet")),
    "specs/cnn3d.yaml": Meta(family="3D CNN", keras=_eq("cnn3d")),
    "specs/normalized_cnn.yaml": Meta(family="CNN with preprocessing layers", keras=_eq("normalized_cnn")),
    "specs/se_resnet.yaml": Meta(family="SE-ResNet", keras=_eq("squeeze_excite", "se_residual", "se_resnet")),
    "specs/two_tower_multitask.yaml": Meta(family="Two-tower multi-task network",
                                           keras="tests/keras/test_multitask_training.py::by_hand"),
    "specs/transformer_text_classifier.yaml": Meta(family="Transformer text classifier",
                                                   keras=_eq("transformer_classifier")),
    "specs/lstm_sequence_model.yaml": Meta(family="LSTM encoder-decoder", keras=_eq("lstm_encoder_decoder")),
    "specs/keras_applications/resnet50.yaml": Meta(family="ResNet", keras="keras:src/applications/resnet.py"),
    "specs/keras_applications/resnet50v2.yaml": Meta(family="ResNetV2", keras="keras:src/applications/resnet_v2.py"),
    "specs/keras_applications/densenet.yaml": Meta(family="DenseNet"),
    "specs/keras_applications/mobilenet.yaml": Meta(family="MobileNet"),
    "specs/keras_applications/mobilenetv2.yaml": Meta(family="MobileNetV2",
                                                      keras="keras:src/applications/mobilenet_v2.py"),
    "specs/keras_applications/mobilenetv3.yaml": Meta(family="MobileNetV3",
                                                      keras="keras:src/applications/mobilenet_v3.py"),
    "specs/keras_applications/inception_v3.yaml": Meta(family="InceptionV3"),
    "specs/keras_applications/inception_resnet_v2.yaml": Meta(family="InceptionResNetV2"),
    "specs/keras_applications/xception.yaml": Meta(family="Xception"),
    "specs/keras_applications/nasnet.yaml": Meta(family="NASNet"),
    "specs/keras_applications/efficientnet.yaml": Meta(family="EfficientNet"),
    "specs/keras_applications/efficientnetv2.yaml": Meta(family="EfficientNetV2",
                                                         keras="keras:src/applications/efficientnet_v2.py"),
    "specs/transformers/bert.yaml": Meta(family="BERT", keras="tests/keras/test_bert_counterpart.py::hand_written"),
    "specs/transformers/vit.yaml": Meta(family="Vision transformer (ViT)",
                                        keras="tests/keras/test_vit_counterpart.py::hand_written"),
}

#: Specs grouped with a family they do not extend (the same network in another format).
SAME_FAMILY = {"specs/happy_model.json": "specs/happy_model.yaml"}


# ---------------------------------------------------------------------------------------------------------------
# line counts
# ---------------------------------------------------------------------------------------------------------------

def spec_lines(text: str) -> int:
    """Lines of a YAML or JSON spec: those that are not blank and not only a comment."""
    return sum(1 for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#"))


def _documentation_lines(tree: ast.AST) -> set[int]:
    """Lines of docstrings (a string literal as a statement) and of module-level documentation strings (a name
    assigned a string literal of several lines, as keras.applications' ``BASE_DOCSTRING = \"\"\"...\"\"\"``)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            out.update(range(node.lineno, node.end_lineno + 1))
    for node in getattr(tree, "body", []):
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str) and node.end_lineno > node.lineno):
            out.update(range(node.lineno, node.end_lineno + 1))
    return out


@functools.lru_cache(maxsize=32)
def _code_line_numbers(source: str) -> frozenset[int]:
    """The numbers of the code lines of ``source`` (see :func:`code_lines`)."""
    skip = _documentation_lines(ast.parse(source))
    lines: set[int] = set()
    ignored = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
               tokenize.ENDMARKER}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type not in ignored:
            lines.update(range(tok.start[0], tok.end[0] + 1))
    return frozenset(lines - skip)


def code_lines(source: str) -> int:
    """Python code lines of ``source``: lines that hold a token other than a comment, docstrings and module-level
    documentation strings excluded."""
    return len(_code_line_numbers(source))


def function_lines(source: str, names: list[str]) -> int:
    """Code lines of the top-level functions ``names`` of ``source`` (decorators included)."""
    tree = ast.parse(source)
    found = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    numbers = _code_line_numbers(source)
    total = 0
    for name in names:
        if name not in found:
            raise KeyError(f"no function {name!r}")
        node = found[name]
        start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        total += sum(1 for n in numbers if start <= n <= node.end_lineno)
    return total


def keras_package_dir() -> Optional[Path]:
    """The installed keras package's directory, found without importing it (None when keras is not installed)."""
    try:
        spec = importlib.util.find_spec("keras")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def keras_version() -> Optional[str]:
    from importlib import metadata

    try:
        return metadata.version("keras")
    except metadata.PackageNotFoundError:
        return None


@functools.lru_cache(maxsize=None)
def source_lines(ref: str, root: Path, keras_dir: Optional[Path]) -> Optional[int]:
    """Code lines of a :attr:`Meta.keras` reference; None when it is a Keras module and keras is not installed."""
    if ref.startswith("keras:"):
        if keras_dir is None:
            return None
        return code_lines((keras_dir / ref[len("keras:"):]).read_text(encoding="utf-8"))
    path, _, functions = ref.partition("::")
    text = (root / path).read_text(encoding="utf-8")
    return function_lines(text, functions.split(",")) if functions else code_lines(text)


# ---------------------------------------------------------------------------------------------------------------
# the page
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class Row:
    path: str
    name: str
    input: str
    total: int
    trainable: int
    non_trainable: int
    flops: Optional[int]
    macs: Optional[int]
    layers: int
    expected: Optional[int]
    spec_lines: int
    keras_ref: Optional[str]
    keras_lines: Optional[int]


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.lru_cache(maxsize=None)
def _data(file: Path, mtime_ns: int) -> Any:
    return yaml.load(file.read_text(encoding="utf-8"), Loader=_LOADER)


def _read(root: Path, path: str) -> Any:
    file = root / path
    try:
        return _data(file, file.stat().st_mtime_ns)
    except (OSError, yaml.YAMLError):
        return None


def spec_paths(root: Path) -> list[str]:
    """Every spec under specs/ that defines a model, files of specs/lib/ (blocks and bases) aside."""
    out = []
    for p in sorted((root / "specs").rglob("*")):
        rel = p.relative_to(root)
        if p.suffix not in (".yaml", ".yml", ".json") or "lib" in rel.parts[1:-1]:
            continue
        data = _read(root, rel.as_posix())
        if isinstance(data, dict) and ("model" in data or "extends" in data):
            out.append(rel.as_posix())
    return out


def _extends(root: Path, path: str) -> Optional[str]:
    data = _read(root, path)
    target = data.get("extends") if isinstance(data, dict) else None
    if not isinstance(target, str):
        return None
    return (Path(path).parent / target).as_posix()


def family_of(root: Path, path: str) -> str:
    """The family of ``path``: the last file of its ``extends:`` chain (``specs/lib/vgg.yaml`` for VGG16)."""
    head, seen = SAME_FAMILY.get(path, path), {path}
    while (nxt := _extends(root, head)) is not None and nxt not in seen:
        seen.add(nxt)
        head = nxt
    return head


def default_keras_ref(path: str) -> Optional[str]:
    """The keras.applications module of a spec under specs/keras_applications/: the installed keras's module whose
    name is the spec's file name, underscores aside (``mobilenetv2.yaml`` -> ``mobilenet_v2.py``), else the
    longest that starts it (``convnext_tiny.yaml`` -> ``convnext.py``); None without keras or such a module."""
    p = Path(path)
    keras_dir = keras_package_dir()
    if p.parent.name != "keras_applications" or keras_dir is None:
        return None
    stem = p.stem.replace("_", "")
    modules = {m.stem.replace("_", ""): m.name for m in (keras_dir / "src" / "applications").glob("*.py")
               if not m.stem.startswith("_") and not m.stem.endswith("_test")}
    best = stem if stem in modules else max((m for m in modules if stem.startswith(m)), key=len, default=None)
    return f"keras:src/applications/{modules[best]}" if best is not None else None


def collect(root: Path) -> tuple[list[tuple[str, list[Row]]], Any]:
    """The families (first spec, rows) in page order, and the compilations by path."""
    from .pipeline import compile_file

    paths = spec_paths(root)
    keras_dir = keras_package_dir()
    families: dict[str, list[Row]] = {}
    comps: dict[str, Any] = {}
    for path in paths:
        comp = compile_file(root / path)
        comps[path] = comp
        meta = META.get(path, Meta())
        fam = family_of(root, path)
        ref = meta.keras or META.get(fam, Meta()).keras or default_keras_ref(path) or default_keras_ref(fam)
        t = comp.stats.total
        expect = comp.spec.expect.value if comp.spec.expect is not None else None
        shapes = [tuple(comp.types[i].shape) for i in comp.graph.inputs]
        families.setdefault(fam, []).append(Row(
            path=path, name=comp.name, input=", ".join(_shape(s) for s in shapes),
            total=t.total, trainable=t.trainable, non_trainable=t.non_trainable, flops=t.flops, macs=t.macs,
            layers=comp.layer_count, expected=getattr(expect, "total_params", None),
            spec_lines=sum(spec_lines(s.text) for s in comp.sources.values()),
            keras_ref=ref, keras_lines=source_lines(ref, root, keras_dir) if ref else None))
    for fam, rows in families.items():  # the family's own spec first, then its variants from the smallest
        head = family_head(fam, rows)
        rows.sort(key=lambda r: (r.path != head, r.total, r.path))
    order = sorted(families, key=lambda f: (Path(families[f][0].path).parent.as_posix(),
                                            family_title(f, families[f]).lower()))
    return [(f, families[f]) for f in order], comps


def family_head(fam: str, rows: list[Row]) -> str:
    """The spec that stands for a family (its diagram): the one the others extend, else the one :data:`META`
    names the family on, else the smallest."""
    paths = [r.path for r in rows]
    if fam in paths:
        return fam
    named = [p for p in paths if META.get(p, Meta()).family]
    return named[0] if named else min(rows, key=lambda r: (r.total, r.path)).path


def family_title(fam: str, rows: list[Row]) -> str:
    head = family_head(fam, rows)
    return META.get(head, Meta()).family or next(r.name for r in rows if r.path == head)


def _shape(shape: tuple) -> str:
    return "×".join("?" if d is None else str(d) for d in shape)


def _n(x: Optional[int]) -> str:
    return "—" if x is None else f"{x:,}"


def _g(x: Optional[int]) -> str:
    """FLOPs and MACs: exact below a million, else in M or G with three significant digits at least."""
    if x is None:
        return "—"
    if x < 10**6:
        return f"{x:,}"
    if x < 10**9:
        return f"{x / 1e6:.1f} M"
    return f"{x / 1e9:.2f} G"


def _ref_text(ref: Optional[str]) -> str:
    if ref is None:
        return "—"
    if ref.startswith("keras:"):
        return f"`keras/{ref[len('keras:'):]}`"
    path, _, functions = ref.partition("::")
    return ", ".join(f"`{f}`" for f in functions.split(",")) + f" in [{Path(path).name}](../{path})"


def image_name(family: str) -> str:
    """docs/zoo/<name>.svg for a family's head: ``specs/keras_applications/densenet.yaml`` ->
    ``keras_applications-densenet``."""
    rel = Path(family).relative_to("specs").with_suffix("")
    return "-".join(rel.parts)


def markdown(root: Path) -> str:
    families, _ = collect(root)
    version = keras_version()
    n_specs = sum(len(rows) for _, rows in families)
    out = [
        "# The zoo",
        "",
        "<!-- generated by `python -m archcompiler.docs` (`make docs`) from the specs; do not edit -->",
        "",
        f"Every bundled spec ({n_specs} specs in {len(families)} families), with archc's static figures at the spec's "
        "default input: parameters, FLOPs and MACs (a multiply-add is one MAC and two FLOPs; batch of one, as "
        "[the FLOP rules](spec-language.md) count them) and the number of Keras layers (`len(model.layers)`).",
        "",
        "* **Keras figure** is the parameter count of the Keras model the spec is checked against: the spec's "
        "`expect: total_params`, which `archc validate` holds the spec to and which "
        "[tests/keras/test_oracle_specs.py](../tests/keras/test_oracle_specs.py) "
        "(`test_built_model_agrees_with_the_spec`) checks against the model Keras builds; the keras.applications "
        "specs are also compared with `keras.applications` itself, layer by layer and prediction by prediction, in "
        f"[{EQUIVALENCE}](../{EQUIVALENCE}).",
        "* **Spec lines** count the lines of every file the spec is compiled from (the spec, the file it extends, "
        "the files it imports) that are neither blank nor only a comment, its `description:` and `expect:` "
        "included.",
        "* **Keras lines** count the code lines of the Keras source the spec replaces: lines holding a Python token "
        "other than a comment, docstrings and module-level documentation strings excluded "
        "(`archcompiler.zoo.code_lines`). For keras.applications it is the whole model module "
        f"(Keras {version or '(not installed)'}; it also holds the variants, `preprocess_input` and "
        "`decode_predictions`); for the other specs, the hand-written Keras functions the tests compare them with.",
        "",
        f"Each diagram is the family's first spec at block level (`archc render --level block --fold`), in {IMAGE_DIR}/.",
        "",
    ]
    seeds = []
    for fam, rows in families:
        title = family_title(fam, rows)
        out += [f"## {title}", ""]
        out += ["| spec | name | input | parameters | trainable | non-trainable | FLOPs | MACs | layers | Keras figure "
                "| spec lines | Keras lines | Keras source |",
                "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for r in rows:
            out.append(f"| [{Path(r.path).name}](../{r.path}) | {r.name} | {r.input} | {_n(r.total)} | "
                       f"{_n(r.trainable)} | {_n(r.non_trainable)} | {_g(r.flops)} | {_g(r.macs)} | {r.layers} | "
                       f"{_n(r.expected)} | {r.spec_lines} | {_n(r.keras_lines)} | {_ref_text(r.keras_ref)} |")
            meta = META.get(r.path)
            if meta is not None and meta.seed is not None:
                seeds.append((r, meta.seed))
        out += ["", f"![{title}]({Path(IMAGE_DIR).name}/{image_name(rows[0].path)}.svg)", ""]
    if seeds:
        out += ["## The tutorials' listings", "",
                "Some specs reproduce networks of Keras tutorials, which are not in the repository. Their Keras "
                "listings (the network-building code; lines of the tutorial's text) counted by the same rule; where "
                "the text runs the code together into paragraphs, one line per statement. "
                "[tests/unit/test_zoo.py](../tests/unit/test_zoo.py) recounts the listings where the tutorials are at "
                "hand.", "",
                "| spec | tutorial | listing | Keras lines | spec lines |", "|---|---|---|---:|---:|"]
        for r, (name, where, lines) in seeds:
            out.append(f"| [{Path(r.path).name}](../{r.path}) | `{name}` | {where or 'statements'} | {lines} | "
                       f"{r.spec_lines} |")
        out.append("")
    return "\n".join(out)


def write_page(root: Path) -> bool:
    path = root / "docs" / "zoo.md"
    new = markdown(root)
    old = path.read_text(encoding="utf-8") if path.exists() else None
    if new != old:
        path.write_text(new, encoding="utf-8")
        return True
    return False


_GRAPHVIZ_COMMENT = re.compile(r"<!-- Generated by graphviz version[^>]*-->\n")


def normalise_svg(data: bytes) -> bytes:
    """Graphviz's SVG without the comment naming Graphviz's version: the same bytes from every run and machine
    with the same layout."""
    return _GRAPHVIZ_COMMENT.sub("", data.decode("utf-8")).encode("utf-8")


def write_images(root: Path) -> list[Path]:
    """Renders every family's diagram into docs/zoo/ (needs Graphviz's ``dot``); returns the files written."""
    from .backends.dot.rendering import render
    from .backends.files import write_atomic

    families, comps = collect(root)
    out_dir = root / IMAGE_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    wanted = set()
    for fam, rows in families:
        path = rows[0].path  # the family's head (collect() sorts it first)
        target = out_dir / f"{image_name(path)}.svg"
        wanted.add(target.name)
        data = normalise_svg(render(comps[path], "svg", level="block", depth=1, fold=True))
        if not target.exists() or target.read_bytes() != data:
            write_atomic(target, data)
            written.append(target)
    for stale in out_dir.glob("*.svg"):
        if stale.name not in wanted:
            stale.unlink()
    return written


def main(argv: Optional[list[str]] = None) -> None:
    """``python -m archcompiler.zoo [--images]``: writes docs/zoo.md (and with --images docs/zoo/*.svg), run from
    the repository root."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    root = Path.cwd()
    print("updated docs/zoo.md" if write_page(root) else "docs/zoo.md is up to date")
    if "--images" in args:
        for p in write_images(root):
            print(f"updated {p.relative_to(root)}")


if __name__ == "__main__":
    main()
