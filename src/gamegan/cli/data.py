"""``gamegan data download|inspect``."""

from __future__ import annotations

import sys
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
    progress: bool = typer.Option(
        None, "--progress/--no-progress", help="Progress bars [default: on a terminal]."
    ),
) -> None:
    """Download a data set from its official source and verify its checksums."""
    from gamegan.data import resolve_data_dir
    from gamegan.data.download import download as fetch

    if name not in ("mnist", "cifar100"):
        raise fail(f"unknown data set {name!r}; choose mnist or cifar100")
    dest = resolve_data_dir(dir)
    show = sys.stderr.isatty() if progress is None else progress
    bars = DownloadBars() if show else None
    try:
        paths = fetch(name, dest, progress=bars)
    finally:
        if bars is not None:
            bars.close()
    for path in paths:
        typer.echo(f"ok  {path}")


class DownloadBars:
    """The downloader's progress callback as tqdm bars on stderr, one per file (as training's)."""

    def __init__(self) -> None:
        self.bar = None
        self.name: str | None = None

    def __call__(self, name: str, done: int, total: int | None) -> None:
        if name != self.name or self.bar is None or done < self.bar.n:  # a new file or a retry
            from tqdm import tqdm

            self.close()
            self.name = name
            self.bar = tqdm(
                total=total,
                desc=name,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                dynamic_ncols=True,
                file=sys.stderr,
            )
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


@app.command()
def inspect(
    path: str = typer.Argument(..., help="A folder, an image, or mnist / cifar100 / brick ..."),
    data_dir: Path = typer.Option(None, help="Folder with MNIST/CIFAR-100 files."),
) -> None:
    """Show what gamegan sees in PATH: count, sizes, modes, classes, skipped files."""
    from gamegan.data.inspect import inspect_path

    typer.echo(inspect_path(path, data_dir=data_dir))
