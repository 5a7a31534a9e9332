"""``gamegan eval RUN``: which metrics apply to a run, and the evaluator that computes them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from gamegan.config import RunConfig, from_dict
from gamegan.errors import CheckpointError, ConfigError
from gamegan.evaluate import images, music, terrain, texture, translation
from gamegan.evaluate.report import Evaluation
from gamegan.io.rundir import read_config_json

# The evaluator of each kind of output a model family makes (its ``makes``); textures of
# height data are judged as terrain.
EVALUATORS = {"images": images, "textures": texture, "music": music, "translations": translation}


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


def _makes(cfg: RunConfig) -> str | None:
    """What the run's model makes (its family's ``makes``), None for an unknown model."""
    from gamegan.models import MODELS

    return MODELS.get(cfg.model.name).family.makes if cfg.model.name in MODELS else None


def _evaluator(cfg: RunConfig):
    """The module that evaluates this run: its ``evaluate(Evaluation)`` computes the rows."""
    if _makes(cfg) == "textures" and cfg.data.heights:
        return terrain
    return EVALUATORS.get(_makes(cfg), images)


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
        DEM, :mod:`gamegan.evaluate.terrain`).
    """
    return _evaluator(cfg).groups(cfg)


def _choose(available: list[str], wanted: Iterable[str] | None) -> list[str]:
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
    """Measure a run's snapshot against its real data, with a real-vs-real baseline.

    The snapshot is the run's best (``train.val_every``) if it kept one, else its newest.

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
        A snapshot file to evaluate instead of the run's own (for example one of its
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
    from gamegan.build import resolve

    log = log or (lambda line: None)
    started = time.perf_counter()
    run_dir = Path(run_dir)
    cfg = load_run_config(run_dir)
    evaluator = _evaluator(cfg)
    groups = _choose(evaluator.groups(cfg), metrics)
    if n is None:
        n = music.MUSIC_PIECES if evaluator is music else 2000
    if n < 2:
        raise ConfigError(f"--count must be at least 2, got {n}")
    resolved = resolve(cfg)
    if snapshot is not None:
        snapshot = Path(snapshot)
        if not snapshot.exists() and (run_dir / snapshot).exists():
            snapshot = run_dir / snapshot
    # CheckpointError if the run has no snapshot yet
    loaded = generate.load_generator(snapshot if snapshot is not None else run_dir, device=device)
    ev = Evaluation(
        run_dir, resolved, loaded, groups, n, seed, log, started, dict(classifier_options or {})
    )
    return evaluator.evaluate(ev)
