"""Textures of any size from a texture model: tileable, in windows of bounded memory, and
the files a game engine imports (texture, tiled preview, heightmap, normal map).
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import torch

from gamegan.config import PRECISIONS
from gamegan.errors import ConfigError
from gamegan.generate.snapshots import LoadedGenerator, load_generator
from gamegan.io.terrain import add_wrap_edge
from gamegan.nn.layers import memory_format_of
from gamegan.runtime import make_generator, resolve_precision


def parse_size(text: str) -> tuple[int, int]:
    """``"1024x512"`` -> (width, height); ``"1024"`` -> square. Errors name the flag.

    Parameters
    ----------
    text : str
        ``WIDTHxHEIGHT`` or one number.

    Returns
    -------
    tuple of int
        ``(width, height)``.
    """
    parts = text.lower().replace("*", "x").split("x")
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        numbers = []
    if len(numbers) == 1:
        numbers *= 2
    if len(numbers) != 2 or min(numbers) < 1:
        raise ConfigError(f"--size {text!r}: expected WIDTHxHEIGHT in pixels, e.g. 1024x512")
    if min(numbers) < MIN_TEXTURE_SIDE:
        # The seam scores printed for every texture need a few pixels on each side.
        raise ConfigError(f"--size {text!r}: at least {MIN_TEXTURE_SIDE} pixels per side")
    if max(numbers) > MAX_TEXTURE_SIDE:
        raise ConfigError(f"--size {text!r}: at most {MAX_TEXTURE_SIDE} pixels per side")
    return numbers[0], numbers[1]


MAX_TEXTURE_SIDE = 16384
MIN_TEXTURE_SIDE = 8
TILE_CELLS = 32  # latent cells per windowed pass (512 px at 16x): bounds memory at any size
# Textures of fewer windows (below 2048x2048 at the default 512 px windows) take a few seconds
# at most, so they get no progress bar even when one is asked for.
MIN_PROGRESS_WINDOWS = 16


def _wrap_or_clamp(
    start: int, stop: int, size: int, wrap: bool, margin: int
) -> tuple[torch.Tensor, int]:
    """Indices of a window with margin; returns them and the offset of ``start`` inside."""
    lo, hi = start - margin, stop + margin
    if wrap:
        return torch.arange(lo, hi) % size, margin
    lo, hi = max(lo, 0), min(hi, size)
    return torch.arange(lo, hi), start - lo


def _synthesize(
    G: torch.nn.Module,
    z: torch.Tensor,
    tile_cells: int,
    progress: str | None = None,
    features: torch.Tensor | None = None,
    crop: int = 0,
) -> torch.Tensor:
    """Run the texture generator on a latent field, in overlapping windows when it is large.

    Each window carries a margin wider than the generator's receptive field, so the stitched
    result equals a single pass (up to float rounding) while memory stays bounded. With
    ``progress`` (the bar's label), a tqdm bar on stderr counts the windows when there are at
    least ``MIN_PROGRESS_WINDOWS`` of them. ``features``, when given, replaces ``G.features(z)``
    (a morph's blended field). ``crop`` cells on each side only feed the rest: the output is
    the field's middle, and no window renders more of the border than the middle's margin.
    """
    if features is None:
        features = G.features(z)  # [1, F, rows, cols]: sinusoids at their true positions
    # The field is made in float32 (positions across a 4096 px field need it); the network
    # takes it in its own dtype and memory layout (see _render_copy).
    weight = next(G.net.parameters())
    features = features.to(weight.dtype).contiguous(memory_format=memory_format_of(weight))
    rows, cols = features.shape[-2:]
    if rows <= tile_cells and cols <= tile_cells and not crop:
        return G.net(features)
    n_windows = -(-(rows - 2 * crop) // tile_cells) * -(-(cols - 2 * crop) // tile_cells)
    bar = None
    if progress is not None and n_windows >= MIN_PROGRESS_WINDOWS:
        import sys

        from tqdm import tqdm

        # Made before the trunk runs, so that a large texture shows its bar at once.
        bar = tqdm(
            total=n_windows, desc=progress, unit="window", dynamic_ncols=True, file=sys.stderr
        )
    try:
        return _synthesize_windows(G, features, tile_cells, bar, crop)
    finally:
        if bar is not None:
            bar.close()


def _synthesize_windows(G, features, tile_cells, bar, crop=0) -> torch.Tensor:
    """The windowed passes of :func:`_synthesize`; ``bar`` (or None) counts the windows."""
    rows, cols = features.shape[-2:]
    u, margin = G.upsampling, G.margin_cells  # margin: cells that can reach a pixel
    net = G.net
    if hasattr(net, "trunk"):
        # A network whose trunk works on the latent grid (deep_spatial_gan) runs it once on the
        # whole field, which is cheap there, and renders windows of its output: their margin
        # is then the rendering stages' reach (one cell), not the whole receptive field's.
        features, margin = net.trunk(features), net.render_margin_cells
        net = net.render_field
    out, layout = None, memory_format_of(features)
    for r0 in range(crop, rows - crop, tile_cells):
        r1 = min(r0 + tile_cells, rows - crop)
        ri, roff = _wrap_or_clamp(r0, r1, rows, G.tileable, margin)
        for c0 in range(crop, cols - crop, tile_cells):
            c1 = min(c0 + tile_cells, cols - crop)
            ci, coff = _wrap_or_clamp(c0, c1, cols, G.tileable, margin)
            window = features[:, :, ri][:, :, :, ci].contiguous(memory_format=layout)
            if G.tileable:
                # The margin supplies the wrap; inside a window the padding must not.
                G.set_tileable(False)
                piece = net(window)
                G.set_tileable(True)
            else:
                piece = net(window)
            if out is None:
                height, width = (rows - 2 * crop) * u, (cols - 2 * crop) * u
                out = piece.new_empty(piece.shape[0], piece.shape[1], height, width)
            top, left = roff * u, coff * u
            r, c = r0 - crop, c0 - crop
            out[:, :, r * u : (r + r1 - r0) * u, c * u : (c + c1 - c0) * u] = piece[
                :, :, top : top + (r1 - r0) * u, left : left + (c1 - c0) * u
            ]
            if bar is not None:
                bar.update()
    return out


def morph_weights(cols: int, tileable: bool) -> torch.Tensor:
    """How much of the second variant each latent column of a morph takes, in [0, 1].

    A third of the columns is purely the first variant, a third purely the second, and the
    thirds between change smoothly (smoothstep). Tileable, the first variant lies around the
    wrap (both borders) and the second in the middle, so the morph tiles; otherwise the first
    lies on the left and the second on the right.
    """
    x = (torch.arange(cols, dtype=torch.float64) + 0.5) / cols
    if tileable:
        x = (1.0 - torch.cos(2.0 * math.pi * x)) / 2.0  # 0 at the borders, 1 in the middle
        t = ((x - 0.25) / 0.5).clamp(0.0, 1.0)
    else:
        t = ((x - 1.0 / 3.0) * 3.0).clamp(0.0, 1.0)
    return (t * t * (3.0 - 2.0 * t)).float()


def morph_features(
    G: torch.nn.Module, first: torch.Tensor, second: torch.Tensor, weights: torch.Tensor
) -> torch.Tensor:
    """Blend two variants' feature fields column by column, as PSGAN interpolates its global
    latent across space.

    The global vector and the sinusoids blend linearly; the Gaussian noise channels (local
    noise, noise inputs) blend with square-root weights, which keep their variance at 1, so
    the grain stays as fine and as strong through the change. Where a weight is 0 or 1 the
    field is exactly one variant's.
    """
    cfg = G.cfg
    w = weights.to(first.device, first.dtype).view(1, 1, 1, -1)
    noisy = torch.zeros(first.shape[1], dtype=torch.bool)
    noisy[: cfg.z_local] = True
    noisy[first.shape[1] - G.noise_channels :] = G.noise_channels > 0
    noisy = noisy.to(first.device).view(1, -1, 1, 1)
    linear = first * (1 - w) + second * w
    variance_keeping = first * (1 - w).sqrt() + second * w.sqrt()
    return torch.where(noisy, variance_keeping, linear)


def truncate(G: torch.nn.Module, z: torch.Tensor, psi: float) -> torch.Tensor:
    """The latent field with its global vector scaled by ``psi`` (the truncation trick).

    The global vector is drawn from a standard normal, so its mean is zero and scaling it
    moves the variant towards the average texture, as StyleGAN and BigGAN truncate theirs
    (Karras et al. 2019, Brock et al. 2019). A model learns its rare variants worst: on the
    bundled Hubble model about one texture in ten is a dense field of red blobs at ``psi`` 1.
    Local noise, noise inputs and the sinusoids' phases are left as drawn, so the grain and
    the seamless wrap are untouched.
    """
    if not 0.0 <= psi <= 1.0:
        raise ConfigError(f"truncation must be between 0 and 1, got {psi}")
    if psi == 1.0:
        return z
    start, stop = G.cfg.z_local, G.cfg.z_local + G.cfg.z_global
    z = z.clone()
    z[:, start:stop] *= psi
    return z


def _render_copy(G: torch.nn.Module, precision: str) -> torch.nn.Module:
    """A copy of a texture generator whose convolutions run fast: channels_last, bf16 if asked.

    oneDNN's convolutions run on channels_last (NHWC) tensors without reordering them, and in
    bf16 on CPUs with AMX or AVX-512 BF16 (and CUDA GPUs) several times faster again: a
    4096x4096 texture of the deep model took 14.1 s as it was, 9.6 s on channels_last and
    4.2 s in bf16 on 2 cores with AMX. Only the convolution network converts: the latent
    field and its sinusoids stay float32. The copy leaves the caller's generator as it was.
    """
    fast = copy.deepcopy(G)
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    fast.net.to(dtype=dtype, memory_format=torch.channels_last)
    return fast


def _periodic_resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Bilinear resize that wraps at the borders, so a seamless tile stays seamless."""
    h, w = image.shape[:2]
    ys = (np.arange(height) + 0.5) * h / height - 0.5
    xs = (np.arange(width) + 0.5) * w / width - 0.5
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    fy, fx = (ys - y0)[:, None, None], (xs - x0)[None, :, None]
    y1, x1 = (y0 + 1) % h, (x0 + 1) % w
    y0, x0 = y0 % h, x0 % w
    top = image[y0][:, x0] * (1 - fx) + image[y0][:, x1] * fx
    bottom = image[y1][:, x0] * (1 - fx) + image[y1][:, x1] * fx
    return (top * (1 - fy) + bottom * fy).astype(np.float32)


def texture(
    run_or_snapshot: str | Path | LoadedGenerator,
    *,
    width: int,
    height: int,
    tileable: bool = True,
    seed: int = 0,
    device: str = "cpu",
    tile_cells: int = TILE_CELLS,
    progress: bool = False,
    precision: str = "fp32",
    morph_to: int | None = None,
    truncation: float = 1.0,
) -> np.ndarray:
    """One texture of any size from a texture GAN snapshot.

    Parameters
    ----------
    run_or_snapshot : path or LoadedGenerator
        A texture run folder, snapshot file or bundled name (``brick``, ``grass``, ``gravel``).
    width, height : int
        Output size in pixels. Sizes that are not a multiple of the generator's upsampling
        are made at the next multiple and resized, wrapping at the borders when tileable.
    tileable : bool
        Make the texture wrap seamlessly at its borders; otherwise it is cut from the middle
        of a larger seamless texture, so its borders look like its inside.
    seed : int
        The same seed and size give the same texture.
    device : str
        Where to run the generator.
    tile_cells : int
        Latent cells per pass; larger runs fewer, bigger passes.
    progress : bool
        Show a progress bar on stderr, one step per window, when the texture takes at least
        ``MIN_PROGRESS_WINDOWS`` windows (16 of 512 px: 2048x2048 and larger).
    precision : str
        ``fp32``; ``bf16`` runs the convolutions in bfloat16 (several times faster on CPUs
        with AMX or AVX-512 BF16 and on GPUs; pixels move by a fraction of an 8-bit level);
        ``auto`` takes bf16 where the hardware runs it fast.
    morph_to : int, optional
        A second seed: the texture changes from ``seed``'s variant to this one's across its
        width (:func:`morph_weights`: from the borders to the middle and back when tileable,
        left to right otherwise), one seamless texture whose plain parts are exactly each
        seed's own texture.
    truncation : float
        Scales the global vector (which variant of the texture) towards its mean, 0 to 1
        (:func:`truncate`): below 1 the rare variants far from the mean, where a model is
        weakest, are traded for more typical ones; 1 leaves the draw as it is.

    Returns
    -------
    numpy.ndarray
        float32 ``[height, width, C]`` in [0, 1].
    """
    loaded = (
        run_or_snapshot
        if isinstance(run_or_snapshot, LoadedGenerator)
        else load_generator(run_or_snapshot, device=device)
    )
    if loaded.family.makes != "textures":
        raise ConfigError(
            f"{loaded.path}: a {loaded.metadata.get('kind')} snapshot makes fixed-size images; "
            "texture sizes need a texture model (presets texture, texture-brick, ...)"
        )
    if width < 1 or height < 1 or max(width, height) > MAX_TEXTURE_SIDE:
        raise ConfigError(f"texture size {width}x{height} is out of range")
    G = loaded.G
    u = G.upsampling
    if tileable and height % u == 1 and width % u == 1 and min(height, width) > u:
        # Terrain sizes (2^n + 1): a seamless 2^n tile plus its first row and column.
        inner = texture(
            loaded,
            width=width - 1,
            height=height - 1,
            seed=seed,
            tile_cells=tile_cells,
            progress=progress,
            precision=precision,
            morph_to=morph_to,
            truncation=truncation,
        )
        return add_wrap_edge(inner)
    gen_h, gen_w = -(-height // u) * u, -(-width // u) * u
    if precision not in PRECISIONS:
        raise ConfigError(f"precision must be fp32, bf16 or auto, got {precision!r}")
    precision, _ = resolve_precision(precision, next(G.parameters()).device)
    G = _render_copy(G, precision)
    # A texture that need not tile is the middle of a larger seamless field, ``pad`` cells
    # wider on each side (the receptive field): each pixel then sees latent cells all around
    # it, as in training. Zero padding at the borders, which training never shows, drew a
    # bright frame on some photos.
    pad = 0 if tileable else G.margin_cells
    G.set_tileable(True)
    device = next(G.parameters()).device

    def field(seed: int) -> torch.Tensor:
        size = {"height": gen_h + 2 * pad * u, "width": gen_w + 2 * pad * u}
        z = G.sample_z(1, make_generator(seed), "cpu", **size)
        return truncate(G, z, truncation).to(device)

    z = field(seed)
    with torch.no_grad():
        features = None
        if morph_to is not None:
            weights = morph_weights(gen_w // u, tileable)
            weights = torch.cat([weights[:1].repeat(pad), weights, weights[-1:].repeat(pad)])
            features = morph_features(G, G.features(z), G.features(field(morph_to)), weights)
        x = _synthesize(
            G,
            z,
            tile_cells,
            progress=f"seed {seed}" if progress else None,
            features=features,
            crop=pad,
        )
    image = ((x[0].float().permute(1, 2, 0).cpu().numpy() + 1.0) / 2.0).clip(0.0, 1.0)
    if (gen_h, gen_w) != (height, width):
        image = _periodic_resize(image, height, width) if tileable else image[:height, :width]
    return image


def variations(
    run_or_snapshot: str | Path | LoadedGenerator,
    n: int,
    *,
    width: int = 256,
    height: int = 256,
    seed: int = 0,
    **options,
) -> np.ndarray:
    """A contact sheet of ``n`` variants (seeds ``seed`` .. ``seed + n - 1``), each labelled
    with its seed, to choose one from before generating it at full size.

    Parameters
    ----------
    run_or_snapshot : path or LoadedGenerator
        As for :func:`texture`.
    n : int
        How many variants (1-100); the sheet has ``ceil(sqrt(n))`` columns.
    width, height : int
        Each variant's size.
    seed : int
        The first seed.
    **options
        Passed on to :func:`texture` (``tileable``, ``precision``, ``device``, ...).

    Returns
    -------
    numpy.ndarray
        uint8 ``[H, W, 3]``: the variants on a white sheet, each with "seed N" under it.
    """
    from PIL import Image, ImageDraw

    if not 1 <= n <= MAX_VARIATIONS:
        raise ConfigError(f"variations: give 1 to {MAX_VARIATIONS}, got {n}")
    loaded = (
        run_or_snapshot
        if isinstance(run_or_snapshot, LoadedGenerator)
        else load_generator(run_or_snapshot, device=options.pop("device", "cpu"))
    )
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    gap, label = 8, 16  # pixels between variants, and under each for its seed
    sheet = Image.new(
        "RGB", (cols * (width + gap) + gap, rows * (height + gap + label) + gap), "white"
    )
    draw = ImageDraw.Draw(sheet)
    for i in range(n):
        pixels = quantize(texture(loaded, width=width, height=height, seed=seed + i, **options))
        picture = Image.fromarray(pixels).convert("RGB")
        left = gap + (i % cols) * (width + gap)
        top = gap + (i // cols) * (height + gap + label)
        sheet.paste(picture, (left, top))
        draw.text((left, top + height + 2), f"seed {seed + i}", fill="black")
    return np.asarray(sheet)


MAX_VARIATIONS = 100


def quantize(image: np.ndarray) -> np.ndarray:
    """Float [0, 1] image -> uint8 (gray images lose their channel axis for PNG).

    Parameters
    ----------
    image : numpy.ndarray
        ``[H, W, C]`` floats.

    Returns
    -------
    numpy.ndarray
        uint8 ``[H, W]`` for one channel, else ``[H, W, C]``.
    """
    out = np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)
    return out[..., 0] if out.shape[-1] == 1 else out


def write_texture_files(
    image: np.ndarray,
    base: str | Path,
    *,
    tileable: bool = True,
    preview: bool = True,
    heightmap: bool = True,
    normal_strength: float = 4.0,
    height_preview: bool = False,
    pbr: bool = False,
    normal_convention: str = "opengl",
) -> dict[str, Path]:
    """Write one texture the way ``gamegan generate`` does; returns ``{role: path}``.

    ``BASE.png`` (the texture), ``BASE-tiled.png`` (2x2 preview), and with ``heightmap``
    ``BASE-height.png`` (16-bit), ``BASE-height.raw`` (uint16 little-endian) and
    ``BASE-normal.png`` (``normal_convention`` ``opengl``, Y up, or ``directx``, green
    flipped); ``height_preview`` adds an 8-bit ``BASE-height-preview.png`` for screens that
    cannot show 16 bits. ``pbr`` (which implies ``heightmap``) adds the material's other
    maps (:mod:`gamegan.io.materials`): ``BASE-ao.png`` (ambient occlusion),
    ``BASE-roughness.png`` and ``BASE-lit.png``, the material shaded under a light. The CLI
    and the web app both write through this.
    """
    from gamegan.io.png import write_png
    from gamegan.io.terrain import luminance, normal_map, to_uint16, write_raw
    from gamegan.metrics.tiling import tile_2x2

    _check_convention(normal_convention)
    heightmap = heightmap or pbr
    base = Path(base)

    def path(suffix: str) -> Path:
        return base.with_name(base.name + suffix)

    pixels = quantize(image)
    files = {"texture": path(".png")}
    write_png(files["texture"], pixels)
    if preview:
        files["tiled"] = path("-tiled.png")
        write_png(files["tiled"], tile_2x2(pixels))
    if heightmap:
        height_field = luminance(image)
        samples = to_uint16(height_field)
        files["height"] = path("-height.png")
        write_png(files["height"], samples)
        files["raw"] = path("-height.raw")
        write_raw(files["raw"], samples)
        if height_preview:
            files["height_preview"] = path("-height-preview.png")
            write_png(files["height_preview"], (samples >> 8).astype(np.uint8))
        files["normal"] = path("-normal.png")
        directx = normal_convention == "directx"
        normals = normal_map(height_field, strength=normal_strength, wrap=tileable, directx=directx)
        write_png(files["normal"], normals)
    if pbr:
        files.update(_write_material_maps(image, height_field, path, normal_strength, tileable))
    return files


NORMAL_CONVENTIONS = ("opengl", "directx")


def _check_convention(name: str) -> None:
    if name not in NORMAL_CONVENTIONS:
        raise ConfigError(f"normal convention must be opengl or directx, got {name!r}")


def height_range_of(loaded: LoadedGenerator) -> tuple[float, float] | None:
    """The heights (data units) that 0 and 1 of a terrain model's output stand for; None for
    a model of pictures."""
    found = loaded.metadata.get("height_range")
    return None if found is None else (float(found[0]), float(found[1]))


def write_terrain_files(
    heights: np.ndarray,
    base: str | Path,
    height_range: tuple[float, float],
    *,
    tileable: bool = True,
    preview: bool = True,
    normal_strength: float = 4.0,
    normal_convention: str = "opengl",
    pbr: bool = False,
    height_preview: bool = False,
) -> dict[str, Path]:
    """Write a terrain model's heightmap the way ``gamegan generate`` does: ``{role: path}``.

    ``BASE.png`` (16-bit gray: 0 is the lowest height of ``height_range``, 65535 the
    highest), ``BASE.raw`` (the same samples, uint16 little-endian, row by row), ``BASE.npy``
    (float32 heights in the data's units), ``BASE.json`` (the range and sample size, which an
    engine's terrain height scale needs), ``BASE-normal.png``, ``BASE-relief.png`` (a shaded
    relief: heights coloured and lit from the upper left, wrap-aware like the normals, the
    whole range 40 px tall whatever ``normal_strength`` says) and
    with ``preview`` ``BASE-tiled.png``, the relief repeated 2x2. ``pbr`` adds ambient
    occlusion and roughness as for textures; ``height_preview`` an 8-bit
    ``BASE-height-preview.png`` for screens that cannot show 16 bits.

    Parameters
    ----------
    heights : numpy.ndarray
        ``[H, W]`` or ``[H, W, 1]`` in [0, 1], as :func:`texture` returns them.
    """
    from gamegan.io.png import write_png
    from gamegan.io.rundir import write_json
    from gamegan.io.terrain import normal_map, shaded_relief, to_uint16, write_npy, write_raw
    from gamegan.metrics.tiling import tile_2x2

    _check_convention(normal_convention)
    base = Path(base)

    def path(suffix: str) -> Path:
        return base.with_name(base.name + suffix)

    unit = np.clip(np.asarray(heights, dtype=np.float32).reshape(heights.shape[:2]), 0.0, 1.0)
    lo, hi = height_range
    samples = to_uint16(unit)
    files = {"texture": path(".png"), "raw": path(".raw"), "heights": path(".npy")}
    write_png(files["texture"], samples)
    write_raw(files["raw"], samples)
    if height_preview:
        files["height_preview"] = path("-height-preview.png")
        write_png(files["height_preview"], (samples >> 8).astype(np.uint8))
    write_npy(files["heights"], (lo + unit.astype(np.float64) * (hi - lo)).astype(np.float32))
    files["scale"] = path(".json")
    scale = {
        "lowest": lo,
        "highest": hi,
        "units": "those of the training data",
        "png_and_raw": "uint16 0..65535 stand for lowest..highest",
        "width": int(unit.shape[1]),
        "height": int(unit.shape[0]),
        "tileable": bool(tileable),
    }
    write_json(files["scale"], scale)
    files["normal"] = path("-normal.png")
    directx = normal_convention == "directx"
    write_png(
        files["normal"],
        normal_map(unit, strength=normal_strength, wrap=tileable, directx=directx),
    )
    relief = shaded_relief(unit, wrap=tileable)
    files["relief"] = path("-relief.png")
    write_png(files["relief"], relief)
    if preview:
        files["tiled"] = path("-tiled.png")
        write_png(files["tiled"], tile_2x2(relief))
    if pbr:
        files.update(_write_material_maps(unit[..., None], unit, path, normal_strength, tileable))
    return files


def _write_material_maps(image, height_field, path, strength: float, tileable: bool) -> dict:
    """Ambient occlusion, roughness and the lit preview of :func:`write_texture_files`."""
    from gamegan.io.materials import ambient_occlusion, lit_preview, roughness_map
    from gamegan.io.png import write_png
    from gamegan.io.terrain import luminance, normal_map

    occlusion = ambient_occlusion(height_field, strength=strength, wrap=tileable)
    rough = roughness_map(luminance(image), occlusion)
    lit = lit_preview(image, normal_map(height_field, strength=strength, wrap=tileable), occlusion)
    files = {"ao": path("-ao.png"), "roughness": path("-roughness.png"), "lit": path("-lit.png")}
    write_png(files["ao"], np.round(occlusion * 255.0).astype(np.uint8))
    write_png(files["roughness"], np.round(rough * 255.0).astype(np.uint8))
    write_png(files["lit"], lit)
    return files
