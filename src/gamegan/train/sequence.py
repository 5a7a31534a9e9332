"""The training step of the next-event music models (``note-lstm``, ``note-vae``).

The trainer has the same surface as :class:`gamegan.train.gan.GANTrainer`, so the shared loop
(logging, samples, checkpoints, Ctrl-C, exact resume) drives it unchanged. What differs lives
in the model's own ``loss`` and ``sample``: one iteration is one optimizer step on a batch of
windows cut at random positions of the training stream (the chapter's sliding windows).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from gamegan import __version__
from gamegan.config import to_dict
from gamegan.data.samplers import EpochSampler
from gamegan.errors import DataError
from gamegan.io.checkpoint import (
    SNAPSHOT_FORMAT,
    STATE_FORMAT,
    load_module,
    load_optimizer,
    module_tensors,
    optimizer_tensors,
)
from gamegan.runtime import Distributed, autocast, make_generator
from gamegan.train import rng
from gamegan.train.build import Resolved
from gamegan.train.optim import build_optimizer

SAMPLE_STEPS = 96  # events in the piano-roll picture written every --sample-every iterations
VAL_BATCHES = 8  # validation windows per pass: batch_size * VAL_BATCHES, fixed positions


@dataclass(frozen=True)
class SequenceData:
    """Encoded corpus: one stream of events per split, pieces closed by the end event.

    Each row also carries the class (the mode) of the piece it leads into: a piece's rows
    carry its own, the end event that closes it the next piece's, since from there the
    model writes that piece's first event. Only a model with ``n_classes`` is told them.
    """

    codec: object  # the model's codec (gamegan.music.events / tokens), vocabulary included
    train: torch.Tensor  # int64 [L, n_streams]
    val: torch.Tensor  # int64 [L_val, n_streams]; may be empty
    train_labels: torch.Tensor  # int64 [L]: an index into class_names per row
    val_labels: torch.Tensor  # int64 [L_val]
    class_names: list[str]  # MODES
    class_prior: list[float]  # each class's share of the training pieces
    n_pieces: tuple[int, int]  # pieces in train and val
    source: str = ""
    skipped: list = field(default_factory=list)  # (name, reason)

    @property
    def images(self) -> torch.Tensor:  # the loop's data-size log line reads this
        return self.train


def encode_corpus(
    spec, model_cfg, scores, *, seed: int, val_fraction: float, codec=None
) -> SequenceData:
    """Prepare, fit (unless ``codec`` is given, as on resume) and encode a list of scores.

    Pieces, not windows, are split into train and validation, so no window of a validation
    piece was seen in training. Each piece is labelled with its mode (from its key, or
    estimated when the file has none; major when even that fails).
    """
    from gamegan.music.keys import estimate_key
    from gamegan.music.score import MODES

    prepared, modes, skipped = [], [], []
    for score in scores:
        piece = spec.codec.prepare(score, model_cfg)
        if piece is None:
            skipped.append((score.extra.get("source", score.title), "nothing this model can use"))
        else:
            prepared.append(piece)
            key = score.key or estimate_key(score)
            modes.append(MODES.index(key.mode) if key is not None else 0)
    if not prepared:
        raise DataError("no piece is usable by this model (see the skipped files above)")
    if codec is None:
        codec = spec.codec.fit(prepared, model_cfg)
    order = np.random.default_rng(seed).permutation(len(prepared))
    n_val = int(round(len(prepared) * val_fraction)) if len(prepared) > 1 else 0
    val_ids, train_ids = set(order[:n_val].tolist()), order[n_val:]
    start = codec.start_event()[None]

    def stream(ids) -> tuple[torch.Tensor, torch.Tensor]:
        ids = list(ids)
        if not ids:
            return torch.zeros(0, len(start[0]), dtype=torch.long), torch.zeros(0, dtype=torch.long)
        parts, labels = [start], [[modes[ids[0]]]]
        for k, i in enumerate(ids):
            try:
                rows = codec.encode(prepared[i])
            except ValueError as err:
                raise DataError(
                    f"{prepared[i].extra.get('source', 'a piece')}: {err} (did the data change "
                    "since this run started? resume needs the same corpus)"
                ) from None
            parts.append(rows)
            piece_labels = np.full(len(rows), modes[i])
            piece_labels[-1] = modes[ids[k + 1]] if k + 1 < len(ids) else modes[i]
            labels.append(piece_labels)
        return _joined(parts), _joined(labels)

    train, train_labels = stream(train_ids)
    val, val_labels = stream(sorted(val_ids))
    n_pieces = (len(train_ids), len(val_ids))
    counts = np.bincount([modes[i] for i in train_ids], minlength=len(MODES))
    prior = (counts / counts.sum()).tolist()
    return SequenceData(
        codec, train, val, train_labels, val_labels, list(MODES), prior, n_pieces, skipped=skipped
    )


def _joined(arrays: list) -> torch.Tensor:
    return torch.from_numpy(np.concatenate(arrays).astype(np.int64))


class _LossOf(torch.nn.Module):
    """``forward`` = the network's loss: DDP synchronizes gradients of what forward ran."""

    def __init__(self, network: torch.nn.Module) -> None:
        super().__init__()
        self.network = network

    def forward(self, *inputs: torch.Tensor):  # tokens, and a conditioned model's labels
        return self.network.loss(*inputs)


class SequenceTrainer:
    """Holds the model, its optimizer, the encoded corpus and every RNG stream of one run."""

    unit = "seq"  # the loop reports sequences (windows) per second

    def __init__(
        self,
        resolved: Resolved,
        data: SequenceData,
        *,
        device: torch.device,
        dist_info: Distributed = Distributed(),
    ) -> None:
        cfg = resolved.cfg
        self.cfg = cfg
        self.kind = resolved.spec.kind
        self.model_cfg = resolved.model_cfg
        self.codec = data.codec
        self.device = device
        self.dist = dist_info
        t = cfg.train
        self.precision = t.precision
        self.seq_len = int(resolved.model_cfg.seq_len)
        if len(data.train) < self.seq_len + 1:
            raise DataError(
                f"the training corpus holds {len(data.train)} events, fewer than one window of "
                f"{self.seq_len + 1}: use more music or a smaller --set model.seq_len"
            )
        if t.batch_size % dist_info.world_size:
            from gamegan.errors import ConfigError

            raise ConfigError(
                f"--batch-size {t.batch_size} must be divisible by the {dist_info.world_size} "
                "processes of this torchrun job"
            )
        torch.manual_seed(t.seed)
        self.model = resolved.spec.network(resolved.model_cfg, tuple(self.codec.vocab_sizes))
        self.model = self.model.to(device)
        torch.manual_seed(t.seed * 1000 + dist_info.rank + 1)
        if device.type == "cuda":
            torch.cuda.manual_seed(t.seed * 1000 + dist_info.rank + 1)
        # A sequence model is a generator: it takes the generator's optimizer settings.
        self.opt = build_optimizer(cfg.optim_g, self.model.parameters())
        self.plateau = None
        if t.plateau_patience:
            self.plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(
                self.opt, mode="min", factor=0.5, patience=t.plateau_patience - 1
            )
        self.train_tokens = data.train.to(device)
        self.val_tokens = data.val.to(device)
        self.n_classes = int(getattr(resolved.model_cfg, "n_classes", 0))
        self.class_names = list(data.class_names)
        self.class_prior = list(data.class_prior)
        if self.n_classes and self.n_classes != len(self.class_names):
            from gamegan.errors import ConfigError

            raise ConfigError(
                f"model.n_classes={self.n_classes}, but music has {len(self.class_names)} "
                f"classes ({', '.join(self.class_names)}): set "
                f"model.n_classes={len(self.class_names)}"
            )
        self.train_labels = data.train_labels.to(device)
        self.val_labels = data.val_labels.to(device)
        self.n_windows = len(data.train) - self.seq_len
        self.sampler = EpochSampler(self.n_windows, t.seed)
        self.offsets = torch.arange(self.seq_len + 1, device=device)
        self.iteration = 0
        self.best_val = float("inf")
        self.new_best = False  # the loop saves snapshot-best.safetensors when this is set
        self.model_train = _LossOf(self.model)
        if dist_info.enabled:
            from torch.nn.parallel import DistributedDataParallel as DDP

            ids = [device.index] if device.type == "cuda" else None
            self.model_train = DDP(self.model_train, device_ids=ids)

    # one iteration

    def _windows(self, tokens: torch.Tensor, starts: torch.Tensor) -> torch.Tensor:
        return tokens[starts[:, None] + self.offsets]  # [N, seq_len + 1, n_streams]

    def _inputs(self, tokens: torch.Tensor, labels: torch.Tensor, starts: torch.Tensor) -> tuple:
        """The loss's arguments for windows at ``starts``: their tokens, and their rows'
        labels for a conditioned model."""
        windows = self._windows(tokens, starts)
        return (windows, self._windows(labels, starts)) if self.n_classes else (windows,)

    def step(self) -> dict[str, torch.Tensor]:
        """One optimizer step on a batch of windows; returns detached scalar stats."""
        starts = self.sampler.next(self.cfg.train.batch_size)
        starts = starts[self.dist.rank :: self.dist.world_size].to(self.device)
        inputs = self._inputs(self.train_tokens, self.train_labels, starts)
        self.model_train.train()
        with autocast(self.device, self.precision):
            loss, stats = self.model_train(*inputs)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.iteration += 1
        stats = {"Loss/total": loss.detach().float(), **stats}
        every = self.cfg.train.val_every
        self.new_best = False
        if every and self.iteration % every == 0 and len(self.val_tokens) > self.seq_len:
            val_loss = self.validation_loss()
            stats["Loss/val"] = torch.tensor(val_loss)
            # The chapter kept the best weights: a model that starts to overfit keeps them.
            self.new_best = val_loss < self.best_val
            self.best_val = min(self.best_val, val_loss)
            if self.plateau is not None:
                self.plateau.step(val_loss)
        stats["Progress/lr"] = torch.tensor(self.opt.param_groups[0]["lr"])
        return stats

    @torch.no_grad()
    def validation_loss(self) -> float:
        """Mean loss over fixed, evenly spaced validation windows (no randomness drawn)."""
        n_windows = len(self.val_tokens) - self.seq_len
        count = min(n_windows, self.cfg.train.batch_size * VAL_BATCHES)
        starts = torch.linspace(0, n_windows - 1, count, device=self.device).long()
        self.model.eval()
        total = 0.0
        rng_state = torch.get_rng_state()  # a VAE draws noise even in eval: keep training's
        for chunk in starts.split(self.cfg.train.batch_size):
            with autocast(self.device, self.precision):
                loss, _ = self.model.loss(*self._inputs(self.val_tokens, self.val_labels, chunk))
            total += float(loss) * len(chunk)
        torch.set_rng_state(rng_state)
        self.model.train()
        return total / count

    @property
    def images_per_iteration(self) -> int:
        return self.cfg.train.batch_size

    # pictures

    def sample_scores(self, n_steps: int = SAMPLE_STEPS, seed: int = 12345):
        """A piece generated from scratch with a fixed seed (in the first class, when
        conditioned), decoded to scores."""
        label = 0 if self.n_classes else None
        return generate_events(self.model, self.codec, n_steps=n_steps, seed=seed, label=label)

    def write_samples(self, path: Path) -> None:
        """A piano roll of a piece generated with a fixed seed: watch it change over training."""
        from gamegan.music.picture import write_pianoroll_png
        from gamegan.music.score import concatenate

        rng_state = torch.get_rng_state()
        scores = self.sample_scores()
        torch.set_rng_state(rng_state)
        write_pianoroll_png(concatenate(scores), path)

    def write_reals(self, path: Path) -> None:
        """A piano roll of the first training events, in the model's own representation."""
        from gamegan.music.picture import write_pianoroll_png
        from gamegan.music.score import concatenate

        events = self.train_tokens[: SAMPLE_STEPS * 2].cpu().numpy()
        write_pianoroll_png(concatenate(self.codec.decode(events)), path)

    # checkpoints

    def snapshot(self) -> tuple[dict[str, torch.Tensor], dict]:
        """Inference weights plus the vocabulary: enough to generate with no data at hand."""
        meta = {
            "format": SNAPSHOT_FORMAT,
            "kind": self.kind,
            "model": self.cfg.model.name,
            "model_params": self.cfg.model.params,
            "codec": self.codec.to_dict(),
            "config": to_dict(self.cfg),
            "iteration": self.iteration,
            "gamegan_version": __version__,
        }
        if self.n_classes:
            # Generation draws the mode as the training pieces have it unless the user picks.
            meta["class_names"] = list(self.class_names)
            meta["class_prior"] = list(self.class_prior)
        return module_tensors("model", self.model), meta

    def state(self) -> tuple[dict[str, torch.Tensor], dict]:
        """Everything for an exact resume. Collective under torchrun: call on every rank."""
        tensors = module_tensors("model", self.model)
        opt, opt_meta = optimizer_tensors("opt", self.opt)
        tensors.update(opt)
        tensors.update(rng.gather(rng.global_states(self.device), self.dist))
        meta = {
            "format": STATE_FORMAT,
            "kind": self.kind,
            "model": self.cfg.model.name,
            "iteration": self.iteration,
            "world_size": self.dist.world_size,
            "sampler": self.sampler.state(),
            "opt": opt_meta,
            "plateau": _plateau_state(self.plateau),
            "best_val": None if self.best_val == float("inf") else self.best_val,
            "codec": self.codec.to_dict(),
            "config": to_dict(self.cfg),
            "gamegan_version": __version__,
        }
        return tensors, meta

    def load_state(self, tensors: dict[str, torch.Tensor], meta: dict, source: str) -> None:
        """Restore :meth:`state` output (the codec was restored before the data was encoded)."""
        load_module("model", self.model, tensors, source)
        load_optimizer("opt", self.opt, tensors, meta["opt"], source)
        if self.plateau is not None and meta.get("plateau"):
            self.plateau.load_state_dict(
                {k: (float("inf") if v == "inf" else v) for k, v in meta["plateau"].items()}
            )
        self.sampler.load_state(meta["sampler"])
        self.iteration = int(meta["iteration"])
        best = meta.get("best_val")
        self.best_val = float("inf") if best is None else float(best)
        rng.restore_global(rng.own(tensors, self.dist), self.device)


def _plateau_state(plateau) -> dict | None:
    if plateau is None:
        return None
    state = {
        k: v
        for k, v in plateau.state_dict().items()
        if isinstance(v, (int, float, str, bool, type(None)))
    }
    return {k: ("inf" if v == float("inf") else v) for k, v in state.items()}


def generate_events(
    model,
    codec,
    *,
    n_steps: int,
    seed: int = 0,
    temperature: float = 1.0,
    top_k: int = 0,
    prompt: np.ndarray | None = None,
    tempo: float | None = None,
    program: int | None = None,
    keep_prompt: bool = False,
    one_piece: bool = False,
    label: int | None = None,
):
    """Sample ``n_steps`` events from scratch (or after ``prompt``) and decode them to scores.

    With ``keep_prompt`` the prompt's events are decoded too, so a continued theme comes out
    with its continuation. With ``one_piece`` the end event is never drawn, so the events are
    one piece however long (the model would otherwise close pieces and start new ones, each
    after its own fashion). ``label`` is a conditioned model's class (the mode). The same
    seed, temperature and top-k always give the same music.
    """
    device = next(model.parameters()).device
    start = codec.start_event()[None] if prompt is None else prompt
    tokens = torch.as_tensor(np.asarray(start, dtype=np.int64), device=device)[None]
    was_training = model.training
    model.eval()
    generator = make_generator(seed, torch.device("cpu"))
    with torch.no_grad():
        end = int(codec.start_event()[0]) if one_piece else None  # the end event's first token
        options = {} if label is None else {"labels": torch.tensor([label], device=device)}
        events = model.sample(
            tokens, n_steps, temperature=temperature, top_k=top_k, generator=generator,
            exclude=end, **options,
        )  # fmt: skip
    model.train(was_training)
    options = {}
    if tempo is not None:
        options["tempo"] = tempo
    if program is not None:
        options["program"] = program
    rows = events[0].cpu().numpy()
    if keep_prompt:
        rows = np.concatenate([tokens[0].cpu().numpy(), rows])
    return codec.decode(rows, **options)
