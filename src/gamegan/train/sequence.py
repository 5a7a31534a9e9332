"""The training step of the next-event music models (``note-lstm``, ``note-vae``).

The trainer has the same surface as :class:`gamegan.train.gan.GANTrainer`, so the shared loop
(logging, samples, checkpoints, Ctrl-C, exact resume) drives it unchanged. What differs lives
in the model's own ``loss`` and ``sample``: one iteration is one optimizer step on a batch of
windows cut at random positions of the training stream (the chapter's sliding windows).
"""

from __future__ import annotations

from pathlib import Path

import torch

from gamegan.build import Resolved
from gamegan.data.samplers import EpochSampler
from gamegan.data.sequences import SequenceData
from gamegan.errors import DataError
from gamegan.io.checkpoint import (
    load_module,
    load_optimizer,
    module_tensors,
    optimizer_tensors,
)
from gamegan.music.sampling import generate_events
from gamegan.runtime import Distributed, autocast
from gamegan.train import rng
from gamegan.train.checkpoints import snapshot_meta, state_meta
from gamegan.train.optim import build_optimizer

SAMPLE_STEPS = 96  # events in the piano-roll picture written every --sample-every iterations
VAL_BATCHES = 8  # validation windows per pass: batch_size * VAL_BATCHES, fixed positions


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
        meta = snapshot_meta(self.cfg, self.kind, self.iteration, codec=self.codec.to_dict())
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
        meta = state_meta(
            self.cfg, self.kind, self.iteration, self.dist.world_size,
            sampler=self.sampler.state(), opt=opt_meta, plateau=_plateau_state(self.plateau),
            best_val=None if self.best_val == float("inf") else self.best_val,
            codec=self.codec.to_dict(),
        )  # fmt: skip
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
