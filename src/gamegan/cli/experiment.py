"""``gamegan experiment``: the chapter's comparison sweeps over one setting at a time."""

from __future__ import annotations

import inspect
from pathlib import Path

import typer

EXAMPLES = """
Examples:

  gamegan experiment optimizers dcgan-mnist --data-dir ~/mnist --iterations 300

  gamegan experiment critics wgan-mnist --data-dir ~/mnist --iterations 100

  gamegan experiment activations dcgan-mnist --only chapter,elu,selu --eval-count 0

Re-running a command skips finished settings and resumes unfinished ones. See
docs/exercises.md for what each sweep sets and for measured results.
"""


def experiment(
    sweep: str = typer.Argument(..., help="optimizers, critics, bn-momentum or activations."),
    preset: str = typer.Argument(..., help="Preset every setting starts from."),
    iterations: int = typer.Option(
        None, min=1, help="Iterations per setting [default: the preset's]."
    ),
    out: Path = typer.Option(
        None, help="Sweep folder [default: runs/experiment-SWEEP-PRESET]; one run per setting."
    ),
    data: str = typer.Option(
        None, help="mnist, cifar100, brick, grass, gravel, ihc, hubble, texture:PATH or a folder."
    ),
    data_dir: Path = typer.Option(
        None, help="Folder with MNIST/CIFAR-100 files [default: $GAMEGAN_DATA or ./data]."
    ),
    set_: list[str] = typer.Option(
        None, "--set", help="Override a config key for every setting (repeatable)."
    ),
    only: str = typer.Option(
        None, help="Comma-separated settings to run, e.g. --only sgd,adam [default: all]."
    ),
    eval_count: int = typer.Option(
        500, min=0, help="Images per set for the `gamegan eval` metrics; 0 skips them."
    ),
    seed: int = typer.Option(None, help="Training seed, the same for every setting."),
    device: str = typer.Option(None, help="auto, cpu or cuda[:N]."),
    progress: bool = typer.Option(
        None, "--progress/--no-progress", help="Progress bar [default: on a terminal]."
    ),
) -> None:
    """Train one run per setting of a sweep; plot the losses and tabulate the results.

    Sweeps: optimizers (the 9 optimizers, each at its usual learning rate), critics
    (train.n_critic 1, 2, 5, 10), bn-momentum (model.bn_momentum 0.5, 0.8, 0.9, 0.99, Keras
    convention), activations (each activation for G and D, plus the preset's own pair as
    'chapter'). Each setting is an ordinary run folder OUT/SETTING/. The sweep writes
    OUT/experiment.json, OUT/losses.png, OUT/results.md and OUT/results.json, and prints the
    table.
    """
    from gamegan.experiment import run_sweep

    result = run_sweep(
        sweep,
        preset,
        out=out,
        only=only,
        overrides=set_ or (),
        iterations=iterations,
        data=data,
        data_dir=data_dir,
        seed=seed,
        device=device,
        eval_count=eval_count,
        progress=progress,
        log=lambda line: typer.echo(line, err=True),
    )
    typer.echo(result.table)
    made = ["results.md", "results.json"] + (["losses.png"] if result.plot else [])
    typer.echo(f"wrote {', '.join(made)} in {result.out}", err=True)
    if result.interrupted:  # the log already said how to continue
        raise typer.Exit(130)


# cleandoc first: the docstring is indented, the examples are not.
experiment.__doc__ = inspect.cleandoc(experiment.__doc__ or "") + "\n" + EXAMPLES


def register(app: typer.Typer) -> None:
    """Add ``gamegan experiment`` to the app."""
    app.command()(experiment)
