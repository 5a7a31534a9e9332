"""The ``gamegan`` command. Each sub-command lives in its own module of this package."""

from __future__ import annotations

import sys

import typer

from gamegan.errors import GameganError

app = typer.Typer(
    name="gamegan",
    help="Game content with GANs: the 'GANs in games' chapter, rebuilt on PyTorch.",
    no_args_is_help=True,
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
    """Entry point: user errors become one line and exit code 2, never a traceback.

    Anything else is a bug: the last-resort handler prints one ``gamegan: internal error``
    line naming a log file that holds the traceback, and exits 1. KeyboardInterrupt and
    SystemExit pass through untouched.
    """
    try:
        app()
    except GameganError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(2)
    except Exception as err:
        typer.echo(internal_error_line(err), err=True)
        sys.exit(1)


def internal_error_line(err: BaseException) -> str:
    """Write ``err``'s traceback to a crash log and return the one line that names it."""
    message = " ".join(str(err).split())  # one line, however the message was laid out
    if len(message) > 300:
        message = message[:297] + "..."
    what = f"{type(err).__name__}: {message}" if message else type(err).__name__
    where = write_crash_log(err)
    if where is None:
        return f"gamegan: internal error: {what}; the traceback could not be written anywhere"
    path, place = where
    return f"gamegan: internal error: {what}; the traceback is in {path} ({place})"


def write_crash_log(err: BaseException) -> tuple[str, str] | None:
    """Write the traceback of ``err``; returns ``(path, which place)`` or None.

    The run folder this process was training in comes first, then the user's cache folder
    (``$XDG_CACHE_HOME/gamegan`` or ``~/.cache/gamegan``), then the system's temp folder.
    """
    import os
    import tempfile
    import time
    import traceback

    from gamegan import __version__
    from gamegan.io import rundir

    text = (
        f"gamegan {__version__}, python {sys.version.split()[0]}, {sys.platform}\n"
        f"command: {' '.join(sys.argv)}\n\n"
        + "".join(traceback.format_exception(type(err), err, err.__traceback__))
    )
    name = f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    places = [
        (os.path.join(cache, "gamegan"), "user cache folder"),
        (tempfile.gettempdir(), "temp folder"),
    ]
    if rundir.last_locked_run_dir is not None:
        places.insert(0, (str(rundir.last_locked_run_dir), "run folder"))
    for folder, place in places:
        try:
            os.makedirs(folder, exist_ok=True)
            path = os.path.join(folder, name)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            return path, place
        except OSError:
            continue
    return None
