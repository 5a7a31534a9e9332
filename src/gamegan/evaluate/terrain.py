"""``gamegan eval`` for terrain runs: generated heights against the held-out half of the DEM.

Each raster of the run's data is split as in training (``data.holdout``; a run without one
is compared with its right half, which it saw, and says so). For each raster
:data:`TERRAIN_SEEDS` tileable heightmaps of the held-out half's size are generated and
mapped back to the data's units; they are compared with the held-out half by
:func:`gamegan.metrics.terrain.terrain_distances` (heights and slopes: patch SWD, and the
distance between their distributions), beside the training half against the held-out one
(real-vs-real). The seams are scored as for textures. Two pictures: the distributions of
height and slope side by side, and the held-out half and a generated heightmap in shaded
relief.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from gamegan.evaluate.report import Evaluation

TERRAIN_SEEDS = 4  # generated heightmaps per raster


def groups(cfg) -> list[str]:
    """One group: heights and slopes against the held-out half of each raster."""
    return ["terrain"]


def terrain_sets(resolved, loaded, seed: int = 0, log=None) -> dict[str, Any]:
    """Held-out and training halves, generated heightmaps (data units), and what they are."""
    from gamegan import generate
    from gamegan.data.heights import parse_raw_size, read_height_fields
    from gamegan.data.textures import split_holdout

    cfg = resolved.cfg
    side = cfg.data.holdout or "right"
    fields, _, what = read_height_fields(cfg.data.source, parse_raw_size(cfg.data.raw_size))
    lo, hi = generate.height_range_of(loaded) or (0.0, 1.0)
    u = loaded.G.upsampling
    sets: dict[str, Any] = {"held_out": [], "kept": [], "gan": [], "gan_tiles": [], "side": side}
    for i, field in enumerate(fields):
        kept, held_out = split_holdout(field.values, side)
        h, w = held_out.shape
        sets["held_out"].append(np.ascontiguousarray(held_out))
        sets["kept"].append(np.ascontiguousarray(kept))
        for k in range(TERRAIN_SEEDS):
            gen_h, gen_w = -(-h // u) * u, -(-w // u) * u
            unit = generate.texture(
                loaded, width=gen_w, height=gen_h, tileable=True, seed=seed + i * TERRAIN_SEEDS + k
            )[..., 0].astype(np.float64)
            tile = lo + unit * (hi - lo)
            sets["gan_tiles"].append(tile)
            sets["gan"].append(np.ascontiguousarray(tile[:h, :w]))
    if log is not None:
        seen = "held out" if cfg.data.holdout else "seen in training: no --holdout"
        log(
            f"terrain: the {side} half of {what} ({len(fields)} raster(s), {seen}); "
            f"{TERRAIN_SEEDS} generated heightmaps each"
        )
    return sets


def terrain_rows(sets: dict, seed: int, log) -> list[dict[str, Any]]:
    """Generated vs held-out (value) beside training half vs held-out (baseline), seams and
    the upsampling grid."""
    from gamegan import metrics as metric_lib

    log("computing terrain distances (heights and slopes)")
    value = metric_lib.compute("terrain", real=sets["held_out"], fake=sets["gan"], seed=seed)
    base = metric_lib.compute("terrain", real=sets["held_out"], fake=sets["kept"], seed=seed)
    rows = [{"metric": k, "value": v, "baseline": base[k]} for k, v in value.items()]

    def gray(fields):  # the seam scores work on gray levels: the heights scaled alike
        lo = min(f.min() for f in sets["held_out"])
        hi = max(f.max() for f in sets["held_out"])
        return [np.clip((f - lo) / (hi - lo) * 255, 0, 255)[..., None] for f in fields]

    # Seams of the uncut heightmaps; the upsampling grid (in the slopes, which shading shows)
    # of the cut ones, which start at a corner of the generator's grid.
    for name, gan in (("tiling", sets["gan_tiles"]), ("grid", sets["gan"])):
        value = metric_lib.compute(name, images=gray(gan))
        base = metric_lib.compute(name, images=gray(sets["held_out"]))
        rows += [
            {"metric": f"terrain/{k}", "value": v, "baseline": base[k]} for k, v in value.items()
        ]
    return rows


def write_terrain_pictures(sets: dict, run_dir: Path, stem: str) -> list[Path]:
    """The height and slope distributions (a plot) and the relief of held-out vs generated."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gamegan.metrics.terrain import slopes

    folder = run_dir / "eval"
    folder.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), dpi=100)
    named = (
        ("held-out half", sets["held_out"], "black"),
        ("training half", sets["kept"], "tab:blue"),
        ("generated", sets["gan"], "tab:orange"),
    )
    for ax, (title, transform, unit) in zip(
        axes,
        (("height", lambda h: h, "data units"), ("slope", slopes, "units per sample")),
        strict=True,
    ):
        values = [np.concatenate([transform(f).ravel() for f in fields]) for _, fields, _ in named]
        bins = np.linspace(min(v.min() for v in values), max(v.max() for v in values), 60)
        for (label, _, colour), v in zip(named, values, strict=True):
            ax.hist(v, bins=bins, density=True, histtype="step", color=colour, label=label, lw=1.5)
        ax.set_title(f"{title} distribution")
        ax.set_xlabel(unit)
        ax.legend(fontsize=8)
    fig.tight_layout()
    plot = folder / f"terrain-{stem}.png"
    fig.savefig(plot)
    plt.close(fig)
    relief = folder / f"terrain-relief-{stem}.png"
    _write_reliefs(sets, relief)
    return [plot, relief]


def _write_reliefs(sets: dict, path: Path) -> None:
    """Held-out half | generated, one row per raster, shaded with one light and one colour scale."""
    from gamegan.io.png import side_by_side, write_png
    from gamegan.io.terrain import shaded_relief

    lo = min(f.min() for f in sets["held_out"])
    hi = max(f.max() for f in sets["held_out"])
    per_raster = len(sets["gan"]) // len(sets["held_out"])
    rows = []
    for i, held_out in enumerate(sets["held_out"]):
        pictures = []
        for field in (held_out, sets["gan"][i * per_raster]):
            unit = (field - lo) / (hi - lo)
            pictures.append(shaded_relief(unit, wrap=False))
        rows.append(pictures)
    write_png(path, side_by_side(rows))


def evaluate(ev: Evaluation) -> list[dict]:
    """The ``terrain`` group of ``gamegan eval``."""
    run_dir, loaded, log = ev.run_dir, ev.loaded, ev.log
    sets = terrain_sets(ev.resolved, loaded, ev.seed, log)
    rows = terrain_rows(sets, ev.seed, log)
    pictures = write_terrain_pictures(sets, run_dir, loaded.path.stem)
    for picture in pictures:
        log(f"wrote {picture}")
    side = sets["side"]
    extra = {
        "holdout": ev.resolved.cfg.data.holdout,
        "picture": str(pictures[1].relative_to(run_dir)),
        "plot": str(pictures[0].relative_to(run_dir)),
    }
    source = (
        f"terrain: the {side} half of each raster vs generated heightmaps, vs the other half "
        "(real-vs-real)"
    )
    return ev.report(rows, len(sets["gan"]), source, extra)
