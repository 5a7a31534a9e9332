"""``gamegan eval``: quality metrics of a run's snapshot, next to a real-vs-real baseline."""

from __future__ import annotations

from pathlib import Path

import typer


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def format_table(rows: list[dict]) -> str:
    """Rows of :func:`gamegan.evaluate.evaluate_run` as an aligned text table.

    A ``quilting`` column (image quilting's value) is added when any row has one.
    """
    against = "corpus" if any(row.get("against") == "corpus" for row in rows) else "real-vs-real"
    has_quilting = any(row.get("quilting") is not None for row in rows)
    header = ("metric", "generated", against, "ratio") + (("quilting",) if has_quilting else ())
    lines = [header]
    for row in rows:
        value, base = row["value"], row["baseline"]
        ratio = "-" if base is None or value is None or base <= 0 else f"{value / base:.2f}"
        line = (row["metric"], _number(value), _number(base), ratio)
        lines.append(line + ((_number(row.get("quilting")),) if has_quilting else ()))
    width = max(len(line[0]) for line in lines)
    widths = (width, 10, 12, 6, 10)
    return "\n".join(
        "  ".join(
            f"{cell:<{widths[0]}}" if i == 0 else f"{cell:>{widths[i]}}"
            for i, cell in enumerate(line)
        ).rstrip()
        for line in lines
    )


def evaluate(
    run_dir: Path = typer.Argument(..., help="A run folder made by `gamegan train`."),
    count: int = typer.Option(
        None,
        min=2,
        help="Generated images, and real images in each comparison set; for music, "
        "generated pieces [default: 2000 images, or 50 pieces].",
    ),
    seed: int = typer.Option(0, min=0, help="First seed; image i uses seed + i."),
    metrics: str = typer.Option(
        "",
        help="Comma-separated subset of swd, color, classifier, tiling, heldout "
        "(default: all that apply).",
    ),
    device: str = typer.Option(
        "auto", help="auto (CUDA when present), cpu or cuda[:N] (runs the generator)."
    ),
    snapshot: Path = typer.Option(
        None,
        help="Evaluate this snapshot instead of the run's own (its best, else its newest), e.g. "
        "snapshot-001000.safetensors (a file name is looked up in RUN_DIR).",
    ),
) -> None:
    """Measure a run's snapshot (its best, else its newest) against its real data.

    Prints, per metric, the generated-vs-real value, the same metric between two disjoint
    real sets of the same size (the best a generator can hope for), and their ratio, and
    appends the result to RUN_DIR/metrics.jsonl. MNIST runs also get FID/KID in the
    features of a digit classifier that gamegan trains once and caches ($GAMEGAN_CACHE,
    default ~/.cache/gamegan). Music runs print statistics of generated pieces (pitch
    classes, rhythm, repeated notes, ...) beside the corpus's. Texture runs trained with
    --holdout are also compared with the held-out half of each photo, next to image quilting
    from the training half (a quilting column), and a picture goes to RUN_DIR/eval/. See
    docs/evaluation.md.

    Example: gamegan eval runs/00003-dcgan-mnist --count 2000
    """
    from gamegan.evaluate import evaluate_run

    rows = evaluate_run(
        run_dir,
        n=count,  # None: the run kind's default
        seed=seed,
        metrics=metrics.split(",") if metrics else None,
        device=device,
        log=lambda line: typer.echo(line, err=True),
        snapshot=snapshot,
    )
    typer.echo(format_table(rows))


def register(app: typer.Typer) -> None:
    """Add ``gamegan eval`` to the app."""
    app.command("eval")(evaluate)
