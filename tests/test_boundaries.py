"""Import-layer rules of STYLE.md 4.2, checked on the source with ast."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "gamegan"

LAYER = {
    "errors": 0,
    "registry": 0,
    "runtime": 0,
    "config": 0,
    "presets": 0,
    "io": 1,
    "music": 1,
    "nn": 1,
    "data": 2,
    "models": 2,
    "gan": 2,
    "metrics": 2,
    "baselines": 2,
    "train": 3,
    "generate": 3,
    "evaluate": 3,
    "experiment": 3,
    "export": 3,
    "api": 3,
    "cli": 4,
    "app": 4,
    "__main__": 4,
    "__init__": 0,
}
FORBIDDEN = {"models": {"data", "io", "gan", "config", "presets"}, "gan": {"models"}}


def _top(module: str) -> str:
    return module.split(".")[1] if module.count(".") else "__init__"


def _imports(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node, node.module


FILES = sorted(SRC.rglob("*.py"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SRC)))
def test_layers(path):
    rel = path.relative_to(SRC)
    part = rel.parts[0].removesuffix(".py")
    assert part in LAYER, f"{rel}: add its package to the layer table"
    for node, module in _imports(path):
        if not module.startswith("gamegan"):
            continue
        target = _top(module)
        if target == part:
            continue
        assert LAYER[target] <= LAYER[part] or target == "__init__", (
            f"{rel}:{node.lineno} imports {module} (layer {LAYER[target]}) from layer {LAYER[part]}"
        )
        assert target not in FORBIDDEN.get(part, ()), (
            f"{rel}:{node.lineno} must not import {module}"
        )


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SRC)))
def test_cli_libraries_only_in_cli(path):
    rel = path.relative_to(SRC)
    if rel.parts[0] in ("cli", "app"):
        return
    tree = ast.parse(path.read_text())
    for node in tree.body:  # module top level only
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            for name in names:
                assert name.split(".")[0] not in ("typer", "gradio"), f"{rel} imports {name}"


def test_trainer_names_no_variant():
    text = (SRC / "train" / "gan.py").read_text().lower()
    for word in ("wgan", "hinge", "lsgan", "clip"):
        assert word not in text, f"train/gan.py mentions {word!r}: use an Objective hook"


def test_import_gamegan_is_light():
    import subprocess
    import sys

    heavy = "('torch', 'typer', 'PIL', 'matplotlib')"
    code = f"import sys, gamegan; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
