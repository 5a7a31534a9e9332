"""What a sweep reports: each run's final numbers, the table and the loss plot."""

from __future__ import annotations

import math
import re
import statistics
from pathlib import Path
from typing import Any

from gamegan.io.stats import read_stats

FINAL_FRACTION = 0.1  # final losses: mean over the last 10% of logged iterations
SMOOTH_POINTS = 5  # moving-average window of the loss plot, in logged points
LINESTYLES = ("-", "--", "-.", ":")


def finite_or_none(value: Any) -> float | None:
    """``value`` as a float when it is a finite number, else None (JSON has no NaN)."""
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
            if key in line and finite_or_none(line[key]) is None:
                summary["diverged"] = f"{key} is {line[key]} at iteration {line['iteration']}"
                break
        if summary["diverged"]:
            break
    tail = stats[-max(1, math.ceil(len(stats) * FINAL_FRACTION)) :]
    for key, name in (("Loss/D", "loss_d"), ("Loss/G", "loss_g")):
        values = [line[key] for line in tail if key in line]
        if values:
            summary[name] = finite_or_none(sum(values) / len(values))
    timings = [line["Timing/sec_per_iter"] for line in stats if "Timing/sec_per_iter" in line]
    if timings:
        # The median: one paused or swapped-out stretch must not stand for the whole run.
        summary["seconds_per_iteration"] = statistics.median(timings)
    return summary


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
                if finite_or_none(value) is None:
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
