"""What every model provides, the MODELS registry the build step looks up, and FAMILIES:
the kinds of model, which the layers above ask instead of comparing kind names."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from torch import nn

from gamegan.errors import ConfigError
from gamegan.nn.layers import ACTIVATIONS
from gamegan.registry import Registry


@dataclass(frozen=True)
class Family:
    """A kind of model: what its snapshots make, and how the layers above serve it.

    A snapshot stores its family's name as ``kind``. Training, generation, evaluation, export
    and the app read these fields rather than compare kind names (a boundary test keeps the
    names out of them), so a new kind of model is one entry here plus the code its new
    abilities need.
    """

    name: str
    makes: str  # generation writes "images" (at the trained size), "textures", "music" or
    # "translations" (an image made from each input image)
    # Writes one event at a time by sampling its own next-event distribution (with temperature
    # and top-k), trained by its own likelihood; else a whole output from noise in one pass,
    # trained against a critic.
    sequential: bool = False
    onnx_output: str | None = None  # name of the ONNX graph's output; None: no ONNX export
    no_onnx: str = ""  # why not, for the error message


MAKES = ("images", "textures", "music", "translations")
FAMILIES: Registry[Family] = Registry("model family")
for _family in (
    Family("image_gan", "images", onnx_output="image"),
    Family("texture_gan", "textures", onnx_output="texture"),
    Family("music_gan", "music", onnx_output="pianoroll"),
    # Images made from an input image (pix2pix): any size, told the image instead of noise.
    Family("image_to_image", "translations", onnx_output="image"),
    Family(
        "note_sequence",
        "music",
        sequential=True,
        no_onnx="it writes music one event at a time, feeding each sampled token back through "
        "a Python loop, so no single graph maps a latent to the music",
    ),
):
    FAMILIES.register(_family.name)(_family)


# The kind of a snapshot whose metadata names none (the first snapshots held image GANs).
UNNAMED_KIND = "image_gan"


def family_of(kind: str) -> Family:
    """The family named by a spec's or a snapshot's ``kind`` (a clear error when unknown)."""
    return FAMILIES.get(kind)


@dataclass(frozen=True)
class GANSpec:
    """One registered model: its config schema and the two networks built from it."""

    config: type  # frozen dataclass with defaults; its fields are the model's params schema
    generator: type  # Generator(cfg): forward(z [N, z_dim]) -> x [N, C, H, W] in [-1, 1] (tanh)
    discriminator: type  # Discriminator(cfg): forward(x [N, C, H, W]) -> logits [N] (no sigmoid)
    # What its snapshots make: "image_gan", "texture_gan" (any size) or "music_gan" (piano
    # rolls [N, tracks, steps, pitches]).
    kind: str = "image_gan"
    # (G output, model config) -> uint8 [N, 1|3, H, W] for sample grids; None: the output
    # is the picture.
    picture: Callable[[torch.Tensor, object], torch.Tensor] | None = None
    # Train in channels_last (NHWC) memory: oneDNN's convolutions of the DCGAN ran twice as
    # fast on it, forward and backward, on an AVX-512 CPU; a model that does not gain (the
    # piano-roll GAN's block matrix products ran slower) keeps the default layout.
    channels_last: bool = False
    # A family's own loss terms (gamegan.models.auxiliary.AuxiliaryTerms), built from the model
    # config; its discriminator then returns (logits, heads). None: the objective alone.
    auxiliary: type | None = None
    # Snapshots keep D too: the semi-supervised GAN's classifier is what its training makes.
    keeps_discriminator: bool = False
    # Trained both ways between two unpaired domains (CycleGAN): two generators and two
    # discriminators, held by gamegan.train.cycle; snapshots keep the reverse generator too.
    two_way: bool = False
    # An autoencoder's encoder (images -> codes): the model is trained as an adversarial
    # autoencoder (gamegan.train.autoencoder), G decoding codes, D judging codes.
    encoder: type | None = None

    @property
    def family(self) -> Family:
        return family_of(self.kind)


MODELS: Registry[GANSpec | SequenceSpec] = Registry("model")


class LatentGenerator(nn.Module):
    """A generator fed with z ~ N(0, I) of size ``z_dim``: the chapter's latent."""

    z_dim: int

    def sample_z(
        self,
        n: int,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
    ) -> torch.Tensor:
        """Draw ``n`` latents [n, z_dim].

        The draw happens on ``generator``'s device, so a seeded CPU generator gives the same z
        whatever device the model runs on; the result moves to ``device`` (default: the
        model's parameters' device).
        """
        if device is None:
            device = next(self.parameters()).device
        draw_device = generator.device if generator is not None else device
        z = torch.randn(n, self.z_dim, generator=generator, device=draw_device)
        return z.to(device)

    def sample_training_z(
        self, n: int, generator: torch.Generator | None = None, device=None
    ) -> torch.Tensor:
        """The latents of a training step: those of :meth:`sample_z` unless a model needs more."""
        return self.sample_z(n, generator, device)


# config checks shared by the model configs; messages name the --set key


def check_int(name: str, value: object, minimum: int = 1) -> None:
    """Require an int >= minimum (bools rejected: they are ints to Python)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"model.{name} must be an integer >= {minimum}, got {value!r}")


def check_ints(name: str, values: Iterable[object], minimum: int = 1) -> None:
    """Require a non-empty sequence of ints >= minimum."""
    values = tuple(values)
    if not values:
        raise ConfigError(f"model.{name} must not be empty")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
            raise ConfigError(f"model.{name} must hold integers >= {minimum}, got {values!r}")


def check_range(name: str, value: float, low: float, high: float) -> None:
    """Half-open range [low, high)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value < high:
        raise ConfigError(f"model.{name} must be in [{low}, {high}), got {value!r}")


def check_choice(name: str, value: object, choices: Iterable[str]) -> None:
    """Require one of ``choices``; the message lists them."""
    choices = tuple(choices)
    if value not in choices:
        raise ConfigError(f"model.{name}: unknown {value!r}; choose one of: {', '.join(choices)}")


def check_activation(name: str, value: object) -> None:
    """Require a name from ``ACTIVATIONS``."""
    check_choice(name, value, ACTIVATIONS)


INITS = ("keras", "torch")


@dataclass(frozen=True)
class SequenceSpec:
    """One registered next-event music model: config schema, codec and network.

    The codec (a ``gamegan.music`` class) turns scores into parallel token streams and back
    and is stored with the weights; the network predicts every next event of a window
    (teacher forcing) and samples new events one step at a time.
    """

    config: type  # frozen dataclass with defaults; must have ``seq_len`` (window length)
    codec: type  # Codec.prepare(score, cfg), Codec.fit(scores, cfg); encode/decode; to_dict
    network: type  # Network(cfg, vocab_sizes): loss(tokens) and sample(prompt, n_steps, ...)
    kind: str = "note_sequence"

    @property
    def family(self) -> Family:
        return family_of(self.kind)


def check_labels(labels: torch.Tensor | None, n: int, n_classes: int, what: str) -> None:
    """A conditional network needs one class per example; an unconditional one takes none."""
    if not n_classes:
        if labels is not None:
            raise ValueError(f"{what}: this model is unconditional (model.n_classes=0)")
        return
    if labels is None or labels.shape != (n,):
        got = None if labels is None else tuple(labels.shape)
        raise ValueError(f"{what}: needs labels [{n}] (model.n_classes={n_classes}), got {got}")


def checked_labels(labels: torch.Tensor | None, n: int, n_classes: int, what: str) -> torch.Tensor:
    """``labels`` as int64 [n] in [0, n_classes), or a clear error."""
    check_labels(labels, n, n_classes, what)
    # A value check is a data-dependent branch: left out where torch.export traces (ONNX).
    if torch.compiler.is_compiling() or labels.numel() == 0:
        return labels.long()
    if int(labels.min()) < 0 or int(labels.max()) >= n_classes:
        raise ValueError(f"{what}: labels must be in [0, {n_classes})")
    return labels.long()


def sample_logits(
    logits: torch.Tensor,
    *,
    temperature: float = 1.0,
    top_k: int = 0,
    generator: torch.Generator | None = None,
    exclude: int | None = None,
) -> torch.Tensor:
    """Draw one index per row of ``logits`` [N, V]: temperature, then the top-k tokens only.

    ``temperature <= 0`` is greedy argmax (the chapter's choice, which collapses into one
    repeated note); ``top_k = 0`` keeps every token; ``exclude`` is a token never drawn.
    """
    if exclude is not None:
        logits = logits.float().index_fill(
            -1, torch.tensor([exclude], device=logits.device), -torch.inf
        )
    if temperature <= 0:
        return logits.argmax(dim=-1)
    logits = logits.float() / temperature
    if 0 < top_k < logits.shape[-1]:
        kth = logits.topk(top_k, dim=-1).values[..., -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = torch.softmax(logits, dim=-1)
    draw_device = generator.device if generator is not None else probs.device
    return (
        torch.multinomial(probs.to(draw_device), 1, generator=generator)
        .squeeze(-1)
        .to(logits.device)
    )
