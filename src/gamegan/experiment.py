"""The chapter's comparison experiments: one preset trained once per setting of one knob.

A sweep is a list of named settings, each a tuple of ``--set`` overrides. Every setting trains an
ordinary run folder ``OUT/<setting>/`` (inspectable with ``gamegan eval``, resumable with
``gamegan train --resume``), and the sweep ends with a loss plot (``OUT/losses.png``) and a
table of final numbers (``OUT/results.md``, ``OUT/results.json``). Re-running the same sweep
skips finished settings and resumes unfinished ones, so an interrupted sweep costs nothing.

>>> from gamegan.experiment import run_sweep  # doctest: +SKIP
>>> result = run_sweep("bn-momentum", "dcgan-mnist", iterations=300)  # doctest: +SKIP
>>> print(result.table)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import re
import shutil
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gamegan import __version__
from gamegan.config import OPTIMIZERS, RunConfig, to_dict
from gamegan.errors import ConfigError
from gamegan.io.rundir import latest_file, numbered_files, read_config_json, write_json
from gamegan.io.stats import read_stats
from gamegan.nn.layers import ACTIVATIONS

__all__ = [
    "SWEEPS",
    "Setting",
    "Sweep",
    "SweepResult",
    "format_table",
    "get_sweep",
    "plot_losses",
    "run_sweep",
    "summarize_run",
]

EXPERIMENT_FILE = "experiment.json"
RESULTS_JSON = "results.json"
RESULTS_MD = "results.md"
LOSSES_PNG = "losses.png"
EVAL_SEED = 0  # one seed for every setting: the same latents and real sets for all
FINAL_FRACTION = 0.1  # final losses: mean over the last 10% of logged iterations
SMOOTH_POINTS = 5  # moving-average window of the loss plot, in logged points
LINESTYLES = ("-", "--", "-.", ":")


@dataclass(frozen=True)
class Setting:
    """One point of a sweep: a folder name and the ``--set`` overrides that make it."""

    name: str
    overrides: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sweep:
    """A named list of settings, all trained from the same preset."""

    name: str
    description: str
    settings: tuple[Setting, ...]


# The optimizers of section 1.5, each at a learning rate that suits it. SGD, SGD+Nesterov,
# AdaGrad, AdaDelta and RMSprop use the Keras 2 defaults (the chapter's framework; for AdaGrad
# and AdaDelta also PyTorch's rates): lr 0.01, 0.01, 0.01, 1.0 (rho 0.95) and 1e-3 (rho 0.9).
# The Adam family (Adam, AdaMax, Nadam, AMSGrad) all use the DCGAN paper's Adam(2e-4, beta1=0.5),
# which is what the chapter's DCGAN and gamegan's presets use: Keras' Adam default (1e-3,
# beta1=0.9) makes DCGAN training oscillate (Radford et al. 2016, arXiv:1511.06434, section 4),
# and one lr and one beta pair for all four leaves only their update rule different.
_ADAM_FAMILY = ("optim.lr=2e-4", "optim.beta1=0.5", "optim.beta2=0.999")
OPTIMIZER_OVERRIDES: dict[str, tuple[str, ...]] = {
    "sgd": ("optim.lr=0.01", "optim.momentum=0.0"),
    "sgd-nesterov": ("optim.lr=0.01", "optim.momentum=0.9"),
    "adagrad": ("optim.lr=0.01",),
    "adadelta": ("optim.lr=1.0", "optim.rho=0.95"),
    "rmsprop": ("optim.lr=1e-3", "optim.rho=0.9", "optim.momentum=0.0"),
    "adam": _ADAM_FAMILY,
    "adamax": _ADAM_FAMILY,
    "nadam": _ADAM_FAMILY,
    "amsgrad": _ADAM_FAMILY,
}
assert set(OPTIMIZER_OVERRIDES) == set(OPTIMIZERS)

SWEEPS: dict[str, Sweep] = {
    "optimizers": Sweep(
        "optimizers",
        "the nine optimizers of the chapter, each at its usual learning rate (both G and D)",
        tuple(
            Setting(name, (f"optim.name={name}", *OPTIMIZER_OVERRIDES[name])) for name in OPTIMIZERS
        ),
    ),
    "critics": Sweep(
        "critics",
        "critic (D) steps per generator step; meant for a WGAN preset",
        tuple(Setting(f"n_critic-{n}", (f"train.n_critic={n}",)) for n in (1, 2, 5, 10)),
    ),
    "bn-momentum": Sweep(
        "bn-momentum",
        "BatchNorm momentum in Keras' convention (running = m * running + (1 - m) * batch)",
        tuple(
            Setting(f"bn_momentum-{m}", (f"model.bn_momentum={m}",)) for m in (0.5, 0.8, 0.9, 0.99)
        ),
    ),
    "activations": Sweep(
        "activations",
        "one activation for both G and D, and the preset's own pair as 'chapter'",
        (
            Setting("chapter", ()),
            *(
                Setting(name, (f"model.g_activation={name}", f"model.d_activation={name}"))
                for name in ACTIVATIONS
            ),
        ),
    ),
}


@dataclass
class SweepResult:
    """What :func:`run_sweep` made: the folder, one row per setting and the table."""

    out: Path
    rows: list[dict[str, Any]]
    table: str
    plot: Path | None
    interrupted: bool = False
    skipped: list[str] = field(default_factory=list)


def get_sweep(name: str) -> Sweep:
    """The built-in sweep ``name``; unknown names list the choices.

    Parameters
    ----------
    name : str
        ``optimizers``, ``critics``, ``bn-momentum`` or ``activations``.

    Returns
    -------
    Sweep
        Its settings.

    Raises
    ------
    ConfigError
        If there is no such sweep.
    """
    try:
        return SWEEPS[name]
    except KeyError:
        raise ConfigError(f"unknown sweep {name!r}; choose one of: {', '.join(SWEEPS)}") from None


def _select(sweep: Sweep, only: str | Iterable[str] | None) -> tuple[Setting, ...]:
    if only is None:
        return sweep.settings
    names = only.split(",") if isinstance(only, str) else list(only)
    names = [n.strip() for n in names if n.strip()]
    known = {s.name: s for s in sweep.settings}
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise ConfigError(
            f"--only {','.join(unknown) or '(empty)'}: not a setting of sweep {sweep.name!r}; "
            f"choose from {', '.join(known)}"
        )
    return tuple(s for s in sweep.settings if s.name in names)


def _keys(overrides: Iterable[str]) -> set[str]:
    """The config keys a list of overrides sets; ``optim.x`` counts as both optimizers'."""
    keys = set()
    for item in overrides:
        key = item.split("=", 1)[0].strip()
        if key.startswith("optim."):
            name = key[len("optim.") :]
            keys |= {f"optim_d.{name}", f"optim_g.{name}"}
        else:
            keys.add(key)
    return keys


def _differences(a: Any, b: Any, prefix: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        found = []
        for key in sorted(set(a) | set(b)):
            found += _differences(a.get(key), b.get(key), f"{prefix}{key}.")
        return found
    return [] if a == b else [prefix.rstrip(".")]


# final numbers of one run


def _finite(value: Any) -> float | None:
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


def summarize_run(run_dir: str | Path) -> dict[str, Any]:
    """Final losses, speed and divergence of a run, from its ``stats.jsonl``.

    Parameters
    ----------
    run_dir : str or Path
        A run folder made by ``gamegan train``.

    Returns
    -------
    dict
        ``iteration`` (last logged), ``loss_d`` and ``loss_g`` (means over the last 10% of
        the logged iterations, at least one line), ``seconds_per_iteration`` (median over all
        logged lines) and ``diverged``: None, or a message naming the first non-finite loss.
        Values are None when the run logged nothing.
    """
    stats = read_stats(run_dir)
    summary: dict[str, Any] = {
        "iteration": stats[-1]["iteration"] if stats else 0,
        "loss_d": None,
        "loss_g": None,
        "seconds_per_iteration": None,
        "diverged": None,
    }
    if not stats:
        return summary
    for line in stats:
        for key in ("Loss/D", "Loss/G"):
            if key in line and _finite(line[key]) is None:
                summary["diverged"] = f"{key} is {line[key]} at iteration {line['iteration']}"
                break
        if summary["diverged"]:
            break
    tail = stats[-max(1, math.ceil(len(stats) * FINAL_FRACTION)) :]
    for key, name in (("Loss/D", "loss_d"), ("Loss/G", "loss_g")):
        values = [line[key] for line in tail if key in line]
        if values:
            summary[name] = _finite(sum(values) / len(values))
    timings = [line["Timing/sec_per_iter"] for line in stats if "Timing/sec_per_iter" in line]
    if timings:
        # The median: one paused or swapped-out stretch must not stand for the whole run.
        summary["seconds_per_iteration"] = statistics.median(timings)
    return summary


def _cached_metrics(run_dir: Path, n: int) -> list[dict] | None:
    """The newest evaluation of the newest snapshot at this size and seed, if there is one."""
    path = run_dir / "metrics.jsonl"
    if not path.is_file():
        return None
    try:
        snapshot = latest_file(run_dir, "snapshot").name
        records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    except (ValueError, OSError):
        return None
    for record in reversed(records):
        if (
            record.get("snapshot") == snapshot
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
        return _finite(value)
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
    swept = set().union(*(_keys(s.overrides) for s in settings)) if settings else set()
    clash = [item for item in overrides if _keys([item]) & swept]
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
    settings = _select(sweep, only)
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


def _metric_columns(rows: list[dict]) -> list[str]:
    """Metric names for the table: every one but per-level SWD and the classifier's accuracy."""
    names: list[str] = []
    for row in rows:
        for m in row.get("metrics") or []:
            name = m["metric"]
            if name in names or re.fullmatch(r"swd/\d+", name) or name.endswith("/accuracy"):
                continue
            names.append(name)
    return names


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value + 0.0:.{digits}g}"  # + 0.0 turns -0.0 into 0
    return str(value)


def format_table(rows: list[dict[str, Any]]) -> str:
    """The rows of :func:`run_sweep` as a markdown table, errors listed below it.

    Parameters
    ----------
    rows : list of dict
        As in ``results.json``.

    Returns
    -------
    str
        One line per setting; a last "real vs real" line holds the metrics' baselines (what
        real data scores against itself: the best a generator can hope for).
    """
    metrics = _metric_columns(rows)
    header = ["setting", "status", "iter", "D loss", "G loss", "s/iter"]
    header += [m.removeprefix("classifier/") for m in metrics]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    baselines: dict[str, Any] = {}
    for row in rows:
        values = {m["metric"]: m for m in row.get("metrics") or []}
        for name, m in values.items():
            baselines.setdefault(name, m.get("baseline"))
        cells = [
            row["setting"],
            row["status"],
            str(row.get("iteration", "-")),
            _fmt(row.get("loss_d")),
            _fmt(row.get("loss_g")),
            _fmt(row.get("seconds_per_iteration"), 3),
        ]
        cells += [_fmt(values[m]["value"]) if m in values else "-" for m in metrics]
        lines.append("| " + " | ".join(cells) + " |")
    if metrics:
        cells = ["real vs real", "", "", "", "", ""] + [_fmt(baselines.get(m)) for m in metrics]
        lines.append("| " + " | ".join(cells) + " |")
    errors = [f"- {row['setting']}: {row['error']}" for row in rows if row.get("error")]
    if errors:
        lines += ["", *errors]
    return "\n".join(lines)


def _smooth(values: list[float], window: int) -> list[float]:
    """Trailing moving average; the first points average what there is so far."""
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def plot_losses(
    runs: dict[str, Path],
    path: str | Path,
    *,
    title: str = "",
    smooth: int = SMOOTH_POINTS,
) -> Path:
    """Plot D and G loss over iterations, one curve per run, in two panels, as a PNG.

    Parameters
    ----------
    runs : dict of str to Path
        Label -> run folder.
    path : str or Path
        The PNG to write.
    title : str
        Figure title; the smoothing is added to it.
    smooth : int
        Moving-average window in logged points (1 = raw). A curve stops at its first
        non-finite value and such a run is labelled "diverged".

    Returns
    -------
    Path
        ``path``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    fig = Figure(figsize=(12, 4.8), layout="constrained")
    FigureCanvasAgg(fig)  # draw with Agg, without touching pyplot's global backend
    axes = fig.subplots(1, 2)
    every = None
    for i, (label, run_dir) in enumerate(runs.items()):
        stats = read_stats(run_dir)
        if len(stats) > 1:
            every = every or stats[1]["iteration"] - stats[0]["iteration"]
        for ax, key in zip(axes, ("Loss/D", "Loss/G"), strict=True):
            points = [(s["iteration"], s[key]) for s in stats if key in s]
            finite = []
            for it, value in points:
                if _finite(value) is None:
                    break
                finite.append((it, value))
            name = label if len(finite) == len(points) else f"{label} (diverged)"
            if not finite:
                continue
            xs, ys = zip(*finite, strict=True)
            ax.plot(
                xs,
                _smooth(list(ys), max(1, smooth)),
                label=name,
                color=f"C{i % 10}",
                linestyle=LINESTYLES[i % len(LINESTYLES)],  # curves that coincide stay visible
                lw=1.4,
            )
    for ax, name in zip(axes, ("discriminator (critic) loss", "generator loss"), strict=True):
        ax.set_title(name)
        ax.set_xlabel("iteration")
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize="small", loc="best")
    span = f" = {smooth * every} iterations" if every and smooth > 1 else ""
    note = f"moving average over {smooth} logged points{span}" if smooth > 1 else "raw"
    fig.suptitle(f"{title} ({note})" if title else note)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path
