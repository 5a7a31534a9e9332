"""Multi-track piano-roll GAN after MuseGAN (Dong et al. 2018, arXiv:1709.06298).

The generator follows MuseGAN's hybrid model: a latent shared by all tracks and one private
latent per track, each turned into per-bar latents by a temporal network (the paper's G_temp,
a transposed convolution over the bars), so a phrase keeps one character while its bars
differ. A bar generator then makes every bar: a shared trunk (transposed convolutions over the
beats, then over the octaves) that sees all tracks' latents, so the voices agree on harmony and
rhythm, and a private branch per track (over the steps of each beat, then over the 12
semitones of each octave, the octave structure of the paper's pitch kernels) that writes that
voice. Tracks are channels: G(z) is ``[N, n_tracks, n_steps, n_pitches]`` in [-1, 1] (tanh),
what the image trainer calls ``[N, C, H, W]``; with ``onsets`` each track writes two channels,
its sounding steps and its onsets (``gamegan.music.pianoroll``), ``[N, 2 * n_tracks, ...]``.

The critic mirrors it (the paper's shared/private discriminator): private layers per track over
each octave's 12 semitones, then each beat's steps; shared ones over the beats of a bar, the
octaves and the bars of the phrase; and a second stream over the pitch classes (chroma) of all
tracks per beat, the harmony whatever the octave. As WGAN-GP (arXiv:1704.00028) asks, it has no
BatchNorm (the gradient penalty is per sample) and returns one unbounded score per phrase.

Every layer's kernel equals its stride (blocks of beats, octaves, bars), so each is written as
one matrix product (:class:`BlockConv`), several times faster on a CPU than PyTorch's grouped
strided convolutions; a training iteration (5 critic steps with the penalty and a generator
step, batch 32) takes about 0.35 s on one busy CPU core.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from gamegan.errors import ConfigError
from gamegan.models.base import (
    INITS,
    MODELS,
    GANSpec,
    LatentGenerator,
    check_choice,
    check_int,
    check_ints,
    check_labels,
    check_range,
)
from gamegan.music import pianoroll
from gamegan.nn.layers import check_shape, keras_init_

VOICES = ("soprano", "alto", "tenor", "bass")  # the chorales' parts, in their order
# General MIDI 19, church organ: the chorales' instrument in the service, and its instant
# attack keeps the generated sixteenths and repeated notes audible, which choir aahs (52), with
# its slow attack, smears.
ORGAN = 19
# Channel widths of each network part: how many the part's layers need.
WIDTHS = {
    "g_shared_channels": 2,  # over beats, then octaves
    "g_private_channels": 1,  # over the steps of a beat (then to semitones)
    "d_private_channels": 2,  # over semitones, then steps
    "d_shared_channels": 2,  # over beats, then octaves
}


@dataclass(frozen=True)
class Config:
    """Piano-roll GAN parameters; defaults are four-bar, four-part phrases of the chorales.

    ``track_names`` and ``programs`` at their defaults follow ``n_tracks`` (the first voices,
    then ``track 5``...); given explicitly they need one entry per track.
    """

    # What shapes the corpus as the model sees it (the phrase grid): a frozen corpus
    # reference for `gamegan eval` fits a run that agrees on these.
    REPRESENTATION: ClassVar[tuple[str, ...]] = (
        "n_tracks",
        "n_bars",
        "beats_per_bar",
        "resolution",
        "lowest_pitch",
        "n_pitches",
        "onsets",
    )

    n_tracks: int = 4
    n_bars: int = 4
    beats_per_bar: int = 4  # quarter notes per bar
    resolution: int = 4  # time steps per quarter note
    lowest_pitch: int = 36  # C2, MIDI pitch of row 0
    n_pitches: int = 48  # four octaves, C2-B5; a multiple of 12 (octave kernels)
    z_dim: int = 128  # latent shared by all tracks
    track_z_dim: int = 32  # private latent of each track
    bar_z_dim: int = 64  # shared latent per bar, made by the temporal network
    g_shared_channels: tuple[int, ...] = (256, 64)  # bar trunk: over beats, then octaves
    g_private_channels: tuple[int, ...] = (64,)  # per track: over steps (then to semitones)
    d_private_channels: tuple[int, ...] = (16, 32)  # per track: over semitones, then steps
    d_shared_channels: tuple[int, ...] = (128, 256)  # all tracks: over beats, then octaves
    d_chroma_channels: int = 32  # pitch-class stream of the critic; 0 turns it off
    # Onset/offset stream of the critic (BinaryMuseGAN's, Dong and Yang 2018): how much each
    # channel changes from step to step, summed over pitch, so the critic counts notes per
    # beat and voice, the rhythm a soft roll hides; 0 turns it off.
    d_onset_channels: int = 0
    leaky_slope: float = 0.2  # critic's LeakyReLU
    # Classes of the data that G and D are told (0: unconditional). The music loader labels
    # each phrase with its piece's mode (0 major, 1 minor), so 2 lets a user choose the mode.
    n_classes: int = 0
    class_dim: int = 16  # size of G's learned class embedding
    # Each track gets an onset channel beside its sounding steps (gamegan.music.pianoroll): a
    # repeated note is an onset, not a one-step gap, and rhythm is a channel the critic sees.
    onsets: bool = False
    # Bars before each phrase that G is given and continues (MuseGAN's temporal model carried
    # over phrases): a long piece is phrase after phrase, each written after the last bars
    # of the one before; the critic judges context and phrase together. 0: independent
    # phrases. The first phrase of a piece gets silence, as a chorale starts from nothing.
    context_bars: int = 0
    context_dim: int = 64  # size of G's summary of its context
    # G writes on/off rolls, as they will be played (BinaryMuseGAN's deterministic binary
    # neurons, Dong and Yang 2018, arXiv:1804.09399): the forward pass keeps each track's
    # likeliest sounding pitch per step (every pitch > 0 without ``monophonic``) at 1 and the
    # rest at -1, the backward pass is the tanh's (straight-through). The critic then judges
    # the notes that are decoded, not a soft roll whose argmax it never saw.
    binarize: bool = False
    # The later steps of each beat start as copies of its first: G's private branch writes a
    # beat's first step, and how far the others depart from it is scaled by a learned gate
    # per track (starting at ``hold_gate``). A note then lasts the beat unless G learns to
    # move within it; with independent weights per step, a voice's two eighths of a beat
    # pick their likeliest pitch apart and often change where Bach holds.
    beat_hold: bool = False
    hold_gate: float = 0.1
    track_names: tuple[str, ...] = VOICES  # part names of generated music
    programs: tuple[int, ...] = (ORGAN,) * 4  # General MIDI program of each track
    tempo: float = 90.0  # quarter notes per minute of generated music
    # Generated music keeps one pitch per track and step (the likeliest): chorale voices are
    # monophonic, and a thresholded roll would otherwise sound stray neighbour notes.
    monophonic: bool = True
    init: str = "torch"  # "torch": PyTorch defaults; "keras": Glorot-uniform + zero bias

    def __post_init__(self) -> None:
        for name in WIDTHS:  # JSON configs bring lists; keep the dataclass hashable
            object.__setattr__(self, name, tuple(getattr(self, name)))
        for flag in ("monophonic", "onsets", "binarize", "beat_hold"):
            if not isinstance(getattr(self, flag), bool):
                raise ConfigError(
                    f"model.{flag} must be true or false, got {getattr(self, flag)!r}"
                )
        check_int("n_tracks", self.n_tracks)
        check_int("n_bars", self.n_bars)
        check_int("context_bars", self.context_bars, 0)
        check_int("context_dim", self.context_dim)
        check_int("beats_per_bar", self.beats_per_bar)
        check_int("resolution", self.resolution)
        check_int("n_pitches", self.n_pitches, 12)
        if self.n_pitches % 12:
            raise ConfigError(
                f"model.n_pitches must be a multiple of 12 (the networks work octave by "
                f"octave), got {self.n_pitches}"
            )
        check_int("lowest_pitch", self.lowest_pitch, 0)
        if self.lowest_pitch + self.n_pitches > 128:
            raise ConfigError(
                f"model.lowest_pitch {self.lowest_pitch} + model.n_pitches {self.n_pitches} "
                "goes past MIDI pitch 127"
            )
        check_int("z_dim", self.z_dim)
        check_int("track_z_dim", self.track_z_dim)
        check_int("bar_z_dim", self.bar_z_dim)
        for name, n_widths in WIDTHS.items():
            widths = getattr(self, name)
            check_ints(name, widths)
            if len(widths) != n_widths:
                raise ConfigError(f"model.{name} takes {n_widths} width(s), got {widths!r}")
        check_int("d_chroma_channels", self.d_chroma_channels, 0)
        check_int("d_onset_channels", self.d_onset_channels, 0)
        check_range("leaky_slope", self.leaky_slope, 0.0, float("inf"))
        check_range("hold_gate", self.hold_gate, 0.0, float("inf"))
        check_int("n_classes", self.n_classes, 0)
        check_int("class_dim", self.class_dim)
        self._fit_tracks()
        check_range("tempo", self.tempo, 1.0, 1000.0)
        check_choice("init", self.init, INITS)

    def _fit_tracks(self) -> None:
        names, programs = tuple(self.track_names), tuple(self.programs)
        n = self.n_tracks
        if names == VOICES and n != len(VOICES):
            names = (VOICES + tuple(f"track {i + 1}" for i in range(len(VOICES), n)))[:n]
        if programs == (ORGAN,) * 4:
            programs = (ORGAN,) * n
        if len(names) != n or not all(isinstance(s, str) for s in names):
            raise ConfigError(
                f"model.track_names needs {n} names (one per track), got {self.track_names!r}"
            )
        if len(programs) != n:
            raise ConfigError(
                f"model.programs needs {n} General MIDI programs (one per track), got "
                f"{self.programs!r}"
            )
        check_ints("programs", programs, 0)
        if max(programs) > 127:
            raise ConfigError(f"model.programs must be 0-127, got {self.programs!r}")
        object.__setattr__(self, "track_names", names)
        object.__setattr__(self, "programs", programs)

    @property
    def steps_per_bar(self) -> int:
        return self.beats_per_bar * self.resolution

    @property
    def window_bars(self) -> int:
        """Bars of a training window, what the critic sees: the context, then the phrase."""
        return self.context_bars + self.n_bars

    @property
    def n_steps(self) -> int:
        """Time steps of a window: (context_bars + n_bars) * beats_per_bar * resolution."""
        return self.window_bars * self.steps_per_bar

    @property
    def context_steps(self) -> int:
        return self.context_bars * self.steps_per_bar

    @property
    def n_octaves(self) -> int:
        return self.n_pitches // 12

    @property
    def channels_per_track(self) -> int:
        """Sounding steps, and with ``onsets`` the onsets: channels 2t and 2t + 1 of track t."""
        return 2 if self.onsets else 1

    @property
    def channels(self) -> int:
        """The trainer's channel count: tracks (and their onsets) are channels."""
        return self.n_tracks * self.channels_per_track

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """One phrase as the trainer's [C, H, W]: (channels, n_steps, n_pitches)."""
        return (self.channels, self.n_steps, self.n_pitches)

    @property
    def latent_dim(self) -> int:
        """What ``Generator.sample_z`` draws: the shared latent, then each track's."""
        return self.z_dim + self.n_tracks * self.track_z_dim


class BlockConv(nn.Module):
    """A convolution whose kernel equals its stride, on group-major maps [G, N, H, W, C].

    Such a convolution reads (or, transposed, writes) disjoint kh x kw blocks, so it is one
    matrix product per group over all blocks; written as one (``bmm``) it runs several times
    faster on a CPU than PyTorch's grouped, strided ``Conv2d`` / ``ConvTranspose2d``, in the
    penalty's double backward too. ``up=False`` turns each kh x kw block into one cell (a
    strided conv); ``up=True`` turns each cell into a block (a transposed conv, with one bias
    per block position: a per-semitone or per-step offset). The ``groups`` maps (the tracks)
    share nothing. ``init="torch"`` draws as PyTorch's Linear/Conv do, U(+-1/sqrt(fan_in)) for
    weights and biases; ``"keras"`` is Glorot-uniform with zero biases.
    """

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        kernel: tuple[int, int],
        *,
        groups: int = 1,
        up: bool = False,
        init: str = "torch",
    ) -> None:
        super().__init__()
        self.out_dim, self.kernel, self.up = out_dim, tuple(kernel), up
        block = kernel[0] * kernel[1]
        fan_in, n_out = (in_dim, out_dim * block) if up else (in_dim * block, out_dim)
        self.weight = nn.Parameter(torch.empty(groups, fan_in, n_out))
        self.bias = nn.Parameter(torch.empty(groups, 1, n_out))
        with torch.no_grad():
            if init == "keras":
                fan_out = out_dim * block  # Glorot's fans, as keras_init_ counts them
                nn.init.uniform_(self.weight, -1.0, 1.0).mul_(math.sqrt(6 / (fan_in + fan_out)))
                self.bias.zero_()
            else:
                bound = 1 / math.sqrt(fan_in)
                nn.init.uniform_(self.weight, -bound, bound)
                nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g, n, h, w, c = x.shape
        kh, kw = self.kernel
        if self.up:
            y = torch.baddbmm(self.bias, x.reshape(g, n * h * w, c), self.weight)
            y = y.view(g, n, h, w, kh, kw, self.out_dim).permute(0, 1, 2, 4, 3, 5, 6)
            return y.reshape(g, n, h * kh, w * kw, self.out_dim)
        blocks = x.view(g, n, h // kh, kh, w // kw, kw, c).permute(0, 1, 2, 4, 3, 5, 6)
        blocks = blocks.reshape(g, n * (h // kh) * (w // kw), kh * kw * c)
        y = torch.baddbmm(self.bias, blocks, self.weight)
        return y.view(g, n, h // kh, w // kw, self.out_dim)


def hard_roll(x: torch.Tensor, channels_per_track: int, monophonic: bool) -> torch.Tensor:
    """A generator's soft rolls [N, C, steps, pitches] as played: 1 where a note sounds (or
    starts), -1 elsewhere.

    ``monophonic``: per track and step only the likeliest sounding pitch, and its onset if the
    onset channel says so; otherwise every value > 0.
    """
    if not monophonic:
        return torch.where(x > 0, 1.0, -1.0).to(x.dtype)
    k = channels_per_track
    frames = x[:, ::k]
    top = frames.max(dim=-1, keepdim=True).values
    keep = ((frames == top) & (top > 0)).repeat_interleave(k, dim=1)
    return torch.where(keep & (x > 0), 1.0, -1.0).to(x.dtype)


class ContextEncoder(nn.Module):
    """The bars before a phrase -> a vector [N, context_dim] that G writes the phrase after.

    Built as the critic's first layers are (each track's semitones, then steps; all tracks over
    beats, then octaves), then one linear layer over the context's bars.
    """

    WIDTHS = (8, 16, 64, 64)  # private over semitones, steps; shared over beats, octaves

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        t, k = cfg.n_tracks, cfg.channels_per_track
        c1, c2, c3, c4 = self.WIDTHS

        def block(c_in: int, c_out: int, kernel: tuple[int, int], groups: int = 1) -> BlockConv:
            return BlockConv(c_in, c_out, kernel, groups=groups, init=cfg.init)

        self.layers = nn.ModuleList(
            [
                block(k, c1, (1, 12), groups=t),
                block(c1, c2, (cfg.resolution, 1), groups=t),
                block(t * c2, c3, (cfg.beats_per_bar, 1)),
                block(c3, c4, (1, cfg.n_octaves)),
            ]
        )
        self.out = nn.Linear(cfg.context_bars * c4, cfg.context_dim)

    def forward(self, context: torch.Tensor) -> torch.Tensor:
        cfg = self.cfg
        n, t = context.shape[0], cfg.n_tracks
        h = context.view(n, t, cfg.channels_per_track, cfg.context_steps, cfg.n_pitches)
        h = h.permute(1, 0, 3, 4, 2)  # [T, N, steps, pitches, channels of the track]
        for i, layer in enumerate(self.layers):
            if i == 2:  # the tracks together
                h = h.permute(1, 2, 3, 0, 4).reshape(1, n, *h.shape[2:4], -1)
            h = torch.relu(layer(h))
        return self.out(h.reshape(n, -1))  # [N, context_dim]


class Generator(LatentGenerator):
    """z [N, z_dim + n_tracks * track_z_dim] -> rolls [N, n_tracks, n_steps, n_pitches] (tanh).

    With ``n_classes`` (a conditional GAN, e.g. the mode), ``forward(z, labels)`` takes one
    class per phrase: its learned embedding joins the shared latent before the temporal
    network and every bar's input to the trunk, so the whole phrase is written in it.

    With ``context_bars``, ``forward(z, labels, context)`` also takes the bars before the phrase
    (``[N, channels, context_steps, n_pitches]`` in [-1, 1], as the training data): a summary
    of them joins the class's embedding, and the output is the whole window, the context
    copied in front of the new phrase, which is what the critic judges.

    Maps are [tracks, N * n_bars, time, pitch, channels] (see :class:`BlockConv`). Normalization is
    LayerNorm over the channels of each cell (ProGAN's pixel norm, with a gain): no batch
    statistics, so a sample does not depend on its batch and eval mode changes nothing.
    """

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        self.z_dim = cfg.latent_dim
        self.n_classes = cfg.n_classes
        self.context_steps = cfg.context_steps
        t, b, tz, bz = cfg.n_tracks, cfg.n_bars, cfg.track_z_dim, cfg.bar_z_dim
        # What the phrase is conditioned on (class, context), joined to the latents: e wide.
        self.class_embedding = None
        if cfg.n_classes:
            self.class_embedding = nn.Embedding(cfg.n_classes, cfg.class_dim)
        self.context_encoder = ContextEncoder(cfg) if cfg.context_bars else None
        e = (cfg.class_dim if cfg.n_classes else 0) + (cfg.context_dim if cfg.context_bars else 0)
        s1, s2 = cfg.g_shared_channels
        (p1,) = cfg.g_private_channels

        def block(c_in: int, c_out: int, kernel: tuple[int, int], groups: int = 1) -> BlockConv:
            return BlockConv(c_in, c_out, kernel, groups=groups, up=True, init=cfg.init)

        # Temporal networks (MuseGAN's G_temp), transposed convolutions over the bars: one
        # latent per bar from the shared latent, and one per bar and track from each track's.
        self.temporal = block(cfg.z_dim + e, bz, (b, 1))
        self.temporal_norm = nn.LayerNorm(bz)
        self.track_temporal = block(tz, tz, (b, 1), groups=t)
        self.track_temporal_norm = nn.LayerNorm(tz)
        # Shared bar trunk: the bar's latent and all tracks' -> beats, then octaves.
        self.shared = nn.Sequential(
            block(bz + t * tz + e, s1, (cfg.beats_per_bar, 1)),
            nn.LayerNorm(s1),
            nn.ReLU(),
            block(s1, s2, (1, cfg.n_octaves)),
            nn.LayerNorm(s2),
            nn.ReLU(),
        )
        # Private branches, the tracks as groups: the steps of each beat, then the 12
        # semitones of each octave straight to the output.
        self.private = nn.Sequential(
            block(s2 + tz, p1, (cfg.resolution, 1), groups=t),
            nn.LayerNorm(p1),
            nn.ReLU(),
            block(p1, cfg.channels_per_track, (1, 12), groups=t),
        )
        self.hold_gate = None
        if cfg.beat_hold:
            self.hold_gate = nn.Parameter(torch.full((t, 1, 1, 1, 1, 1), float(cfg.hold_gate)))

    def forward(
        self,
        z: torch.Tensor,
        labels: torch.Tensor | None = None,
        context: torch.Tensor | None = None,
    ) -> torch.Tensor:
        check_shape(z, [None, self.z_dim], "pianoroll_gan.Generator z")
        cfg = self.cfg
        n, t, b, tz = z.shape[0], cfg.n_tracks, cfg.n_bars, cfg.track_z_dim
        check_labels(labels, n, cfg.n_classes, "pianoroll_gan.Generator")
        conditions = []  # [N, e] pieces
        if self.class_embedding is not None:
            conditions.append(self.class_embedding(labels))
        if self.context_encoder is not None:
            if context is None:
                raise ValueError(
                    f"pianoroll_gan.Generator: needs the {cfg.context_bars} bar(s) before the "
                    f"phrase (model.context_bars={cfg.context_bars})"
                )
            shape = [n, cfg.channels, cfg.context_steps, cfg.n_pitches]
            check_shape(context, shape, "pianoroll_gan.Generator context")
            conditions.append(self.context_encoder(context))
        elif context is not None:
            raise ValueError("pianoroll_gan.Generator: this model takes no context")
        shared = z[:, : cfg.z_dim]
        if conditions:
            embedded = torch.cat(conditions, dim=1)  # [N, e]
            shared = torch.cat([shared, embedded], dim=1)
        bars = self.temporal(shared[None, :, None, None, :])  # [1, N, B, 1, bz]
        bars = torch.relu(self.temporal_norm(bars)).reshape(n * b, cfg.bar_z_dim)
        track_z = z[:, cfg.z_dim :].view(n, t, tz).transpose(0, 1)[:, :, None, None, :]
        track_bars = torch.relu(self.track_temporal_norm(self.track_temporal(track_z)))
        track_bars = track_bars.reshape(t, n * b, 1, 1, tz)  # [T, N*B, 1, 1, tz]
        every_track = track_bars.permute(1, 0, 2, 3, 4).reshape(n * b, t * tz)
        h = torch.cat([bars, every_track], dim=1)
        if conditions:
            h = torch.cat([h, embedded.repeat_interleave(b, dim=0)], dim=1)
        h = self.shared(h[None, :, None, None, :])  # [1, N*B, beats, octaves, s2]
        # Each track's branch sees the trunk and its own bar latent, broadcast over the map.
        h = torch.cat(
            [h.expand(t, -1, -1, -1, -1), track_bars.expand(-1, -1, *h.shape[2:4], -1)], dim=4
        )  # [T, N*B, beats, octaves, s2 + tz]
        k = cfg.channels_per_track
        x = self.private(h)  # [T, N*B, steps, pitches, k], before the tanh
        if self.hold_gate is not None:
            beats = x.view(t, n * b, cfg.beats_per_bar, cfg.resolution, cfg.n_pitches, k)
            first = beats[:, :, :, :1]
            x = (first + self.hold_gate * (beats - first)).view_as(x)
        x = torch.tanh(x).view(t, n, b * cfg.steps_per_bar, cfg.n_pitches, k)
        x = x.permute(1, 0, 4, 2, 3)  # [N, T, k, steps, pitches]
        x = x.reshape(n, t * k, b * cfg.steps_per_bar, cfg.n_pitches)
        if cfg.binarize:
            # Exactly the hard roll forward, the soft one's gradient backward.
            x = hard_roll(x.detach(), k, cfg.monophonic) + (x - x.detach())
        if context is not None:
            x = torch.cat([context.to(x.dtype), x], dim=2)  # the window the critic sees
        return x.contiguous()


class Discriminator(nn.Module):
    """Rolls [N, n_tracks, n_steps, n_pitches] -> scores [N]: the WGAN-GP critic.

    With ``n_classes``, ``forward(x, labels)`` is a projection critic (Miyato and Koyama 2018,
    arXiv:1802.05637): the score gains the inner product of the phrase's features with its
    class's learned vector, so the critic judges whether a phrase fits its class.
    """

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        t, o, k = cfg.n_tracks, cfg.n_octaves, cfg.channels_per_track
        c1, c2 = cfg.d_private_channels
        c3, c4 = cfg.d_shared_channels
        cc = cfg.d_chroma_channels
        self.act = nn.LeakyReLU(cfg.leaky_slope)

        def block(c_in: int, c_out: int, kernel: tuple[int, int], groups: int = 1) -> BlockConv:
            return BlockConv(c_in, c_out, kernel, groups=groups, init=cfg.init)

        # Private, per track: each octave's 12 semitones, then each beat's steps.
        self.private = nn.ModuleList(
            [block(k, c1, (1, 12), groups=t), block(c1, c2, (cfg.resolution, 1), groups=t)]
        )
        # Shared: the tracks together over the beats of a bar, then over the octaves.
        self.shared = nn.ModuleList(
            [block(t * c2, c3, (cfg.beats_per_bar, 1)), block(c3, c4, (1, o))]
        )
        self.chroma = None
        if cc:
            # Pitch classes of all channels: per beat, then per bar.
            self.chroma = nn.ModuleList(
                [
                    block(cfg.channels * 12, cc, (cfg.resolution, 1)),
                    block(cc, cc, (cfg.beats_per_bar, 1)),
                ]
            )
        co = cfg.d_onset_channels
        self.onset_stream = None
        if co:
            # Changes per step of every channel: per beat, then per bar.
            self.onset_stream = nn.ModuleList(
                [
                    block(cfg.channels, co, (cfg.resolution, 1)),
                    block(co, co, (cfg.beats_per_bar, 1)),
                ]
            )
        self.phrase = block(c4 + cc + co, c4, (cfg.window_bars, 1))  # the bars together
        self.out = nn.Linear(c4, 1)
        if cfg.init == "keras":
            keras_init_(self.out)
        self.class_projection = None
        if cfg.n_classes:
            self.class_projection = nn.Embedding(cfg.n_classes, c4)
            nn.init.uniform_(self.class_projection.weight, -1 / math.sqrt(c4), 1 / math.sqrt(c4))

    def _stack(self, layers: nn.ModuleList, h: torch.Tensor) -> torch.Tensor:
        for layer in layers:
            h = self.act(layer(h))
        return h

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        cfg = self.cfg
        check_shape(x, [None, *cfg.image_shape], "pianoroll_gan.Discriminator x")
        n, t, c = x.shape[0], cfg.n_tracks, cfg.channels
        check_labels(labels, n, cfg.n_classes, "pianoroll_gan.Discriminator")
        # [T, N, steps, pitches, channels of the track] (a track's onsets beside its steps)
        tracks = x.view(n, t, cfg.channels_per_track, cfg.n_steps, cfg.n_pitches)
        h = self._stack(self.private, tracks.permute(1, 0, 3, 4, 2))  # [T, N, beats, oct, c2]
        h = h.permute(1, 2, 3, 0, 4).reshape(1, n, *h.shape[2:4], -1)  # tracks -> channels
        h = self._stack(self.shared, h)  # [1, N, bars, 1, c4]
        if self.chroma is not None:
            # Each step's pitch classes, the octaves averaged: [1, N, steps, 1, 12 * C].
            chroma = x.reshape(n, c, cfg.n_steps, cfg.n_octaves, 12).mean(3)
            chroma = chroma.permute(0, 2, 3, 1).reshape(1, n, cfg.n_steps, 1, 12 * c)
            h = torch.cat([h, self._stack(self.chroma, chroma)], dim=4)
        if self.onset_stream is not None:
            # |x[t] - x[t-1]| summed over pitch (silence before the first step): 2 per note
            # change of a voice on a binary roll. [1, N, steps, 1, C]
            before = torch.cat([torch.full_like(x[:, :, :1], -1.0), x[:, :, :-1]], dim=2)
            changes = (x - before).abs().sum(dim=3) / 2
            changes = changes.transpose(1, 2).reshape(1, n, cfg.n_steps, 1, c)
            h = torch.cat([h, self._stack(self.onset_stream, changes)], dim=4)
        h = self.act(self.phrase(h)).view(n, -1)  # [N, c4]
        score = self.out(h).squeeze(1)  # [N]
        if self.class_projection is not None:
            score = score + (self.class_projection(labels) * h).sum(dim=1)
        return score


Critic = Discriminator  # the WGAN's name for it


def picture(x: torch.Tensor, cfg: Config) -> torch.Tensor:
    """Sample-grid pictures of phrases: each track's sounding steps, with bar lines."""
    frames = x[:, :: cfg.channels_per_track]
    return pianoroll.picture(frames, steps_per_bar=cfg.steps_per_bar)


MODELS.register("pianoroll_gan")(
    GANSpec(Config, Generator, Discriminator, kind="music_gan", picture=picture)
)
