"""``gamegan eval`` for texture runs: crops of generated textures, and held-out halves.

Every texture run is compared on a chessboard of crops of its photos (black squares the
reference, white squares real-vs-real), and its seams are scored. A run trained with
``--holdout SIDE`` is first measured against the half of each photo it never saw, beside the
training half (real-vs-real) and image quilting from that half (:func:`heldout_sets`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from gamegan.errors import DataError
from gamegan.evaluate.report import Evaluation, hwc, write_side_by_side

TILING_TEXTURES = 8  # textures whose wrap seams are scored, per evaluation
# Textures per photo, by the GAN and by quilting, in the held-out comparison. Each GAN texture
# has one global vector (one variant of the texture), so few of them make a noisy figure: with
# 3, one hubble snapshot scored SWD 438, 206 or 130 by the seeds drawn; with 12, 255 or 225.
HOLDOUT_SEEDS = 12
QUILT_BLOCK = 56  # image quilting's block side there (cut to the training half if larger)
QUILT_TOLERANCE = 0.1  # Efros & Freeman's tolerance rule


def groups(cfg) -> list[str]:
    """Crops' SWD and colour, the seams and the upsampling grid (``tiling``); first the
    held-out comparison, with a holdout."""
    return ["heldout"] * bool(cfg.data.holdout) + ["swd", "color", "tiling"]


def _checkerboard(photo: torch.Tensor, size: int) -> tuple[list, list]:
    """Crops on a grid, split like the squares of a chessboard: two sets that never overlap."""
    _, h, w = photo.shape
    black, white = [], []
    for r in range(h // size):
        for c in range(w // size):
            crop = photo[:, r * size : (r + 1) * size, c * size : (c + 1) * size]
            (black if (r + c) % 2 == 0 else white).append(crop)
    return black, white


def _texture_sets(resolved, loaded, seed: int, log) -> tuple[Any, Any, Any, list, list]:
    """Reference, baseline and generated crops, plus generated textures and the photos.

    Real crops come from a chessboard grid over each photo: the black squares are the
    reference, the white squares the real-vs-real baseline (disjoint pixels of the same
    photos). Generated textures of each photo's size are cut on the same black squares.
    """
    from gamegan import generate
    from gamegan.data.textures import read_textures, texture_source

    size = resolved.model_cfg.resolution
    photos, _, what = read_textures(
        texture_source(resolved.cfg.data.source), resolved.model_cfg.channels, min_size=2 * size
    )
    u = loaded.G.upsampling
    reference, baseline, fake, textures = [], [], [], []
    for i, photo in enumerate(photos):
        black, white = _checkerboard(photo, size)
        reference += black
        baseline += white
        _, h, w = photo.shape
        h, w = h // u * u, w // u * u
        made = generate.texture(loaded, width=w, height=h, tileable=True, seed=seed + i)
        texture = torch.from_numpy(generate.quantize(made).reshape(h, w, -1)).permute(2, 0, 1)
        textures.append(texture.permute(1, 2, 0).numpy())
        fake += _checkerboard(texture, size)[0]
    # One wrap seam is a single column pair: average the tiling scores over several textures.
    for extra in range(len(textures), TILING_TEXTURES):
        made = generate.texture(loaded, width=w, height=h, tileable=True, seed=seed + extra)
        textures.append(generate.quantize(made).reshape(h, w, -1))
    log(f"{what}: crops {len(reference)} reference, {len(baseline)} baseline, {len(fake)} made")
    real_tiles = [p.permute(1, 2, 0).numpy() for p in photos]
    return torch.stack(reference), torch.stack(baseline), torch.stack(fake), textures, real_tiles


def heldout_sets(
    resolved, loaded, seed: int = 0, log=None, quilting: bool = True
) -> dict[str, list[np.ndarray]]:
    """What the held-out comparison compares: photo halves, GAN textures and quilted ones.

    Every photo of the run's data is split as in training
    (:func:`gamegan.data.textures.split_holdout` with the run's ``data.holdout``). For each
    photo, :data:`HOLDOUT_SEEDS` textures are made by the GAN and as many by image quilting
    from the training half (block :data:`QUILT_BLOCK`, or the half's shorter side if
    smaller; default overlap; tolerance 0.1; not tileable), all at the held-out half's size,
    with seeds ``seed + HOLDOUT_SEEDS * i + k`` for photo ``i``. The GAN textures are made
    tileable at the next multiple of the generator's upsampling and cut to that size
    (resizing would blur them); the uncut ones are kept for the seam scores.

    Parameters
    ----------
    resolved : Resolved
        The run's resolved config (``gamegan.build.resolve``).
    loaded : LoadedGenerator
        The snapshot (``gamegan.generate.load_generator``).
    seed : int
        First seed.
    log : callable, optional
        Receives a progress line.
    quilting : bool
        Whether to quilt too (the slow part); without it ``"quilting"`` is empty.

    Returns
    -------
    dict of str to list of numpy.ndarray
        uint8 ``[H, W, C]`` images: ``"held_out"`` and ``"kept"`` (one per photo),
        ``"gan"``, ``"gan_tiles"`` (uncut) and ``"quilting"`` (``HOLDOUT_SEEDS`` per photo,
        photo by photo).
    """
    from gamegan import generate
    from gamegan.baselines.quilting import quilt
    from gamegan.data.textures import read_textures, split_holdout, texture_source

    side = resolved.cfg.data.holdout
    channels = resolved.model_cfg.channels
    photos, _, what = read_textures(texture_source(resolved.cfg.data.source), channels)
    u = loaded.G.upsampling
    sets: dict[str, list[np.ndarray]] = {
        "held_out": [],
        "kept": [],
        "gan": [],
        "gan_tiles": [],
        "quilting": [],
    }
    blocks = set()
    for i, photo in enumerate(photos):
        kept, held_out = split_holdout(photo, side)
        h, w = held_out.shape[-2:]
        source = hwc(kept)
        block = min(QUILT_BLOCK, *source.shape[:2])
        blocks.add(block)
        sets["held_out"].append(hwc(held_out))
        sets["kept"].append(source)
        for k in range(HOLDOUT_SEEDS):
            s = seed + i * HOLDOUT_SEEDS + k
            gen_h, gen_w = -(-h // u) * u, -(-w // u) * u
            made = generate.texture(loaded, width=gen_w, height=gen_h, tileable=True, seed=s)
            tile = generate.quantize(made).reshape(gen_h, gen_w, -1)
            sets["gan_tiles"].append(tile)
            sets["gan"].append(np.ascontiguousarray(tile[:h, :w]))
            if quilting:
                made = quilt(source, h, w, block=block, tolerance=QUILT_TOLERANCE, seed=s)
                sets["quilting"].append(made.reshape(h, w, -1))
    if log is not None:
        log(
            f"held-out {side} halves of {what}: {len(photos)} photo(s); {HOLDOUT_SEEDS} textures "
            f"each by the GAN and by image quilting (block {', '.join(map(str, sorted(blocks)))})"
        )
    return sets


def _heldout_rows(sets: dict, seed: int, log) -> list[dict[str, Any]]:
    """Each metric three times against the held-out halves: GAN, other half, quilting."""
    from gamegan import metrics as metric_lib

    reference = sets["held_out"]
    rows: list[dict[str, Any]] = []
    for name, kwargs in (("swd_images", {"seed": seed}), ("spectrum", {}), ("color", {})):
        log(f"computing held-out {name}")
        value = metric_lib.compute(name, real=reference, fake=sets["gan"], **kwargs)
        base = metric_lib.compute(name, real=reference, fake=sets["kept"], **kwargs)
        quilted = metric_lib.compute(name, real=reference, fake=sets["quilting"], **kwargs)
        rows.extend(
            {"metric": f"heldout/{k}", "value": v, "baseline": base[k], "quilting": quilted[k]}
            for k, v in value.items()
        )
    # Seams: the GAN's wrap against the wrap of the photo halves and of (non-tileable)
    # quilting. Upsampling grid: the cut GAN textures start at a corner of their generator's.
    for name, gan in (("tiling", sets["gan_tiles"]), ("grid", sets["gan"])):
        value = metric_lib.compute(name, images=gan)
        base = metric_lib.compute(name, images=reference)
        quilted = metric_lib.compute(name, images=sets["quilting"])
        rows.extend(
            {"metric": f"heldout/{k}", "value": v, "baseline": base[k], "quilting": quilted[k]}
            for k, v in value.items()
        )
    return rows


def _write_heldout_picture(sets: dict, path: Path) -> None:
    """Held-out half | quilting | GAN at 100%, one row per photo (its first seed)."""
    rows = [
        (held_out, sets["quilting"][i * HOLDOUT_SEEDS], sets["gan"][i * HOLDOUT_SEEDS])
        for i, held_out in enumerate(sets["held_out"])
    ]
    write_side_by_side(rows, path)


def evaluate(ev: Evaluation) -> list[dict]:
    """Texture runs: crops of generated textures against disjoint crops of the photos.

    With a holdout, first the ``heldout/*`` rows against the held-out photo halves.
    """
    from gamegan import metrics as metric_lib

    run_dir, resolved, loaded, seed, log = ev.run_dir, ev.resolved, ev.loaded, ev.seed, ev.log
    rows: list[dict[str, Any]] = []
    sources, extra, n_made = [], {}, 0
    if "heldout" in ev.groups:
        side = resolved.cfg.data.holdout
        sets = heldout_sets(resolved, loaded, seed, log)
        rows += _heldout_rows(sets, seed, log)
        picture = run_dir / "eval" / f"heldout-{loaded.path.stem}.png"
        _write_heldout_picture(sets, picture)
        log(f"wrote {picture} (held-out half | quilting | GAN)")
        extra = {"holdout": side, "picture": str(picture.relative_to(run_dir))}
        n_made = len(sets["gan"])
        sources.append(
            f"heldout: the held-out {side} half of each photo vs GAN textures, vs the "
            "training half (real-vs-real) and vs image quilting from the training half"
        )
    groups = [g for g in ev.groups if g != "heldout"]
    if groups:
        try:
            reference, baseline, fake, textures, photos = _texture_sets(resolved, loaded, seed, log)
        except DataError as err:
            if not extra:
                raise
            # The chessboard needs photos of two crops a side; the held-out rows do not.
            log(f"note: no chessboard-crop metrics ({err})")
            groups = []
        else:
            n_made = len(fake)
            sources.append(
                "chessboard crops of the photos: black squares vs white squares; "
                "tiling vs the photos"
            )
    for group in groups:
        if group in ("swd", "color"):
            kwargs = {"seed": seed} if group == "swd" else {}
            value = metric_lib.compute(group, real=reference, fake=fake, **kwargs)
            base = metric_lib.compute(group, real=reference, fake=baseline, **kwargs)
            rows.extend({"metric": k, "value": v, "baseline": base[k]} for k, v in value.items())
        elif group == "tiling":
            # The photos themselves, wrapped, are the reference for what a visible seam scores,
            # and for the upsampling grid's score of a texture without one.
            for name in ("tiling", "grid"):
                value = metric_lib.compute(name, images=textures)
                base = metric_lib.compute(name, images=photos)
                rows.extend(
                    {"metric": k, "value": v, "baseline": base[k]} for k, v in value.items()
                )
    if extra:
        for row in rows:
            row.setdefault("quilting", None)
    source = "; ".join(sources)
    return ev.report(rows, n_made, source, extra)
