"""Inference from snapshots: the API that the CLI (and later the app and export) share.

A snapshot file carries the model's name and parameters in its metadata, so loading it needs
no run folder and no pickled code.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gamegan.config import PRECISIONS
from gamegan.errors import CheckpointError, ConfigError
from gamegan.io.checkpoint import SNAPSHOT_FORMAT, load_module, load_tensors
from gamegan.io.png import to_uint8
from gamegan.io.rundir import latest_file
from gamegan.io.terrain import add_wrap_edge
from gamegan.models.base import UNNAMED_KIND, Family, family_of
from gamegan.music.score import MODES, Key
from gamegan.nn.layers import memory_format_of
from gamegan.runtime import make_generator, pick_device, resolve_precision


@dataclass
class LoadedGenerator:
    """A generator rebuilt from a snapshot, in eval mode, with its metadata.

    For a sequence music model ``G`` is the next-event network and ``codec`` its vocabulary.
    """

    G: torch.nn.Module
    metadata: dict[str, Any]
    path: Path
    codec: Any = None

    @property
    def kind(self) -> str:
        return str(self.metadata.get("kind", UNNAMED_KIND))

    @property
    def family(self) -> Family:
        """What the snapshot makes and how (:class:`gamegan.models.base.Family`)."""
        return family_of(self.kind)

    @property
    def z_dim(self) -> int:
        return int(self.G.z_dim)

    @property
    def class_names(self) -> list[str]:
        """The classes a conditional generator takes (its training data's); [] when none."""
        return list(self.metadata.get("class_names") or [])

    def draw_class(self, generator: torch.Generator) -> int:
        """A class drawn as often as the training data held it."""
        prior = torch.tensor(self.metadata.get("class_prior") or [1.0] * len(self.class_names))
        return int(torch.multinomial(prior.double(), 1, generator=generator))


# Snapshots shipped in gamegan/pretrained/: textures, and music models on the Bach chorales.
PRETRAINED = ("brick", "grass", "gravel", "chorale", "chorale-lstm", "chorale-vae")


def pretrained_path(name: str) -> Path:
    """The shipped snapshot of a bundled model name."""
    path = Path(__file__).parent / "pretrained" / f"{name}.safetensors"
    if not path.is_file():
        raise CheckpointError(f"the bundled model {name!r} is missing from this install ({path})")
    return path


def resolve_snapshot(run_or_snapshot: str | Path) -> Path:
    """A snapshot file, the newest snapshot of a run folder, or a bundled model's file."""
    path = Path(run_or_snapshot)
    if path.is_dir():
        return run_snapshot(path)
    if not path.exists():
        if str(run_or_snapshot) in PRETRAINED:
            return pretrained_path(str(run_or_snapshot))
        raise CheckpointError(
            f"{path}: no such run folder or snapshot file (bundled models: {', '.join(PRETRAINED)})"
        )
    return path


def run_snapshot(run_dir: str | Path) -> Path:
    """The newest snapshot of a run folder that holds the run's own model.

    A snapshot of another model copied into the folder is never taken for the run's, even when
    it is the newest file there. A folder without ``config.json`` (a folder of snapshots) gives
    its newest snapshot.

    Parameters
    ----------
    run_dir : path
        A run folder.

    Returns
    -------
    Path
        The snapshot file.

    Raises
    ------
    CheckpointError
        If the folder holds no snapshot of the run's model.
    """
    from gamegan.io.checkpoint import read_metadata
    from gamegan.io.rundir import numbered_files, read_config_json

    run_dir = Path(run_dir)
    newest = latest_file(run_dir, "snapshot")
    if not (run_dir / "config.json").is_file():
        return newest
    model = (read_config_json(run_dir).get("model") or {}).get("name")
    if model is None:
        return newest
    others = []
    for _, path in reversed(numbered_files(run_dir, "snapshot")):
        found = read_metadata(path).get("model")
        if found == model:
            return path
        others.append(f"{path.name} holds {found!r}")
    raise CheckpointError(
        f"{run_dir}: no snapshot of the run's model {model!r} ({'; '.join(others[:3])}); "
        "give the snapshot file itself to use another model's"
    )


def _loaded(source: str | Path | LoadedGenerator, device: str) -> LoadedGenerator:
    return source if isinstance(source, LoadedGenerator) else load_generator(source, device=device)


def load_generator(run_or_snapshot: str | Path, *, device: str = "cpu") -> LoadedGenerator:
    """Rebuild the generator of a run folder or snapshot file.

    Parameters
    ----------
    run_or_snapshot : path
        A run folder (its newest snapshot is used) or a ``snapshot-*.safetensors`` file.
    device : str
        ``cpu``, ``cuda`` or ``auto``.

    Returns
    -------
    LoadedGenerator
        The generator in eval mode, its metadata and the file it came from.
    """
    from gamegan.build import build_dataclass, is_sequence_model

    path = resolve_snapshot(run_or_snapshot)
    tensors, meta = load_tensors(path, expected_format=SNAPSHOT_FORMAT)
    from gamegan.models import MODELS

    if meta.get("model") not in MODELS:
        raise CheckpointError(f"{path}: unknown model {meta.get('model')!r} in its metadata")
    spec = MODELS.get(meta["model"])
    model_cfg = build_dataclass(spec.config, meta.get("model_params", {}), "model")
    if is_sequence_model(spec):
        if not isinstance(meta.get("codec"), dict):
            raise CheckpointError(f"{path}: the snapshot lacks its vocabulary ('codec')")
        try:
            codec = spec.codec.from_dict(meta["codec"])
        except (KeyError, TypeError, ValueError) as err:
            raise CheckpointError(f"{path}: unreadable vocabulary: {err}") from None
        network = spec.network(model_cfg, tuple(codec.vocab_sizes))
        load_module("model", network, tensors, str(path))
        network = network.to(pick_device(device)).eval().requires_grad_(False)
        return LoadedGenerator(network, meta, path, codec)
    G = spec.generator(model_cfg)
    load_module("G", G, tensors, str(path))
    G = G.to(pick_device(device)).eval().requires_grad_(False)
    return LoadedGenerator(G, meta, path)


def images(
    run_or_snapshot: str | Path | LoadedGenerator,
    *,
    n: int = 25,
    seed: int = 0,
    device: str = "cpu",
) -> np.ndarray:
    """Generate ``n`` images; image ``i`` depends only on ``seed + i``.

    Parameters
    ----------
    run_or_snapshot : path or LoadedGenerator
        What to sample from.
    n : int
        Number of images.
    seed : int
        First seed; seeds ``seed .. seed + n - 1`` give one image each, so a seed always
        gives the same image whatever ``n`` is.
    device : str
        Where to run the generator.

    Returns
    -------
    numpy.ndarray
        uint8 array ``[n, H, W, C]``.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    loaded = _loaded(run_or_snapshot, device)
    if loaded.family.makes == "music":
        raise ConfigError(f"{loaded.path}: a {loaded.kind} model makes music, not images")
    G = loaded.G
    dev = next(G.parameters()).device
    z = torch.cat([G.sample_z(1, make_generator(seed + i), "cpu") for i in range(n)]).to(dev)
    out = []
    with torch.no_grad():
        for chunk in z.split(64):
            out.append(to_uint8(G(chunk).float()).cpu())
    return torch.cat(out).permute(0, 2, 3, 1).numpy()


# textures


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
    G: torch.nn.Module, z: torch.Tensor, tile_cells: int, progress: str | None = None
) -> torch.Tensor:
    """Run the texture generator on a latent field, in overlapping windows when it is large.

    Each window carries a margin wider than the generator's receptive field, so the stitched
    result equals a single pass (up to float rounding) while memory stays bounded. With
    ``progress`` (the bar's label), a tqdm bar on stderr counts the windows when there are at
    least ``MIN_PROGRESS_WINDOWS`` of them.
    """
    features = G.features(z)  # [1, F, rows, cols]: sinusoids at their true positions
    # The field is made in float32 (positions across a 4096 px field need it); the network
    # takes it in its own dtype and memory layout (see _render_copy).
    weight = next(G.net.parameters())
    features = features.to(weight.dtype).contiguous(memory_format=memory_format_of(weight))
    rows, cols = features.shape[-2:]
    if rows <= tile_cells and cols <= tile_cells:
        return G.net(features)
    n_windows = -(-rows // tile_cells) * -(-cols // tile_cells)
    bar = None
    if progress is not None and n_windows >= MIN_PROGRESS_WINDOWS:
        import sys

        from tqdm import tqdm

        # Made before the trunk runs, so that a large texture shows its bar at once.
        bar = tqdm(
            total=n_windows, desc=progress, unit="window", dynamic_ncols=True, file=sys.stderr
        )
    try:
        return _synthesize_windows(G, features, tile_cells, bar)
    finally:
        if bar is not None:
            bar.close()


def _synthesize_windows(G, features, tile_cells, bar) -> torch.Tensor:
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
    for r0 in range(0, rows, tile_cells):
        r1 = min(r0 + tile_cells, rows)
        ri, roff = _wrap_or_clamp(r0, r1, rows, G.tileable, margin)
        for c0 in range(0, cols, tile_cells):
            c1 = min(c0 + tile_cells, cols)
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
                out = piece.new_empty(piece.shape[0], piece.shape[1], rows * u, cols * u)
            top, left = roff * u, coff * u
            out[:, :, r0 * u : r1 * u, c0 * u : c1 * u] = piece[
                :, :, top : top + (r1 - r0) * u, left : left + (c1 - c0) * u
            ]
            if bar is not None:
                bar.update()
    return out


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
        Make the texture wrap seamlessly at its borders.
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
        )
        return add_wrap_edge(inner)
    gen_h, gen_w = -(-height // u) * u, -(-width // u) * u
    if precision not in PRECISIONS:
        raise ConfigError(f"precision must be fp32, bf16 or auto, got {precision!r}")
    precision, _ = resolve_precision(precision, next(G.parameters()).device)
    G = _render_copy(G, precision)
    G.set_tileable(tileable)
    z = G.sample_z(1, make_generator(seed), "cpu", height=gen_h, width=gen_w)
    with torch.no_grad():
        x = _synthesize(
            G,
            z.to(next(G.parameters()).device),
            tile_cells,
            progress=f"seed {seed}" if progress else None,
        )
    image = ((x[0].float().permute(1, 2, 0).cpu().numpy() + 1.0) / 2.0).clip(0.0, 1.0)
    if (gen_h, gen_w) != (height, width):
        image = _periodic_resize(image, height, width) if tileable else image[:height, :width]
    return image


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
) -> dict[str, Path]:
    """Write one texture the way ``gamegan generate`` does; returns ``{role: path}``.

    ``BASE.png`` (the texture), ``BASE-tiled.png`` (2x2 preview), and with ``heightmap``
    ``BASE-height.png`` (16-bit), ``BASE-height.raw`` (uint16 little-endian) and
    ``BASE-normal.png``; ``height_preview`` adds an 8-bit ``BASE-height-preview.png`` for
    screens that cannot show 16 bits. The CLI and the web app both write through this.
    """
    from gamegan.io.png import write_png
    from gamegan.io.terrain import luminance, normal_map, to_uint16, write_raw
    from gamegan.metrics.tiling import tile_2x2

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
        write_png(
            files["normal"], normal_map(height_field, strength=normal_strength, wrap=tileable)
        )
    return files


# music


def write_music_files(
    score, base: str | Path, *, wav: bool = False, ogg: bool = False
) -> dict[str, Path]:
    """Write one score the way ``gamegan generate`` does; returns ``{role: path}``.

    ``BASE.mid`` (type 1, a track per voice), ``BASE.png`` (its piano roll), and with ``wav``
    and ``ogg`` the audio, synthesized once, as ``BASE.wav`` and ``BASE.ogg`` (raises
    :class:`gamegan.errors.AudioError` when no synthesizer is there, after the MIDI and the
    picture are written). The CLI and the web app both write through this.
    """
    from gamegan.io.midi import write_midi
    from gamegan.music.picture import write_pianoroll_png

    base = Path(base)
    files = {
        "midi": write_midi(score, base.with_name(base.name + ".mid")),
        "pianoroll": write_pianoroll_png(score, base.with_name(base.name + ".png")),
    }
    formats = [name for name, wanted in (("wav", wav), ("ogg", ogg)) if wanted]
    files.update(write_music_audio(score, base, formats))
    return files


def write_music_audio(
    score, base: str | Path, formats: list[str], sample_rate: int = 44100
) -> dict[str, Path]:
    """Synthesize a score once and write it as ``BASE.FORMAT`` for each of ``formats``
    (``wav``, ``ogg``); raises :class:`gamegan.errors.AudioError` when no synthesizer is there."""
    if not formats:
        return {}
    from gamegan.io.audio import synthesize, write_audio

    base = Path(base)
    frames = synthesize(score, sample_rate=sample_rate)
    return {
        f: write_audio(frames, base.with_name(f"{base.name}.{f}"), sample_rate) for f in formats
    }


MAX_BARS = 1000
MAX_STEPS = 100_000
MIN_TEMPO, MAX_TEMPO = 20, 400
MAX_MODE_DRAWS = 64  # pieces drawn for --mode before giving up
# Pieces drawn for --loop, the one that closes best kept: the GAN's are cheap, the sequence
# models' take a second or more each.
LOOP_DRAWS_GAN, LOOP_DRAWS = 16, 6
MODE_SEED_STRIDE = 1_000_003  # draws for --mode stay clear of --count's seed, seed + 1, ...
LEAD_IN_SEED_OFFSET = 2_000_029  # the latent of the GAN's lead-in phrase, clear of the others


def music(
    run_or_snapshot: str | Path | LoadedGenerator,
    *,
    seed: int = 0,
    n_bars: int | None = None,
    n_steps: int | None = None,
    temperature: float = 1.0,
    top_k: int = 0,
    tempo: float | None = None,
    programs: Sequence[int] | None = None,
    loop: bool = False,
    key: str | None = None,
    mode: str | None = None,
    primer: str | Path | None = None,
    device: str = "cpu",
) -> list:
    """Music from a music snapshot: a list of :class:`gamegan.music.score.Score`.

    Parameters
    ----------
    run_or_snapshot : path or LoadedGenerator
        A music run folder, snapshot file or bundled name (``chorale``, ``chorale-lstm``,
        ``chorale-vae``).
    seed : int
        The same seed and settings always give the same music.
    n_bars : int, optional
        Length in bars: one piece of exactly that many bars (a sequence model does not draw
        its end event before, so the piece keeps one key and mode; the GAN's phrases follow
        one another).
    n_steps : int, optional
        Sequence models: events to sample, split into pieces at end events (the chapter's
        mode); the GAN: time steps, rounded up to whole phrases. Default: 16 bars.
    temperature, top_k : float, int
        Sequence models: sampling temperature (0 = greedy argmax, the chapter's choice that
        collapses into one repeated note) and top-k cut (0 = off). The GAN ignores them.
    tempo : float, optional
        Quarter notes per minute, 20-400; default: the model's (the tempo of its training data
        for the GAN, 120 for the sequence models). Only the MIDI tempo and the audio change.
    programs : sequence of int, optional
        General MIDI programs (0-127): one for every voice, or one per voice in order.
    loop : bool
        A seamless loop of exactly ``n_bars`` bars, the best closing of a few drawn pieces
        (its last chord leading into its first: :mod:`gamegan.music.loops`; 16 pieces for
        the GAN, 6 for the sequence models): notes are cut at its end, the MIDI file
        carries ``loopStart``/``loopEnd`` markers and ends there, and audio made from it folds
        the release tail into the start (``Score.loop_end``). Needs ``n_bars``, not ``n_steps``.
    key : str, optional
        Tonic to transpose to (``C``, ``F#``, ``Bb``, ...), by the smallest shift from the key
        :func:`gamegan.music.keys.estimate_key` finds; the MIDI file gets the key signature.
    mode : {"major", "minor"}, optional
        A model conditioned on the mode (the bundled ``chorale`` and ``chorale-lstm``) is told
        it; without ``mode`` it draws one as often as its training pieces were in it. Every
        model then draws pieces (from seeds derived from ``seed``, in a fixed order) until one
        is in this mode by :func:`~gamegan.music.keys.estimate_key`, at most
        :data:`MAX_MODE_DRAWS`; a model that never writes in the mode gets a clear error.
        Needs ``n_bars``.
    primer : path, optional
        A MIDI or MusicXML theme for a sequence model to continue: it is prepared as the
        training data was (moved to C major / A minor by its key, estimated where the file has
        none), fed to the model, and the piece (theme, then continuation) is moved back to the
        theme's key. ``n_bars`` counts the theme's bars too.
    device : str
        Where to run the model.

    Returns
    -------
    list of Score
        One score, or with ``n_steps`` on a sequence model one per generated piece.
    """
    loaded = _loaded(run_or_snapshot, device)
    if loaded.family.makes != "music":
        raise ConfigError(f"{loaded.path}: a {loaded.kind} model makes images, not music")
    if n_bars is not None and not 1 <= n_bars <= MAX_BARS:
        raise ConfigError(f"--bars {n_bars}: choose 1 to {MAX_BARS}")
    if n_steps is not None and not 1 <= n_steps <= MAX_STEPS:
        raise ConfigError(f"--steps {n_steps}: choose 1 to {MAX_STEPS}")
    if temperature < 0:
        raise ConfigError(f"--temperature {temperature}: must be 0 (greedy) or more")
    if top_k < 0:
        raise ConfigError(f"--top-k {top_k}: must be 0 (off) or more")
    if tempo is not None and not MIN_TEMPO <= tempo <= MAX_TEMPO:
        raise ConfigError(f"--tempo {tempo:g}: choose {MIN_TEMPO} to {MAX_TEMPO} beats per minute")
    programs = None if programs is None else [int(p) for p in programs]
    if programs is not None and (not programs or not all(0 <= p <= 127 for p in programs)):
        raise ConfigError(f"--program {programs}: General MIDI programs are 0-127")
    if n_bars is None and n_steps is None:
        n_bars = 16
    if loop and n_bars is None:
        raise ConfigError("--loop makes a whole number of bars: give --bars, not --steps")
    if mode is not None and (mode not in MODES or n_bars is None):
        raise ConfigError(f"--mode {mode}: choose major or minor, with --bars (not --steps)")
    tonic = None
    if key is not None:
        from gamegan.music.keys import parse_tonic

        try:
            tonic = parse_tonic(key)
        except ValueError as err:
            raise ConfigError(f"--key {key}: {err}") from None

    theme = None
    if primer is not None:
        if not loaded.family.sequential:
            raise ConfigError(
                "--primer: the chorale GAN draws whole phrases from noise and cannot continue "
                "a theme; use a sequence model (chorale-lstm, chorale-vae or your own run)"
            )
        theme = _read_primer(primer)

    def compose(piece_seed: int) -> list:
        if not loaded.family.sequential:
            piece = _gan_music(loaded, seed=piece_seed, n_bars=n_bars, n_steps=n_steps, mode=mode)
            return [piece]
        return _sequence_music(
            loaded, seed=piece_seed, n_bars=n_bars, n_steps=n_steps, temperature=temperature,
            top_k=top_k, theme=theme, mode=mode,
        )  # fmt: skip

    if mode is None and not loop:
        scores = compose(seed)
    else:
        draws = LOOP_DRAWS if loaded.family.sequential else LOOP_DRAWS_GAN
        wanted = draws if loop else 1
        scores = [_draw(compose, seed, mode, wanted)]
    scores = [_arranged(score, tempo, programs, tonic) for score in scores]
    if loop:
        from dataclasses import replace

        scores = [replace(s, loop_end=n_bars * s.bar_beats) for s in scores]
    return scores


def _draw(compose, seed: int, mode: str | None, wanted: int):
    """Draw pieces from seeds ``seed``, ``seed + MODE_SEED_STRIDE``, ...: with ``mode`` only
    those in it count; of the first ``wanted`` that count, the one whose end leads back into
    its beginning best (:func:`gamegan.music.loops.closure_score`; the first when
    ``wanted`` is 1)."""
    from dataclasses import replace

    from gamegan.music.keys import estimate_key
    from gamegan.music.loops import closure_score, loop_closure

    kept = []
    for draw in range(MAX_MODE_DRAWS):
        piece_seed = seed + draw * MODE_SEED_STRIDE
        (score,) = compose(piece_seed)
        found = estimate_key(score)
        if mode is not None and (found is None or found.mode != mode):
            continue
        closure = closure_score(loop_closure(score)) if wanted > 1 else 0.0
        kept.append((closure, -draw, piece_seed, replace(score, key=found)))
        if len(kept) == wanted:
            break
    if not kept:
        raise ConfigError(
            f"--mode {mode}: none of {MAX_MODE_DRAWS} pieces from seed {seed} was in {mode}; "
            "this model rarely writes in that mode (see `gamegan eval` for its share of minor "
            "pieces)"
        )
    _, draw, piece_seed, score = max(kept, key=lambda k: (k[0], k[1]))
    what = " ".join(filter(None, [mode, "loop" if wanted > 1 else ""]))
    return replace(score, title=f"{score.title} ({what}: draw {1 - draw}, seed {piece_seed})")


def _arranged(score, tempo: float | None, programs: list[int] | None, tonic: int | None = None):
    """The score at another tempo, with other instruments (drum parts keep theirs), and moved
    to the key whose tonic is ``tonic``."""
    from dataclasses import replace

    if tonic is not None:
        from gamegan.music.keys import estimate_key

        found = score.key or estimate_key(score)
        if found is not None:
            score = replace(score.transposed(found.semitones_to(tonic)), key=Key(tonic, found.mode))
    if tempo is not None:
        score = replace(score, tempo=float(tempo))
    if programs is not None:
        pitched = [i for i, part in enumerate(score.parts) if not part.is_drum]
        if len(programs) not in (1, len(pitched)):
            raise ConfigError(
                f"--program {','.join(map(str, programs))}: give one program or one per voice "
                f"({len(pitched)} voices here)"
            )
        chosen = programs * len(pitched) if len(programs) == 1 else programs
        parts = list(score.parts)
        for i, program in zip(pitched, chosen, strict=True):
            parts[i] = replace(parts[i], program=program)
        score = replace(score, parts=tuple(parts))
    return score


def _gan_music(
    loaded: LoadedGenerator,
    *,
    seed: int,
    n_bars: int | None,
    n_steps: int | None,
    mode: str | None = None,
):
    """Phrases from seeds seed, seed + 1, ... placed one after another.

    A model conditioned on the mode writes every phrase in ``mode``, or in one drawn from
    ``seed`` as often as the training data held it; other models ignore ``mode`` here (the
    caller draws pieces until one is in it)."""
    from dataclasses import replace

    from gamegan.models.pianoroll_gan import hard_roll
    from gamegan.music import pianoroll

    p = loaded.metadata["model_params"]
    steps_per_bar = p["beats_per_bar"] * p["resolution"]
    phrase_bars = p["n_bars"]
    wanted_bars = n_bars if n_bars is not None else -(-n_steps // steps_per_bar)
    n_phrases = -(-wanted_bars // phrase_bars)
    G = loaded.G
    cfg = G.cfg
    dev = next(G.parameters()).device
    z = torch.cat([G.sample_z(1, make_generator(seed + i), "cpu") for i in range(n_phrases)])
    conditions = {}
    label = _label(loaded, seed, mode)
    if label is not None:
        conditions["labels"] = torch.full((1,), label, dtype=torch.int64, device=dev)
    context_steps = cfg.context_steps
    # Each phrase continues the last bars of the one before. The first continues a lead-in
    # phrase, written after silence and left out: few chorales open on a downbeat after
    # silence (most have an upbeat), so phrases written after silence are the model's
    # sparsest (50 notes in 4 bars against 60-64 for the phrases that follow).
    context = torch.full((1, cfg.channels, context_steps, cfg.n_pitches), -1.0, device=dev)
    if context_steps:
        lead_in = G.sample_z(1, make_generator(seed + LEAD_IN_SEED_OFFSET), "cpu")
        z = torch.cat([lead_in, z])
    rolls = []
    for z_phrase in z.to(dev):
        if context_steps:
            conditions["context"] = context
        with torch.no_grad():
            x = G(z_phrase[None], **conditions)[:, :, context_steps:].float()
        # As played: one pitch per track and step where the model is monophonic (the likeliest
        # sounding one, with its onset), on and off as the data is.
        x = hard_roll(x, cfg.channels_per_track, cfg.monophonic)
        if context_steps:  # what the next phrase continues
            context = x[:, :, -context_steps:]
        rolls.append(x[0].cpu())  # [channels, steps, pitches] in [-1, 1]
    if context_steps:
        rolls = rolls[1:]  # without the lead-in
    roll = torch.cat(rolls, dim=1).numpy()  # phrases one after another in time
    score = pianoroll.decode(
        roll,
        onsets=cfg.onsets,
        resolution=p["resolution"],
        lowest_pitch=p["lowest_pitch"],
        tempo=p["tempo"],
        programs=tuple(p["programs"]),
        names=tuple(p["track_names"]),
    )
    score = score.sliced(0.0, wanted_bars * p["beats_per_bar"])
    return replace(score, title=f"gamegan {loaded.metadata.get('model')} seed {seed}")


def _read_primer(path: str | Path):
    """A theme file as a score with a key (estimated from its notes where the file has none)."""
    from dataclasses import replace

    from gamegan.data.music import MUSIC_EXTENSIONS, load_scores
    from gamegan.music.keys import estimate_key

    path = Path(path)
    if path.suffix.lower() not in MUSIC_EXTENSIONS:
        raise ConfigError(f"--primer {path}: give a MIDI or MusicXML file ({MUSIC_EXTENSIONS})")
    if not path.is_file():
        raise ConfigError(f"--primer {path}: no such file")
    data = load_scores(str(path), workers=1, progress=False)
    if data.skipped and not data.scores:
        raise ConfigError(f"--primer {path}: {data.skipped[0][1]}")
    if not data.scores or data.scores[0].n_notes == 0:
        raise ConfigError(f"--primer {path}: no notes to continue")
    theme = data.scores[0]
    return theme if theme.key is not None else replace(theme, key=estimate_key(theme))


def _prompt(loaded, theme):
    """The theme as the model's events after a piece boundary, and the shift back to its key."""
    from types import SimpleNamespace

    from gamegan.music.pianoroll import TONICS  # C major / A minor, where prepare moved it

    options = SimpleNamespace(**loaded.metadata.get("model_params", {}))
    prepared = loaded.codec.prepare(theme, options)
    if prepared is None:
        raise ConfigError("--primer: the theme has no pitched notes")
    rows = loaded.codec.encode(prepared)[:-1]  # without its closing end event
    prompt = np.concatenate([loaded.codec.start_event()[None], rows])
    moved = getattr(options, "transpose_to_c", True) and theme.key is not None
    back = -theme.key.semitones_to(TONICS[theme.key.mode]) if moved else 0
    return prompt, back


def _label(loaded: LoadedGenerator, seed: int, mode: str | None) -> int | None:
    """The class a model conditioned on the mode writes in: ``mode``, or one drawn from
    ``seed`` as often as its training data held it; None for an unconditioned model."""
    classes = loaded.class_names
    if not classes:
        return None
    if mode in classes:
        return classes.index(mode)
    return loaded.draw_class(make_generator(seed + MODE_SEED_STRIDE))


def _sequence_music(
    loaded, *, seed, n_bars, n_steps, temperature, top_k, theme=None, mode=None
):  # fmt: skip
    from dataclasses import replace

    from gamegan.music.sampling import generate_events
    from gamegan.music.score import concatenate
    from gamegan.music.voices import split_voices

    title = f"gamegan {loaded.metadata.get('model')} seed {seed}"
    prompt, back = (None, 0) if theme is None else _prompt(loaded, theme)
    if mode is None and theme is not None and theme.key is not None:
        mode = theme.key.mode  # a conditioned model continues a theme in its mode
    label = _label(loaded, seed, mode)
    if prompt is not None:
        title += " after a theme"

    def sample(steps: int, one_piece: bool = False) -> list:
        pieces = generate_events(
            loaded.G, loaded.codec, n_steps=steps, seed=seed, temperature=temperature,
            top_k=top_k, prompt=prompt, keep_prompt=prompt is not None, one_piece=one_piece,
            label=label,
        )  # fmt: skip
        return [p.transposed(back) if back else p for p in pieces]

    # A chord model writes one part; a track per voice is what a composer works with.
    if n_bars is None:
        pieces = [split_voices(piece) for piece in sample(n_steps)]
        return [replace(piece, title=f"{title} piece {i + 1}") for i, piece in enumerate(pieces)]
    # Sample enough events for the bars as one piece (the model does not close it early, so
    # it keeps one key and mode), more if the model writes slowly.
    steps = 16 * n_bars
    while True:
        pieces = sample(steps, one_piece=True)
        joined = concatenate(pieces)
        beats = n_bars * joined.bar_beats
        if sum(piece.end for piece in pieces) >= beats or steps >= MAX_STEPS:
            break
        steps *= 2
    key = None if theme is None else theme.key
    joined = replace(joined, title=title, key=key or joined.key).sliced(0.0, beats)
    return [split_voices(joined)]
