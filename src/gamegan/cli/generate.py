"""``gamegan generate``: images, or seamless textures with heightmaps, from a snapshot."""

from __future__ import annotations

from pathlib import Path

import typer

from gamegan.cli import fail

EXAMPLES = """
Examples:

  gamegan generate runs/00003-dcgan-mnist --count 25 --seed 7 --out digits.png

  gamegan generate brick --size 2048x1024 --tileable --heightmap --out wall.png

  gamegan generate runs/00005-texture --size 1025x1025 --heightmap --count 4 --out ground.png
"""


def generate(
    source: str = typer.Argument(
        ..., help="A run folder (newest snapshot), a snapshot file, or brick / grass / gravel."
    ),
    count: int = typer.Option(
        None, min=1, max=10000, help="How many images [default: 25, or 1 texture]."
    ),
    seed: int = typer.Option(0, min=0, help="First seed; image i uses seed + i."),
    out: Path = typer.Option(
        None,
        help="A .png file (a grid of images, or the texture); any other path is a folder "
        "of PNGs [default: samples.png or texture.png].",
    ),
    size: str = typer.Option(
        "1024x1024", help="Textures: WIDTHxHEIGHT in pixels (2^n+1 sizes suit terrains)."
    ),
    tileable: bool = typer.Option(
        True, "--tileable/--no-tileable", help="Textures: wrap seamlessly at the borders."
    ),
    heightmap: bool = typer.Option(
        False,
        "--heightmap",
        help="Textures: also write a 16-bit heightmap (PNG and RAW) and a normal map.",
    ),
    normal_strength: float = typer.Option(
        4.0, min=0.0, help="Textures: pixels of relief for a height of 1 in the normal map."
    ),
    preview: bool = typer.Option(
        True, "--preview/--no-preview", help="Textures: write a 2x2 tiled preview."
    ),
    device: str = typer.Option("cpu", help="auto, cpu or cuda[:N]."),
) -> None:
    """Generate images, or textures of any size; the same seed always gives the same result."""
    from gamegan import generate as gen

    loaded = gen.load_generator(source, device=device)
    if loaded.metadata.get("kind") == "texture_gan":
        _textures(
            loaded,
            count or 1,
            seed,
            out or Path("texture.png"),
            size,
            tileable,
            heightmap,
            normal_strength,
            preview,
        )
    else:
        _images(loaded, count or 25, seed, out or Path("samples.png"))


generate.__doc__ = (generate.__doc__ or "") + "\n" + EXAMPLES


def _images(loaded, count: int, seed: int, out: Path) -> None:
    import math

    from gamegan import generate as gen
    from gamegan.io.png import make_grid, write_png

    pictures = gen.images(loaded, n=count, seed=seed)  # [N, H, W, C]
    seeds = f"seeds {seed}-{seed + count - 1}"
    if out.suffix.lower() == ".png":
        cols = math.ceil(math.sqrt(count))
        rows = math.ceil(count / cols)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_png(out, make_grid(pictures, rows, cols))
        typer.echo(f"wrote a {rows}x{cols} grid of {count} images ({seeds}) to {out}")
        return
    if out.exists() and not out.is_dir():
        raise fail(f"--out {out}: exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    for i, picture in enumerate(pictures):
        picture = picture[..., 0] if picture.shape[-1] == 1 else picture
        write_png(out / f"seed{seed + i:06d}.png", picture)
    typer.echo(f"wrote {count} images ({seeds}) to {out}/")


def _textures(loaded, count, seed, out, size, tileable, heightmap, strength, preview) -> None:
    import time

    import numpy as np

    from gamegan import generate as gen
    from gamegan.io.png import write_png
    from gamegan.io.terrain import luminance, normal_map, to_uint16, write_raw
    from gamegan.metrics.tiling import edge_error, interior_seam_scores, seam_score, tile_2x2

    width, height = gen.parse_size(size)
    if out.suffix.lower() != ".png":
        raise fail(f"--out {out}: textures are written as PNG; give a name ending in .png")
    out.parent.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        start = time.perf_counter()
        image = gen.texture(loaded, width=width, height=height, tileable=tileable, seed=seed + i)
        seconds = time.perf_counter() - start
        base = out.with_suffix("") if count == 1 else out.with_name(f"{out.stem}-{seed + i:06d}")
        pixels = gen.quantize(image)
        written = [base.with_suffix(".png")]
        write_png(written[0], pixels)
        if preview:
            written.append(base.with_name(base.name + "-tiled.png"))
            write_png(written[-1], tile_2x2(pixels))
        if heightmap:
            height_field = luminance(image)
            samples = to_uint16(height_field)
            written.append(base.with_name(base.name + "-height.png"))
            write_png(written[-1], samples)
            written.append(base.with_name(base.name + "-height.raw"))
            write_raw(written[-1], samples)
            written.append(base.with_name(base.name + "-normal.png"))
            write_png(written[-1], normal_map(height_field, strength=strength, wrap=tileable))
        gray = luminance(np.asarray(pixels, dtype=np.float32))
        interior = interior_seam_scores(gray)
        typer.echo(
            f"seed {seed + i}: {width}x{height} in {seconds:.2f} s; edge error "
            f"{edge_error(gray):.2f}, seam score {seam_score(gray):.2f} (interior lines of "
            f"this texture: {interior.min():.2f}-{interior.max():.2f})"
        )
        for path in written:
            typer.echo(f"  wrote {path}")


def register(app: typer.Typer) -> None:
    app.command()(generate)
