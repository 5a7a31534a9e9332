"""The adversarial training step, for every objective and image model.

One iteration is the chapter's: ``n_critic`` discriminator (critic) updates, then one generator
update. The objective's hooks (``d_loss``, ``penalty``, ``after_d_step``, ``g_loss``) carry
every difference between GAN variants; this file names none of them.
"""

from __future__ import annotations

import copy
from functools import partial
from pathlib import Path

import torch
from torch import nn

from gamegan.build import Resolved
from gamegan.data.images import to_model_range
from gamegan.data.samplers import EpochSampler
from gamegan.gan.grid import GridEvenness
from gamegan.gan.patch_match import PatchMatch
from gamegan.gan.spectrum import SpectrumMatch
from gamegan.io.checkpoint import (
    load_module,
    load_optimizer,
    module_tensors,
    optimizer_tensors,
)
from gamegan.io.png import make_grid, to_uint8, write_png
from gamegan.models.auxiliary import split_heads
from gamegan.nn.color import ColorTransfer
from gamegan.nn.layers import Standardize
from gamegan.runtime import Distributed, autocast, make_generator
from gamegan.train import rng
from gamegan.train.checkpoints import snapshot_meta, state_meta
from gamegan.train.optim import build_optimizer

GRID_ROWS = GRID_COLS = 5  # the chapter's 5x5 sample grid
STANDING_BATCHES = 16  # training-like batches that re-estimate G_ema's BatchNorm statistics
COLOR_FIT_BATCHES = 2  # batches of generated fields whose pixels fit a colour map
COLOR_FIT_PIXELS = 200_000  # pixels per side (generated, real) that fit a colour map
VAL_FIELDS = 16  # texture validation: generated training-sized fields ...
VAL_CROPS = 64  # ... against this many training crops


def ema_update(ema: nn.Module, model: nn.Module, decay: float) -> None:
    """Move the EMA weights towards the model's; buffers (BN statistics) are copied."""
    with torch.no_grad():
        for p_ema, p in zip(ema.parameters(), model.parameters(), strict=True):
            p_ema.lerp_(p, 1.0 - decay)
        for b_ema, b in zip(ema.buffers(), model.buffers(), strict=True):
            b_ema.copy_(b)


def standing_statistics(
    G: nn.Module, sample_inputs, n_batches: int, device: torch.device
) -> nn.Module:
    """A copy of ``G`` whose BatchNorm statistics are measured on its own outputs.

    The EMA generator's weights are an average, but the BatchNorm running statistics it
    carries are the live generator's, which belong to other weights: generating with them
    shifts and scales every feature map (washed-out, blotchy textures). As BigGAN's "standing
    statistics" (Brock et al. 2019, arXiv:1809.11096, appendix C.1), the copy runs
    ``n_batches`` training-like forward passes on ``sample_inputs()`` (the latents, and what a
    conditional G is told: a dict of keyword arguments) and keeps the plain average of their
    batch statistics. The global RNG (a training window's position) is put back afterwards, so
    training goes on exactly as without this. ``G`` itself is not changed.
    """
    norms = [m for m in G.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return G
    G = copy.deepcopy(G)
    for m in G.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = None  # a cumulative average over the passes
    states = rng.global_states(device)
    G.train()
    try:
        with torch.no_grad():
            for _ in range(n_batches):
                z, conditions = sample_inputs()
                G(z, **conditions)
    finally:
        rng.restore_global(states, device)
    for m, original in zip(
        (m for m in G.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)),
        norms,
        strict=True,
    ):
        m.momentum = original.momentum
    return G.eval()


@torch.no_grad()
def fit_color_maps(
    G: nn.Module, sample_inputs, images: torch.Tensor, generator: torch.Generator
) -> nn.Module:
    """A copy of ``G`` whose colour maps (:class:`gamegan.nn.color.ColorTransfer`) are fitted:
    its own outputs on ``sample_inputs()`` against the pixels of the training ``images``
    (uint8 or [-1, 1] ``[N, C, H, W]``), both subsampled with ``generator``. ``G`` itself is
    returned when it has no colour map."""
    if not any(isinstance(m, ColorTransfer) for m in G.modules()):
        return G
    G = copy.deepcopy(G).eval()
    maps = [m for m in G.modules() if isinstance(m, ColorTransfer)]

    def pixels(x: torch.Tensor) -> torch.Tensor:
        x = x.float().transpose(0, 1).reshape(x.shape[1], -1).T  # [P, C]
        pick = torch.randperm(len(x), generator=generator, device=generator.device)
        return x[pick[:COLOR_FIT_PIXELS].to(x.device)].cpu()

    for m in maps:
        # a snapshot's map may be fitted already: the identity again, so G's outputs are the
        # raw ones the map is to be fitted on (and fitting twice gives the same map)
        m.reset()
        made = []
        for _ in range(COLOR_FIT_BATCHES):
            z, conditions = sample_inputs()
            made.append(G(z, **conditions))
        n = min(len(images), 4 * COLOR_FIT_PIXELS // images[0].numel() + 1)
        pick = torch.randperm(len(images), generator=generator, device=generator.device)[:n]
        real = to_model_range(images[pick.to(images.device)])
        m.fit(pixels(torch.cat(made)), pixels(real))
    return G


@torch.no_grad()
def texture_validation_swd(
    G: nn.Module, images: torch.Tensor, seed: int, device: torch.device | str = "cpu"
) -> float:
    """Patch SWD (average over levels, x 1e3) of a texture generator against training crops.

    :data:`VAL_FIELDS` training-sized fields (twice the crop's side) of ``G`` in eval mode
    against :data:`VAL_CROPS` of the training ``images`` (uint8, or [-1, 1] height data),
    all drawn from streams seeded by ``seed``, so the score is a function of the weights.
    No held-out pixel is used: what ``train.val_every`` keeps the best snapshot by.

    A texture GAN's snapshots differ more than its loss shows: one held-out hubble run
    scored 242, 117, 251 and 231 at iterations 500, 1000, 1500 and 1600 (SWD against the
    held-out half), and this score gave them 130, 98, 144 and 161; on another run it preferred
    a worse snapshot than the last (docs/textures.md), so the presets leave it off.
    """
    from gamegan.metrics.swd import sliced_wasserstein_images

    g = make_generator(seed * 7907 + 3, device)
    was_training = G.training
    G.eval()
    made = to_uint8(G(G.sample_training_z(VAL_FIELDS, g, device)).float()).cpu()
    G.train(was_training)
    pick = torch.randperm(len(images), generator=g, device=g.device)[:VAL_CROPS]
    real = images[pick.to(images.device)].cpu()
    if real.dtype != torch.uint8:  # height data, stored in [-1, 1]
        real = to_uint8(real)
    as_hwc = [x.permute(1, 2, 0).numpy() for x in (*real, *made)]
    swd = sliced_wasserstein_images(
        as_hwc[: len(real)], as_hwc[len(real) :], n_projections=256, n_seeds=1
    )
    return swd["swd/avg"]


def _check_grid_period(generator: nn.Module, period: int) -> None:
    """``train.grid_weight`` folds by position on G's upsampling grid: G must draw its images
    from a corner of that grid (the texture generators) and the period must divide a cell."""
    from gamegan.errors import ConfigError
    from gamegan.models.spatial_gan import PeriodicLatentGenerator

    if not isinstance(generator, PeriodicLatentGenerator):
        raise ConfigError(
            "train.grid_weight needs a texture generator (a latent field upsampled to pixels); "
            f"{type(generator).__module__} has no such grid"
        )
    if getattr(getattr(generator, "cfg", None), "random_phase", False):
        raise ConfigError(
            "train.grid_weight folds G's windows from a corner of its grid; "
            "model.random_phase=True starts them anywhere: use one of the two"
        )
    if generator.upsampling % period:
        raise ConfigError(
            f"train.grid_period must divide the generator's {generator.upsampling} px cells, "
            f"got {period}"
        )


def _checked_labels(
    labels: torch.Tensor | None, class_names: list[str] | None, n: int, n_classes: int
) -> tuple[torch.Tensor, list[str]]:
    """The labels a conditional model trains on, or a clear error when the data has none."""
    from gamegan.errors import ConfigError

    if labels is None:
        raise ConfigError(
            f"model.n_classes={n_classes}: this conditional model needs labelled data (class "
            "subfolders, a labelled data set, or music, labelled by mode); this data has no "
            "labels: set model.n_classes=0"
        )
    labels = labels.to(torch.int64)
    if labels.shape != (n,):
        raise ConfigError(f"the data has {n} examples but {tuple(labels.shape)} labels")
    found = len(class_names) if class_names else int(labels.max()) + 1
    if found != n_classes or int(labels.min()) < 0 or int(labels.max()) >= n_classes:
        raise ConfigError(
            f"model.n_classes={n_classes}, but the data has {found} classes"
            + (f" ({', '.join(class_names)})" if class_names else "")
            + f": set model.n_classes={found}"
        )
    names = list(class_names) if class_names else [str(i) for i in range(n_classes)]
    return labels, names


class GANTrainer:
    """Holds G, D, their optimizers, the data and every RNG stream of one run."""

    def __init__(
        self,
        resolved: Resolved,
        images: torch.Tensor,
        *,
        device: torch.device,
        dist_info: Distributed = Distributed(),
        labels: torch.Tensor | None = None,
        class_names: list[str] | None = None,
        conditions: torch.Tensor | None = None,
        height_range: tuple[float, float] | None = None,
    ) -> None:
        """``labels`` (int64 [N]) and ``class_names`` feed a conditional model (one whose
        networks have ``n_classes``); an unconditional model ignores them. ``conditions``
        (uint8 [N, C', H, W]) are an image-to-image model's inputs, one per image.
        ``height_range`` (height data: the heights -1 and 1 stand for) goes into snapshots,
        so generated terrain comes back in the data's units."""
        cfg = resolved.cfg
        self.height_range = height_range
        self.cfg = cfg
        self.kind = resolved.spec.kind  # its family's name, stored in snapshots
        # a batch -> uint8 [N, 1|3, H, W]
        picture, model_cfg = resolved.spec.picture, resolved.model_cfg
        self.picture = to_uint8 if picture is None else (lambda x: picture(x, model_cfg))
        self.objective = resolved.objective
        auxiliary = resolved.spec.auxiliary
        self.auxiliary = auxiliary(resolved.model_cfg) if auxiliary is not None else None
        self.device = device
        self.dist = dist_info
        t = cfg.train
        self.n_critic = t.n_critic or 1
        self.precision = t.precision
        if t.batch_size % dist_info.world_size:
            from gamegan.errors import ConfigError

            raise ConfigError(
                f"--batch-size {t.batch_size} must be divisible by the {dist_info.world_size} "
                "processes of this torchrun job"
            )
        self.local_batch = t.batch_size // dist_info.world_size

        # Identical initial weights on every rank, then a per-rank stream for dropout.
        torch.manual_seed(t.seed)
        self.memory_format = (
            torch.channels_last if resolved.spec.channels_last else torch.contiguous_format
        )
        self.G = resolved.spec.generator(resolved.model_cfg).to(
            device, memory_format=self.memory_format
        )
        self.D = resolved.spec.discriminator(resolved.model_cfg).to(
            device, memory_format=self.memory_format
        )
        self.G_ema = None
        if t.ema_decay > 0:
            self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        torch.manual_seed(t.seed * 1000 + dist_info.rank + 1)
        if device.type == "cuda":
            torch.cuda.manual_seed(t.seed * 1000 + dist_info.rank + 1)

        self.opt_G = build_optimizer(cfg.optim_g, self.G.parameters())
        self.opt_D = build_optimizer(cfg.optim_d, self.D.parameters())
        self.images = images.to(device)  # uint8 [N, C, H, W], converted per batch
        self.condition_images = None if conditions is None else conditions.to(device)
        # G told the class (cgan, acgan), or only D naming it (sgan): either needs labels.
        self.g_conditional = bool(getattr(self.G, "n_classes", 0))
        self.n_classes = int(getattr(self.G, "n_classes", 0) or getattr(self.D, "n_classes", 0))
        self.labels, self.class_names = None, None
        if self.n_classes:
            self.labels, self.class_names = _checked_labels(
                labels, class_names, len(images), self.n_classes
            )
            self.labels = self.labels.to(device)
        if self.auxiliary is not None:
            self.auxiliary.prepare(self.labels)
        self.keeps_discriminator = resolved.spec.keeps_discriminator
        for module in self.D.modules():  # a critic that standardises its input: the data's stats
            if isinstance(module, Standardize):
                module.fit(self.images)
        # The generator's terms that match statistics of the training crops, by stats name:
        # (weight, term), each fitted once on the crops (train.spectrum_weight, patch_weight,
        # grid_weight).
        self.matching: dict[str, tuple[float, nn.Module]] = {}
        spectrum = partial(SpectrumMatch, min_period=t.spectrum_min_period)
        if t.grid_weight > 0:
            _check_grid_period(self.G, t.grid_period)
        for name, weight, make in (
            ("spectrum", t.spectrum_weight, spectrum),
            ("patches", t.patch_weight, PatchMatch),
            ("grid", t.grid_weight, partial(GridEvenness, t.grid_period, self.local_batch)),
        ):
            if weight > 0:
                term = make().to(device)
                term.fit(self.images)
                self.matching[name] = (weight, term)
        self.sampler = EpochSampler(len(images), t.seed)
        self.z_generator = make_generator(t.seed * 1000 + dist_info.rank + 7, device)
        self.fixed_z = self.G.sample_z(
            GRID_ROWS * GRID_COLS, make_generator(t.seed + 12345, device), device
        )
        # A conditional grid is told the labels and context bars of fixed training examples.
        self.context_steps = int(getattr(self.G, "context_steps", 0) or 0)
        pick = torch.randperm(len(images), generator=make_generator(t.seed + 54321))
        self.fixed_conditions = self._conditions(pick[: GRID_ROWS * GRID_COLS])
        self.iteration = 0
        # train.val_every, texture models: the snapshot with the best validation SWD is kept
        self.validates = resolved.spec.family.makes == "textures" and t.val_every > 0
        self.best_val = float("inf")
        self.new_best = False  # the loop saves snapshot-best.safetensors when this is set
        self._inference: tuple[int, nn.Module] | None = None  # this iteration's, once made

        self.G_train, self.D_train = self.G, self.D
        if dist_info.enabled:
            from torch.nn.parallel import DistributedDataParallel as DDP

            ids = [device.index] if device.type == "cuda" else None
            self.G_train = DDP(self.G, device_ids=ids)
            self.D_train = DDP(self.D, device_ids=ids)

    # one iteration

    def _real_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Real images [N, C, H, W] in [-1, 1], and their indices in the data."""
        indices = self.sampler.next(self.cfg.train.batch_size)
        indices = indices[self.dist.rank :: self.dist.world_size].to(self.images.device)
        x = self.images[indices].contiguous(memory_format=self.memory_format)
        return to_model_range(x), indices

    def _conditions(self, indices: torch.Tensor) -> dict[str, torch.Tensor]:
        """What a conditional G is told for examples ``indices`` of the data, as keyword
        arguments: their labels, and the context bars that open their windows."""
        conditions = {}
        indices = indices.to(self.images.device)
        if self.g_conditional:
            conditions["labels"] = self.labels[indices]
        if self.context_steps:
            context = self.images[indices, :, : self.context_steps]
            conditions["context"] = to_model_range(context)
        if self.condition_images is not None:
            condition = self.condition_images[indices].contiguous(memory_format=self.memory_format)
            conditions["condition"] = to_model_range(condition)
        return conditions

    @staticmethod
    def _told(network, *args, **kwargs):
        """``network`` as a one-argument callable, told the rest (the objectives' penalties
        call D with the images alone)."""
        if not args and not kwargs:
            return network
        return lambda x: network(x, *args, **kwargs)

    @staticmethod
    def _logits_only(D):
        """``D`` without its heads: what the objectives' penalties differentiate."""
        return lambda x: split_heads(D(x))[0]

    def step(self) -> dict[str, torch.Tensor]:
        """One iteration; returns detached scalar stats (no host sync)."""
        objective = self.objective
        stats: dict[str, torch.Tensor] = {}
        x_fake = None
        for i in range(self.n_critic):
            # A conditional model's fakes take the real batch's labels (the classes keep the
            # data's frequencies, and the penalty's interpolates stay within one class) and
            # continue its context bars.
            x_real, indices = self._real_batch()
            conditions = self._conditions(indices)
            told = (conditions["labels"],) if "labels" in conditions else ()
            d_told = {k: v for k, v in conditions.items() if k == "condition"}
            G = self._told(self.G_train, **conditions)
            D = self._told(self.D_train, *told, **d_told)
            z = self.G.sample_training_z(self.local_batch, self.z_generator, self.device)
            batch = {"real": x_real, "index": indices, "z": z, **conditions}
            if self.labels is not None:
                batch["labels"] = self.labels[indices]
            # The last critic step's fakes keep their graph: the G step reuses them.
            keep_graph = i == self.n_critic - 1
            with autocast(self.device, self.precision):
                with torch.set_grad_enabled(keep_graph):
                    x_fake = G(z)
                logits_real, heads_real = split_heads(D(x_real))
                logits_fake, heads_fake = split_heads(D(x_fake.detach()))
                d_loss = objective.d_loss(logits_real, logits_fake)
                penalty, penalty_weight = objective.scheduled_penalty(
                    self._logits_only(D),
                    x_real,
                    x_fake.detach(),
                    self.iteration * self.n_critic + i,
                    self.cfg.train.penalty_every,
                )
                d_terms = {}
                if self.auxiliary is not None:
                    d_terms = self.auxiliary.d_terms(heads_real, heads_fake, batch)
            self.opt_D.zero_grad(set_to_none=True)
            sum(d_terms.values(), d_loss + penalty_weight * penalty).backward()
            self.opt_D.step()
            objective.after_d_step(self.D)

        stats["Loss/D"] = d_loss.detach().float()
        if torch.is_tensor(penalty):
            stats["Loss/D/penalty"] = penalty.detach().float()
        stats["Score/real"] = logits_real.detach().float().mean()
        stats["Score/fake"] = logits_fake.detach().float().mean()
        accuracy = objective.d_accuracy(logits_real, logits_fake)
        if accuracy is not None:
            stats["Accuracy/D"] = accuracy
        for name, value in d_terms.items():
            stats[f"Loss/D/{name}"] = value.detach().float()
        if self.auxiliary is not None:
            stats.update(self.auxiliary.metrics(heads_real, heads_fake, batch))

        # Generator step through a frozen D (its weights get no gradients).
        self.D.requires_grad_(False)
        with autocast(self.device, self.precision):
            logits, heads = split_heads(self._told(self.D, *told, **d_told)(x_fake))
            g_loss = objective.g_loss(logits)
            g_terms = {}
            if self.auxiliary is not None:
                g_terms = self.auxiliary.g_terms(heads, {**batch, "fake": x_fake})
        g_total = sum(g_terms.values(), g_loss)
        for name, value in g_terms.items():
            stats[f"Loss/G/{name}"] = value.detach().float()
        for name, (weight, term) in self.matching.items():
            loss = term(x_fake)  # in float32, outside autocast
            g_total = g_total + weight * loss
            stats[f"Loss/G/{name}"] = loss.detach()
        self.opt_G.zero_grad(set_to_none=True)
        g_total.backward()
        self.opt_G.step()
        self.D.requires_grad_(True)
        stats["Loss/G"] = g_loss.detach().float()

        if self.G_ema is not None:
            # Ramp the decay up (as TensorFlow's num_updates does) so early, poor weights
            # leave the average quickly instead of dominating a short run.
            decay = min(self.cfg.train.ema_decay, (1 + self.iteration) / (10 + self.iteration))
            ema_update(self.G_ema, self.G, decay)
        self.iteration += 1
        self.new_best = False
        if self.validates and self.iteration % self.cfg.train.val_every == 0:
            score = self.validation_swd()
            stats["Metric/val_swd"] = torch.tensor(score)
            self.new_best = score < self.best_val
            self.best_val = min(self.best_val, score)
        return stats

    def validation_swd(self) -> float:
        """:func:`texture_validation_swd` of what a snapshot would hold now."""
        return texture_validation_swd(
            self.inference_generator(), self.images, self.cfg.train.seed, self.device
        )

    @property
    def images_per_iteration(self) -> int:
        return self.n_critic * self.cfg.train.batch_size

    # pictures

    def inference_generator(self) -> nn.Module:
        """What snapshots and sample grids use: G, or G_ema with its own standing statistics,
        and its colour maps, if any, fitted (:func:`fit_color_maps`).

        The statistics come from a stream seeded by the run's seed and iteration, so a
        snapshot is a deterministic function of the training state; it is made once per
        iteration (validation, the best snapshot, the checkpoint and the sample grid share it).
        """
        if self._inference is not None and self._inference[0] == self.iteration:
            return self._inference[1]
        g = make_generator(self.cfg.train.seed * 7919 + self.iteration, self.device)

        def sample_inputs() -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
            z = self.G.sample_training_z(self.local_batch, g, self.device)
            if not self.fixed_conditions:
                return z, {}
            n = len(self.images)
            pick = torch.randint(n, (self.local_batch,), generator=g, device=g.device)
            return z, self._conditions(pick)

        G = self.G
        if self.G_ema is not None:
            G = standing_statistics(self.G_ema, sample_inputs, STANDING_BATCHES, self.device)
        G = fit_color_maps(G, sample_inputs, self.images, g)
        self._inference = (self.iteration, G)
        return G

    def write_samples(self, path: Path) -> None:
        """The 5x5 grid of the fixed latents, from G_ema when it exists."""
        G = self.inference_generator()
        was_training = G.training
        G.eval()
        with torch.no_grad():
            x = G(self.fixed_z, **self.fixed_conditions).float()
        G.train(was_training)
        write_png(path, make_grid(self.picture(x).cpu(), GRID_ROWS, GRID_COLS))

    def write_reals(self, path: Path) -> None:
        """A 5x5 grid of training images, the same ones for every run with this seed."""
        n = min(GRID_ROWS * GRID_COLS, len(self.images))
        pick = torch.randperm(len(self.images), generator=make_generator(0))[:n]
        reals = self.images[pick.to(self.images.device)].cpu()
        if reals.dtype != torch.uint8:  # height data, stored in [-1, 1]
            reals = to_uint8(reals)
        elif self.picture is not to_uint8:
            reals = self.picture(reals)
        write_png(path, make_grid(reals, GRID_ROWS, GRID_COLS))

    # checkpoints

    def snapshot(self) -> tuple[dict[str, torch.Tensor], dict]:
        """Inference weights (EMA if on) and what is needed to rebuild G without this code."""
        G = self.inference_generator()
        meta = snapshot_meta(self.cfg, self.kind, self.iteration)
        if self.height_range is not None:
            meta["height_range"] = list(self.height_range)
        if self.g_conditional:
            # Generation draws classes as the data has them unless the user picks one.
            counts = torch.bincount(self.labels.cpu(), minlength=self.n_classes)
            meta["class_names"] = list(self.class_names)
            meta["class_prior"] = (counts / counts.sum()).tolist()
        tensors = module_tensors("G", G)
        if self.keeps_discriminator:
            tensors.update(module_tensors("D", self.D))
            if self.class_names is not None:
                meta["discriminator_classes"] = list(self.class_names)
        return tensors, meta

    def state(self) -> tuple[dict[str, torch.Tensor], dict]:
        """Everything for an exact resume. Collective under torchrun: call on every rank."""
        tensors: dict[str, torch.Tensor] = {}
        tensors.update(module_tensors("G", self.G))
        tensors.update(module_tensors("D", self.D))
        if self.G_ema is not None:
            tensors.update(module_tensors("G_ema", self.G_ema))
        opt_g, opt_g_meta = optimizer_tensors("opt_G", self.opt_G)
        opt_d, opt_d_meta = optimizer_tensors("opt_D", self.opt_D)
        tensors.update(opt_g)
        tensors.update(opt_d)
        streams = {**rng.global_states(self.device), "z": self.z_generator.get_state()}
        tensors.update(rng.gather(streams, self.dist))
        meta = state_meta(
            self.cfg, self.kind, self.iteration, self.dist.world_size,
            sampler=self.sampler.state(), opt_G=opt_g_meta, opt_D=opt_d_meta,
            best_val=None if self.best_val == float("inf") else self.best_val,
        )  # fmt: skip
        return tensors, meta

    def load_state(self, tensors: dict[str, torch.Tensor], meta: dict, source: str) -> None:
        """Restore :meth:`state` output; RNG streams are exact when the world size matches."""
        load_module("G", self.G, tensors, source)
        load_module("D", self.D, tensors, source)
        if self.G_ema is not None:
            if not any(k.startswith("G_ema.") for k in tensors):
                self.G_ema.load_state_dict(self.G.state_dict())
            else:
                load_module("G_ema", self.G_ema, tensors, source)
        load_optimizer("opt_G", self.opt_G, tensors, meta["opt_G"], source)
        load_optimizer("opt_D", self.opt_D, tensors, meta["opt_D"], source)
        self.sampler.load_state(meta["sampler"])
        self.iteration = int(meta["iteration"])
        best = meta.get("best_val")
        self.best_val = float("inf") if best is None else float(best)
        streams = rng.own(tensors, self.dist)  # none when resumed on another world size
        if streams:
            rng.restore_global(streams, self.device)
            self.z_generator.set_state(streams["z"].to(self.z_generator.get_state().device))
