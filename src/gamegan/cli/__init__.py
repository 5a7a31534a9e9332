"""The ``gamegan`` command. Each sub-command lives in its own module of this package."""

from __future__ import annotations

import sys

import typer

from gamegan.errors import GameganError

app = typer.Typer(
    name="gamegan",
    help="Game content with GANs: the 'GANs in games' chapter, rebuilt on PyTorch.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},  # sub-commands inherit it
)


def _print_version(value: bool) -> None:
    if value:
        from gamegan import __version__

        typer.echo(f"gamegan {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(
        False, "--version", is_eager=True, callback=_print_version, help="Print the version."
    ),
) -> None:
    pass


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one ``error:`` line on stderr and return the exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _register() -> None:
    from gamegan.cli import data, evaluate, export, generate, train

    train.register(app)
    generate.register(app)
    export.register(app)
    app.add_typer(data.app, name="data")
    evaluate.register(app)
    from gamegan.cli import experiment

    experiment.register(app)
    from gamegan.cli import webapp

    webapp.register(app)


_register()


def main() -> None:
    """Entry point: user errors become one line and exit code 2, never a traceback."""
    try:
        app()
    except GameganError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(2)
