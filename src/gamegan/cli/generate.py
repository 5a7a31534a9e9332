"""``gamegan generate``: images, or seamless textures with heightmaps, from a snapshot."""

from __future__ import annotations

import errno
import sys
from pathlib import Path

import typer

from gamegan.cli import fail

EXAMPLES = """
Examples:

  gamegan generate runs/00003-dcgan-mnist --count 25 --seed 7 --out digits.png

  gamegan generate brick --size 2048x1024 --tileable --heightmap --out wall.png

  gamegan generate runs/00005-texture --size 1025x1025 --heightmap --count 4 --out ground.png

  gamegan generate chorale --bars 16 --seed 3 --out song.mid --wav

  gamegan generate runs/00007-note-lstm --steps 500 --temperature 0.9 --top-k 8 --out song.mid

  gamegan generate runs/00008-pix2pix-sketch --input my_sketch.png --out wall.png
"""


def generate(
    source: str = typer.Argument(
        ...,
        help="A run folder (its best, else newest snapshot), a snapshot file, or a bundled "
        "model: brick, grass, gravel (gray textures), ihc, hubble (colour textures), terrain "
        "(heightmaps), chorale, chorale-lstm, chorale-vae (music).",
    ),
    count: int = typer.Option(
        None, min=1, max=10000, help="How many images [default: 25, or 1 texture or song]."
    ),
    seed: int = typer.Option(0, min=0, help="First seed; image (or song) i uses seed + i."),
    classes: str = typer.Option(
        None,
        "--class",
        help="Images from a conditional model (cgan presets): the class, by name or index; "
        "several, comma-separated, give one grid row each [default: drawn per image].",
    ),
    code: str = typer.Option(
        None,
        "--code",
        help="Images from an InfoGAN: NAME=VALUE[,VALUE...] sets one latent code "
        "(category=0-9, or c1, c2 trained in [-1, 1]); several values give one grid row "
        "each, the same seeds in every row [default: drawn per image].",
    ),
    input_path: Path = typer.Option(
        None,
        "--input",
        help="Image-to-image models (pix2pix): the input image (a sketch, label map or "
        "heightmap like the training inputs), or a folder of them; the output has its size.",
    ),
    reverse: bool = typer.Option(
        False, "--reverse", help="Two-way image-to-image models (CycleGAN): B to A."
    ),
    out: Path = typer.Option(
        None,
        help="A .png file (a grid of images, or the texture), a .mid file for music; any "
        "other path is a folder of PNGs [default: samples.png, texture.png or song.mid].",
    ),
    size: str = typer.Option(
        None,
        help="Textures: WIDTHxHEIGHT in pixels (2^n+1 sizes suit terrains) [default: "
        "1024x1024, or 256x256 each for --variations].",
    ),
    tileable: bool = typer.Option(
        True,
        "--tileable/--no-tileable",
        help="Textures, and image-to-image outputs (whose input should tile too): wrap "
        "seamlessly at the borders. --no-tileable cuts a texture from a larger seamless one.",
    ),
    heightmap: bool = typer.Option(
        False,
        "--heightmap",
        help="Textures: also write a 16-bit heightmap (PNG and RAW) and a normal map.",
    ),
    normal_strength: float = typer.Option(
        4.0, min=0.0, help="Textures: pixels of relief for a height of 1 in the normal map."
    ),
    normal_convention: str = typer.Option(
        "opengl",
        help="Textures: the normal map's convention: opengl (Y up: Unity, Godot, Blender) or "
        "directx (green flipped: Unreal).",
    ),
    pbr: bool = typer.Option(
        False,
        "--pbr",
        help="Textures: the material's other maps too: heightmap, normal map, ambient "
        "occlusion and roughness, and a lit preview of them together.",
    ),
    preview: bool = typer.Option(
        True, "--preview/--no-preview", help="Textures: write a 2x2 tiled preview."
    ),
    variations: int = typer.Option(
        None,
        min=1,
        max=100,
        help="Textures: instead of files to use, one contact sheet of N variants (seeds "
        "--seed .. --seed+N-1, each labelled) of --size each [default size: 256x256].",
    ),
    morph: tuple[int, int] = typer.Option(
        None,
        "--morph",
        metavar="SEED_A SEED_B",
        help="Textures: one seamless texture that changes from SEED_A's variant to "
        "SEED_B's across its width (tileable: A at the borders, B in the middle).",
    ),
    truncation: float = typer.Option(
        1.0,
        min=0.0,
        max=1.0,
        help="Textures: scale the variant's global vector towards the average (0-1; the "
        "truncation trick): below 1 fewer rare, failed variants, less variety.",
    ),
    bars: int = typer.Option(
        None, min=1, max=1000, help="Music: length in bars [default: 16 unless --steps]."
    ),
    steps: int = typer.Option(
        None,
        min=1,
        max=100000,
        help="Music: events to sample, split into pieces at end events (sequence models).",
    ),
    temperature: float = typer.Option(
        1.0, min=0.0, help="Music: sampling temperature (0 = greedy, the chapter's argmax)."
    ),
    top_k: int = typer.Option(0, min=0, help="Music: sample among the k likeliest (0 = all)."),
    wav: bool = typer.Option(
        False, "--wav", help="Music: also render a WAV with a General MIDI soundfont."
    ),
    tempo: float = typer.Option(
        None, help="Music: quarter notes per minute (20-400) [default: the model's]."
    ),
    program: str = typer.Option(
        None,
        help="Music: General MIDI program(s), one for all voices or one per voice, "
        "comma-separated (e.g. 0 piano, 19 church organ, 48 strings; 52,52,52,32).",
    ),
    loop: bool = typer.Option(
        False,
        "--loop",
        help="Music: a seamless loop of exactly --bars bars (MIDI loop markers; the audio's "
        "release tail folded into its start).",
    ),
    key: str = typer.Option(
        None, help="Music: transpose to this tonic (C, F#, Bb, ...) [default: as generated]."
    ),
    mode: str = typer.Option(
        None,
        help="Music: major or minor: a model conditioned on the mode (the bundled chorale "
        "and chorale-lstm) is told it, others draw pieces until one is in it [default: "
        "either].",
    ),
    primer: Path = typer.Option(
        None,
        help="Music: a MIDI or MusicXML theme for a sequence model to continue (the piece "
        "starts with it, in its key).",
    ),
    ogg: bool = typer.Option(
        False, "--ogg", help="Music: also write the audio as OGG Vorbis (what engines stream)."
    ),
    device: str = typer.Option("auto", help="auto (CUDA when present), cpu or cuda[:N]."),
    precision: str = typer.Option(
        "fp32",
        help="Textures: fp32, bf16 (convolutions in bfloat16: several times faster on CPUs "
        "with AMX or AVX-512 BF16 and on GPUs, pixels within about one 8-bit level), or auto "
        "(bf16 where the hardware runs it fast).",
    ),
    progress: bool = typer.Option(
        None,
        "--progress/--no-progress",
        help="Textures of 16 or more 512 px windows (2048x2048 and up): a progress bar "
        "[default: on a terminal].",
    ),
) -> None:
    """Generate images, textures of any size, or music; the same seed gives the same result."""
    from gamegan import generate as gen

    if out is not None and not out.parent.is_dir():
        raise fail(f"--out {out}: folder {out.parent} does not exist (gamegan does not make it)")
    from gamegan.config import PRECISIONS

    if precision not in PRECISIONS:
        raise fail(f"--precision must be fp32, bf16 or auto, got {precision!r}")
    if normal_convention not in gen.NORMAL_CONVENTIONS:
        raise fail(f"--normal-convention must be opengl or directx, got {normal_convention!r}")
    loaded = gen.load_generator(source, device=device)
    if precision != "fp32" and loaded.family.makes != "textures":
        raise fail("--precision applies to textures; this model makes fixed-size output")
    for flag, given in (("--class", classes), ("--code", code)):
        if given is not None and loaded.family.makes != "images":
            raise fail(f"{flag} applies to image models; this one makes {loaded.family.makes}")
    if classes is not None and code is not None:
        raise fail("give --class or --code, not both")
    makes_translations = loaded.family.makes == "translations"
    if makes_translations and input_path is None:
        raise fail("this model makes an image from an input image: give --input IMAGE_OR_FOLDER")
    if reverse and not makes_translations:
        raise fail("--reverse applies to two-way image-to-image models (CycleGAN)")
    if input_path is not None and not makes_translations:
        makes = loaded.family.makes
        raise fail(f"--input applies to image-to-image models; this one makes {makes}")
    texture_only = {
        "--variations": variations is not None,
        "--morph": morph is not None,
        "--truncation": truncation != 1.0,
    }
    for flag, given in texture_only.items():
        if given and loaded.family.makes != "textures":
            raise fail(f"{flag} applies to texture models; this one makes {loaded.family.makes}")
    if variations is not None and (morph is not None or count or heightmap or pbr):
        raise fail(
            "--variations makes one contact sheet: leave out --morph, --count, "
            "--heightmap and --pbr, then generate the chosen seed with them"
        )
    if morph is not None and (count or 1) > 1:
        raise fail("--morph makes one texture: leave out --count")
    try:
        if loaded.family.makes == "music":
            if bars is not None and steps is not None:
                raise fail("give --bars or --steps, not both")
            _music(
                loaded, count or 1, seed, out or Path("song.mid"), bars, steps, temperature,
                top_k, wav, ogg, tempo, _programs(program), loop, key, mode,
                primer,
            )  # fmt: skip
        elif makes_translations:
            _translations(loaded, input_path, out, tileable, reverse)
        elif variations is not None:
            _variations(
                loaded, variations, seed, out, size or "256x256", tileable, precision, truncation
            )
        elif loaded.family.makes == "textures":
            _textures(
                loaded,
                count or 1,
                seed if morph is None else morph[0],
                out or Path("texture.png"),
                size or "1024x1024",
                tileable,
                heightmap,
                normal_strength,
                normal_convention,
                pbr,
                preview,
                sys.stderr.isatty() if progress is None else progress,
                precision,
                morph[1] if morph else None,
                truncation,
            )
        else:
            rows = None
            if classes is not None:
                rows = [
                    (loaded.class_names[i], {"label": i})
                    for i in (loaded.class_index(c.strip()) for c in classes.split(","))
                ]  # every name checked before anything is generated
            elif code is not None:
                rows = _code_rows(loaded, code)
            _images(loaded, count, seed, out or Path("samples.png"), rows)
    except OSError as err:  # an unwritable folder, a full disk: one line, no traceback
        where = f"--out {out}" if out is not None else "the output file"
        if err.errno in (errno.ENOSPC, errno.EDQUOT):
            # Every file is written to a temp file and renamed, so the one being written is
            # gone and those written before it are whole.
            full = "no space left on the device; no half-written file was left"
            raise fail(f"{where}: {full}") from None
        raise fail(f"{where}: cannot write there ({err.strerror or err})") from None


generate.__doc__ = (generate.__doc__ or "") + "\n" + EXAMPLES


def _code_rows(loaded, text: str) -> list[tuple[str, dict]]:
    """``--code NAME=V1,V2``: one grid row per value, each checked before any is generated."""
    name, sep, values = text.partition("=")
    name = name.strip()
    try:
        numbers = [float(v) for v in values.split(",")] if sep else []
    except ValueError:
        numbers = []
    if not numbers:
        raise fail(f"--code {text}: give NAME=VALUE[,VALUE...], e.g. --code c1=-1,0,1")
    rows = [(f"{name}={v:g}", {"codes": {name: v}}) for v in numbers]
    for _, told in rows:
        loaded.checked_codes(told["codes"])
    return rows


def _images(loaded, count: int | None, seed: int, out: Path, rows: list | None) -> None:
    """A grid (``out`` a .png) or a folder of PNGs; with ``rows`` (a name and what the
    generator is told: a class, a code's value), ``count`` images of each, one grid row each,
    the same seeds in every row."""
    import math

    import numpy as np

    from gamegan import generate as gen
    from gamegan.io.png import make_grid, write_png
    from gamegan.io.rundir import slug

    if rows is None:
        count = count or 25
        rows_of = [("", gen.images(loaded, n=count, seed=seed))]  # [N, H, W, C]
    else:
        count = count or 8
        rows_of = [(name, gen.images(loaded, n=count, seed=seed, **told)) for name, told in rows]
    seeds = f"seeds {seed}-{seed + count - 1}"
    what = "" if rows is None else f" of {', '.join(name for name, _ in rows_of)}"
    total = count * len(rows_of)
    if out.suffix.lower() == ".png":
        if rows is None:
            cols = math.ceil(math.sqrt(count))
            rows = math.ceil(count / cols)
        else:
            rows, cols = len(rows_of), count
        write_png(out, make_grid(np.concatenate([p for _, p in rows_of]), rows, cols))
        typer.echo(f"wrote a {rows}x{cols} grid of {total} images{what} ({seeds}) to {out}")
        return
    if out.exists() and not out.is_dir():
        raise fail(f"--out {out}: exists and is not a folder")
    out.mkdir(exist_ok=True)  # a folder of PNGs, in a folder that must exist
    for name, pictures in rows_of:
        prefix = f"{slug(name, 'class')}-" if name else ""
        for i, picture in enumerate(pictures):
            picture = picture[..., 0] if picture.shape[-1] == 1 else picture
            write_png(out / f"{prefix}seed{seed + i:06d}.png", picture)
    typer.echo(f"wrote {total} images{what} ({seeds}) to {out}/")


def _translations(loaded, source: Path, out: Path | None, tileable: bool, reverse: bool) -> None:
    """One output per input image: ``out`` a .png for one input, a folder for a folder."""
    from gamegan import generate as gen
    from gamegan.data.image_folder import scan_files
    from gamegan.errors import DataError
    from gamegan.io.png import write_png

    if not source.exists():
        raise fail(f"--input {source}: no such file or folder")
    if source.is_dir():
        files, _ = scan_files(source)
        if not files:
            raise fail(f"--input {source}: no image files in the folder")
        out = out or Path("translated")
        if out.exists() and not out.is_dir():
            raise fail(f"--out {out}: exists and is not a folder")
        out.mkdir(exist_ok=True)
        targets = [(f, out / f.relative_to(source).with_suffix(".png")) for f in files]
    else:
        out = out or Path("translated.png")
        if out.suffix.lower() != ".png":
            raise fail(f"--out {out}: give a .png file for one input image")
        targets = [(source, out)]
    written = 0
    for path, target in targets:
        try:
            picture = gen.translate(loaded, path, tileable=tileable, reverse=reverse)
        except DataError as err:
            typer.echo(f"skipped {path}: {err}", err=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        write_png(target, picture[..., 0] if picture.shape[-1] == 1 else picture)
        written += 1
        h, w = picture.shape[:2]
        typer.echo(f"wrote {target} ({w}x{h}{', tileable' if tileable else ''}) from {path}")
    if not written:
        raise fail(f"--input {source}: no image could be read")


def _textures(
    loaded, count, seed, out, size, tileable, heightmap, strength, convention, pbr, preview,
    progress, precision, morph_to, truncation,
) -> None:  # fmt: skip
    import time

    import numpy as np

    from gamegan import generate as gen
    from gamegan.io.terrain import luminance
    from gamegan.metrics.tiling import edge_error, interior_seam_scores, seam_score

    width, height = gen.parse_size(size)
    if out.suffix.lower() != ".png":
        raise fail(f"--out {out}: textures are written as PNG; give a name ending in .png")
    terrain = gen.height_range_of(loaded)  # a terrain model's heights, or None
    for i in range(count):
        start = time.perf_counter()
        image = gen.texture(
            loaded,
            width=width,
            height=height,
            tileable=tileable,
            seed=seed + i,
            progress=progress,
            precision=precision,
            morph_to=morph_to,
            truncation=truncation,
        )
        seconds = time.perf_counter() - start
        base = out.with_suffix("") if count == 1 else out.with_name(f"{out.stem}-{seed + i:06d}")
        if terrain is not None:  # a terrain model: heights in, heights out
            files = gen.write_terrain_files(
                image,
                base,
                terrain,
                tileable=tileable,
                preview=preview,
                normal_strength=strength,
                normal_convention=convention,
                pbr=pbr,
            )
        else:
            files = gen.write_texture_files(
                image,
                base,
                tileable=tileable,
                preview=preview,
                heightmap=heightmap,
                normal_strength=strength,
                pbr=pbr,
                normal_convention=convention,
            )
        written = list(files.values())
        pixels = gen.quantize(image)
        gray = luminance(np.asarray(pixels, dtype=np.float32))
        interior = interior_seam_scores(gray)
        what = f"seed {seed + i}" if morph_to is None else f"seeds {seed} -> {morph_to}"
        typer.echo(
            f"{what}: {width}x{height} in {seconds:.2f} s; edge error "
            f"{edge_error(gray):.2f}, seam score {seam_score(gray):.2f} (interior lines of "
            f"this texture: {interior.min():.2f}-{interior.max():.2f})"
        )
        if terrain is not None:
            typer.echo(
                f"  heights {terrain[0]:g} to {terrain[1]:g} in the data's units "
                "(16-bit 0 to 65535; the .npy holds the heights themselves)"
            )
        for path in written:
            typer.echo(f"  wrote {path}")


def _variations(
    loaded, n: int, seed: int, out, size: str, tileable: bool, precision, truncation
) -> None:
    """``--variations N``: one contact sheet of N seeds, to choose one from."""
    from gamegan import generate as gen
    from gamegan.io.png import write_png

    width, height = gen.parse_size(size)
    target = out or Path("variations.png")
    if target.suffix.lower() != ".png":
        raise fail(f"--out {target}: the contact sheet is a PNG; end the name in .png")
    sheet = gen.variations(
        loaded,
        n,
        width=width,
        height=height,
        seed=seed,
        tileable=tileable,
        precision=precision,
        truncation=truncation,
    )
    write_png(target, sheet)
    typer.echo(
        f"wrote {target}: {n} variants of {width}x{height}, seeds {seed}-{seed + n - 1}; "
        "generate the one you like with --seed N"
    )


def _programs(text: str | None) -> list[int] | None:
    """``--program 52,52,52,32`` as a list of ints."""
    if text is None:
        return None
    try:
        return [int(item) for item in text.split(",")]
    except ValueError:
        raise fail(f"--program {text}: give General MIDI numbers 0-127, comma-separated") from None


def _music(
    loaded, count, seed, out, bars, steps, temperature, top_k, wav, ogg, tempo, programs, loop,
    key, mode, primer,
) -> None:  # fmt: skip
    import time

    from gamegan import generate as gen
    from gamegan.metrics.music_stats import repeated_note_ratio

    if out.suffix.lower() not in (".mid", ".midi"):
        raise fail(f"--out {out}: music is written as MIDI; give a name ending in .mid")
    if wav or ogg:
        from gamegan.io.audio import INSTALL_HINT, available_backends, find_soundfont

        # a missing synthesizer or soundfont fails before any music is made
        if not available_backends():
            raise fail(f"cannot write audio: {INSTALL_HINT}")
        find_soundfont()
    for i in range(count):
        start = time.perf_counter()
        scores = gen.music(
            loaded,
            seed=seed + i,
            n_bars=bars,
            n_steps=steps,
            temperature=temperature,
            top_k=top_k,
            tempo=tempo,
            programs=programs,
            loop=loop,
            key=key,
            mode=mode,
            primer=primer,
        )
        seconds = time.perf_counter() - start
        base = out.with_suffix("") if count == 1 else out.with_name(f"{out.stem}-{seed + i:06d}")
        if not scores:
            typer.echo(f"seed {seed + i}: the model closed the piece at once; nothing to write")
            continue
        typer.echo(f"seed {seed + i}: {len(scores)} piece(s) in {seconds:.2f} s")
        for j, score in enumerate(scores):
            stem = base if j == 0 else base.with_name(f"{base.name}-{j + 1}")
            written = gen.write_music_files(score, stem, wav=wav, ogg=ogg).values()
            typer.echo(
                f"  {score.n_bars} bars, {score.seconds:.1f} s, {score.n_notes} notes, "
                f"repeated-note ratio {repeated_note_ratio(score):.2f}"
            )
            for path in written:
                typer.echo(f"  wrote {path}")


def register(app: typer.Typer) -> None:
    app.command()(generate)
