"""Running a sweep: one ordinary run folder per setting, skipped when finished and resumed when
not, then the table and the plot."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gamegan import __version__
from gamegan.config import RunConfig, to_dict
from gamegan.errors import ConfigError, GameganError
from gamegan.experiment.report import finite_or_none, format_table, plot_losses, summarize_run
from gamegan.experiment.sweeps import Setting, Sweep, get_sweep, override_keys, select_settings
from gamegan.io.rundir import numbered_files, read_config_json, write_json
from gamegan.io.stats import read_stats

EXPERIMENT_FILE = "experiment.json"
RESULTS_JSON = "results.json"
RESULTS_MD = "results.md"
LOSSES_PNG = "losses.png"
EVAL_SEED = 0  # one seed for every setting: the same latents and real sets for all


@dataclass
class SweepResult:
    """What :func:`run_sweep` made: the folder, one row per setting and the table."""

    out: Path
    rows: list[dict[str, Any]]
    table: str
    plot: Path | None
    interrupted: bool = False
    skipped: list[str] = field(default_factory=list)


def _differences(a: Any, b: Any, prefix: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        found = []
        for key in sorted(set(a) | set(b)):
            found += _differences(a.get(key), b.get(key), f"{prefix}{key}.")
        return found
    return [] if a == b else [prefix.rstrip(".")]


# final numbers of one run


def _cached_metrics(run_dir: Path, n: int) -> list[dict] | None:
    """The newest evaluation of the run's snapshot (its best, else its newest) at this size and
    seed, if there is one."""
    from gamegan.generate.snapshots import run_snapshot
    from gamegan.io.checkpoint import read_metadata

    path = run_dir / "metrics.jsonl"
    if not path.is_file():
        return None
    try:
        snapshot = run_snapshot(run_dir)
        iteration = read_metadata(snapshot).get("iteration")
        records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    except (ValueError, OSError, GameganError):
        return None
    for record in reversed(records):
        if (
            record.get("snapshot") == snapshot.name
            and record.get("iteration") == iteration  # snapshot-best is rewritten in place
            and record.get("n_images") == n
            and record.get("seed") == EVAL_SEED
        ):
            return record.get("results")
    return None


def _evaluate(run_dir: Path, n: int, device: str | None, log) -> list[dict]:
    from gamegan.evaluate import evaluate_run

    cached = _cached_metrics(run_dir, n)
    if cached is not None:
        log(f"  metrics: cached in {run_dir.name}/metrics.jsonl")
        return cached
    log(f"  metrics: evaluating {n} images")
    return evaluate_run(run_dir, n=n, seed=EVAL_SEED, device=device or "cpu")


def _one_line(err: Exception) -> str:
    lines = str(err).strip().splitlines()
    return f"{type(err).__name__}: {lines[0]}" if lines else type(err).__name__


def _clean(value: Any) -> Any:
    """JSON without NaN: non-finite floats become None."""
    if isinstance(value, float):
        return finite_or_none(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


# the sweep


def _plan(
    sweep: Sweep,
    settings: Sequence[Setting],
    preset: str,
    overrides: Sequence[str],
    flags: dict[str, Any],
    out: Path,
) -> list[tuple[Setting, RunConfig, Path]]:
    """Build and check every setting's config before anything trains."""
    from gamegan.build import resolve
    from gamegan.presets import build_config

    build_config(preset, overrides=overrides, **flags)  # a bad preset or --set names itself
    swept = set().union(*(override_keys(s.overrides) for s in settings)) if settings else set()
    clash = [item for item in overrides if override_keys([item]) & swept]
    if clash:
        raise ConfigError(
            f"--set {', '.join(clash)}: the {sweep.name} sweep sets this key itself; "
            "leave it out (or use --only to pick settings)"
        )
    plan = []
    for setting in settings:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", setting.name):
            raise ConfigError(f"setting name {setting.name!r}: use letters, digits, _ . - only")
        try:
            cfg = build_config(preset, overrides=[*overrides, *setting.overrides], **flags)
            full = resolve(cfg).cfg
        except ConfigError as err:
            raise ConfigError(
                f"sweep {sweep.name!r} setting {setting.name!r} does not fit preset "
                f"{preset!r}: {err}"
            ) from None
        run_dir = out / setting.name
        if run_dir.exists() and any(run_dir.iterdir()):
            if not (run_dir / "config.json").is_file():
                raise ConfigError(f"{run_dir}: exists and is not a run folder; remove it")
            saved = read_config_json(run_dir)
            saved.pop("gamegan_version", None)
            wanted = to_dict(full)
            for raw in (saved, wanted):
                raw.get("train", {}).pop("iterations", None)
                raw.get("train", {}).pop("device", None)
            changed = _differences(saved, wanted)
            if changed:
                raise ConfigError(
                    f"{run_dir}: was trained with other settings ({', '.join(changed[:5])}); "
                    "choose another --out, or delete that folder to retrain it"
                )
        plan.append((setting, cfg, run_dir))
    return plan


def run_sweep(
    sweep: str | Sweep,
    preset: str,
    *,
    out: str | Path | None = None,
    only: str | Iterable[str] | None = None,
    overrides: Sequence[str] = (),
    iterations: int | None = None,
    data: str | None = None,
    data_dir: str | Path | None = None,
    seed: int | None = None,
    device: str | None = None,
    eval_count: int = 500,
    progress: bool | None = None,
    quiet: bool = True,
    log: Callable[[str], None] | None = None,
) -> SweepResult:
    """Train ``preset`` once per setting of a sweep, then plot and tabulate the results.

    Each setting becomes the run folder ``OUT/<setting>/``. A setting whose folder already
    holds a state at the wanted iteration count is skipped; one with an older state is resumed;
    one with no state yet is started again. A setting that raises, or whose losses become
    NaN or infinite, is recorded as failed and the others still run.

    Parameters
    ----------
    sweep : str or Sweep
        A name in :data:`SWEEPS`, or your own :class:`Sweep`.
    preset : str
        The preset every setting starts from.
    out : str or Path, optional
        The sweep folder (default ``runs/experiment-<sweep>-<preset>``).
    only : str or iterable of str, optional
        Setting names to run (a comma-separated string or a list); default all.
    overrides : sequence of str
        ``--set`` overrides for every setting; they may not touch a key the sweep sets.
    iterations, data, data_dir, seed, device : optional
        As the options of ``gamegan train``; None keeps the preset's value.
    eval_count : int
        Images per set for ``gamegan eval`` metrics of each finished setting; 0 skips them.
    progress, quiet : bool
        Passed to :func:`gamegan.train.run.train` for each setting.
    log : callable, optional
        Receives one line per step of the sweep.

    Returns
    -------
    SweepResult
        The folder, one row per setting (see ``results.json``), the markdown table and the
        plot's path.

    Raises
    ------
    ConfigError
        For an unknown sweep, preset or setting, a bad ``--set``, or an ``OUT/<setting>``
        folder trained with other settings; raised before anything trains.
    """
    from gamegan.train.run import resume, train

    log = log or (lambda line: None)
    if isinstance(sweep, str):
        sweep = get_sweep(sweep)
    if eval_count < 0 or eval_count == 1:
        raise ConfigError(f"--eval-count must be 0 (skip) or at least 2, got {eval_count}")
    settings = select_settings(sweep, only)
    out = Path(out) if out is not None else Path("runs") / f"experiment-{sweep.name}-{preset}"
    flags = {
        "iterations": iterations,
        "data": data,
        "data_dir": data_dir,
        "seed": seed,
        "device": device,
    }
    overrides = list(overrides)
    plan = _plan(sweep, settings, preset, overrides, flags, out)
    out.mkdir(parents=True, exist_ok=True)
    total = plan[0][1].train.iterations
    write_json(
        out / EXPERIMENT_FILE,
        {
            "sweep": sweep.name,
            "description": sweep.description,
            "preset": preset,
            "iterations": total,
            "overrides": overrides,
            "flags": {k: None if v is None else str(v) for k, v in flags.items()},
            "eval_count": eval_count,
            "eval_seed": EVAL_SEED,
            "settings": [{"name": s.name, "overrides": list(s.overrides)} for s in sweep.settings],
            "selected": [s.name for s in settings],
            "updated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "gamegan_version": __version__,
        },
    )

    rows: list[dict[str, Any]] = []
    skipped: list[str] = []
    interrupted = False
    for index, (setting, cfg, run_dir) in enumerate(plan, 1):
        head = f"[{index}/{len(plan)}] {setting.name}"
        row: dict[str, Any] = {
            "setting": setting.name,
            "overrides": list(setting.overrides),
            "run_dir": str(run_dir),
            "status": "done",
            "error": None,
        }
        try:
            states = numbered_files(run_dir, "state")
            if states and states[-1][0] >= total:
                log(f"{head}: done at iteration {states[-1][0]}, skipped")
                skipped.append(setting.name)
                status = "done"
            elif states:
                log(f"{head}: resuming at iteration {states[-1][0]} -> {total} in {run_dir}")
                status = resume(
                    run_dir, iterations=total, device=device, progress=progress, quiet=quiet
                ).status
            else:
                if run_dir.exists():
                    # Stopped before its first save: there is nothing to resume from.
                    log(f"{head}: {run_dir} has no saved state yet; starting it again")
                    shutil.rmtree(run_dir)
                log(f"{head}: training {total} iterations in {run_dir}")
                status = train(cfg, out=run_dir, progress=progress, quiet=quiet).status
        except Exception as err:  # one broken setting must not stop the others
            status = "failed"
            row["error"] = _one_line(err)
            log(f"{head}: failed: {row['error']}")
        row["status"] = status
        row.update(summarize_run(run_dir))
        saved = numbered_files(run_dir, "state")
        if saved:  # the state saved on a stop can be newer than the last logged line
            row["iteration"] = saved[-1][0]
        diverged = row.pop("diverged")
        if status == "done" and diverged:
            row["status"], row["error"] = "failed", f"diverged: {diverged}"
            log(f"{head}: failed: {row['error']}")
        row["metrics"] = []
        if row["status"] == "done" and eval_count:
            try:
                row["metrics"] = _evaluate(run_dir, eval_count, device, log)
            except Exception as err:  # keep the losses; say why the metrics are missing
                row["error"] = f"eval failed: {_one_line(err)}"
                log(f"{head}: {row['error']}")
        rows.append(_clean(row))
        if status == "interrupted":
            interrupted = True
            log(f"{head}: interrupted; run the same command again to continue")
            break

    rows = _merge_rows(out, sweep, rows)
    plot = None
    runs = {row["setting"]: out / row["setting"] for row in rows if (out / row["setting"]).is_dir()}
    if any(read_stats(p) for p in runs.values()):
        plot = plot_losses(runs, out / LOSSES_PNG, title=f"{sweep.name} sweep on {preset}")
    table = format_table(rows)
    header = (
        f"# {sweep.name} sweep on {preset}\n\n{sweep.description}; {total} iterations each; "
        f"metrics from `gamegan eval` with {eval_count} images (seed {EVAL_SEED}).\n\n"
    )
    (out / RESULTS_MD).write_text(header + table + "\n")
    write_json(
        out / RESULTS_JSON,
        {
            "sweep": sweep.name,
            "preset": preset,
            "iterations": total,
            "eval_count": eval_count,
            "rows": rows,
        },
    )
    return SweepResult(out, rows, table, plot, interrupted, skipped)


def _merge_rows(out: Path, sweep: Sweep, rows: list[dict]) -> list[dict]:
    """Keep earlier rows of settings not run this time (``--only``), in the sweep's order."""
    path = out / RESULTS_JSON
    earlier: dict[str, dict] = {}
    if path.is_file():
        try:
            earlier = {r["setting"]: r for r in json.loads(path.read_text()).get("rows", [])}
        except (ValueError, KeyError, TypeError, AttributeError):
            earlier = {}
    now = {r["setting"]: r for r in rows}
    order = [s.name for s in sweep.settings]
    merged = {**{k: v for k, v in earlier.items() if k in order}, **now}
    return sorted(merged.values(), key=lambda r: order.index(r["setting"]))


# table and plot
