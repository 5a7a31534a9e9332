"""The chapter's piano composer: a 3-layer LSTM predicting the next note or chord.

Layer for layer the chapter's Keras model (LSTM 512 x3 -> BatchNorm -> Dropout -> Dense 256
-> ReLU -> BatchNorm -> Dropout -> softmax over the vocabulary), with its faults fixed:

- Input: one embedding per token stream (:class:`gamegan.music.tokens.ChordCodec`'s element,
  duration and step), concatenated, instead of one integer per step scaled to [0, 1).
- Output: one head per stream, so rests, durations and octaves are learnt, not dropped.
- Loss: teacher forcing on every position of a window, not only its last one: the same
  compute for ``seq_len`` times the signal.
- Sampling: temperature and top-k (greedy argmax collapsed into one repeated note), carrying
  the LSTM state from step to step instead of recomputing a 100-token window per note.
- Dropout: Keras' ``recurrent_dropout=0.3`` (on the hidden-to-hidden path) has no
  counterpart in PyTorch's fused LSTM; dropout between the LSTM layers replaces it, keeping
  the cuDNN kernel.

Beyond the chapter, ``n_classes=2`` conditions every step on the piece's mode (a class
embedding joins each input): with pieces moved to C major and A minor, which share their
notes, an unconditioned model drifts into the relative major, and ``--mode`` could only
draw pieces until one happened to be minor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

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
from gamegan.music.tokens import ChordCodec
from gamegan.nn.layers import batch_norm, keras_init_, keras_lstm_init_

LSTMState = tuple[torch.Tensor, torch.Tensor]  # (h, c), each [n_layers, N, hidden]


@dataclass(frozen=True)
class Config:
    """LSTM composer parameters; defaults are the chapter's model."""

    # What shapes the corpus as the model sees it (the merged part in C, from prepare()): a frozen
    # corpus reference for `gamegan eval` fits a run that agrees on these.
    REPRESENTATION: ClassVar[tuple[str, ...]] = ("transpose_to_c",)

    seq_len: int = 100  # events per training window (the chapter's sequence_length)
    hidden: int = 512  # LSTM units per layer
    n_layers: int = 3
    dropout: float = 0.3  # between LSTM layers and after each BatchNorm
    dense: int = 256  # units of the hidden Dense layer
    embed_dims: tuple[int, ...] = (64, 16, 16)  # element, duration, step embedding widths
    bn_momentum: float = 0.9  # Keras convention; see below
    min_count: int = 2  # a chord, duration or step seen fewer times is mapped to a kept one
    transpose_to_c: bool = True  # major pieces to C major, minor ones to A minor
    resolution: int = 12  # time steps per quarter note (12: sixteenths and triplets exact)
    init: str = "keras"  # "keras": Glorot/orthogonal, unit forget bias; "torch": defaults
    n_classes: int = 0  # > 0: every step is told its piece's class (music: the mode, 2)
    class_dim: int = 16  # width of the class embedding joined to each step's input

    # bn_momentum: the chapter left Keras' default 0.99, whose running statistics (what
    # sampling in eval mode uses) need ~500 steps to forget their start; 0.9 (PyTorch's
    # default) suits short runs as well as long ones.

    def __post_init__(self) -> None:
        object.__setattr__(self, "embed_dims", tuple(self.embed_dims))  # JSON brings lists
        check_int("seq_len", self.seq_len)
        check_int("hidden", self.hidden)
        check_int("n_layers", self.n_layers)
        check_range("dropout", self.dropout, 0.0, 1.0)
        check_int("dense", self.dense)
        check_ints("embed_dims", self.embed_dims)
        if len(self.embed_dims) != len(ChordCodec.streams):
            raise ConfigError(
                f"model.embed_dims needs one width per token stream "
                f"({', '.join(ChordCodec.streams)}), got {self.embed_dims!r}"
            )
        check_range("bn_momentum", self.bn_momentum, 0.0, 1.0)
        check_int("min_count", self.min_count)
        if not isinstance(self.transpose_to_c, bool):
            raise ConfigError(
                f"model.transpose_to_c must be true or false, got {self.transpose_to_c!r}"
            )
        check_int("resolution", self.resolution)
        if self.resolution > 480:
            raise ConfigError(f"model.resolution must be <= 480, got {self.resolution}")
        check_choice("init", self.init, INITS)
        check_int("n_classes", self.n_classes, minimum=0)
        if self.n_classes == 1:
            raise ConfigError("model.n_classes must be 0 (unconditioned) or at least 2, got 1")
        check_int("class_dim", self.class_dim)


class Network(nn.Module):
    """Token rows [N, T, S] -> next-row logits, one tensor [N, T, V_s] per stream."""

    def __init__(self, cfg: Config, vocab_sizes: tuple[int, ...]) -> None:
        super().__init__()
        vocab_sizes = tuple(int(v) for v in vocab_sizes)
        if len(vocab_sizes) != len(cfg.embed_dims) or min(vocab_sizes, default=0) < 1:
            raise ConfigError(
                f"lstm_lm needs one vocabulary size >= 1 per embedding width "
                f"{cfg.embed_dims!r}, got {vocab_sizes!r}"
            )
        self.cfg = cfg
        self.vocab_sizes = vocab_sizes
        self.embeds = nn.ModuleList(
            nn.Embedding(v, d) for v, d in zip(vocab_sizes, cfg.embed_dims, strict=True)
        )
        self.n_classes = cfg.n_classes
        self.class_embed = nn.Embedding(cfg.n_classes, cfg.class_dim) if cfg.n_classes else None
        self.lstm = nn.LSTM(
            sum(cfg.embed_dims) + (cfg.class_dim if cfg.n_classes else 0),
            cfg.hidden,
            num_layers=cfg.n_layers,
            batch_first=True,
            dropout=cfg.dropout if cfg.n_layers > 1 else 0.0,
        )
        self.head = nn.Sequential(
            batch_norm(cfg.hidden, cfg.bn_momentum, dims=1),
            nn.Dropout(cfg.dropout),
            nn.Linear(cfg.hidden, cfg.dense),
            nn.ReLU(),
            batch_norm(cfg.dense, cfg.bn_momentum, dims=1),
            nn.Dropout(cfg.dropout),
        )
        self.outs = nn.ModuleList(nn.Linear(cfg.dense, v) for v in vocab_sizes)
        if cfg.init == "keras":
            keras_init_(self)
            keras_lstm_init_(self.lstm)

    def _check(self, tokens: torch.Tensor, name: str, min_len: int) -> None:
        n_streams = len(self.vocab_sizes)
        if tokens.ndim != 3 or tokens.shape[-1] != n_streams or tokens.shape[1] < min_len:
            raise ValueError(
                f"lstm_lm {name}: expected shape [N, T >= {min_len}, {n_streams}], "
                f"got {list(tokens.shape)}"
            )
        if tokens.dtype != torch.long:
            raise ValueError(f"lstm_lm {name}: expected int64 tokens, got {tokens.dtype}")

    def _class_inputs(self, labels: torch.Tensor | None, n: int, t: int) -> list[torch.Tensor]:
        """The class embedding of every step ([N, T, class_dim]), or nothing unconditioned."""
        if self.class_embed is None:
            if labels is not None:
                raise ValueError("lstm_lm: labels given to a model without model.n_classes")
            return []
        if labels is None:
            raise ValueError(f"lstm_lm: this model is conditioned on {self.n_classes} classes: "
                             "give labels")  # fmt: skip
        labels = labels.to(device=self.class_embed.weight.device, dtype=torch.long)
        if labels.ndim == 1:
            labels = labels[:, None].expand(-1, t)
        if labels.shape != (n, t):
            raise ValueError(f"lstm_lm: labels must be [N] or [N, T] = [{n}, {t}], "
                             f"got {list(labels.shape)}")  # fmt: skip
        return [self.class_embed(labels)]

    def forward(
        self,
        tokens: torch.Tensor,
        state: LSTMState | None = None,
        labels: torch.Tensor | None = None,
    ) -> tuple[list[torch.Tensor], LSTMState]:
        """Logits [N, T, V_s] per stream for the row after each input row, and the LSTM state.

        ``labels`` ([N], or [N, T] for windows that cross into another piece) are the
        classes of a conditioned model.
        """
        x = [embed(tokens[..., s]) for s, embed in enumerate(self.embeds)]
        x = torch.cat(x + self._class_inputs(labels, *tokens.shape[:2]), dim=-1)
        h, state = self.lstm(x, state)  # [N, T, hidden]
        n, t, _ = h.shape
        h = self.head(h.reshape(n * t, -1))  # BatchNorm1d over features of every position
        return [out(h).reshape(n, t, -1) for out in self.outs], state

    def loss(
        self, tokens: torch.Tensor, labels: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Summed cross-entropy of every next row in windows [N, T+1, S] (teacher forcing);
        a conditioned model's ``labels`` are [N] or one per row, [N, T+1]."""
        self._check(tokens, "loss tokens", 2)
        if labels is not None and labels.ndim == 2:
            labels = labels[:, :-1]
        logits, _ = self(tokens[:, :-1], labels=labels)
        targets = tokens[:, 1:]
        stats: dict[str, torch.Tensor] = {}
        losses = []
        for s, (stream, stream_logits) in enumerate(zip(ChordCodec.streams, logits, strict=True)):
            ce = F.cross_entropy(stream_logits.flatten(0, 1).float(), targets[..., s].flatten())
            losses.append(ce)
            stats[f"Loss/{stream}"] = ce.detach()
        hits = logits[0].argmax(dim=-1) == targets[..., 0]
        stats["Accuracy/element"] = hits.float().mean().detach()
        return torch.stack(losses).sum(), stats

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
        labels: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Continue ``prompt`` [N, T0, S] by ``n_steps`` rows -> [N, n_steps, S].

        Runs in eval mode (BatchNorm's running statistics, no dropout) and restores the
        previous mode. Each stream is drawn with :func:`sample_logits`; the same seeded
        ``generator`` gives the same rows. ``exclude`` is an element never drawn (the end
        event, for a piece that must run to a length); ``labels`` [N], a conditioned model's
        classes, hold for the whole piece.
        """
        self._check(prompt, "sample prompt", 1)
        if n_steps < 0:
            raise ValueError(f"lstm_lm sample: n_steps must be >= 0, got {n_steps}")
        # Checked once here, not at every step: each check waits for the device.
        if labels is not None and self.n_classes and len(labels):
            if int(labels.min()) < 0 or int(labels.max()) >= self.n_classes:
                raise ValueError(f"lstm_lm: labels must be in [0, {self.n_classes})")
        was_training = self.training
        self.eval()
        try:
            device = next(self.parameters()).device
            logits, state = self(prompt.to(device), labels=labels)
            rows = []
            for i in range(n_steps):
                row = torch.stack(
                    [
                        sample_logits(
                            stream_logits[:, -1],
                            temperature=temperature,
                            top_k=top_k,
                            generator=generator,
                            exclude=exclude if stream == 0 else None,
                        )
                        for stream, stream_logits in enumerate(logits)
                    ],
                    dim=-1,
                )  # [N, S]
                rows.append(row)
                if i + 1 < n_steps:
                    logits, state = self(row[:, None], state, labels=labels)
            if not rows:
                return prompt.new_zeros((prompt.shape[0], 0, prompt.shape[2]))
            return torch.stack(rows, dim=1)
        finally:
            self.train(was_training)


MODELS.register("lstm_lm")(SequenceSpec(Config, ChordCodec, Network))
