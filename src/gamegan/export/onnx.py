"""Generators as self-contained ONNX files that game engines and onnxruntime run without gamegan.

Which exporter: ``torch.onnx.export(..., dynamo=True)`` (torch.export, then onnxscript). It
traces sizes symbolically, so the texture generator's periodic features, whose wave numbers
are snapped to whole periods of the field *at its run-time size*, stay right for every field
size. The legacy TorchScript exporter (``dynamo=False``) is deprecated, and on this model it
bakes the example's size into the wave numbers: it exports without a word and is wrong by up
to 0.8 at other sizes. We serialize the graph ourselves into one ``.onnx`` file with the
weights inline (these generators weigh a few MB, far under protobuf's 2 GB limit), after
onnxruntime has been checked against PyTorch, so a file that exists is a file that works.

PyTorch's circular padding exports as ``Pad(mode="wrap")`` (ONNX opset 19 and newer), so the
tileable texture graph needs no wrapper module; it is the model itself.
"""

from __future__ import annotations

import contextlib
import copy
import io
import logging
import math
import os
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gamegan.errors import ConfigError, GameganError
from gamegan.export.layouts import context_steps, describe, n_classes, shape_text
from gamegan.generate import LoadedGenerator, load_generator, resolve_snapshot
from gamegan.io.checkpoint import read_metadata
from gamegan.models import MODELS
from gamegan.models.base import FAMILIES, UNNAMED_KIND, Family, family_of
from gamegan.runtime import make_generator

# onnxruntime vs PyTorch, on outputs in [-1, 1]: float32 reordering noise is ~1e-6 here, one
# uint8 level is 2/255 ~ 8e-3, and real export bugs (a baked-in size, wrong padding) are ~0.1.
ATOL = 1e-4
TEXTURE_CHECKS = ((4, 4), (3, 5), (8, 2), (2, 4, 4))  # latent (h, w) or (batch, h, w)
TRANSLATION_CHECKS = ((2, 2), (2, 3), (2, 3, 2))  # input sides in units of G.multiple
IMAGE_CHECKS = (1, 3)  # batch sizes
MIN_OPSET = 18  # the torch.export-based exporter writes opset 18 and newer
WRAP_OPSET = 19  # ONNX Pad's mode "wrap", which the circular padding of tileable textures uses


class ExportCheckError(GameganError):
    """onnxruntime disagrees with PyTorch on the exported graph; nothing was written."""


@dataclass(frozen=True)
class Check:
    """One onnxruntime-vs-PyTorch comparison on the same latent."""

    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    max_abs_diff: float
    seconds: float  # onnxruntime's run time


@dataclass
class ExportReport:
    """What :func:`export_onnx` wrote, how the graph is fed, and how well it matched PyTorch."""

    path: Path
    source: Path
    kind: str
    model: str
    exporter: str
    opset: int
    tileable: bool | None  # None for fixed-size generators
    inputs: list[str]
    outputs: list[str]
    metadata: dict[str, str]
    export_seconds: float  # the exporter alone
    seconds: float  # the whole call: load, export, check, write
    size_bytes: int
    checks: list[Check] = field(default_factory=list)
    atol: float = ATOL

    @property
    def max_abs_diff(self) -> float | None:
        """Largest difference over all checks (None when unchecked)."""
        return max((c.max_abs_diff for c in self.checks), default=None)

    def lines(self) -> list[str]:
        """The report as text: the file, its input and output, then the check table."""
        mode = {None: "", True: ", tileable", False: ", not tileable"}[self.tileable]
        out = [
            f"wrote {self.path}: {self.size_bytes / 1e6:.2f} MB, opset {self.opset}, from "
            f"{self.source.name} ({self.kind} {self.model}{mode})",
            *_two_lines("input", self.inputs),
            *_two_lines("output", self.outputs),
            f"exported by {self.exporter} in {self.export_seconds:.1f} s ({self.seconds:.1f} s "
            "with loading and checks)",
        ]
        if not self.checks:
            return [*out, "not checked with onnxruntime (--no-check)"]
        rows = [("input", "output", "max |diff|", "onnxruntime ms")]
        rows += [
            (
                shape_text(c.input_shape),
                shape_text(c.output_shape),
                f"{c.max_abs_diff:.2g}",
                f"{c.seconds * 1e3:.1f}",
            )
            for c in self.checks
        ]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        out.append(f"onnxruntime vs PyTorch on the same latents (limit {self.atol:g}):")
        for row in rows:
            cells = (cell.ljust(w) for cell, w in zip(row, widths, strict=True))
            out.append("  " + "  ".join(cells).rstrip())
        return out


def _two_lines(role: str, described: list[str]) -> list[str]:
    """``"z float32 [...]: what it holds"`` as a header line and an indented line under it."""
    out = []
    for text in described:
        head, _, summary = text.partition(": ")
        out += [f"  {role:<7} {head}", f"          {summary}"]
    return out


def export_onnx(
    run_or_snapshot: str | Path | LoadedGenerator,
    path: str | Path,
    *,
    tileable: bool = True,
    opset: int | None = None,
    check: bool = True,
    sizes: Sequence[Any] | None = None,
    reverse: bool = False,
) -> ExportReport:
    """Export a snapshot's generator to one self-contained ONNX file.

    Image and music GANs map ``z`` [batch, z_dim] to ``image`` [batch, C, H, W] (``pianoroll``
    [batch, tracks, steps, pitches]); texture GANs map the latent field ``z`` [batch, z_dim,
    h, w] to ``texture`` [batch, C, 16h, 16w], periodic features included, for any batch and
    field size. Outputs are float32 in [-1, 1]. The model metadata spells out how to build
    the latent and read the output, so an engine needs nothing else.

    Parameters
    ----------
    run_or_snapshot : path, str or LoadedGenerator
        A run folder (its best, else newest snapshot), a snapshot file or a bundled name
        (``brick``, ...).
    path : str or Path
        The ``.onnx`` file to write (folders are created).
    tileable : bool
        Textures: bake in circular padding and whole-period waves, so every output wraps
        seamlessly; ``False`` pads with zeros. Ignored by fixed-size generators.
    opset : int, optional
        ONNX opset (default: the exporter's own, 18 or newer; tileable textures need 19+).
    check : bool
        Run the graph with onnxruntime on several sizes and compare with PyTorch; above
        :data:`ATOL` nothing is written and :class:`ExportCheckError` is raised.
    sizes : sequence, optional
        What to check: latent ``(h, w)`` or ``(batch, h, w)`` for textures (default
        :data:`TEXTURE_CHECKS`), batch sizes for the others (default :data:`IMAGE_CHECKS`).
    reverse : bool
        Two-way image-to-image models (CycleGAN): export the B-to-A generator
        (``gamegan.direction`` "B to A" in the metadata) instead of A to B.

    Returns
    -------
    ExportReport
        The file, its input/output description, metadata and the per-size differences.
    """
    start_all = time.perf_counter()
    path = Path(path)
    if path.suffix.lower() != ".onnx":
        raise ConfigError(f"{path}: an ONNX file name must end in .onnx")
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder; give the .onnx file to write")
    onnx = _import_onnx()
    loaded = _load(run_or_snapshot)
    kind, family = loaded.kind, loaded.family
    if opset is not None and not MIN_OPSET <= opset <= onnx.defs.onnx_opset_version():
        raise ConfigError(
            f"opset {opset}: choose {MIN_OPSET} to {onnx.defs.onnx_opset_version()} (the "
            "torch.export-based exporter writes 18 and newer)"
        )
    # Both tile: a texture's latent field, and an image made from an input that tiles.
    has_wrap = family.makes in ("textures", "translations")
    if has_wrap and tileable and opset is not None and opset < WRAP_OPSET:
        raise ConfigError(
            f"opset {opset}: tileable textures need opset {WRAP_OPSET} or newer (circular "
            "padding is ONNX Pad mode 'wrap'); export with --no-tileable or a newer opset"
        )
    cases = _cases(family, sizes)

    if reverse:
        from gamegan.generate.snapshots import load_reverse_generator

        if family.makes != "translations":
            raise ConfigError("--reverse applies to two-way image-to-image models (CycleGAN)")
        G = load_reverse_generator(loaded)  # a clear error for a one-way snapshot
    else:
        G = loaded.G
    if next(G.parameters()).device.type != "cpu":
        G = copy.deepcopy(G).cpu()
    was_training, was_tileable = G.training, getattr(G, "tileable", None)
    if family.makes == "translations":
        was_tileable = G.cfg.tileable
    G.eval()
    if has_wrap:
        G.set_tileable(tileable)
    model = _Translate(G) if family.makes == "translations" else G
    try:
        start = time.perf_counter()
        proto = _export_graph(model, family, opset)
        export_seconds = time.perf_counter() - start
        metadata, doc, inputs, outputs = describe(loaded, G, tileable if has_wrap else None)
        if MODELS.get(str(loaded.metadata.get("model"))).two_way:
            metadata["gamegan.direction"] = "B to A" if reverse else "A to B"
        for key, value in metadata.items():
            proto.metadata_props.add(key=key, value=value)
        proto.doc_string = doc
        for graph_input, described in zip(proto.graph.input, inputs, strict=True):
            graph_input.doc_string = described
        proto.graph.output[0].doc_string = outputs[0]
        onnx.checker.check_model(proto)
        data = proto.SerializeToString()
        checks = _verify(data, model, family, cases) if check else []
    finally:
        G.train(was_training)
        if has_wrap and was_tileable is not None:
            G.set_tileable(was_tileable)

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)  # a half-written file never carries the final name
    opset_used = next(
        (o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), opset or 0
    )
    return ExportReport(
        path=path,
        source=loaded.path,
        kind=kind,
        model=str(loaded.metadata.get("model")),
        exporter="torch.onnx.export(dynamo=True)",
        opset=int(opset_used),
        tileable=tileable if has_wrap else None,
        inputs=inputs,
        outputs=outputs,
        metadata=metadata,
        export_seconds=export_seconds,
        seconds=time.perf_counter() - start_all,
        size_bytes=len(data),
        checks=checks,
    )


def read_onnx_metadata(path: str | Path) -> dict[str, str]:
    """The ``gamegan.*`` metadata of an exported file (strings; JSON ones stay text).

    Parameters
    ----------
    path : str or Path
        An ``.onnx`` file written by :func:`export_onnx`.

    Returns
    -------
    dict of str to str
        Model metadata, plus ``doc_string`` for the human-readable description.
    """
    onnx = _import_onnx()
    try:
        proto = onnx.load(str(path), load_external_data=False)
    except Exception as err:  # protobuf and onnx raise several types
        raise ConfigError(f"{path}: not a readable ONNX file ({err})") from None
    meta = {p.key: p.value for p in proto.metadata_props}
    meta["doc_string"] = proto.doc_string
    return meta


# loading


def _import_onnx():
    try:
        import onnx
        import onnxruntime  # noqa: F401  (checked here so a missing one fails before export)
        import onnxscript  # noqa: F401  (the dynamo exporter translates through it)
    except ImportError as err:
        raise ConfigError(
            f"ONNX export needs onnx, onnxscript and onnxruntime ({err.name} is missing): "
            "pip install onnx onnxscript onnxruntime"
        ) from None
    return onnx


def _load(source: str | Path | LoadedGenerator) -> LoadedGenerator:
    """Refuse other kinds from the metadata alone, before building any network."""
    if isinstance(source, LoadedGenerator):
        kind, path = source.kind, source.path
    else:
        path = resolve_snapshot(source)
        kind = str(read_metadata(path).get("kind", UNNAMED_KIND))
    family = family_of(kind)
    if family.onnx_output is None:
        exported = [name for name in FAMILIES.names() if FAMILIES.get(name).onnx_output]
        raise ConfigError(
            f"{path}: a {kind} model is not exported to ONNX: {family.no_onnx}; export takes "
            f"{', '.join(exported)} snapshots"
        )
    return source if isinstance(source, LoadedGenerator) else load_generator(path)


class _Translate(torch.nn.Module):
    """An image-to-image generator as a graph of its input image alone (its latent is empty)."""

    def __init__(self, G: torch.nn.Module) -> None:
        super().__init__()
        self.G = G
        self.multiple = G.multiple
        self.condition_channels = G.cfg.condition_channels

    def forward(self, condition: torch.Tensor) -> torch.Tensor:
        return self.G(condition.new_zeros(condition.shape[0], 0), condition=condition)


def _cases(family: Family, sizes: Sequence[Any] | None) -> list[tuple[int, ...]]:
    """Check inputs as (batch, h, w) for textures (latent cells) and image-to-image models
    (in multiples of the input's side unit), (batch,) for the others."""
    out: list[tuple[int, ...]] = []
    if family.makes in ("textures", "translations"):
        default = TEXTURE_CHECKS if family.makes == "textures" else TRANSLATION_CHECKS
        for size in default if sizes is None else sizes:
            size = tuple(int(s) for s in (size if isinstance(size, Sequence) else (size,)))
            size = (1, *size) if len(size) == 2 else size
            if len(size) != 3 or min(size) < 1:
                raise ConfigError(f"check size {size}: give latent (h, w) or (batch, h, w) >= 1")
            out.append(size)
    else:
        for size in IMAGE_CHECKS if sizes is None else sizes:
            if isinstance(size, Sequence):
                size = size[0] if len(size) == 1 else 0
            if int(size) < 1:
                raise ConfigError(f"check size {size}: give batch sizes >= 1")
            out.append((int(size),))
    return out


def _latent(G: torch.nn.Module, family: Family, case: tuple[int, ...], seed: int) -> torch.Tensor:
    if family.makes == "textures":
        n, h, w = case
        u = G.upsampling
        return G.sample_z(n, make_generator(seed), "cpu", height=h * u, width=w * u)
    return G.sample_z(case[0], make_generator(seed), "cpu")


def _inputs(G: torch.nn.Module, family: Family, case: tuple[int, ...], seed: int) -> dict:
    """The graph's inputs by name: the latent, a conditional G's labels (every class in turn)
    and the context bars of a G that continues them (random notes on and off); an
    image-to-image model's input image (uniform noise in [-1, 1])."""
    if family.makes == "translations":
        n, h, w = case
        shape = (n, G.condition_channels, h * G.multiple, w * G.multiple)
        return {"condition": torch.rand(shape, generator=make_generator(seed)) * 2 - 1}
    z = _latent(G, family, case, seed)
    inputs = {"z": z}
    if n_classes(G):
        inputs["labels"] = torch.arange(len(z), dtype=torch.int64) % n_classes(G)
    steps = context_steps(G)
    if steps:
        shape = (len(z), G.cfg.channels, steps, G.cfg.n_pitches)
        on = torch.rand(shape, generator=make_generator(seed + 1)) < 0.05
        inputs["context"] = torch.where(on, 1.0, -1.0)
    return inputs


# export


@contextlib.contextmanager
def _quiet():
    """The exporter prints progress, warns about torchvision and deprecations: keep the CLI
    output to what the user asked for."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _export_graph(G: torch.nn.Module, family: Family, opset: int | None):
    """Trace G with a dynamic batch (and field size) into an ``onnx.ModelProto``."""
    Dim = torch.export.Dim
    # Example sizes of 2+ and h != w: torch.export specializes sizes 0 and 1 and would tie
    # equal sizes together.
    batch = Dim("batch")
    if family.makes == "textures":
        inputs = _inputs(G, family, (2, 3, 5), seed=0)
        dims = {0: batch, 2: Dim("h"), 3: Dim("w")}
    elif family.makes == "translations":
        inputs = _inputs(G, family, (2, 2, 3), seed=0)
        dims = {0: batch, 2: G.multiple * Dim("h"), 3: G.multiple * Dim("w")}
    else:
        inputs = _inputs(G, family, (2,), seed=0)
        dims = {0: batch}
    shapes = (dims, *({0: batch} for _ in list(inputs)[1:]))  # one label, context per latent
    with _quiet():
        program = torch.onnx.export(
            G,
            tuple(inputs.values()),
            dynamo=True,
            opset_version=opset,
            input_names=list(inputs),
            output_names=[family.onnx_output],
            dynamic_shapes=shapes,
            optimize=True,
            verbose=False,
        )
    return program.model_proto


def _verify(data: bytes, G: torch.nn.Module, family: Family, cases) -> list[Check]:
    """onnxruntime and PyTorch on the same seeded latents; raise past :data:`ATOL`."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()  # follow OMP_NUM_THREADS as torch
    options.log_severity_level = 3
    session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    checks = []
    for i, case in enumerate(cases):
        inputs = _inputs(G, family, case, seed=1000 + i)
        z = next(iter(inputs.values()))  # the first input: the latent, or the input image
        with torch.no_grad():
            want = G(*inputs.values()).float().numpy()
        start = time.perf_counter()
        (got,) = session.run(None, {name: x.numpy() for name, x in inputs.items()})
        seconds = time.perf_counter() - start
        if got.shape != want.shape:
            raise ExportCheckError(
                f"onnxruntime gave shape {list(got.shape)} for input {list(z.shape)}, PyTorch "
                f"{list(want.shape)}; the export is wrong and was not written"
            )
        diff = float(np.abs(got - want).max()) if np.isfinite(got).all() else math.inf
        checks.append(Check(tuple(z.shape), tuple(got.shape), diff, seconds))
        if not diff <= ATOL:
            raise ExportCheckError(
                f"onnxruntime differs from PyTorch by {diff:.2g} (limit {ATOL:g}) for input "
                f"{list(z.shape)}; the export is wrong and was not written"
            )
    return checks
