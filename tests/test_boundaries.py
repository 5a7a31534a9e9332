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
    "build": 3,
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


# Only these may import the training layer: inference, evaluation and export stand alone.
TRAINING_USERS = {"train", "api", "experiment", "cli", "app"}


def _unit(rel: Path) -> str:
    return rel.parts[0].removesuffix(".py")


def test_only_training_users_import_the_training_layer():
    for path in FILES:
        rel = path.relative_to(SRC)
        if _unit(rel) in TRAINING_USERS:
            continue
        for node, module in _imports(path):
            assert _top(module) != "train" or not module.startswith("gamegan"), (
                f"{rel}:{node.lineno} imports {module}: generation, evaluation and export must "
                "not need the training layer"
            )


def _module_name(path: Path) -> str:
    parts = ("gamegan", *path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_no_import_cycles_between_modules():
    """Imports inside functions count too: a cycle such as evaluate -> train.run -> evaluate
    (before gamegan.build and gamegan.data.run_data) is a design knot even when Python
    tolerates it."""
    modules = {_module_name(path): path for path in FILES}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                targets = [f"{node.module}.{alias.name}" for alias in node.names]
                targets = [t if t in modules else node.module for t in targets]
            else:
                continue
            # A package and its own modules may refer to each other (cli registers commands).
            family = (name, *(t for t in targets if name.startswith(t + ".")))
            graph[name].update(
                t
                for t in targets
                if t in modules and t not in family and not t.startswith(name + ".")
            )

    def cycle_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        seen = set()
        while stack:
            node, trail = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    return trail
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*trail, nxt]))
        return None

    cycles = [c for c in map(cycle_from, sorted(graph)) if c]
    assert not cycles, "import cycle: " + " -> ".join([*cycles[0], cycles[0][0]])


def test_kind_names_only_in_the_family_registry():
    """Layers ask a model's family (``spec.family``, ``LoadedGenerator.family``) what it
    makes; only the models package, where families are registered and models name theirs,
    spells a kind."""
    from gamegan.models.base import FAMILIES, MAKES

    kinds = set(FAMILIES.names())
    for path in FILES:
        rel = path.relative_to(SRC)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in kinds:
                assert rel.parts[0] == "models", (
                    f"{rel}:{node.lineno} spells the kind {node.value!r}: ask the family"
                )
            # family.makes == "texture" (a typo) would quietly be False everywhere
            if isinstance(node, ast.Compare) and getattr(node.left, "attr", "") == "makes":
                for other in node.comparators:
                    if isinstance(other, ast.Constant):
                        assert other.value in MAKES, f"{rel}:{node.lineno}: {other.value!r}"


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
