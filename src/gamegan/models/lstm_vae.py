"""The chapter's note generator: two LSTM branches with per-step VAEs, merged by a third LSTM.

Pitch and duration events (:class:`gamegan.music.events.EventCodec`) enter as one-hot vectors.
Each stream has its own branch: stacked LSTMs (Hochreiter & Schmidhuber 1997), a per-step
Gaussian latent drawn with the reparameterization trick (Kingma & Welling 2014,
arXiv:1312.6114) and a softmax over that stream's vocabulary. The two softmaxes are concatenated
and go through a Dense layer and a final LSTM to two heads: next pitch and next duration.
The loss per head is cross-entropy plus the KL divergence of its branch's latent.

The chapter trained with RMSprop (lr 0.001), batch 32, up to 200 epochs, halving the learning
rate on plateau; those are the trainer's and the preset's values, not this module's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from gamegan.errors import ConfigError
from gamegan.models.base import (
    INITS,
    MODELS,
    SequenceSpec,
    check_choice,
    check_int,
    check_ints,
    check_range,
    sample_logits,
)
from gamegan.music.events import EventCodec
from gamegan.nn.layers import check_shape, keras_init_, keras_lstm_init_

KL_REDUCTIONS = ("mean", "sum")
State = list[tuple[torch.Tensor, torch.Tensor]]  # (h, c) per LSTM layer, each [1, N, H]


@dataclass(frozen=True)
class Config:
    """Note generator parameters; defaults are the chapter's."""

    # What shapes the corpus as the model sees it (the soprano line in C, from prepare()): a frozen
    # corpus reference for `gamegan eval` fits a run that agrees on these.
    REPRESENTATION: ClassVar[tuple[str, ...]] = ("transpose_to_c",)

    seq_len: int = 128  # events per training window
    pitch_lstm: tuple[int, ...] = (256, 512, 256)
    duration_lstm: tuple[int, ...] = (128, 256, 128)
    latent_dim_p: int = 512
    latent_dim_d: int = 256
    merge_dim: int = 256  # the Dense after the concatenation (linear, as Keras' default)
    final_lstm: tuple[int, ...] = (256,)
    kl_weight: float = 1.0
    # "mean" over the latent, as Keras-era VAE code wrote it (K.mean(..., axis=-1)); "sum" is the
    # textbook ELBO, which here collapses the posterior (see Network.loss) unless kl_weight is
    # about 1/latent_dim.
    kl_reduction: str = "mean"
    dropout: float = 0.0  # after every LSTM layer; the chapter used none
    init: str = "keras"  # "keras": Glorot kernels, orthogonal recurrent, forget bias 1
    # codec options (EventCodec.prepare / fit read them)
    transpose_to_c: bool = True  # every piece to C major / A minor
    resolution: int = 24  # duration grid, steps per quarter note

    def __post_init__(self) -> None:
        # JSON configs bring lists, and final_lstm=256 reads naturally; keep tuples.
        for name in ("pitch_lstm", "duration_lstm", "final_lstm"):
            value = getattr(self, name)
            value = (value,) if isinstance(value, int) and not isinstance(value, bool) else value
            object.__setattr__(self, name, tuple(value))
        check_int("seq_len", self.seq_len)
        check_ints("pitch_lstm", self.pitch_lstm)
        check_ints("duration_lstm", self.duration_lstm)
        check_int("latent_dim_p", self.latent_dim_p)
        check_int("latent_dim_d", self.latent_dim_d)
        check_int("merge_dim", self.merge_dim)
        check_ints("final_lstm", self.final_lstm)
        check_range("kl_weight", self.kl_weight, 0.0, float("inf"))
        check_range("dropout", self.dropout, 0.0, 1.0)
        check_choice("kl_reduction", self.kl_reduction, KL_REDUCTIONS)
        check_choice("init", self.init, INITS)
        if not isinstance(self.transpose_to_c, bool):
            raise ConfigError(
                f"model.transpose_to_c must be true or false, got {self.transpose_to_c!r}"
            )
        check_int("resolution", self.resolution)


class Output(NamedTuple):
    """What one pass over a window gives: logits per step, latent statistics, final states."""

    pitch_logits: torch.Tensor  # [N, T, Vp], next pitch
    duration_logits: torch.Tensor  # [N, T, Vd], next duration
    pitch_mu: torch.Tensor  # [N, T, latent_dim_p]
    pitch_logvar: torch.Tensor
    duration_mu: torch.Tensor  # [N, T, latent_dim_d]
    duration_logvar: torch.Tensor
    state: State


def _lstm_stack(sizes: tuple[int, ...], in_dim: int) -> nn.ModuleList:
    """One nn.LSTM per layer: the chapter's layers differ in width."""
    return nn.ModuleList(
        nn.LSTM(i, o, batch_first=True) for i, o in zip((in_dim, *sizes[:-1]), sizes, strict=True)
    )


class Branch(nn.Module):
    """One stream: stacked LSTMs -> per-step Gaussian latent -> softmax over its vocabulary."""

    def __init__(self, vocab_size: int, lstm_sizes: tuple[int, ...], latent_dim: int) -> None:
        super().__init__()
        self.lstms = _lstm_stack(lstm_sizes, vocab_size)
        self.to_mu = nn.Linear(lstm_sizes[-1], latent_dim)
        self.to_logvar = nn.Linear(lstm_sizes[-1], latent_dim)
        self.head = nn.Linear(latent_dim, vocab_size)


class Network(nn.Module):
    """Events [N, T, 2] -> next-event logits per step, with the VAE terms for the loss.

    Parameters
    ----------
    cfg
        The model's :class:`Config`.
    vocab_sizes
        (pitch tokens, duration tokens), from the codec.
    """

    def __init__(self, cfg: Config, vocab_sizes: tuple[int, ...]) -> None:
        super().__init__()
        vocab_sizes = tuple(vocab_sizes)
        if len(vocab_sizes) != 2 or any(
            isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in vocab_sizes
        ):
            raise ValueError(f"vocab_sizes must be (pitch, duration) sizes, got {vocab_sizes!r}")
        self.cfg = cfg
        self.vocab_sizes = vocab_sizes
        n_pitch, n_duration = vocab_sizes
        self.pitch = Branch(n_pitch, cfg.pitch_lstm, cfg.latent_dim_p)
        self.duration = Branch(n_duration, cfg.duration_lstm, cfg.latent_dim_d)
        self.merge = nn.Linear(n_pitch + n_duration, cfg.merge_dim)
        self.final = _lstm_stack(cfg.final_lstm, cfg.merge_dim)
        self.pitch_head = nn.Linear(cfg.final_lstm[-1], n_pitch)
        self.duration_head = nn.Linear(cfg.final_lstm[-1], n_duration)
        self.drop = nn.Dropout(cfg.dropout)
        if cfg.init == "keras":
            keras_init_(self)
            for m in self.modules():
                if isinstance(m, nn.LSTM):
                    keras_lstm_init_(m)

    def _run(
        self, lstms: nn.ModuleList, x: torch.Tensor, state: State | None, out: State
    ) -> torch.Tensor:
        # ``state`` holds every LSTM of the network in order; ``out`` collects the new ones.
        for lstm in lstms:
            x, hc = lstm(x, None if state is None else state[len(out)])
            out.append(hc)
            x = self.drop(x)
        return x

    def _latent(
        self, branch: Branch, h: torch.Tensor, noise_scale: float, generator: torch.Generator | None
    ):
        mu, logvar = branch.to_mu(h), branch.to_logvar(h)
        if noise_scale == 0:
            z = mu
        else:
            if generator is None:
                eps = torch.randn_like(mu)
            else:  # drawn on the generator's device: same numbers whatever the model's device
                eps = torch.randn(mu.shape, generator=generator, device=generator.device)
                eps = eps.to(mu.device, mu.dtype)
            z = mu + noise_scale * eps * torch.exp(0.5 * logvar)
        return torch.softmax(branch.head(z), dim=-1), mu, logvar

    def forward(
        self,
        tokens: torch.Tensor,
        state: State | None = None,
        *,
        noise_scale: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> Output:
        """One pass over events ``tokens`` [N, T, 2], continuing from ``state`` if given.

        ``noise_scale`` multiplies the latents' noise (0 uses the means); the noise comes from
        ``generator``, or from the global RNG when None (training, like dropout).
        """
        check_shape(tokens, [None, None, 2], "lstm_vae.Network tokens")
        n_pitch, n_duration = self.vocab_sizes
        x_pitch = F.one_hot(tokens[..., 0], n_pitch).float()  # [N, T, Vp], as the chapter
        x_duration = F.one_hot(tokens[..., 1], n_duration).float()
        new_state: State = []
        h = self._run(self.pitch.lstms, x_pitch, state, new_state)
        probs_pitch, pitch_mu, pitch_logvar = self._latent(self.pitch, h, noise_scale, generator)
        h = self._run(self.duration.lstms, x_duration, state, new_state)
        probs_duration, duration_mu, duration_logvar = self._latent(
            self.duration, h, noise_scale, generator
        )
        h = self.merge(torch.cat([probs_pitch, probs_duration], dim=-1))  # [N, T, merge_dim]
        h = self._run(self.final, h, state, new_state)
        return Output(
            self.pitch_head(h),
            self.duration_head(h),
            pitch_mu,
            pitch_logvar,
            duration_mu,
            duration_logvar,
            new_state,
        )

    def loss(
        self, tokens: torch.Tensor, *, kl_scale: float = 1.0
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """ELBO-style loss of windows ``tokens`` [N, T+1, 2], teacher-forced at every step.

        Inputs are ``tokens[:, :-1]``, targets ``tokens[:, 1:]``: pitch cross-entropy +
        duration cross-entropy + ``kl_scale * kl_weight`` * (pitch KL + duration KL), each KL
        averaged (or summed, ``kl_reduction``) over its latent and averaged over steps;
        ``kl_scale`` lets a trainer warm the KL up. The chapter predicted only the event after
        each window; predicting every position costs the same forward pass and gives T times
        the signal per window.

        Every path from the input to the heads goes through a sampled latent, so a strong KL
        term makes the latents ignore the input and the model falls back to the unigram
        distribution (posterior collapse). On 120 chorales the summed KL at weight 1 stayed at
        the unigram loss for 300 steps, while the mean (the default) learned both heads.

        Returns
        -------
        tuple[torch.Tensor, dict[str, torch.Tensor]]
            The scalar loss and detached stats: ``Loss/pitch``, ``Loss/duration``,
            ``Loss/KL``, ``Accuracy/pitch``, ``Accuracy/duration``.
        """
        check_shape(tokens, [None, None, 2], "lstm_vae.Network.loss tokens")
        if tokens.shape[1] < 2:
            raise ValueError(f"loss needs windows of at least 2 events, got {tokens.shape[1]}")
        inputs, targets = tokens[:, :-1], tokens[:, 1:]
        out = self(inputs)
        ce_pitch = F.cross_entropy(out.pitch_logits.flatten(0, 1), targets[..., 0].flatten())
        ce_duration = F.cross_entropy(out.duration_logits.flatten(0, 1), targets[..., 1].flatten())
        reduction = self.cfg.kl_reduction
        kl = _kl(out.pitch_mu, out.pitch_logvar, reduction) + _kl(
            out.duration_mu, out.duration_logvar, reduction
        )
        loss = ce_pitch + ce_duration + kl_scale * self.cfg.kl_weight * kl
        with torch.no_grad():
            stats = {
                "Loss/pitch": ce_pitch.detach(),
                "Loss/duration": ce_duration.detach(),
                "Loss/KL": kl.detach(),
                "Accuracy/pitch": (out.pitch_logits.argmax(-1) == targets[..., 0]).float().mean(),
                "Accuracy/duration": (out.duration_logits.argmax(-1) == targets[..., 1])
                .float()
                .mean(),
            }
        return loss, stats

    @torch.no_grad()
    def sample(
        self,
        prompt: torch.Tensor,
        n_steps: int,
        *,
        temperature: float = 1.0,
        top_k: int = 0,
        generator: torch.Generator | None = None,
        exclude: int | None = None,
    ) -> torch.Tensor:
        """Continue ``prompt`` [N, T0, 2] by ``n_steps`` events, one step at a time.

        The prompt runs once, then each drawn event is fed back with the carried LSTM states
        (no window is recomputed). Both heads are drawn with ``sample_logits``; the VAE
        latents draw their noise too, all from ``generator``, so a seeded generator repeats
        its output. ``temperature`` and ``top_k`` shape the heads only: the latent noise keeps
        its learned scale, except at ``temperature <= 0`` (greedy), where the latents take
        their means and the output is fully deterministic. Runs in eval mode (no dropout) and
        restores the previous mode. ``exclude`` is a pitch token never drawn (the end event,
        for a melody that must run to a length).

        Returns
        -------
        torch.Tensor
            int64 [N, n_steps, 2]: the new events only.
        """
        check_shape(prompt, [None, None, 2], "lstm_vae.Network.sample prompt")
        if prompt.shape[1] < 1:
            raise ValueError("sample needs a prompt of at least one event (e.g. the end event)")
        if n_steps < 0:
            raise ValueError(f"n_steps must be >= 0, got {n_steps}")
        was_training = self.training
        self.eval()
        try:
            noise_scale = 1.0 if temperature > 0 else 0.0
            out = self(prompt, noise_scale=noise_scale, generator=generator)
            events = []
            for step in range(n_steps):
                pitch = sample_logits(
                    out.pitch_logits[:, -1],
                    temperature=temperature,
                    top_k=top_k,
                    generator=generator,
                    exclude=exclude,
                )
                duration = sample_logits(
                    out.duration_logits[:, -1],
                    temperature=temperature,
                    top_k=top_k,
                    generator=generator,
                )
                event = torch.stack([pitch, duration], dim=-1)  # [N, 2]
                events.append(event)
                if step + 1 < n_steps:
                    out = self(
                        event[:, None], out.state, noise_scale=noise_scale, generator=generator
                    )
        finally:
            self.train(was_training)
        if not events:
            return prompt.new_zeros((prompt.shape[0], 0, 2))
        return torch.stack(events, dim=1)


def _kl(mu: torch.Tensor, logvar: torch.Tensor, reduction: str) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)) per latent unit, reduced over the latent, mean over
    [N, T]."""
    kl = 0.5 * (mu.square() + logvar.exp() - 1.0 - logvar)  # [N, T, latent_dim]
    return (kl.sum(-1) if reduction == "sum" else kl.mean(-1)).mean()


MODELS.register("lstm_vae")(SequenceSpec(Config, EventCodec, Network))
