"""``gamegan app``: the local web page over the generation API.

The module is not called ``app.py``: importing ``gamegan.cli.app`` would bind the package
attribute ``gamegan.cli.app`` to this module, replacing the Typer ``app`` that ``main()`` runs.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import typer

from gamegan.cli import fail

EXAMPLES = """
Examples:

  gamegan app

  gamegan app runs/00003-dcgan-mnist runs/00005-texture runs/00007-note-lstm

  gamegan app --port 8080 --out app-files

  gamegan app runs/00009-pix2pix-sketch --inputs sketches/
"""

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve(
    run_dirs: list[Path] = typer.Argument(
        None,
        metavar="RUN_DIR",
        help="Run folders (best, else newest snapshot) or snapshot files to offer besides the "
        "bundled models; texture, music and image runs each go to their own tab.",
        show_default=False,
    ),
    host: str = typer.Option(
        "127.0.0.1", help="Address to listen on; 0.0.0.0 opens the page to your network."
    ),
    port: int = typer.Option(
        None, min=1, max=65535, help="Port [default: the first free one from 7860]."
    ),
    out: Path = typer.Option(
        None,
        help="Folder for every generated file (one subfolder per request); the page serves "
        "nothing outside it [default: a new temporary folder].",
    ),
    concurrency: int = typer.Option(
        1, min=1, max=16, help="Generations that run at once; the others wait in the queue."
    ),
    inputs: Path = typer.Option(
        None,
        help="A folder of input images for image-to-image runs (pix2pix, CycleGAN): the page "
        "offers them by name (it takes no uploads).",
    ),
) -> None:
    """Serve a local web page: textures with heightmaps, music, and image samples.

    The page runs on this machine only (127.0.0.1 unless --host says otherwise), makes no
    share link, sends no analytics and serves no file outside its output folder. Runs that
    are missing or unreadable stop the command before the server starts. Ctrl+C stops it.
    See docs/app.md.
    """
    import importlib.util

    if importlib.util.find_spec("gradio") is None:
        raise fail("the app needs Gradio: pip install 'gamegan[app]'")
    from gamegan.app.gradio_app import GameganApp
    from gamegan.errors import GameganError

    try:
        web = GameganApp.from_runs(run_dirs or [], out=out, concurrency=concurrency, inputs=inputs)
    except GameganError as err:
        raise fail(str(err)) from None
    if host not in LOOPBACK:
        typer.echo(
            f"warning: listening on {host}: anyone who can reach this machine can use the "
            "page and its CPU",
            err=True,
        )
    for tab in ("textures", "music", "images", "translations"):
        names = [label for label, _ in web.choices(tab)]
        typer.echo(f"{tab}: {', '.join(names) or '(none)'}")
    typer.echo(f"output folder: {web.outputs.root}")
    try:
        web.launch(host=host, port=port)
    except OSError as err:
        raise fail(f"cannot listen on {host}:{port or 'auto'} ({err})") from None


serve.__doc__ = inspect.cleandoc(serve.__doc__ or "") + "\n" + EXAMPLES


def register(app: typer.Typer) -> None:
    """Add ``gamegan app`` to the command line."""
    app.command("app")(serve)
