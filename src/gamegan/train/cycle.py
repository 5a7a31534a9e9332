"""The training step of two-way image-to-image models (CycleGAN): four networks, two optimizers.

The trainer has the surface of :class:`gamegan.train.gan.GANTrainer`, so the shared loop
(logging, samples, checkpoints, Ctrl-C, exact resume) drives it unchanged. It holds G_AB
(A to B), G_BA (B to A), D_A and D_B, one optimizer for both generators and one for both
discriminators, a data order per domain and every RNG stream, all in the safetensors state.
One iteration: ``n_critic`` steps of both discriminators on fresh batches of each domain, then
one step of both generators on the adversarial terms, the cycle term and the identity term.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import torch
import torch.nn.functional as F

from gamegan.build import Resolved
from gamegan.data.images import to_model_range
from gamegan.data.samplers import EpochSampler
from gamegan.errors import ConfigError
from gamegan.io.checkpoint import module_tensors
from gamegan.io.png import make_grid, to_uint8, write_png
from gamegan.runtime import Distributed, autocast
from gamegan.train import rng
from gamegan.train.checkpoints import load_networks, networks_state, snapshot_meta, state_meta
from gamegan.train.optim import build_optimizer

SAMPLE_PAIRS = 5  # columns of the sample grid: A, G_AB(A), B, G_BA(B) in four rows


def _as_float(images: torch.Tensor) -> torch.Tensor:
    return to_model_range(images)


class CycleTrainer:
    """Holds G_AB, G_BA, D_A, D_B, their two optimizers, both domains and the RNG streams."""

    def __init__(
        self, resolved: Resolved, data, *, device: torch.device, dist_info=Distributed()
    ) -> None:
        if dist_info.enabled:
            raise ConfigError("two-way image models train in one process (no torchrun yet)")
        cfg = resolved.cfg
        self.cfg = cfg
        self.kind = resolved.spec.kind
        self.objective = resolved.objective
        self.device = device
        self.dist = dist_info
        t = cfg.train
        self.n_critic = t.n_critic or 1
        self.precision = t.precision
        spec, model_cfg = resolved.spec, resolved.model_cfg
        torch.manual_seed(t.seed)
        self.G_ab = spec.generator(model_cfg).to(device)
        self.G_ba = spec.generator(model_cfg.reversed()).to(device)
        self.D_b = spec.discriminator(model_cfg).to(device)  # judges B: real ones and G_AB's
        self.D_a = spec.discriminator(model_cfg.reversed()).to(device)
        torch.manual_seed(t.seed * 1000 + 1)
        generators = itertools.chain(self.G_ab.parameters(), self.G_ba.parameters())
        self.opt_G = build_optimizer(cfg.optim_g, generators)
        self.opt_D = build_optimizer(
            cfg.optim_d, itertools.chain(self.D_a.parameters(), self.D_b.parameters())
        )
        self.cycle_weight = model_cfg.cycle_weight
        self.distance = F.mse_loss if model_cfg.cycle_loss == "l2" else F.l1_loss
        same_channels = model_cfg.channels == model_cfg.condition_channels
        self.identity_weight = model_cfg.identity_weight * model_cfg.cycle_weight
        if not same_channels:
            self.identity_weight = 0.0  # G_AB(b) is not defined when B has other channels
        self.images_a = data.a.images.to(device)
        self.images_b = data.b.images.to(device)
        self.sampler_a = EpochSampler(len(self.images_a), t.seed)
        self.sampler_b = EpochSampler(len(self.images_b), t.seed + 1)
        self.iteration = 0
        self.picture_a = self.images_a[:SAMPLE_PAIRS]
        self.picture_b = self.images_b[:SAMPLE_PAIRS]

    def _batch(self, images: torch.Tensor, sampler: EpochSampler) -> torch.Tensor:
        indices = sampler.next(self.cfg.train.batch_size).to(images.device)
        return _as_float(images[indices])

    def _translate(self, G, x: torch.Tensor) -> torch.Tensor:
        return G(x.new_zeros(len(x), 0), condition=x)

    def step(self) -> dict[str, torch.Tensor]:
        """One iteration; returns detached scalar stats (no host sync)."""
        objective = self.objective
        for i in range(self.n_critic):
            a = self._batch(self.images_a, self.sampler_a)
            b = self._batch(self.images_b, self.sampler_b)
            keep_graph = i == self.n_critic - 1  # the G step reuses the last fakes
            with autocast(self.device, self.precision):
                with torch.set_grad_enabled(keep_graph):
                    fake_b = self._translate(self.G_ab, a)
                    fake_a = self._translate(self.G_ba, b)
                d_loss = 0.0
                penalty = 0.0
                d_step = self.iteration * self.n_critic + i
                for D, real, fake in ((self.D_b, b, fake_b), (self.D_a, a, fake_a)):
                    d_loss = d_loss + objective.d_loss(D(real), D(fake.detach()))
                    term, weight = objective.scheduled_penalty(
                        D, real, fake.detach(), d_step, self.cfg.train.penalty_every
                    )
                    penalty = penalty + term
            self.opt_D.zero_grad(set_to_none=True)
            (d_loss + weight * penalty).backward()
            self.opt_D.step()
            objective.after_d_step(self.D_a)
            objective.after_d_step(self.D_b)

        self.D_a.requires_grad_(False)
        self.D_b.requires_grad_(False)
        with autocast(self.device, self.precision):
            adversarial = objective.g_loss(self.D_b(fake_b)) + objective.g_loss(self.D_a(fake_a))
            distance = self.distance
            cycle = distance(self._translate(self.G_ba, fake_b).float(), a) + distance(
                self._translate(self.G_ab, fake_a).float(), b
            )
            g_total = adversarial + self.cycle_weight * cycle
            identity = None
            if self.identity_weight > 0:
                identity = F.l1_loss(self._translate(self.G_ab, b).float(), b) + F.l1_loss(
                    self._translate(self.G_ba, a).float(), a
                )
                g_total = g_total + self.identity_weight * identity
        self.opt_G.zero_grad(set_to_none=True)
        g_total.backward()
        self.opt_G.step()
        self.D_a.requires_grad_(True)
        self.D_b.requires_grad_(True)
        self.iteration += 1
        stats = {
            "Loss/D": d_loss.detach().float(),
            "Loss/G": adversarial.detach().float(),
            "Loss/G/cycle": cycle.detach().float(),
        }
        if torch.is_tensor(penalty):
            stats["Loss/D/penalty"] = penalty.detach().float()
        if identity is not None:
            stats["Loss/G/identity"] = identity.detach().float()
        return stats

    @property
    def images_per_iteration(self) -> int:
        return self.n_critic * self.cfg.train.batch_size * 2  # a batch of each domain

    # pictures

    def _grid_rows(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Rows A, G_AB(A), B, G_BA(B) as uint8, in the channels of the wider domain."""
        was = self.G_ab.training, self.G_ba.training
        self.G_ab.eval()
        self.G_ba.eval()
        with torch.no_grad():
            fa, fb = _as_float(a), _as_float(b)
            rows = [fa, self._translate(self.G_ab, fa), fb, self._translate(self.G_ba, fb)]
        self.G_ab.train(was[0])
        self.G_ba.train(was[1])
        channels = max(r.shape[1] for r in rows)
        rows = [r.expand(-1, channels, -1, -1) if r.shape[1] == 1 else r for r in rows]
        return torch.cat([to_uint8(r.float()).cpu() for r in rows])

    def write_samples(self, path: Path) -> None:
        n = min(len(self.picture_a), len(self.picture_b))
        grid = self._grid_rows(self.picture_a[:n], self.picture_b[:n])
        write_png(path, make_grid(grid, 4, n))

    def write_reals(self, path: Path) -> None:
        n = min(len(self.picture_a), len(self.picture_b))
        a, b = self.picture_a[:n].cpu(), self.picture_b[:n].cpu()
        channels = max(a.shape[1], b.shape[1])
        a, b = (x.expand(-1, channels, -1, -1) if x.shape[1] == 1 else x for x in (a, b))
        write_png(path, make_grid(torch.cat([a, b]), 2, n))

    # checkpoints

    def snapshot(self) -> tuple[dict[str, torch.Tensor], dict]:
        """G_AB as the generator, G_BA beside it (``gamegan generate --reverse``)."""
        tensors = {**module_tensors("G", self.G_ab), **module_tensors("G_reverse", self.G_ba)}
        return tensors, snapshot_meta(self.cfg, self.kind, self.iteration)

    def _parts(self) -> tuple[dict, dict]:
        modules = {name: getattr(self, name) for name in ("G_ab", "G_ba", "D_a", "D_b")}
        return modules, {"opt_G": self.opt_G, "opt_D": self.opt_D}

    def state(self) -> tuple[dict[str, torch.Tensor], dict]:
        tensors, optimizers = networks_state(*self._parts())
        tensors.update(rng.gather(rng.global_states(self.device), self.dist))
        sampler = {"a": self.sampler_a.state(), "b": self.sampler_b.state()}
        meta = state_meta(
            self.cfg, self.kind, self.iteration, self.dist.world_size, sampler=sampler,
            **optimizers,
        )  # fmt: skip
        return tensors, meta

    def load_state(self, tensors: dict[str, torch.Tensor], meta: dict, source: str) -> None:
        load_networks(*self._parts(), tensors, meta, source)
        self.sampler_a.load_state(meta["sampler"]["a"])
        self.sampler_b.load_state(meta["sampler"]["b"])
        self.iteration = int(meta["iteration"])
        streams = rng.own(tensors, self.dist)
        if streams:
            rng.restore_global(streams, self.device)
