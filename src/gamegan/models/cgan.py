"""Conditional GAN (Mirza and Osindero 2014, arXiv:1411.1784): G and D told the class.

Layer for layer the chapter's reference collection, eriklindernoren/Keras-GAN ``cgan/cgan.py``:
the vanilla GAN's perceptrons (:mod:`gamegan.models.mlp_gan`) with a learned embedding of the
label multiplied into their inputs. G's noise is multiplied by a ``z_dim``-wide embedding of
the class; D's flattened image by a ``C*H*W``-wide one. D is Dense 512 -> LeakyReLU 0.2 ->
Dense 512 -> LeakyReLU -> Dropout 0.4 -> Dense 512 -> LeakyReLU -> Dropout 0.4 -> Dense 1, as
there (gamegan puts the dropout after every hidden layer but the first, the same thing).

The engine tells a model with ``n_classes`` the labels of its data (MNIST's digits, a
folder's subfolders): ``G(z, labels=)`` and ``D(x, labels)``; ``gamegan generate RUN --class``
picks the class.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from gamegan.models import mlp_gan
from gamegan.models.base import MODELS, GANSpec, check_int, checked_labels
from gamegan.nn.layers import Dropout, check_shape, keras_init_, make_activation


@dataclass(frozen=True)
class Config(mlp_gan.Config):
    """cGAN parameters; defaults are Keras-GAN's cGAN on MNIST (its ten digits)."""

    d_hidden: tuple[int, ...] = (512, 512, 512)
    dropout: float = 0.4  # D, after each hidden layer but the first
    n_classes: int = 10

    def __post_init__(self) -> None:
        super().__post_init__()
        check_int("n_classes", self.n_classes, 2)


class Generator(mlp_gan.Generator):
    """(z [N, z_dim], labels [N]) -> images [N, C, H, W] in [-1, 1]."""

    def __init__(self, cfg: Config) -> None:
        super().__init__(cfg)
        self.n_classes = cfg.n_classes
        self.label_embedding = class_embedding(cfg.n_classes, cfg.z_dim, cfg.init)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        check_shape(z, [None, self.z_dim], "cgan.Generator z")
        labels = checked_labels(labels, z.shape[0], self.n_classes, "cgan.Generator")
        return self.net(z * self.label_embedding(labels))


class Discriminator(nn.Module):
    """(images [N, C, H, W], labels [N]) -> logits [N] (no sigmoid)."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        self.n_classes = cfg.n_classes
        width = math.prod(cfg.image_shape)
        self.label_embedding = class_embedding(cfg.n_classes, width, cfg.init)
        layers: list[nn.Module] = []
        for i, hidden in enumerate(cfg.d_hidden):
            act, width_out = make_activation(cfg.d_activation, hidden, leaky_slope=cfg.leaky_slope)
            layers += [nn.Linear(width, hidden), act]
            if cfg.dropout > 0 and i > 0:
                layers.append(Dropout(cfg.dropout))
            width = width_out
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)
        if cfg.init == "keras":
            keras_init_(self.net)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        check_shape(x, [None, *self.cfg.image_shape], "cgan.Discriminator x")
        labels = checked_labels(labels, x.shape[0], self.n_classes, "cgan.Discriminator")
        return self.net(x.flatten(1) * self.label_embedding(labels)).squeeze(1)  # [N]


def class_embedding(n_classes: int, width: int, init: str) -> nn.Embedding:
    """A class embedding; Keras initialises it uniform in [-0.05, 0.05]."""
    embedding = nn.Embedding(n_classes, width)
    if init == "keras":
        nn.init.uniform_(embedding.weight, -0.05, 0.05)
    return embedding


MODELS.register("cgan")(GANSpec(Config, Generator, Discriminator))
