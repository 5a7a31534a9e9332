"""``gamegan data download|inspect``."""

from __future__ import annotations

from pathlib import Path

import typer

from gamegan.cli import fail

app = typer.Typer(help="Get and check training data.", no_args_is_help=True)


@app.command()
def download(
    name: str = typer.Argument(..., help="mnist or cifar100."),
    dir: Path = typer.Option(
        None, "--dir", help="Where to put the files [default: $GAMEGAN_DATA or ./data]."
    ),
) -> None:
    """Download a data set from its official source and verify its checksums."""
    from gamegan.data import resolve_data_dir
    from gamegan.data.download import download as fetch

    if name not in ("mnist", "cifar100"):
        raise fail(f"unknown data set {name!r}; choose mnist or cifar100")
    dest = resolve_data_dir(dir)
    paths = fetch(name, dest)
    for path in paths:
        typer.echo(f"ok  {path}")


@app.command()
def inspect(
    path: str = typer.Argument(..., help="A folder, an image, or mnist / cifar100 / brick ..."),
    data_dir: Path = typer.Option(None, help="Folder with MNIST/CIFAR-100 files."),
) -> None:
    """Show what gamegan sees in PATH: count, sizes, modes, classes, skipped files."""
    from gamegan.data.inspect import inspect_path

    typer.echo(inspect_path(path, data_dir=data_dir))
