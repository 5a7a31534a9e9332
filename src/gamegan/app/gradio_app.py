"""``gamegan app``: a local Gradio page over :mod:`gamegan.generate`, safe by default.

The page holds no model logic. Every button calls the public generation API and writes what it
gets with the writers ``gamegan generate`` uses, so testing ``generate`` covers the pictures and
sounds, and the tests of this module cover the wiring and the safety rules:

- It listens on 127.0.0.1 unless told otherwise, never asks for a share link, and sends no
  analytics (``GRADIO_ANALYTICS_ENABLED=False`` before Gradio is imported, which also stops its
  version check; the default theme's fonts are bundled), so it works on a machine without
  network and tells nobody it runs.
- It serves no file outside its output folder: Gradio's own cache *is* that folder
  (``GRADIO_TEMP_DIR``), ``allowed_paths`` names nothing else, and :class:`OutputOnly` refuses
  file URLs that resolve elsewhere and the Gradio routes that fetch from other hosts.
- Every request writes into a new subfolder of its own (``tempfile.mkdtemp``), so concurrent
  requests never share a file, and one queue runs a bounded number of generations at a time,
  since each one holds the CPU.
- A model is chosen by a key the app made; nothing a browser sends is ever opened as a path.
- A request body is at most :data:`MAX_BODY` bytes (:class:`BodyLimit` answers 413), and the
  output folder is pruned at each request by age and total size (:meth:`Outputs.prune`).
"""

from __future__ import annotations

import functools
import logging
import math
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from gamegan import generate as gen
from gamegan.app.models import Model, load_models
from gamegan.app.safety import (
    MAX_BODY,
    MAX_UPLOAD,
    QUEUE_SIZE,
    BodyLimit,
    OutputOnly,
    Outputs,
    scan_inputs,
)
from gamegan.errors import AudioError, ConfigError, GameganError
from gamegan.io.rundir import slug

log = logging.getLogger("gamegan.app")

# Limits of one request. The CLI allows more; a page that anyone on the machine can click on
# should not be able to tie up the CPU for minutes or fill the disk.
MAX_SIDE = 2048
MIN_SIDE = 16
VARIATIONS = 9  # the variants the app's contact sheet shows
MAX_SEED = 2**31 - 1
MAX_IMAGES = 64
MAX_BARS = 64
MAX_TEMPERATURE = 5.0
MAX_TOP_K = 64
AS_GENERATED, EITHER_MODE = "as generated", "either"  # the music tab's "no change" choices
KEY_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
ANY_CLASS = "any (drawn per image)"
IMAGE_HEIGHT = 360  # pixels on the page; full size in fullscreen and in the downloads


def audio_status() -> tuple[bool, str]:
    """Whether audio rendering can work here, and a sentence saying with what or why not."""
    from gamegan.io.audio import INSTALL_HINT, available_backends, find_soundfont

    backends = available_backends()
    if not backends:
        return False, f"no synthesizer is installed ({INSTALL_HINT})"
    try:
        soundfont = find_soundfont()
    except AudioError as err:
        return False, str(err)
    return True, f"{backends[0]} with {soundfont.name}"


# request checks


def _number(value: Any, name: str, lo: float, hi: float, whole: bool = False) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    kind = "a whole number" if whole else "a number"
    if not math.isfinite(number) or (whole and not number.is_integer()) or not lo <= number <= hi:
        shown = "nothing" if value is None or value == "" else repr(value)
        raise ConfigError(f"{name}: choose {kind} from {lo:g} to {hi:g} (got {shown})")
    return number


def _whole(value: Any, name: str, lo: int, hi: int) -> int:
    return int(_number(value, name, lo, hi, whole=True))


def _reporter(progress: Callable | None) -> Callable[[float, str], None]:
    if progress is None:
        return lambda fraction, desc: None
    return lambda fraction, desc: progress(fraction, desc=desc)


def shown_in_page(handler: Callable) -> Callable:
    """Turn errors into a message in the page: gr.Error, never a traceback.

    A user's mistake (:class:`GameganError`) shows its own message. Anything else is a bug: the
    server log gets the traceback, the page one line, and the server keeps serving.
    """

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        gr = _gradio()
        try:
            return handler(*args, **kwargs)
        except gr.Error:
            raise
        except GameganError as err:
            raise gr.Error(str(err), print_exception=False) from None
        except Exception as err:
            log.exception("a request failed")
            raise gr.Error(
                f"generation failed ({type(err).__name__}); the server log has the details",
                print_exception=False,
            ) from None

    return wrapper


def _gradio():
    """Import Gradio with its analytics off: the variable must be set before the import."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    import gradio

    return gradio


class GameganApp:
    """The page's models, its output folder and its handlers.

    Parameters
    ----------
    models : dict
        Key -> :class:`Model`, from :func:`load_models`.
    outputs : Outputs
        Where every request writes its files.
    concurrency : int
        Generations that may run at once (the rest wait in the queue).
    """

    def __init__(
        self,
        models: dict[str, Model],
        outputs: Outputs,
        concurrency: int = 1,
        inputs: dict[str, Path] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ConfigError(f"--concurrency {concurrency}: must be at least 1")
        self.models = models
        self.outputs = outputs
        self.concurrency = concurrency
        # Input images for image-to-image models, by a name the app made: the page picks one
        # from the list and never sends a path (it cannot upload either).
        self.inputs = dict(inputs or {})

    @classmethod
    def from_runs(
        cls,
        run_dirs: Sequence[str | os.PathLike] = (),
        *,
        out: str | os.PathLike | None = None,
        concurrency: int = 1,
        inputs: str | os.PathLike | None = None,
    ) -> GameganApp:
        """Load the bundled models and ``run_dirs``, list the image files of ``inputs`` (a
        folder, for image-to-image models) and make the output folder."""
        models = load_models(run_dirs)
        return cls(models, Outputs(out), concurrency, scan_inputs(inputs) if inputs else None)

    def choices(self, makes: str) -> list[tuple[str, str]]:
        """(label, key) pairs of the models that make ``makes`` (textures, music, images),
        for a dropdown."""
        return [(m.label, m.key) for m in self.models.values() if m.family.makes == makes]

    def _model(self, key: Any, makes: str, what: str) -> Model:
        model = self.models.get(key) if isinstance(key, str) else None
        if model is None or model.family.makes != makes:
            offered = ", ".join(label for label, _ in self.choices(makes)) or "none"
            raise ConfigError(f"pick a {what} model from the list (offered: {offered})")
        return model

    # handlers: each returns what its tab shows, in the order of the tab's outputs

    @shown_in_page
    def texture_handler(
        self,
        key: str,
        seed: Any,
        width: Any,
        height: Any,
        tileable: bool,
        morph_to: Any = None,
        truncation: Any = 1.0,
        progress: Callable | None = None,
    ) -> tuple[str, str, str, str, list[str], str]:
        """Texture, 2x2 preview, heightmap preview, normal map, downloads, summary.

        ``morph_to`` (a seed, or None or blank for none) makes the texture change from
        ``seed``'s variant to that one's across its width; ``truncation`` is the generate
        command's ``--truncation``.
        """
        import numpy as np

        from gamegan.io.terrain import luminance
        from gamegan.metrics.tiling import seam_score

        report = _reporter(progress)
        model = self._model(key, "textures", "texture")
        seed = _whole(seed, "seed", 0, MAX_SEED)
        width = _whole(width, "width", MIN_SIDE, MAX_SIDE)
        height = _whole(height, "height", MIN_SIDE, MAX_SIDE)
        tileable = bool(tileable)
        blank = morph_to is None or (isinstance(morph_to, str) and not morph_to.strip())
        morph_to = None if blank else _whole(morph_to, "morph-to seed", 0, MAX_SEED)
        truncation = _number(truncation, "truncation", 0.0, 1.0)
        folder = self.outputs.new_folder("texture")
        report(0.05, f"generating a {width}x{height} texture")
        start = time.perf_counter()
        with model.lock:
            image = gen.texture(
                model.loaded,
                width=width,
                height=height,
                tileable=tileable,
                seed=seed,
                morph_to=morph_to,
                truncation=truncation,
            )
        seconds = time.perf_counter() - start
        report(0.7, "writing the texture, preview, heightmap and normal map")
        seeds = f"seed{seed}" if morph_to is None else f"seed{seed}-to-{morph_to}"
        stem = f"{model.name}-{seeds}-{width}x{height}"
        # 16-bit heightmaps are for engines; the page shows an 8-bit preview of it.
        heights = gen.height_range_of(model.loaded)
        if heights is None:
            paths = gen.write_texture_files(
                image, folder / stem, tileable=tileable, height_preview=True
            )
        else:  # a terrain model: the heightmap is the output, shown in shaded relief
            paths = gen.write_terrain_files(
                image, folder / stem, heights, tileable=tileable, height_preview=True
            )
            paths["height"], paths["texture"] = paths["texture"], paths["relief"]
        pixels = gen.quantize(image)
        seam = seam_score(luminance(np.asarray(pixels, dtype=np.float32)))
        seeds = f"seed {seed}" if morph_to is None else f"seeds {seed} -> {morph_to}"
        if truncation != 1.0:
            seeds += f", truncation {truncation:g}"
        summary = (
            f"**{model.label}**, {seeds}, {width}x{height}, "
            f"{'tileable' if tileable else 'not tileable'}: made in {seconds:.2f} s; seam score "
            f"{seam:.2f} (near 1 = no visible seam). Heightmap: 16-bit grayscale PNG and RAW "
            f"(uint16 little-endian, row by row, {width}x{height}); normal map in OpenGL "
            "convention (Y up)."
        )
        if heights is not None:
            summary += (
                f" Terrain: heights {heights[0]:g} to {heights[1]:g} in the training data's "
                "units (16-bit 0 to 65535; the .npy download holds the heights themselves); "
                "the picture is a shaded relief."
            )
        roles = ("texture", "tiled", "height", "raw", "normal", "heights", "scale")
        downloads = [paths[k] for k in roles if k in paths]
        report(1.0, "done")
        return (
            str(paths["texture"]),
            str(paths["tiled"]),
            str(paths["height_preview"]),
            str(paths["normal"]),
            [str(p) for p in downloads],
            summary,
        )

    @shown_in_page
    def variations_handler(
        self,
        key: str,
        seed: Any,
        tileable: bool,
        truncation: Any = 1.0,
        progress: Callable | None = None,
    ) -> tuple[str, str]:
        """A contact sheet of nine 192 px variants from ``seed`` on, and a summary."""
        from gamegan.io.png import write_png

        report = _reporter(progress)
        model = self._model(key, "textures", "texture")
        seed = _whole(seed, "seed", 0, MAX_SEED - VARIATIONS)
        truncation = _number(truncation, "truncation", 0.0, 1.0)
        report(0.05, f"generating {VARIATIONS} variants")
        with model.lock:
            sheet = gen.variations(
                model.loaded,
                VARIATIONS,
                width=192,
                height=192,
                seed=seed,
                tileable=bool(tileable),
                truncation=truncation,
            )
        path = self.outputs.new_folder("variations") / f"{model.name}-seeds{seed}.png"
        write_png(path, sheet)
        report(1.0, "done")
        last = seed + VARIATIONS - 1
        return str(path), (
            f"**{model.label}**: seeds {seed}-{last}, each under its picture. Put the seed you "
            "like in Seed (and one in Morph to, for a texture that changes between two)."
        )

    @shown_in_page
    def music_handler(
        self,
        key: str,
        bars: Any,
        temperature: Any,
        top_k: Any,
        seed: Any,
        tempo: Any = 0,
        tonic: Any = AS_GENERATED,
        mode: Any = EITHER_MODE,
        loop: Any = False,
        progress: Callable | None = None,
    ) -> tuple[str | None, str, list[str], str]:
        """WAV (None when it cannot be rendered here), piano roll, downloads, summary.

        ``tempo`` 0 keeps the model's; ``tonic`` and ``mode`` are the generate command's
        ``--key`` and ``--mode`` (or "as generated", "either"); ``loop`` its ``--loop``.
        """
        from gamegan.metrics.music_stats import repeated_note_ratio

        report = _reporter(progress)
        model = self._model(key, "music", "music")
        bars = _whole(bars, "bars", 1, MAX_BARS)
        temperature = _number(temperature, "temperature", 0.0, MAX_TEMPERATURE)
        top_k = _whole(top_k, "top-k", 0, MAX_TOP_K)
        seed = _whole(seed, "seed", 0, MAX_SEED)
        tempo = _number(tempo, "tempo", 0.0, gen.MAX_TEMPO)
        if tonic not in (AS_GENERATED, *KEY_NAMES):
            raise ConfigError(f"key: choose one of {', '.join(KEY_NAMES)}")
        if mode not in (EITHER_MODE, "major", "minor"):
            raise ConfigError("mode: choose major, minor or either")
        folder = self.outputs.new_folder("music")
        report(0.05, f"composing {bars} bars")
        start = time.perf_counter()
        with model.lock:
            scores = gen.music(
                model.loaded, seed=seed, n_bars=bars, temperature=temperature, top_k=top_k,
                tempo=tempo or None, key=None if tonic == AS_GENERATED else tonic,
                mode=None if mode == EITHER_MODE else mode, loop=bool(loop),
            )  # fmt: skip
        seconds = time.perf_counter() - start
        if not scores:  # a sequence model can close its piece at once
            raise ConfigError(f"seed {seed}: the model ended the piece at once; try another seed")
        score = scores[0]
        stem = folder / f"{model.name}-seed{seed}-{bars}bars"
        report(0.6, "writing MIDI and the piano roll")
        files = gen.write_music_files(score, stem)
        midi, roll = files["midi"], files["pianoroll"]
        downloads = [midi, roll]
        wav, no_audio = None, ""
        report(0.7, "rendering audio")
        try:
            audio = gen.write_music_audio(score, stem, ["wav", "ogg"])
            wav = audio["wav"]
            downloads[1:1] = [wav, audio["ogg"]]
        except AudioError as err:
            no_audio = str(err)
            _gradio().Warning(f"No audio: {no_audio}. The MIDI file is still ready.")
        ignored = " (the GAN ignores temperature and top-k)" if not model.family.sequential else ""
        summary = (
            f"**{model.label}**, seed {seed}{ignored}: {score.n_bars} bars, {score.seconds:.1f} s, "
            f"{score.n_notes} notes, repeated-note ratio {repeated_note_ratio(score):.2f}; "
            f"composed in {seconds:.2f} s."
        )
        if no_audio:
            summary += f"\n\n**No audio player:** {no_audio}. Download the MIDI file instead."
        report(1.0, "done")
        return (str(wav) if wav else None, str(roll), [str(p) for p in downloads], summary)

    @shown_in_page
    def class_choices(self, key: Any) -> list[str]:
        """The classes an image model offers: "any" (drawn per image) and its class names."""
        model = self.models.get(key) if isinstance(key, str) else None
        return [ANY_CLASS, *(model.loaded.class_names if model is not None else [])]

    @shown_in_page
    def images_handler(
        self,
        key: str,
        seed: Any,
        count: Any,
        klass: Any = ANY_CLASS,
        progress: Callable | None = None,
    ) -> tuple[str, list[str], str]:
        """Grid of samples, downloads (the grid and a zip of single images), summary.

        ``klass``: a conditional model's class by name, or "any" to draw one per image."""
        import zipfile

        from gamegan.io.png import make_grid, write_png

        report = _reporter(progress)
        model = self._model(key, "images", "image")
        seed = _whole(seed, "seed", 0, MAX_SEED)
        count = _whole(count, "count", 1, MAX_IMAGES)
        label = None
        if klass not in (None, "", ANY_CLASS):
            if klass not in model.loaded.class_names:  # a name from the list, never an index
                offered = ", ".join(self.class_choices(key))
                raise ConfigError(f"pick a class from the list (offered: {offered})")
            label = str(klass)
        folder = self.outputs.new_folder("images")
        report(0.05, f"generating {count} images")
        start = time.perf_counter()
        with model.lock:
            pictures = gen.images(model.loaded, n=count, seed=seed, label=label)  # [N, H, W, C]
        seconds = time.perf_counter() - start
        report(0.7, "writing the grid")
        cols = math.ceil(math.sqrt(count))
        rows = math.ceil(count / cols)
        stem = f"{model.name}-seeds{seed}-{seed + count - 1}"
        if label is not None:
            stem = f"{model.name}-{slug(label, 'class')}-seeds{seed}-{seed + count - 1}"
        grid = folder / f"{stem}.png"
        write_png(grid, make_grid(pictures, rows, cols))
        singles = folder / stem
        singles.mkdir()
        archive = folder / f"{stem}.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            for i, picture in enumerate(pictures):
                path = singles / f"seed{seed + i:06d}.png"
                write_png(path, picture)
                zf.write(path, path.name)
        h, w = pictures.shape[1:3]
        of_class = f" of class {label}" if label is not None else ""
        summary = (
            f"**{model.label}**: {count} images{of_class} of {w}x{h} (seeds {seed}-"
            f"{seed + count - 1}, image i uses seed + i) in {seconds:.2f} s."
        )
        report(1.0, "done")
        return str(grid), [str(grid), str(archive)], summary

    @shown_in_page
    def translate_handler(
        self,
        key: str,
        input_name: Any,
        tileable: bool = True,
        reverse: bool = False,
        progress: Callable | None = None,
    ) -> tuple[str, list[str], str]:
        """An image-to-image model's output for one of the app's input images: the picture,
        its download, a summary. ``input_name`` is a name from the list, never a path."""
        from gamegan.generate.translations import read_input
        from gamegan.io.png import write_png

        report = _reporter(progress)
        model = self._model(key, "translations", "image-to-image")
        path = self.inputs.get(input_name) if isinstance(input_name, str) else None
        if path is None:
            offered = ", ".join(sorted(self.inputs)) or "none: start the app with --inputs FOLDER"
            raise ConfigError(f"pick an input image from the list (offered: {offered})")
        picture = read_input(path, model.loaded.G.cfg.condition_channels)
        h, w = picture.shape[:2]
        if max(h, w) > MAX_SIDE:
            raise ConfigError(f"{input_name} is {w}x{h}; the page takes inputs up to {MAX_SIDE} px")
        folder = self.outputs.new_folder("translate")
        report(0.1, f"translating {input_name}")
        start = time.perf_counter()
        with model.lock:
            made = gen.translate(
                model.loaded, picture, tileable=bool(tileable), reverse=bool(reverse)
            )
        seconds = time.perf_counter() - start
        out = folder / f"{model.name}-{slug(Path(input_name).stem, 'input')}.png"
        write_png(out, made[..., 0] if made.shape[-1] == 1 else made)
        direction = " (B to A)" if reverse else ""
        summary = (
            f"**{model.label}**{direction}: {input_name}, {w}x{h}, in {seconds:.2f} s"
            f"{'; tiles when the input does' if tileable else ''}."
        )
        report(1.0, "done")
        return str(out), [str(out)], summary

    # the page

    def build(self) -> Any:
        """The Gradio Blocks of the page (not started).

        Sets ``GRADIO_TEMP_DIR`` to the output folder first: components read it when they are
        made, and it makes Gradio serve the files in place instead of copying them elsewhere.
        """
        os.environ["GRADIO_TEMP_DIR"] = str(self.outputs.root)
        os.environ["GRADIO_EXAMPLES_CACHE"] = str(self.outputs.root / "examples")
        gr = _gradio()
        with gr.Blocks(title="gamegan", analytics_enabled=False) as blocks:
            gr.Markdown(
                "# gamegan\nSeamless textures with heightmaps, music and image samples from "
                "GAN snapshots, made on this machine. The same seed and settings always give "
                f"the same result. Files are written to `{self.outputs.root}`."
            )
            with gr.Tabs():
                with gr.Tab("Textures", id="textures", elem_id="tab-textures"):
                    self._texture_tab(gr)
                with gr.Tab("Music", id="music", elem_id="tab-music"):
                    self._music_tab(gr)
                with gr.Tab("Images", id="images", elem_id="tab-images"):
                    self._images_tab(gr)
                with gr.Tab("From an image", id="translate", elem_id="tab-translate"):
                    self._translate_tab(gr)
        # api_open=False: every call goes through the queue and its limit, none around it.
        blocks.queue(
            max_size=QUEUE_SIZE, default_concurrency_limit=self.concurrency, api_open=False
        )
        return blocks

    def _event(self, button: Any, fn: Callable, inputs: list, outputs: list) -> None:
        # One concurrency id for all tabs: the limit bounds generations in total, not per tab.
        button.click(
            fn,
            inputs,
            outputs,
            concurrency_limit=self.concurrency,
            concurrency_id="generate",
        )

    @staticmethod
    def _image(gr: Any, label: str, elem_id: str) -> Any:
        return gr.Image(
            label=label,
            type="filepath",
            interactive=False,
            buttons=["download", "fullscreen"],
            height=IMAGE_HEIGHT,
            elem_id=elem_id,
        )

    def _texture_tab(self, gr: Any) -> None:
        def texture_event(
            key, seed, width, height, tileable, morph_to, truncation, progress=gr.Progress()
        ):
            return self.texture_handler(
                key, seed, width, height, tileable, morph_to, truncation, progress=progress
            )

        def variations_event(key, seed, tileable, truncation, progress=gr.Progress()):
            return self.variations_handler(key, seed, tileable, truncation, progress=progress)

        choices = self.choices("textures")
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                model = gr.Dropdown(
                    choices,
                    value=choices[0][1] if choices else None,
                    label="Model",
                    elem_id="texture-model",
                )
                seed = gr.Number(
                    0,
                    label="Seed",
                    precision=0,
                    minimum=0,
                    maximum=MAX_SEED,
                    elem_id="texture-seed",
                )
                with gr.Row():
                    width = gr.Number(
                        512,
                        label=f"Width ({MIN_SIDE}-{MAX_SIDE} px)",
                        precision=0,
                        elem_id="texture-width",
                    )
                    height = gr.Number(
                        512,
                        label=f"Height ({MIN_SIDE}-{MAX_SIDE} px)",
                        precision=0,
                        elem_id="texture-height",
                    )
                tileable = gr.Checkbox(
                    True,
                    label="Tileable (wraps seamlessly at the borders)",
                    elem_id="texture-tileable",
                )
                # A text box, not a number box: the page sends 0 for an empty number box,
                # and blank must mean "no morph".
                morph_to = gr.Textbox(
                    "",
                    label="Morph to seed (blank: none): changes from Seed's variant to this "
                    "one's across the width",
                    max_lines=1,
                    elem_id="texture-morph-to",
                )
                truncation = gr.Slider(
                    0.0,
                    1.0,
                    1.0,
                    step=0.05,
                    label="Truncation: below 1, variants nearer the average (fewer failed "
                    "ones, less variety)",
                    elem_id="texture-truncation",
                )
                button = gr.Button(
                    "Generate texture", variant="primary", elem_id="texture-generate"
                )
                more = gr.Button(
                    f"Show {VARIATIONS} variants from Seed on", elem_id="texture-variations"
                )
                info = gr.Markdown(elem_id="texture-info")
                files = gr.File(
                    label="Downloads: texture, tiled preview, 16-bit heightmap (PNG and RAW), "
                    "normal map",
                    file_count="multiple",
                    interactive=False,
                    elem_id="texture-files",
                )
            with gr.Column(scale=2):
                with gr.Row():
                    texture = self._image(gr, "Texture", "texture-image")
                    tiled = self._image(gr, "2x2 tiled preview", "texture-tiled")
                with gr.Row():
                    heightmap = self._image(
                        gr, "Heightmap (8-bit preview; the download is 16-bit)", "texture-heightmap"
                    )
                    normal = self._image(gr, "Normal map (OpenGL, Y up)", "texture-normal")
                sheet = self._image(gr, "Variants (seed under each)", "texture-sheet")
        self._event(
            button,
            texture_event,
            [model, seed, width, height, tileable, morph_to, truncation],
            [texture, tiled, heightmap, normal, files, info],
        )
        self._event(more, variations_event, [model, seed, tileable, truncation], [sheet, info])

    def _music_tab(self, gr: Any) -> None:
        def music_event(
            key, bars, temperature, top_k, seed, tempo, tonic, mode, loop, progress=gr.Progress()
        ):
            return self.music_handler(
                key, bars, temperature, top_k, seed, tempo, tonic, mode, loop, progress=progress
            )

        choices = self.choices("music")
        if not choices:
            gr.Markdown(
                "No music model here: the bundled ones (chorale, chorale-lstm, chorale-vae) are "
                "missing from this install. Start the app with music runs, e.g. "
                "`gamegan app runs/00007-note-lstm`.",
                elem_id="music-none",
            )
            return
        has_audio, audio_text = audio_status()
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                model = gr.Dropdown(
                    choices, value=choices[0][1], label="Model", elem_id="music-model"
                )
                bars = gr.Slider(1, MAX_BARS, 8, step=1, label="Bars", elem_id="music-bars")
                temperature = gr.Slider(
                    0.0,
                    2.0,
                    1.0,
                    step=0.05,
                    label="Temperature (0 = greedy; sequence models)",
                    elem_id="music-temperature",
                )
                top_k = gr.Slider(
                    0,
                    MAX_TOP_K,
                    0,
                    step=1,
                    label="Top-k (0 = off; sequence models)",
                    elem_id="music-top-k",
                )
                seed = gr.Number(
                    0, label="Seed", precision=0, minimum=0, maximum=MAX_SEED, elem_id="music-seed"
                )
                tempo = gr.Slider(
                    0, 240, 0, step=1, label="Tempo (0 = the model's)", elem_id="music-tempo"
                )
                with gr.Row():
                    tonic = gr.Dropdown(
                        [AS_GENERATED, *KEY_NAMES], value=AS_GENERATED, label="Key",
                        elem_id="music-key",
                    )  # fmt: skip
                    mode = gr.Dropdown(
                        [EITHER_MODE, "major", "minor"], value=EITHER_MODE, label="Mode",
                        elem_id="music-mode",
                    )  # fmt: skip
                loop = gr.Checkbox(
                    False, label="Seamless loop (for background music)", elem_id="music-loop"
                )
                button = gr.Button("Generate music", variant="primary", elem_id="music-generate")
                gr.Markdown(
                    f"Audio: {audio_text}."
                    if has_audio
                    else f"**No audio player here:** {audio_text}. MIDI and the piano roll "
                    "still work.",
                    elem_id="music-audio-status",
                )
                info = gr.Markdown(elem_id="music-info")
            with gr.Column(scale=2):
                audio = gr.Audio(
                    label="Audio (WAV)",
                    type="filepath",
                    interactive=False,
                    buttons=["download"],  # not "share": it uploads to Hugging Face
                    elem_id="music-audio",
                )
                roll = self._image(gr, "Piano roll", "music-roll")
                files = gr.File(
                    label="Downloads: MIDI, WAV, OGG, piano roll",
                    file_count="multiple",
                    interactive=False,
                    elem_id="music-files",
                )
        self._event(
            button,
            music_event,
            [model, bars, temperature, top_k, seed, tempo, tonic, mode, loop],
            [audio, roll, files, info],
        )

    def _images_tab(self, gr: Any) -> None:
        def images_event(key, seed, count, klass, progress=gr.Progress()):
            return self.images_handler(key, seed, count, klass, progress=progress)

        def classes_of(key):
            choices = self.class_choices(key)
            return gr.update(choices=choices, value=ANY_CLASS, visible=len(choices) > 1)

        choices = self.choices("images")
        if not choices:
            gr.Markdown(
                "No image model was given. Image GANs (MNIST digits, CIFAR forests, ...) come "
                "from your own runs: start the app with them, e.g. "
                "`gamegan app runs/00003-dcgan-mnist`.",
                elem_id="images-none",
            )
            return
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                model = gr.Dropdown(
                    choices, value=choices[0][1], label="Model", elem_id="images-model"
                )
                seed = gr.Number(
                    0,
                    label="First seed (image i uses seed + i)",
                    precision=0,
                    minimum=0,
                    maximum=MAX_SEED,
                    elem_id="images-seed",
                )
                count = gr.Slider(1, MAX_IMAGES, 16, step=1, label="Count", elem_id="images-count")
                classes = self.class_choices(choices[0][1])
                klass = gr.Dropdown(
                    classes,
                    value=ANY_CLASS,
                    label="Class (conditional models)",
                    visible=len(classes) > 1,
                    elem_id="images-class",
                )
                model.change(classes_of, [model], [klass])
                button = gr.Button("Generate images", variant="primary", elem_id="images-generate")
                info = gr.Markdown(elem_id="images-info")
                files = gr.File(
                    label="Downloads: grid, single images (zip)",
                    file_count="multiple",
                    interactive=False,
                    elem_id="images-files",
                )
            with gr.Column(scale=2):
                grid = self._image(gr, "Samples", "images-grid")
        self._event(button, images_event, [model, seed, count, klass], [grid, files, info])

    def _translate_tab(self, gr: Any) -> None:
        def translate_event(key, name, tileable, reverse, progress=gr.Progress()):
            return self.translate_handler(key, name, tileable, reverse, progress=progress)

        choices = self.choices("translations")
        if not choices or not self.inputs:
            gr.Markdown(
                "Image-to-image models (pix2pix, CycleGAN) paint a picture from an input image. "
                "Start the app with such a run and a folder of input images, e.g. "
                "`gamegan app runs/00009-pix2pix-sketch --inputs sketches/`.",
                elem_id="translate-none",
            )
            return
        names = sorted(self.inputs)
        with gr.Row():
            with gr.Column(scale=1, min_width=260):
                model = gr.Dropdown(
                    choices, value=choices[0][1], label="Model", elem_id="translate-model"
                )
                name = gr.Dropdown(
                    names, value=names[0], label="Input image", elem_id="translate-input"
                )
                tileable = gr.Checkbox(True, label="Tileable", elem_id="translate-tileable")
                reverse = gr.Checkbox(
                    False, label="B to A (two-way models)", elem_id="translate-reverse"
                )
                button = gr.Button("Translate", variant="primary", elem_id="translate-go")
                info = gr.Markdown(elem_id="translate-info")
                files = gr.File(
                    label="Download", file_count="multiple", interactive=False,
                    elem_id="translate-files",
                )  # fmt: skip
            with gr.Column(scale=2):
                picture = self._image(gr, "Output", "translate-output")
        self._event(
            button, translate_event, [model, name, tileable, reverse], [picture, files, info]
        )

    def launch(
        self,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        block: bool = True,
        quiet: bool = False,
    ) -> Any:
        """Build the page and serve it with the safety settings of the module docstring.

        Parameters
        ----------
        host : str
            Address to listen on; anything but a loopback address exposes the page (and the
            CPU) to the network.
        port : int, optional
            Default: the first free port from 7860.
        block : bool
            Serve until Ctrl+C; False returns at once, with the server in a thread.
        quiet : bool
            Print nothing (Gradio's own lines would suggest ``share=True``).

        Returns
        -------
        gradio.Blocks
            The running page; ``.local_url`` is its address, ``.close()`` stops it.

        Raises
        ------
        OSError
            If the port is taken or the address cannot be bound.
        """
        from starlette.middleware import Middleware

        blocks = self.build()
        blocks.launch(
            server_name=host,
            server_port=port,
            share=False,
            inbrowser=False,
            prevent_thread_lock=True,
            quiet=True,
            show_error=False,  # unexpected errors stay in the server log
            allowed_paths=[str(self.outputs.root)],
            max_file_size=MAX_UPLOAD,
            enable_monitoring=False,
            mcp_server=False,
            ssr_mode=False,  # no Node server
            pwa=False,
            run_history=False,  # it can connect to Hugging Face storage
            footer_links=["settings"],
            app_kwargs={
                "middleware": [
                    Middleware(BodyLimit, max_bytes=MAX_BODY),
                    Middleware(OutputOnly, root=self.outputs.root),
                ]
            },
        )
        if not quiet:
            print(f"serving {blocks.local_url} (Ctrl+C stops)", flush=True)
        if block:
            blocks.block_thread()
        return blocks
