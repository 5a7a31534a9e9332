"""What a run trains on, read as its config says: one loader for training and evaluation.

``resolved`` is a :class:`gamegan.build.Resolved` (its config, model spec and model config);
evaluation reads a run's data through the very loader training used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from gamegan.errors import ConfigError, DataError


def load_run_data(resolved, codec=None):
    """What a run trains on, through the loader its config names.

    Images for the image and texture GANs, piano-roll phrases (as uint8 "images" with the
    tracks as channels) for the music GAN, an encoded event stream for sequence models;
    ``codec`` is a resumed run's own vocabulary, so the data is encoded exactly as before.
    """
    family = resolved.spec.family
    if family.makes == "music":
        return load_music_data(resolved, codec)
    from gamegan.data import DATASETS, TEXTURE_PREFIX, load_images
    from gamegan.data.textures import BUNDLED_TEXTURES

    cfg, model_cfg = resolved.cfg, resolved.model_cfg
    source = cfg.data.source
    if resolved.spec.two_way:
        return load_domains(resolved)
    if family.makes == "translations":
        return load_pairs(resolved)
    if family.makes == "textures" and cfg.data.heights:
        from gamegan.data.heights import load_height_crops

        if model_cfg.channels != 1:
            raise ConfigError("height data has one channel: set model.channels=1")
        return load_height_crops(
            source,
            model_cfg.resolution,
            n_crops=cfg.data.n_crops,
            seed=cfg.train.seed,
            holdout=cfg.data.holdout,
            flips=cfg.data.flips,
            raw_size=cfg.data.raw_size,
        )
    known = (*DATASETS, *BUNDLED_TEXTURES)
    if family.makes == "textures" and source.lower() not in known:
        # A texture model learns from crops at the photo's own scale, never from resized images.
        source = source if source.startswith(TEXTURE_PREFIX) else TEXTURE_PREFIX + source
    return load_images(
        source,
        data_dir=cfg.data.data_dir,
        resolution=model_cfg.resolution,
        channels=model_cfg.channels,
        classes=cfg.data.classes,
        coarse_classes=cfg.data.coarse_classes,
        split=cfg.data.split,
        n_crops=cfg.data.n_crops,
        seed=cfg.train.seed,
        holdout=cfg.data.holdout,
        flips=cfg.data.flips,
    )


def load_pairs(resolved):
    """An image-to-image model's pairs: a folder of ``A/`` and ``B/`` files, or pictures (a
    folder, or crops at their own scale of a photo or bundled texture) with A made from each
    (``data.condition``)."""
    from dataclasses import replace

    from gamegan.data.pairs import is_pair_folder, load_pair_folder, with_derived_conditions

    cfg, model_cfg = resolved.cfg, resolved.model_cfg
    source, kind = cfg.data.source, cfg.data.condition
    if is_pair_folder(source):
        if kind:
            raise ConfigError(
                f"--data {source} holds A/ and B/ pairs; data.condition={kind} makes A from "
                "pictures instead: give one or the other"
            )
        return load_pair_folder(
            source, model_cfg.resolution, model_cfg.channels, model_cfg.condition_channels
        )
    if not kind:
        raise ConfigError(
            f"--data {source}: an image-to-image model needs pairs: a folder with A/ and B/ "
            "subfolders, or data.condition=edges|gray to make A from each picture"
        )
    if model_cfg.condition_channels != 1:
        raise ConfigError(
            f"data.condition={kind} makes a one-channel A: set model.condition_channels=1"
        )
    data = _pictures(resolved, source, model_cfg.channels)
    return replace(with_derived_conditions(data, kind), labels=None, class_names=None)


def _pictures(resolved, source: str, channels: int):
    """An image-to-image model's pictures: crops at its own scale of a photo or bundled
    texture, or a folder of pictures resized to the model's resolution."""
    from gamegan.data import TEXTURE_PREFIX, load_images
    from gamegan.data.textures import BUNDLED_TEXTURES

    cfg = resolved.cfg
    if Path(source).expanduser().is_file() and source.lower() not in BUNDLED_TEXTURES:
        source = TEXTURE_PREFIX + source  # one photo: crops at its own scale
    return load_images(
        source,
        data_dir=cfg.data.data_dir,
        resolution=resolved.model_cfg.resolution,
        channels=channels,
        n_crops=cfg.data.n_crops,
        seed=cfg.train.seed,
        holdout=cfg.data.holdout,
        flips=cfg.data.flips,
    )


@dataclass
class TwoDomains:
    """Unpaired images of two domains (CycleGAN): ``a`` and ``b`` are ImageData."""

    a: object
    b: object

    @property
    def source(self) -> str:
        return f"A: {self.a.source}; B: {self.b.source}"

    @property
    def skipped(self) -> list:
        return [*self.a.skipped, *self.b.skipped]

    def __len__(self) -> int:
        return max(len(self.a), len(self.b))


def load_domains(resolved) -> TwoDomains:
    """Domain A from ``--data`` and B from ``data.domain_b``, each a photo or bundled texture
    (crops at its own scale) or a folder of pictures (resized), at the model's channels."""

    cfg, model_cfg = resolved.cfg, resolved.model_cfg
    if not cfg.data.domain_b:
        raise ConfigError(
            f"--data {cfg.data.source} is domain A; a two-way model also needs domain B: "
            "--set data.domain_b=PHOTO_OR_FOLDER"
        )

    return TwoDomains(
        _pictures(resolved, cfg.data.source, model_cfg.condition_channels),
        _pictures(resolved, cfg.data.domain_b, model_cfg.channels),
    )


def load_music_data(resolved, codec=None):
    """Scores from a corpus or folder, made into the model's training examples."""
    from gamegan.data.images import ImageData
    from gamegan.data.music import load_scores
    from gamegan.music.score import MODES

    cfg, model_cfg = resolved.cfg, resolved.model_cfg
    music = load_scores(
        cfg.data.source,
        limit=cfg.data.max_files or None,
        timeout=cfg.data.parse_timeout,
    )
    if resolved.spec.family.sequential:
        from dataclasses import replace

        from gamegan.data.sequences import encode_corpus

        data = encode_corpus(
            resolved.spec,
            model_cfg,
            music.scores,
            seed=cfg.train.seed,
            val_fraction=cfg.data.val_fraction,
            codec=codec,
        )
        (n_train, n_val), minor = data.n_pieces, data.class_prior[MODES.index("minor")]
        source = (
            f"{music.source}: {n_train} pieces ({len(data.train)} events, {minor:.0%} minor) "
            f"for training, {n_val} ({len(data.val)} events) for validation"
        )
        return replace(data, source=source, skipped=[*music.skipped, *data.skipped])

    from gamegan.music.keys import mode_index

    rolls, modes, skipped = [], [], list(music.skipped)
    for score in music.scores:
        # Each phrase is labelled with its piece's mode, which a conditional model learns.
        found = model_phrases(score, model_cfg, context_bars=model_cfg.context_bars)
        if found:
            rolls.extend(found)
            modes.extend([mode_index(score)] * len(found))
        else:
            name = score.extra.get("source", score.title)
            skipped.append((name, "no phrase fits (4/4 time and every track sounding needed)"))
    if not rolls:
        raise DataError(
            f"{music.source}: no {model_cfg.n_bars}-bar phrase with {model_cfg.n_tracks} "
            "sounding tracks in 4/4 time; check the files or lower model.n_tracks"
        )
    images = torch.from_numpy(np.stack(rolls).astype(np.uint8) * 255)
    labels = torch.tensor(modes, dtype=torch.int64)
    n_minor = int((labels == MODES.index("minor")).sum())
    source = (
        f"{music.source}: {len(rolls)} phrases of {model_cfg.n_bars} bars "
        f"({len(rolls) - n_minor} major, {n_minor} minor)"
    )
    return ImageData(images, labels, list(MODES), source, skipped)


def model_phrases(score, model_cfg, *, context_bars: int = 0) -> list:
    """A score's piano-roll phrases on the music GAN's grid (``pianoroll_gan.Config``), each
    with ``context_bars`` bars before it."""
    from gamegan.music import pianoroll

    return pianoroll.phrases(
        score,
        n_bars=model_cfg.n_bars,
        resolution=model_cfg.resolution,
        lowest_pitch=model_cfg.lowest_pitch,
        n_pitches=model_cfg.n_pitches,
        n_tracks=model_cfg.n_tracks,
        onsets=model_cfg.onsets,
        context_bars=context_bars,
    )
