"""``gamegan train`` and ``gamegan presets``."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import typer

from gamegan.cli import fail
from gamegan.config import to_dict

EXAMPLES = """
Examples:

  gamegan train dcgan-mnist --data-dir ~/mnist --iterations 4000

  gamegan train wgan-forest --data-dir ~/cifar --set train.n_critic=3

  gamegan train dcgan-folder --data ./sprites --set model.bn_momentum=0.9 --dry-run

  gamegan train texture --data wall.png --holdout right   # then: gamegan eval RUN

  gamegan train --resume runs/00003-dcgan-mnist --iterations 8000

  torchrun --nproc_per_node=2 -m gamegan train dcgan-mnist --data-dir ~/mnist
"""


def train(
    preset: str = typer.Argument(None, help="Preset name (see `gamegan presets`)."),
    data: str = typer.Option(
        None, help="mnist, cifar100, brick, grass, gravel, ihc, hubble, texture:PATH or a folder."
    ),
    data_dir: Path = typer.Option(
        None, help="Folder with MNIST/CIFAR-100 files [default: $GAMEGAN_DATA or ./data]."
    ),
    out: Path = typer.Option(
        None, help="Run folder [default: next numbered folder in --runs-dir]."
    ),
    runs_dir: Path = typer.Option(Path("runs"), help="Where numbered run folders are made."),
    iterations: int = typer.Option(
        None, min=0, help="Total iterations (n_critic D steps + 1 G step each)."
    ),
    batch_size: int = typer.Option(None, min=1, help="Images per batch (split across processes)."),
    sample_every: int = typer.Option(
        None, min=0, help="Iterations between 5x5 sample grids; 0 = never."
    ),
    checkpoint_every: int = typer.Option(
        None, min=0, help="Iterations between checkpoints; 0 = at the end."
    ),
    seed: int = typer.Option(None, help="Seed for weights, data order and latents."),
    device: str = typer.Option(None, help="auto, cpu or cuda[:N]."),
    precision: str = typer.Option(
        None,
        help="fp32, bf16 (bfloat16 autocast), or auto: bf16 where the hardware runs it fast "
        "(CPU with AMX or AVX-512 BF16, CUDA compute capability 8+), else fp32.",
    ),
    threads: int = typer.Option(None, min=0, help="CPU threads for torch; 0 = torch's default."),
    metrics_every: int = typer.Option(
        None, min=0, help="Iterations between `gamegan eval` runs (metrics.jsonl); 0 = never."
    ),
    holdout: str = typer.Option(
        None,
        help="Texture photos: hold out this side (left, right, top or bottom) of each photo "
        "and train on the other half; `gamegan eval` then compares with the held-out half.",
    ),
    raw_size: str = typer.Option(
        None,
        help="Terrain: the WIDTHxHEIGHT of RAW heightmaps in --data (16-bit little-endian or "
        "32-bit float samples; RAW files have no header).",
    ),
    set_: list[str] = typer.Option(
        None, "--set", help="Override any config key: --set optim.lr=1e-4 (repeatable)."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Check and print the config; train nothing."
    ),
    resume: Path = typer.Option(None, help="Continue this run folder from its newest state."),
    progress: bool = typer.Option(
        None, "--progress/--no-progress", help="Progress bar [default: on a terminal]."
    ),
) -> None:
    """Train a model; for a GAN an iteration is n_critic D steps and one G step."""
    from gamegan.train.run import resume as resume_run
    from gamegan.train.run import train as train_run

    if resume is not None:
        extra = [
            name
            for name, value in (
                ("PRESET", preset),
                ("--data", data),
                ("--data-dir", data_dir),
                ("--out", out),
                ("--batch-size", batch_size),
                ("--seed", seed),
                ("--set", set_),
                ("--sample-every", sample_every),
                ("--checkpoint-every", checkpoint_every),
                ("--precision", precision),
                ("--metrics-every", metrics_every),
                ("--holdout", holdout),
                ("--raw-size", raw_size),
            )
            if value
        ]
        if extra:
            raise fail(f"--resume continues a run as it was; it does not take {', '.join(extra)}")
        if dry_run:
            raise fail("--dry-run cannot be combined with --resume")
        result = resume_run(
            resume, iterations=iterations, device=device, threads=threads, progress=progress
        )
    else:
        if not preset:
            raise fail("give a PRESET (see `gamegan presets`) or --resume RUN_DIR")
        result = train_run(
            preset,
            out=out,
            runs_dir=runs_dir,
            overrides=set_ or (),
            dry_run=dry_run,
            progress=progress,
            data=data,
            data_dir=data_dir,
            iterations=iterations,
            batch_size=batch_size,
            sample_every=sample_every,
            checkpoint_every=checkpoint_every,
            seed=seed,
            device=device,
            precision=precision,
            threads=threads,
            metrics_every=metrics_every,
            holdout=None if holdout is None else holdout.strip().lower(),
            raw_size=raw_size,
        )
        if dry_run:
            typer.echo(json.dumps(to_dict(result.config), indent=2))
            typer.echo(f"would create: {result.run_dir}")
            return
    if result.status == "interrupted":
        typer.echo(
            f"interrupted at iteration {result.iteration}; state saved. "
            f"Continue with: gamegan train --resume {result.run_dir}",
            err=True,
        )
        raise typer.Exit(128 + (result.signal or signal.SIGINT))  # 130 for Ctrl-C, 143 for TERM


train.__doc__ = (train.__doc__ or "") + "\n" + EXAMPLES


def presets() -> None:
    """List the presets: the chapter's programs and recipes for your own data."""
    from gamegan.presets import PRESETS

    width = max(len(name) for name in PRESETS)
    for name, preset in PRESETS.items():
        typer.echo(f"{name:<{width}}  {preset.description}")


def register(app: typer.Typer) -> None:
    app.command(epilog=None)(train)
    app.command()(presets)
