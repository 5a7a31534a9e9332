"""Offline evaluation of a run: its newest snapshot's images against the run's real data.

Every number comes with a real-vs-real baseline: the same metric between two disjoint sets
of real images of the same size as the generated set. Metrics like SWD and FID depend on the
sample size and on the data, so "3.1 against a baseline of 2.9" says far more than "3.1".

Texture runs trained with ``--holdout SIDE`` are also measured against the half of each photo
they never saw, next to image quilting from the half they did see (:func:`heldout_sets`).

>>> from gamegan.evaluate import evaluate_run  # doctest: +SKIP
>>> for row in evaluate_run("runs/00003-dcgan-mnist", n=2000):  # doctest: +SKIP
...     print(row["metric"], row["value"], row["baseline"])
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gamegan import __version__
from gamegan.config import RunConfig, from_dict
from gamegan.errors import CheckpointError, ConfigError, DataError
from gamegan.io.rundir import read_config_json

__all__ = ["applicable_metrics", "evaluate_run", "heldout_sets", "load_run_config"]

METRICS_FILE = "metrics.jsonl"
MUSIC_PIECES = 50  # generated pieces per music evaluation
TILING_TEXTURES = 8  # textures whose wrap seams are scored, per evaluation
HOLDOUT_SEEDS = 3  # textures per photo, by the GAN and by quilting, in the held-out comparison
QUILT_BLOCK = 56  # image quilting's block side there (cut to the training half if larger)
QUILT_TOLERANCE = 0.1  # Efros & Freeman's tolerance rule
PICTURE_GAP = 8  # white pixels between the images of the held-out picture


def load_run_config(run_dir: str | Path) -> RunConfig:
    """The :class:`RunConfig` a run was trained with, from ``RUN_DIR/config.json``.

    Parameters
    ----------
    run_dir : str or Path
        A run folder made by ``gamegan train``.

    Returns
    -------
    RunConfig
        As written by the run (all defaults filled in).

    Raises
    ------
    CheckpointError
        If the folder does not exist or holds no valid ``config.json``.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise CheckpointError(f"{run_dir}: no such run folder")
    raw = read_config_json(run_dir)
    raw.pop("gamegan_version", None)
    return from_dict(RunConfig, raw, where="config.json")


def _is_digits(cfg: RunConfig) -> bool:
    return cfg.data.source.strip().lower() == "mnist"


def _makes(cfg: RunConfig) -> str | None:
    """What the run's model makes (its family's ``makes``), None for an unknown model."""
    from gamegan.models import MODELS

    return MODELS.get(cfg.model.name).family.makes if cfg.model.name in MODELS else None


def _is_texture(cfg: RunConfig) -> bool:
    return _makes(cfg) == "textures"


def _is_music(cfg: RunConfig) -> bool:
    return _makes(cfg) == "music"


def _keeps_classifier(cfg: RunConfig) -> bool:
    """The run's snapshots keep a discriminator that classifies (the semi-supervised GAN)."""
    from gamegan.models import MODELS

    return cfg.model.name in MODELS and MODELS.get(cfg.model.name).keeps_discriminator


def _checkerboard(photo: torch.Tensor, size: int) -> tuple[list, list]:
    """Crops on a grid, split like the squares of a chessboard: two sets that never overlap."""
    _, h, w = photo.shape
    black, white = [], []
    for r in range(h // size):
        for c in range(w // size):
            crop = photo[:, r * size : (r + 1) * size, c * size : (c + 1) * size]
            (black if (r + c) % 2 == 0 else white).append(crop)
    return black, white


def _hwc(image: torch.Tensor) -> np.ndarray:
    return image.permute(1, 2, 0).contiguous().numpy()


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


def applicable_metrics(cfg: RunConfig) -> list[str]:
    """Metric groups that make sense for a run's data.

    Parameters
    ----------
    cfg : RunConfig
        The run's config.

    Returns
    -------
    list of str
        ``"swd"`` and ``"color"`` for every image run, plus ``"classifier"`` (FID, KID,
        class spread and accuracy in a self-trained digit classifier's features) when the
        data is MNIST, ``"semi_supervised"`` (the accuracy of a semi-supervised GAN's
        classifier on the examples whose labels training hid, and on MNIST's test split) for
        ``sgan`` runs, and ``"tiling"`` (edge error, seam score) for texture models, preceded
        by ``"heldout"`` (SWD, log-spectrum distance and seams against the held-out half of
        each photo, with image quilting beside) when the run was trained with a holdout; music
        runs get ``"music"`` (statistics of generated pieces beside the corpus's), and
        image-to-image runs ``"translation"`` (outputs against their targets), and terrain
        runs (height data) ``"terrain"`` (heights and slopes against the held-out half of the
        DEM, :mod:`gamegan.evaluate_terrain`).
    """
    if _is_music(cfg):
        return ["music"]
    if _makes(cfg) == "translations":
        return ["translation"]
    if _is_texture(cfg) and cfg.data.heights:
        return ["terrain"]
    names = ["swd", "color"]
    if _is_digits(cfg):
        names.append("classifier")
    if _keeps_classifier(cfg):
        names.append("semi_supervised")
    if _is_texture(cfg):
        names.append("tiling")
        if cfg.data.holdout:
            names.insert(0, "heldout")
    return names


def _choose(cfg: RunConfig, wanted: Iterable[str] | None) -> list[str]:
    available = applicable_metrics(cfg)
    if wanted is None:
        return available
    wanted = [w.strip() for w in wanted if w.strip()]
    unknown = [w for w in wanted if w not in available]
    if unknown or not wanted:
        raise ConfigError(
            f"--metrics {','.join(unknown) or '(none)'}: not available for this run; "
            f"choose from {', '.join(available)}"
        )
    return wanted


def _load_real(resolved, log) -> tuple[Any, Any, str]:
    """The run's real data, plus a second disjoint real set when the data set has one."""
    from gamegan.data.run_data import load_run_data

    cfg = resolved.cfg
    real = load_run_data(resolved)  # the very loader training used
    if not _is_digits(cfg):
        return real, None, "two disjoint halves of the training data"
    other = "test" if cfg.data.split != "test" else "train"
    try:
        held_out = load_run_data(
            replace(resolved, cfg=replace(cfg, data=replace(cfg.data, split=other)))
        )
    except DataError as err:
        log(f"note: no MNIST {other} split ({err}); the baseline uses halves of the training data")
        return real, None, "two disjoint halves of the training data"
    return real, held_out, f"the MNIST {other} split"


def _classifier(resolved, real, held_out, options: dict, log):
    from gamegan.data import load_images
    from gamegan.metrics.classifier import load_or_train_classifier

    # Always all ten digits of the train split at 28x28 gray, whatever classes or size the run
    # used, so the classifier (and its cache entry) is shared by every run on these files.
    cfg = resolved.cfg
    is_plain = (
        not cfg.data.classes
        and resolved.model_cfg.resolution == 28
        and resolved.model_cfg.channels == 1
    )

    def digits(split: str):
        if is_plain and cfg.data.split == split:
            return real
        if is_plain and held_out is not None and cfg.data.split != split and split == "test":
            return held_out
        return load_images(
            "mnist", data_dir=cfg.data.data_dir, resolution=28, channels=1, split=split
        )

    train = digits("train")
    try:
        test = digits("test")
    except DataError:
        test = None
    return load_or_train_classifier(
        train.images,
        train.labels,
        test_images=None if test is None else test.images,
        test_labels=None if test is None else test.labels,
        log=log,
        **options,
    )


def evaluate_run(
    run_dir: str | Path,
    *,
    n: int | None = None,
    seed: int = 0,
    metrics: Iterable[str] | None = None,
    device: str = "cpu",
    classifier_options: dict[str, Any] | None = None,
    log: Callable[[str], None] | None = None,
    snapshot: str | Path | None = None,
) -> list[dict[str, Any]]:
    """Measure a run's newest snapshot against its real data, with a real-vs-real baseline.

    Generates ``n`` images (seeds ``seed .. seed + n - 1``), draws ``n`` real training
    images (the reference set) and ``n`` other real images (the baseline set: the MNIST test
    split, or else the other half of the training data), and computes each metric twice:
    reference vs generated (``value``) and reference vs baseline set (``baseline``). When
    the data has fewer than ``2 n`` images (``n`` plus a test split for MNIST), all three
    sets shrink to what is there. One JSON line is appended to ``RUN_DIR/metrics.jsonl``.

    Parameters
    ----------
    run_dir : str or Path
        A run folder made by ``gamegan train``.
    n : int, optional
        Images per set (default 2000), or generated pieces for music runs (default 50).
    seed : int
        First generator seed; also the seed of the real-image draw and of the metrics.
    metrics : iterable of str, optional
        Groups to compute (default: :func:`applicable_metrics`).
    device : str
        Where the generator runs (``cpu``, ``cuda``, ``auto``); metrics run on the CPU.
    classifier_options : dict, optional
        Keyword arguments for :func:`gamegan.metrics.classifier.load_or_train_classifier`
        (``epochs``, ``n_train``, ``cache_dir``, ...).
    log : callable, optional
        Receives progress lines.
    snapshot : path, optional
        A snapshot file to evaluate instead of the run's newest (for example the run's
        ``snapshot-best.safetensors``); a bare file name is looked up in the run folder.

    Returns
    -------
    list of dict
        One row per number: ``{"metric": "swd/28", "value": float, "baseline": float}``;
        ``baseline`` is None where there is none (``classifier/accuracy``). Texture runs
        trained with a holdout also get ``heldout/*`` rows (see :func:`heldout_sets`) and,
        in every row, ``"quilting"``: the value of image quilting from the training half,
        None where it does not apply; their picture goes to
        ``RUN_DIR/eval/heldout-<snapshot>.png``.

    Raises
    ------
    CheckpointError
        If the folder is not a run or has no snapshot yet.
    DataError
        If the run's data cannot be loaded or has fewer than 4 images.
    ConfigError
        If a requested metric does not apply to this run.
    """
    from gamegan import generate
    from gamegan import metrics as metric_lib
    from gamegan.build import resolve

    log = log or (lambda line: None)
    started = time.perf_counter()
    run_dir = Path(run_dir)
    cfg = load_run_config(run_dir)
    groups = _choose(cfg, metrics)
    if n is None:
        n = MUSIC_PIECES if _is_music(cfg) else 2000
    if n < 2:
        raise ConfigError(f"--count must be at least 2, got {n}")
    resolved = resolve(cfg)
    if snapshot is not None:
        snapshot = Path(snapshot)
        if not snapshot.exists() and (run_dir / snapshot).exists():
            snapshot = run_dir / snapshot
    # CheckpointError if the run has no snapshot yet
    loaded = generate.load_generator(snapshot if snapshot is not None else run_dir, device=device)
    iteration = loaded.metadata.get("iteration")

    if _is_texture(cfg) and cfg.data.heights:
        from gamegan.evaluate_terrain import evaluate_terrain

        return evaluate_terrain(run_dir, resolved, loaded, seed, started, log, _report)
    if _is_texture(cfg):
        return _evaluate_texture(run_dir, resolved, loaded, groups, seed, started, log)
    if _is_music(cfg):
        return _evaluate_music(run_dir, resolved, loaded, n, seed, started, log)
    if _makes(cfg) == "translations":
        return _evaluate_translations(run_dir, resolved, loaded, n, seed, started, log)
    log(f"loading real data: {cfg.data.source}")
    real_data, held_out_data, baseline_source = _load_real(resolved, log)
    real = real_data.images
    held_out = None if held_out_data is None else held_out_data.images
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(real), generator=g)
    if held_out is None:
        m = min(n, len(real) // 2)
        reference, baseline = real[order[:m]], real[order[m : 2 * m]]
        baseline_from, baseline_pick = real_data, order[m : 2 * m]
    else:
        m = min(n, len(real), len(held_out))
        reference = real[order[:m]]
        baseline_pick = torch.randperm(len(held_out), generator=g)[:m]
        baseline, baseline_from = held_out[baseline_pick], held_out_data
    if m < 2:
        raise DataError(f"{cfg.data.source}: too few real images to evaluate ({len(real)})")
    if m < n:
        log(f"note: only enough real images for sets of {m}; comparing {m} vs {m}")
    log(
        f"generating {m} images from {loaded.path.name} (iteration {iteration}), "
        f"seeds {seed}-{seed + m - 1}"
    )
    fake = torch.from_numpy(generate.images(loaded, n=m, seed=seed)).permute(0, 3, 1, 2)

    rows: list[dict[str, Any]] = []

    def add(name: str, **kwargs: Any) -> None:
        log(f"computing {name}")
        value = metric_lib.compute(name, real=reference, fake=fake, **kwargs)
        base = metric_lib.compute(name, real=reference, fake=baseline, **kwargs)
        rows.extend({"metric": k, "value": v, "baseline": base[k]} for k, v in value.items())

    for group in groups:
        if group == "swd":
            add("swd", seed=seed)
        elif group == "color":
            add("color")
        elif group == "classifier":
            options = dict(classifier_options or {})
            clf = _classifier(resolved, real_data, held_out_data, options, log)
            add("classifier", classifier=clf, seed=seed)
            rows.append({"metric": "classifier/accuracy", "value": clf.accuracy, "baseline": None})
            if loaded.class_names and real_data.labels is not None:
                reference_labels = real_data.labels[order[:m]]
                baseline_labels = baseline_from.labels[baseline_pick]
                rows.extend(
                    _per_class_rows(
                        loaded, clf, (reference, reference_labels), (baseline, baseline_labels),
                        m, seed, log,
                    )
                )  # fmt: skip
        elif group == "semi_supervised":
            rows.extend(_semi_supervised_rows(resolved, loaded, real_data, held_out_data, log))

    return _report(run_dir, loaded, rows, m, seed, baseline_source, started, log)


def _per_class_rows(loaded, clf, reference, baseline, m: int, seed: int, log) -> list[dict]:
    """A class-conditional digit model asked for each class in turn: how often the digit
    classifier names the class asked for (baseline: how often it names real digits of that
    class), and the FID of those digits against real ones of the class (baseline: real
    against real). Rows ``classifier/class_accuracy/<class>``, ``classifier/class_fid/<class>``
    and their means over the classes."""
    from gamegan import generate
    from gamegan.metrics.frechet import frechet_distance

    names = loaded.class_names
    if not all(name.isdigit() for name in names):
        log("note: no per-class scores (the classes are not digits)")
        return []
    per_class = max(2, m // len(names))
    log(f"generating {per_class} digits of each of the {len(names)} classes")
    rows, means = [], {"class_accuracy": [], "class_fid": []}
    for index, name in enumerate(names):
        digit = int(name)
        fake = generate.images(loaded, n=per_class, seed=seed, label=index)
        fake = torch.from_numpy(fake).permute(0, 3, 1, 2)
        real = reference[0][reference[1] == index]
        other = baseline[0][baseline[1] == index]
        accuracy = float((clf.predict(fake) == digit).float().mean())
        base_accuracy = float((clf.predict(other) == digit).float().mean()) if len(other) else None
        fid = base_fid = None
        if len(real) >= 2:
            features = clf.features(real)
            fid = frechet_distance(features, clf.features(fake))
            if len(other) >= 2:
                base_fid = frechet_distance(features, clf.features(other))
        for metric, value, base in (
            ("class_accuracy", accuracy, base_accuracy),
            ("class_fid", fid, base_fid),
        ):
            if value is None:
                continue
            rows.append({"metric": f"classifier/{metric}/{name}", "value": value, "baseline": base})
            means[metric].append((value, base))
    for metric, pairs in means.items():
        if pairs:
            bases = [b for _, b in pairs if b is not None]
            rows.append({
                "metric": f"classifier/{metric}",
                "value": float(np.mean([v for v, _ in pairs])),
                "baseline": float(np.mean(bases)) if len(bases) == len(pairs) else None,
            })  # fmt: skip
    return rows


def _semi_supervised_rows(resolved, loaded, real_data, held_out_data, log) -> list[dict]:
    """The semi-supervised GAN's classifier (its D): accuracy on the training examples whose
    labels training hid, and on the held-out split (MNIST's test set) when there is one."""
    from gamegan import generate
    from gamegan.models.sgan import labelled_mask

    if real_data.labels is None:
        raise DataError(f"{resolved.cfg.data.source}: no labels to score the classifier with")
    D = generate.load_discriminator(loaded)
    device = next(D.parameters()).device

    def accuracy(images: torch.Tensor, labels: torch.Tensor) -> float:
        hits = 0
        for start in range(0, len(images), 256):
            x = images[start : start + 256].to(device).float().div(127.5).sub(1.0)
            hits += int((D.predict(x).cpu() == labels[start : start + 256]).sum())
        return hits / len(images)

    labels = real_data.labels.to(torch.int64)
    known = labelled_mask(labels, resolved.model_cfg.labelled_per_class)
    rows = []

    def add(name: str, value: float) -> None:
        rows.append({"metric": f"semi_supervised/{name}", "value": value, "baseline": None})

    add("labels_used", float(known.sum()))
    if (~known).any():
        log(f"scoring D's classes on the {int((~known).sum())} examples whose labels it never saw")
        add("accuracy_unlabelled", accuracy(real_data.images[~known], labels[~known]))
    if held_out_data is not None and held_out_data.labels is not None:
        held = held_out_data.labels.to(torch.int64)
        add("accuracy_test", accuracy(held_out_data.images, held))
    return rows


def _report(
    run_dir, loaded, rows, m, seed, baseline_source, started, log, extra=None
) -> list[dict]:
    from gamegan import metrics as metric_lib

    seconds = time.perf_counter() - started
    metric_lib.report(
        run_dir / METRICS_FILE,
        {
            "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "snapshot": loaded.path.name,
            "iteration": loaded.metadata.get("iteration"),
            "n_images": m,
            "seed": seed,
            "baseline": baseline_source,
            **(extra or {}),
            "seconds": round(seconds, 2),
            "gamegan_version": __version__,
            "results": rows,
        },
    )
    log(f"done in {seconds:.1f} s; appended to {run_dir / METRICS_FILE}")
    return rows


def heldout_sets(resolved, loaded, seed: int = 0, log=None) -> dict[str, list[np.ndarray]]:
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
        source = _hwc(kept)
        block = min(QUILT_BLOCK, *source.shape[:2])
        blocks.add(block)
        sets["held_out"].append(_hwc(held_out))
        sets["kept"].append(source)
        for k in range(HOLDOUT_SEEDS):
            s = seed + i * HOLDOUT_SEEDS + k
            gen_h, gen_w = -(-h // u) * u, -(-w // u) * u
            made = generate.texture(loaded, width=gen_w, height=gen_h, tileable=True, seed=s)
            tile = generate.quantize(made).reshape(gen_h, gen_w, -1)
            sets["gan_tiles"].append(tile)
            sets["gan"].append(np.ascontiguousarray(tile[:h, :w]))
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
    # Seams: the GAN's wrap against the wrap of the photo halves and of (non-tileable) quilting.
    value = metric_lib.compute("tiling", images=sets["gan_tiles"])
    base = metric_lib.compute("tiling", images=reference)
    quilted = metric_lib.compute("tiling", images=sets["quilting"])
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
    _write_side_by_side(rows, path)


def _write_side_by_side(rows: list[tuple[np.ndarray, ...]], path: Path) -> None:
    """Rows of uint8 [H, W, C] pictures at 100%, side by side on white."""
    from gamegan.io.png import side_by_side, write_png

    path.parent.mkdir(parents=True, exist_ok=True)
    write_png(path, side_by_side(rows, PICTURE_GAP))


def _evaluate_translations(run_dir, resolved, loaded, n, seed, started, log) -> list[dict]:
    """Image-to-image runs: outputs against their targets, beside real against real.

    A run trained on one side of its photos (``--holdout``) is judged on the held-out halves:
    each half's input (made as in training) goes through G, and its output is compared with
    the half by patch SWD, log-spectrum and colour distance, with the training halves as the
    real-vs-real baseline; ``translation/l1`` is the mean absolute difference per pixel from
    the target (0-1 scale). Other runs are judged on their first ``n`` training pairs, with
    other training targets as the baseline. A picture of input | output | target per photo
    (or of the first pairs) goes to ``RUN_DIR/eval/translation-<snapshot>.png``.
    """
    from gamegan import generate
    from gamegan.data.pairs import derive_condition
    from gamegan.data.run_data import load_run_data

    cfg = resolved.cfg
    if resolved.spec.two_way:
        return _evaluate_two_way(run_dir, resolved, loaded, n, seed, started, log)
    if cfg.data.holdout:
        from gamegan.data.textures import read_textures, split_holdout, texture_source

        photos, _, what = read_textures(
            texture_source(cfg.data.source), resolved.model_cfg.channels
        )
        targets, baseline, inputs = [], [], []
        for photo in photos:
            kept, held_out = split_holdout(photo, cfg.data.holdout)
            targets.append(_hwc(held_out))
            baseline.append(_hwc(kept))
            inputs.append(_hwc(derive_condition(held_out[None], cfg.data.condition)[0]))
        source = f"the held-out {cfg.data.holdout} halves of {what}"
    else:
        data = load_run_data(resolved)
        k = min(n, len(data) // 2)
        if k < 1:
            raise DataError(f"{cfg.data.source}: too few pairs to evaluate ({len(data)})")
        targets = [_hwc(image) for image in data.images[:k]]
        baseline = [_hwc(image) for image in data.images[k : 2 * k]]
        inputs = [_hwc(image) for image in data.conditions[:k]]
        source = f"{k} training pairs (baseline: {k} other training targets)"
    log(f"translating {len(inputs)} inputs: {source}")
    outputs = [generate.translate(loaded, a) for a in inputs]
    rows = _translation_rows(targets, outputs, baseline, seed, log)
    pairs = list(zip(inputs, outputs, targets, strict=True))
    l1 = np.mean([np.abs(o.astype(float) - t).mean() / 255 for _, o, t in pairs])
    rows.append({"metric": "translation/l1", "value": float(l1), "baseline": None})
    picture = _translation_picture(run_dir, loaded, pairs, "input | output | target", log)
    extra = {"picture": str(picture.relative_to(run_dir))}
    return _report(run_dir, loaded, rows, len(outputs), seed, source, started, log, extra)


def _translation_rows(targets, outputs, baseline, seed: int, log) -> list[dict[str, Any]]:
    """Patch SWD, log-spectrum and colour distance of outputs against targets, beside other
    real pictures of the target domain against them."""
    from gamegan import metrics as metric_lib

    rows: list[dict[str, Any]] = []
    for name, kwargs in (("swd_images", {"seed": seed}), ("spectrum", {}), ("color", {})):
        log(f"computing {name}")
        value = metric_lib.compute(name, real=targets, fake=outputs, **kwargs)
        base = metric_lib.compute(name, real=targets, fake=baseline, **kwargs)
        rows.extend(
            {"metric": f"translation/{key}", "value": v, "baseline": base[key]}
            for key, v in value.items()
        )
    return rows


def _translation_picture(run_dir, loaded, rows, what: str, log) -> Path:
    """Up to four rows of pictures side by side, gray ones shown in the widest channels."""
    channels = max(img.shape[2] for row in rows for img in row)
    shown = [
        tuple(np.broadcast_to(img, (*img.shape[:2], channels)) if img.shape[2] == 1 else img
              for img in row)
        for row in rows[:4]
    ]  # fmt: skip
    picture = run_dir / "eval" / f"translation-{loaded.path.stem}.png"
    _write_side_by_side(shown, picture)
    log(f"wrote {picture} ({what})")
    return picture


def _evaluate_two_way(run_dir, resolved, loaded, n, seed, started, log) -> list[dict]:
    """CycleGAN runs: G_AB's outputs for pictures of A against pictures of B (no pair is the
    right answer), beside other pictures of B; with ``--holdout``, the held-out halves of A's
    photos go in and are compared with the held-out halves of B's, the training halves of B
    being the baseline."""
    from gamegan import generate
    from gamegan.data.run_data import load_run_data

    cfg = resolved.cfg
    if cfg.data.holdout:
        from gamegan.data.textures import read_textures, split_holdout, texture_source

        halves = {}
        for name, source, channels in (
            ("a", cfg.data.source, resolved.model_cfg.condition_channels),
            ("b", cfg.data.domain_b, resolved.model_cfg.channels),
        ):
            photos, _, _ = read_textures(texture_source(source), channels)
            halves[name] = [split_holdout(photo, cfg.data.holdout) for photo in photos]
        inputs = [_hwc(held) for _, held in halves["a"]]
        targets = [_hwc(held) for _, held in halves["b"]]
        baseline = [_hwc(kept) for kept, _ in halves["b"]]
        what = f"the held-out {cfg.data.holdout} halves of A's and B's photos"
    else:
        data = load_run_data(resolved)
        k = min(n, len(data.a), len(data.b) // 2)
        inputs = [_hwc(image) for image in data.a.images[:k]]
        targets = [_hwc(image) for image in data.b.images[:k]]
        baseline = [_hwc(image) for image in data.b.images[k : 2 * k]]
        what = f"{k} pictures of A through G_AB against {k} of B (baseline: {k} other B)"
    log(f"translating {len(inputs)} pictures of A to B: {what}")
    outputs = [generate.translate(loaded, a) for a in inputs]
    rows = _translation_rows(targets, outputs, baseline, seed, log)
    shown = list(zip(inputs, outputs, targets, strict=False))
    picture = _translation_picture(run_dir, loaded, shown, "A | G_AB(A) | a picture of B", log)
    extra = {"picture": str(picture.relative_to(run_dir))}
    return _report(run_dir, loaded, rows, len(outputs), seed, what, started, log, extra)


def _evaluate_texture(run_dir, resolved, loaded, groups, seed, started, log) -> list[dict]:
    """Texture runs: crops of generated textures against disjoint crops of the photos.

    With a holdout, first the ``heldout/*`` rows against the held-out photo halves.
    """
    from gamegan import metrics as metric_lib

    rows: list[dict[str, Any]] = []
    sources, extra, n_made = [], {}, 0
    if "heldout" in groups:
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
    groups = [g for g in groups if g != "heldout"]
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
            # The photos themselves, wrapped, are the reference for what a visible seam scores.
            value = metric_lib.compute("tiling", images=textures)
            base = metric_lib.compute("tiling", images=photos)
            rows.extend({"metric": k, "value": v, "baseline": base[k]} for k, v in value.items())
    if extra:
        for row in rows:
            row.setdefault("quilting", None)
    source = "; ".join(sources)
    return _report(run_dir, loaded, rows, n_made, seed, source, started, log, extra)


# music


def reference_pieces(resolved, scores: list) -> list:
    """The corpus as the model sees it: what its generated pieces should resemble.

    A sequence model's prepared pieces (the VAE's soprano lines in C, the LSTM's merged
    piano part); the GAN's training phrases decoded from their piano rolls.
    """
    from gamegan.data.run_data import model_phrases
    from gamegan.music import pianoroll

    cfg = resolved.model_cfg
    if resolved.spec.family.sequential:
        return [p for p in (resolved.spec.codec.prepare(s, cfg) for s in scores) if p is not None]
    pieces = []
    grid = {"resolution": cfg.resolution, "lowest_pitch": cfg.lowest_pitch}
    for score in scores:
        for roll in model_phrases(score, cfg):
            pieces.append(pianoroll.decode(roll, **grid, onsets=cfg.onsets))
    return pieces


def reference_key(resolved) -> str:
    """Name of a frozen corpus reference: the data source and the model's representation."""
    return f"{resolved.cfg.data.source}:{resolved.cfg.model.name}"


def reference_settings(resolved) -> dict:
    """The model parameters that shape its view of the corpus (its Config's REPRESENTATION)."""
    keys = getattr(type(resolved.model_cfg), "REPRESENTATION", None)
    params = resolved.cfg.model.params
    settings = params if keys is None else {k: params[k] for k in keys}
    return {**settings, "max_files": resolved.cfg.data.max_files}


def freeze_music_reference(resolved, log=None) -> dict:
    """Compute and store a run config's corpus statistics in the frozen reference file."""
    from gamegan.data.music import load_scores
    from gamegan.metrics import music_stats

    music = load_scores(
        resolved.cfg.data.source,
        limit=resolved.cfg.data.max_files or None,
        timeout=resolved.cfg.data.parse_timeout,
    )
    pieces = reference_pieces(resolved, music.scores)
    if log is not None:
        log(f"{reference_key(resolved)}: {len(pieces)} pieces from {music.source}")
    return music_stats.write_reference(
        reference_key(resolved), pieces, settings=reference_settings(resolved)
    )


def music_reference(resolved, log) -> tuple[dict, str]:
    """Statistics of the run's corpus, frozen for the bundled Bach chorales."""
    from gamegan.data.music import load_scores
    from gamegan.metrics import music_stats

    key = reference_key(resolved)
    frozen = music_stats.read_reference(key)
    if frozen is not None and frozen.get("settings") == reference_settings(resolved):
        return frozen, f"{key} (frozen on {frozen['date'][:10]}, {frozen['n_pieces']} pieces)"
    log(f"computing corpus statistics: {resolved.cfg.data.source}")
    music = load_scores(
        resolved.cfg.data.source,
        limit=resolved.cfg.data.max_files or None,
        timeout=resolved.cfg.data.parse_timeout,
    )
    pieces = reference_pieces(resolved, music.scores)
    if not pieces:
        raise DataError(f"{resolved.cfg.data.source}: no piece of the corpus fits this model")
    stats = music_stats.describe(pieces)
    return stats, f"{music.source} ({len(pieces)} pieces as the model sees them)"


# Phrases per piece the GAN's evaluation generates (the first one starts from silence where
# the model continues phrases, the others continue it).
GAN_EVAL_PHRASES = 4


def _evaluate_music(run_dir, resolved, loaded, n, seed, started, log) -> list[dict]:
    """Music runs: statistics of generated pieces next to the corpus's."""
    from gamegan import generate
    from gamegan.metrics import music_stats

    reference, source = music_reference(resolved, log)
    phrase_bars = 0  # the GAN's pieces are cut into phrases, as its corpus is
    if not resolved.spec.family.sequential:
        phrase_bars = int(resolved.model_cfg.n_bars)
        bars = GAN_EVAL_PHRASES * phrase_bars  # beginnings and continuations alike
    else:
        bars = max(1, round(float(reference.get("mean_n_bars") or 16)))
    log(f"generating {n} pieces of {bars} bars, seeds {seed}-{seed + n - 1}")
    pieces = []
    for i in range(n):
        for piece in generate.music(loaded, seed=seed + i, n_bars=bars):
            if not phrase_bars:
                pieces.append(piece)
                continue
            length = phrase_bars * piece.bar_beats
            starts = [k * length for k in range(GAN_EVAL_PHRASES)]
            pieces.extend(piece.sliced(start, start + length) for start in starts)
    generated = music_stats.describe(pieces)
    rows = [
        {
            "metric": row["metric"],
            "value": row["generated"],
            "baseline": row["reference"],
            "against": "corpus",
        }
        for row in music_stats.compare(generated, reference)
    ]
    return _report(run_dir, loaded, rows, n, seed, source, started, log)
