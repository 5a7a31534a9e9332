"""The training step of the adversarial autoencoder (``aae``): a GAN on codes, not on images.

The trainer has the surface of :class:`gamegan.train.gan.GANTrainer`, so the shared loop
drives it unchanged. It holds the encoder E, the decoder G and the code discriminator D, one
optimizer for E and G together (``optim_g``) and one for D, the data order and every RNG
stream, all in the safetensors state. One iteration: ``n_critic`` steps of D telling draws of
the prior from E's codes of a fresh real batch, then one step of E and G on the weighted sum
of the squared reconstruction error and the adversarial term (E's codes should pass as the
prior's).
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from gamegan.build import Resolved
from gamegan.data.images import to_model_range
from gamegan.data.samplers import EpochSampler
from gamegan.errors import ConfigError
from gamegan.io.checkpoint import module_tensors
from gamegan.io.png import make_grid, to_uint8, write_png
from gamegan.runtime import Distributed, autocast, make_generator
from gamegan.train import rng
from gamegan.train.checkpoints import load_networks, networks_state, snapshot_meta, state_meta
from gamegan.train.optim import build_optimizer

GRID = 5  # the 5x5 sample grid: decoded draws of the prior


class AutoencoderTrainer:
    """Holds E, G (the decoder), D (on codes), their two optimizers, the data and RNG streams."""

    def __init__(
        self, resolved: Resolved, images: torch.Tensor, *, device: torch.device,
        dist_info=Distributed(),
    ) -> None:  # fmt: skip
        if dist_info.enabled:
            raise ConfigError("the adversarial autoencoder trains in one process (no torchrun)")
        cfg = resolved.cfg
        self.cfg, self.kind, self.objective = cfg, resolved.spec.kind, resolved.objective
        self.device, self.dist = device, dist_info
        t = cfg.train
        self.n_critic = t.n_critic or 1
        self.precision = t.precision
        spec, model_cfg = resolved.spec, resolved.model_cfg
        torch.manual_seed(t.seed)
        self.E = spec.encoder(model_cfg).to(device)
        self.G = spec.generator(model_cfg).to(device)
        self.D = spec.discriminator(model_cfg).to(device)
        torch.manual_seed(t.seed * 1000 + 1)
        self.opt_G = build_optimizer(cfg.optim_g, [*self.E.parameters(), *self.G.parameters()])
        self.opt_D = build_optimizer(cfg.optim_d, self.D.parameters())
        self.adversarial_weight = model_cfg.adversarial_weight
        self.images = images.to(device)
        self.sampler = EpochSampler(len(images), t.seed)
        self.z_generator = make_generator(t.seed * 1000 + 7, device)
        self.fixed_z = self.G.sample_z(GRID * GRID, make_generator(t.seed + 12345, device), device)
        self.iteration = 0

    def _real_batch(self) -> torch.Tensor:
        indices = self.sampler.next(self.cfg.train.batch_size).to(self.images.device)
        return to_model_range(self.images[indices])

    def step(self) -> dict[str, torch.Tensor]:
        """One iteration; returns detached scalar stats (no host sync)."""
        objective, n = self.objective, self.cfg.train.batch_size
        for i in range(self.n_critic):
            x = self._real_batch()
            prior = self.G.sample_z(n, self.z_generator, self.device)
            keep_graph = i == self.n_critic - 1  # the E/G step reuses the last codes
            with autocast(self.device, self.precision):
                with torch.set_grad_enabled(keep_graph):
                    codes = self.E.encode(x, self.z_generator)
                logits_real, logits_fake = self.D(prior), self.D(codes.detach())
                d_loss = objective.d_loss(logits_real, logits_fake)
                penalty, weight = objective.scheduled_penalty(
                    self.D,
                    prior,
                    codes.detach(),
                    self.iteration * self.n_critic + i,
                    self.cfg.train.penalty_every,
                )
            self.opt_D.zero_grad(set_to_none=True)
            (d_loss + weight * penalty).backward()
            self.opt_D.step()
            objective.after_d_step(self.D)

        self.D.requires_grad_(False)
        with autocast(self.device, self.precision):
            adversarial = objective.g_loss(self.D(codes))
            reconstruction = F.mse_loss(self.G(codes).float(), x)
            w = self.adversarial_weight
            total = (1 - w) * reconstruction + w * adversarial
        self.opt_G.zero_grad(set_to_none=True)
        total.backward()
        self.opt_G.step()
        self.D.requires_grad_(True)
        self.iteration += 1
        stats = {
            "Loss/D": d_loss.detach().float(),
            "Loss/G": adversarial.detach().float(),
            "Loss/G/reconstruction": reconstruction.detach().float(),
        }
        accuracy = objective.d_accuracy(logits_real, logits_fake)
        if accuracy is not None:
            stats["Accuracy/D"] = accuracy
        if torch.is_tensor(penalty):
            stats["Loss/D/penalty"] = penalty.detach().float()
        return stats

    @property
    def images_per_iteration(self) -> int:
        return self.n_critic * self.cfg.train.batch_size

    # pictures

    def write_samples(self, path: Path) -> None:
        """Decoded draws of the prior: what ``gamegan generate`` makes."""
        was = self.G.training
        self.G.eval()
        with torch.no_grad():
            x = self.G(self.fixed_z).float()
        self.G.train(was)
        write_png(path, make_grid(to_uint8(x).cpu(), GRID, GRID))

    def write_reals(self, path: Path) -> None:
        n = min(GRID * GRID, len(self.images))
        pick = torch.randperm(len(self.images), generator=make_generator(0))[:n]
        write_png(path, make_grid(self.images[pick.to(self.images.device)].cpu(), GRID, GRID))

    # checkpoints

    def snapshot(self) -> tuple[dict[str, torch.Tensor], dict]:
        """The decoder as the generator, the encoder beside it (``gamegan.api.encode``)."""
        tensors = {**module_tensors("G", self.G), **module_tensors("E", self.E)}
        return tensors, snapshot_meta(self.cfg, self.kind, self.iteration)

    def _parts(self) -> tuple[dict, dict]:
        modules = {"E": self.E, "G": self.G, "D": self.D}
        return modules, {"opt_G": self.opt_G, "opt_D": self.opt_D}

    def state(self) -> tuple[dict[str, torch.Tensor], dict]:
        tensors, optimizers = networks_state(*self._parts())
        streams = {**rng.global_states(self.device), "z": self.z_generator.get_state()}
        tensors.update(rng.gather(streams, self.dist))
        meta = state_meta(
            self.cfg, self.kind, self.iteration, self.dist.world_size,
            sampler=self.sampler.state(), **optimizers,
        )  # fmt: skip
        return tensors, meta

    def load_state(self, tensors: dict[str, torch.Tensor], meta: dict, source: str) -> None:
        load_networks(*self._parts(), tensors, meta, source)
        self.sampler.load_state(meta["sampler"])
        self.iteration = int(meta["iteration"])
        streams = rng.own(tensors, self.dist)
        if streams:
            rng.restore_global(streams, self.device)
            self.z_generator.set_state(streams["z"].to(self.z_generator.get_state().device))
