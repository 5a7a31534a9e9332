"""``gamegan export``: a snapshot's generator as one ONNX file for game engines and runtimes."""

from __future__ import annotations

import inspect
from pathlib import Path

import typer

EXAMPLES = """
Examples:

  gamegan export brick --onnx brick.onnx

  gamegan export runs/00005-texture --onnx wall.onnx --no-tileable

  gamegan export runs/00003-dcgan-mnist --onnx digits.onnx --no-check
"""


def export(
    source: str = typer.Argument(
        ...,
        help="A run folder (its best, else newest snapshot), a snapshot file, or a bundled "
        "model (brick, grass, gravel, ihc, hubble, terrain, chorale).",
    ),
    onnx: Path = typer.Option(
        ..., "--onnx", metavar="OUT.onnx", help="The ONNX file to write (one file, weights inside)."
    ),
    tileable: bool = typer.Option(
        True,
        "--tileable/--no-tileable",
        help="Textures: bake in seamless wrapping at the borders (circular padding).",
    ),
    check: bool = typer.Option(
        True,
        "--check/--no-check",
        help="Compare onnxruntime with PyTorch on several sizes before writing the file.",
    ),
    opset: int = typer.Option(
        None, help="ONNX opset [default: the exporter's]; tileable textures need 19 or newer."
    ),
    reverse: bool = typer.Option(
        False, "--reverse", help="Two-way image-to-image models (CycleGAN): export B to A."
    ),
) -> None:
    """Export a generator to ONNX: images, textures of any size, or piano rolls.

    Texture models take a latent field z [batch, C, h, w] and give a [batch, C, 16h, 16w]
    texture in [-1, 1], for any field size. The file's metadata spells out how to draw z
    and read the output; docs/engines.md feeds it from onnxruntime, Unity and Godot.
    """
    from gamegan.export.onnx import export_onnx

    report = export_onnx(source, onnx, tileable=tileable, opset=opset, check=check, reverse=reverse)
    for line in report.lines():
        typer.echo(line)


# cleandoc: the docstring's indentation must not survive next to the flush-left examples.
export.__doc__ = inspect.cleandoc(export.__doc__ or "") + "\n" + EXAMPLES


def register(app: typer.Typer) -> None:
    app.command()(export)
