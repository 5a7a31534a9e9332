"""Plain eager PyTorch ports of the chapter's programs: the peers of gamegan's speed.

Each port is what a reader would write from the chapter's Keras-GAN programs
(``dcgan/dcgan.py``, ``wgan/wgan.py``) with nothing but torch: the same layers, optimizers and
training loop, step for step, written the obvious way and run eagerly. The loop is Keras's:
``G.predict`` makes the fakes (no gradient), the discriminator trains on the real batch, then
on the fake batch (two updates, as two ``train_on_batch`` calls), then the combined model
trains G through a frozen D on the same noise (G runs again, now with its graph).

For the models that are not the chapter's (the texture model, the chorale GAN), the peer is the
same plain loop around gamegan's own networks and objective: it measures what the engine's
step adds or saves, not a second copy of those networks.

``bf16=True`` wraps the forward passes in ``torch.autocast(..., dtype=torch.bfloat16)``, as a
reader would add it.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn

BN_MOMENTUM = 0.2  # Keras BatchNormalization(momentum=0.8)
BN_EPS = 1e-3  # Keras' default epsilon


def _conv(cin: int, cout: int, k: int, stride: int = 1) -> nn.Module:
    """Keras ``padding="same"``: size ceil(n / stride) (the alignment does not matter here)."""
    if stride == 1 and k % 2 == 0:  # the WGAN's 4: Keras pads 1 before and 2 after
        return nn.Sequential(nn.ZeroPad2d((k // 2 - 1, k // 2) * 2), nn.Conv2d(cin, cout, k))
    return nn.Conv2d(cin, cout, k, stride, padding=(k - 1) // 2)


def chapter_generator(channels: int, start: int, kernel: int) -> nn.Module:
    """Dense(128*s*s) -> [up, conv 128, BN, relu] -> [up, conv 64, BN, relu] -> conv, tanh."""
    return nn.Sequential(
        nn.Linear(100, 128 * start * start),
        nn.ReLU(),
        nn.Unflatten(1, (128, start, start)),
        nn.Upsample(scale_factor=2),
        _conv(128, 128, kernel),
        nn.BatchNorm2d(128, BN_EPS, BN_MOMENTUM),
        nn.ReLU(),
        nn.Upsample(scale_factor=2),
        _conv(128, 64, kernel),
        nn.BatchNorm2d(64, BN_EPS, BN_MOMENTUM),
        nn.ReLU(),
        _conv(64, channels, kernel),
        nn.Tanh(),
    )


def chapter_discriminator(channels: int, size: int, widths: tuple[int, ...]) -> nn.Module:
    """Four 3x3 convs (strides 2, 2, 2, 1) with LeakyReLU and Dropout, BN after the first,
    a zero pad after the second, then Dense(1)."""
    layers: list[nn.Module] = []
    cin = channels
    for i, (cout, stride) in enumerate(zip(widths, (2, 2, 2, 1), strict=True)):
        layers.append(_conv(cin, cout, 3, stride))
        size = -(-size // stride)
        if i == 1:
            layers.append(nn.ZeroPad2d((0, 1, 0, 1)))
            size += 1
        if i >= 1:
            layers.append(nn.BatchNorm2d(cout, BN_EPS, BN_MOMENTUM))
        layers += [nn.LeakyReLU(0.2), nn.Dropout(0.25)]
        cin = cout
    layers += [nn.Flatten(), nn.Linear(cin * size * size, 1)]
    return nn.Sequential(*layers)


class PlainPort:
    """One training program: ``step()`` runs one of its iterations on a fixed random data set."""

    def __init__(self, images: torch.Tensor, batch_size: int, bf16: bool = False) -> None:
        self.images = images  # uint8 [N, C, H, W]
        self.batch_size = batch_size
        self.bf16 = bf16

    def autocast(self):
        if self.bf16:
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def real_batch(self) -> torch.Tensor:
        idx = torch.randint(0, len(self.images), (self.batch_size,))
        return self.images[idx].float() / 127.5 - 1.0

    def step(self) -> None:
        raise NotImplementedError


class ChapterDCGAN(PlainPort):
    """``dcgan/dcgan.py``: Adam(2e-4, 0.5), binary cross-entropy, one D and one G update."""

    def __init__(self, images: torch.Tensor, batch_size: int = 32, bf16: bool = False) -> None:
        super().__init__(images, batch_size, bf16)
        channels, size = images.shape[1], images.shape[2]
        self.G = chapter_generator(channels, size // 4, kernel=3)
        self.D = chapter_discriminator(channels, size, (32, 64, 128, 256))
        self.opt_G = torch.optim.Adam(self.G.parameters(), 2e-4, betas=(0.5, 0.999))
        self.opt_D = torch.optim.Adam(self.D.parameters(), 2e-4, betas=(0.5, 0.999))
        self.loss = nn.BCEWithLogitsLoss()  # Dense(1, sigmoid) + binary_crossentropy

    def train_d(self, x: torch.Tensor, target: float) -> None:
        self.opt_D.zero_grad()
        with self.autocast():
            logits = self.D(x).float()
        self.loss(logits, torch.full_like(logits, target)).backward()
        self.opt_D.step()

    def step(self) -> None:
        imgs = self.real_batch()
        noise = torch.randn(self.batch_size, 100)
        with torch.no_grad(), self.autocast():
            gen_imgs = self.G(noise).float()
        self.train_d(imgs, 1.0)
        self.train_d(gen_imgs, 0.0)
        self.D.requires_grad_(False)  # the combined model's frozen discriminator
        self.opt_G.zero_grad()
        with self.autocast():
            logits = self.D(self.G(noise)).float()
        self.loss(logits, torch.ones_like(logits)).backward()
        self.opt_G.step()
        self.D.requires_grad_(True)


class ChapterWGAN(PlainPort):
    """``wgan/wgan.py``: RMSprop(5e-5), 5 critic steps clipped to 0.01, then one G step."""

    def __init__(self, images: torch.Tensor, batch_size: int = 32, bf16: bool = False) -> None:
        super().__init__(images, batch_size, bf16)
        channels, size = images.shape[1], images.shape[2]
        self.G = chapter_generator(channels, size // 4, kernel=4)
        self.D = chapter_discriminator(channels, size, (16, 32, 64, 128))
        self.opt_G = torch.optim.RMSprop(self.G.parameters(), 5e-5)
        self.opt_D = torch.optim.RMSprop(self.D.parameters(), 5e-5)

    def train_critic(self, x: torch.Tensor, sign: float) -> None:
        self.opt_D.zero_grad()
        with self.autocast():
            score = self.D(x).float()
        (sign * score).mean().backward()  # Keras' mean(y_true * y_pred), y = -1 real, +1 fake
        self.opt_D.step()

    def step(self) -> None:
        for _ in range(5):
            imgs = self.real_batch()
            noise = torch.randn(self.batch_size, 100)
            with torch.no_grad(), self.autocast():
                gen_imgs = self.G(noise).float()
            self.train_critic(imgs, -1.0)
            self.train_critic(gen_imgs, 1.0)
            with torch.no_grad():
                for p in self.D.parameters():
                    p.clamp_(-0.01, 0.01)
        self.D.requires_grad_(False)
        self.opt_G.zero_grad()
        with self.autocast():
            score = self.D(self.G(noise)).float()
        (-score).mean().backward()
        self.opt_G.step()
        self.D.requires_grad_(True)


class PlainLoop(PlainPort):
    """gamegan's networks and objective for ``preset``, in the plain loop anyone would write:
    fresh fakes for every critic step and the G step, one D update on the summed loss."""

    def __init__(self, preset: str, images: torch.Tensor, bf16: bool = False) -> None:
        from gamegan.build import resolve
        from gamegan.gan.spectrum import SpectrumMatch
        from gamegan.presets import build_config
        from gamegan.train.optim import build_optimizer

        resolved = resolve(build_config(preset, data="synthetic", device="cpu"))
        cfg = resolved.cfg
        super().__init__(images, cfg.train.batch_size, bf16)
        self.G = resolved.spec.generator(resolved.model_cfg)
        self.D = resolved.spec.discriminator(resolved.model_cfg)
        self.opt_G = build_optimizer(cfg.optim_g, self.G.parameters())
        self.opt_D = build_optimizer(cfg.optim_d, self.D.parameters())
        self.objective = resolved.objective
        self.n_critic = cfg.train.n_critic or 1
        self.spectrum = None
        if cfg.train.spectrum_weight > 0:
            self.spectrum = SpectrumMatch()
            self.spectrum.fit(images)
            self.spectrum_weight = cfg.train.spectrum_weight

    def step(self) -> None:
        for _ in range(self.n_critic):
            x_real = self.real_batch()
            z = self.G.sample_training_z(self.batch_size)
            with self.autocast():
                x_fake = self.G(z).detach()
                loss = self.objective.d_loss(self.D(x_real), self.D(x_fake))
                loss = loss + self.objective.penalty(self.D, x_real, x_fake)
            self.opt_D.zero_grad()
            loss.backward()
            self.opt_D.step()
            self.objective.after_d_step(self.D)
        z = self.G.sample_training_z(self.batch_size)
        with self.autocast():
            x_fake = self.G(z)
            loss = self.objective.g_loss(self.D(x_fake))
        if self.spectrum is not None:
            loss = loss + self.spectrum_weight * self.spectrum(x_fake)
        self.opt_G.zero_grad()
        loss.backward()
        self.opt_G.step()


def plain_port(preset: str, images: torch.Tensor, bf16: bool = False) -> PlainPort:
    """The peer of ``preset``: the chapter's program where it is one, else the plain loop."""
    if preset in ("dcgan-mnist", "dcgan-forest"):
        return ChapterDCGAN(images, bf16=bf16)
    if preset in ("wgan-mnist", "wgan-forest"):
        return ChapterWGAN(images, bf16=bf16)
    return PlainLoop(preset, images, bf16=bf16)
