"""``gamegan generate``: images from a run folder or snapshot file."""

from __future__ import annotations

from pathlib import Path

import typer

from gamegan.cli import fail


def generate(
    source: Path = typer.Argument(..., help="A run folder (newest snapshot) or a snapshot file."),
    count: int = typer.Option(25, min=1, max=10000, help="How many images."),
    seed: int = typer.Option(0, min=0, help="First seed; image i uses seed + i."),
    out: Path = typer.Option(
        Path("samples.png"), help="A .png file gets a grid; any other path is a folder of PNGs."
    ),
    device: str = typer.Option("cpu", help="auto, cpu or cuda[:N]."),
) -> None:
    """Generate images; the same seed always gives the same image."""
    import math

    from gamegan import generate as gen
    from gamegan.io.png import make_grid, write_png

    pictures = gen.images(source, n=count, seed=seed, device=device)  # [N, H, W, C]
    if out.suffix.lower() == ".png":
        cols = math.ceil(math.sqrt(count))
        rows = math.ceil(count / cols)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_png(out, make_grid(pictures, rows, cols))
        typer.echo(
            f"wrote a {rows}x{cols} grid of {count} images "
            f"(seeds {seed}-{seed + count - 1}) to {out}"
        )
        return
    if out.exists() and not out.is_dir():
        raise fail(f"--out {out}: exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    for i, picture in enumerate(pictures):
        write_png(
            out / f"seed{seed + i:06d}.png",
            picture.squeeze(-1) if picture.shape[-1] == 1 else picture,
        )
    typer.echo(f"wrote {count} images (seeds {seed}-{seed + count - 1}) to {out}/")


def register(app: typer.Typer) -> None:
    app.command()(generate)
