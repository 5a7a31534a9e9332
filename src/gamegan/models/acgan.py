"""Auxiliary classifier GAN (Odena, Olah and Shlens 2017, arXiv:1610.09585).

G is told the class, as in the conditional GAN; D is *not* told it but must say it: beside
its real/fake logit a second head classifies every image, real or fake, and both networks
are trained to make that classification right (G: its fakes of class c must look like c to
D's classifier). The class head gives G a signal from the first iteration, so the classes
separate faster and more surely than when D only judges (image, label) pairs.

The networks are the chapter's reference collection's, eriklindernoren/Keras-GAN
``acgan/acgan.py``: its G is the DCGAN generator (:mod:`gamegan.models.dcgan`) with the noise
multiplied by a learned ``z_dim``-wide class embedding; its D the DCGAN discriminator with
16-32-64-128 filters and a class head on the same features. Two deliberate differences:
Keras-GAN's class head has an eleventh "fake" class (that is the semi-supervised GAN's head,
:mod:`gamegan.models.sgan`), here it has the paper's ``n_classes`` outputs and the paper's
loss; and G's BatchNorm comes before its activation, as in gamegan's DCGAN.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from gamegan.models import dcgan
from gamegan.models.auxiliary import AuxiliaryTerms, Batch, Heads
from gamegan.models.base import MODELS, GANSpec, check_int, check_range, checked_labels
from gamegan.models.cgan import class_embedding
from gamegan.nn.layers import check_shape, keras_init_


@dataclass(frozen=True)
class Config(dcgan.Config):
    """AC-GAN parameters; defaults are Keras-GAN's AC-GAN on MNIST (its ten digits)."""

    d_channels: tuple[int, ...] = (16, 32, 64, 128)
    n_classes: int = 10
    class_weight: float = 1.0  # weight of the class terms beside the real/fake loss

    def __post_init__(self) -> None:
        super().__post_init__()
        check_int("n_classes", self.n_classes, 2)
        check_range("class_weight", self.class_weight, 0.0, float("inf"))


class Generator(dcgan.Generator):
    """(z [N, z_dim], labels [N]) -> images [N, C, H, W] in [-1, 1]."""

    def __init__(self, cfg: Config) -> None:
        super().__init__(cfg)
        self.n_classes = cfg.n_classes
        self.label_embedding = class_embedding(cfg.n_classes, cfg.z_dim, cfg.init)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        check_shape(z, [None, self.z_dim], "acgan.Generator z")
        labels = checked_labels(labels, z.shape[0], self.n_classes, "acgan.Generator")
        return self.net(z * self.label_embedding(labels))


class Discriminator(dcgan.Discriminator):
    """Images [N, C, H, W] -> (logits [N], {"class": class logits [N, n_classes]}).

    D is not told the labels (``labels`` is accepted and ignored, so the trainer can treat
    every conditional model alike): it has to find the class itself.
    """

    extra_classes = 0  # class outputs beyond the data's (the semi-supervised GAN's "fake")

    def __init__(self, cfg: Config) -> None:
        super().__init__(cfg)
        self.n_classes = cfg.n_classes
        self.classify = nn.Linear(self.flat_features, cfg.n_classes + self.extra_classes)
        if cfg.init == "keras":
            keras_init_(self.classify)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None):
        what = type(self).__module__.rsplit(".", 1)[-1]
        check_shape(x, [None, *self.cfg.image_shape], f"{what}.Discriminator x")
        h = self.net[:-1](x)  # the DCGAN critic's features, [N, flat_features]
        return self.net[-1](h).squeeze(1), {"class": self.classify(h)}


class ClassTerms(AuxiliaryTerms):
    """The paper's L_C: D's class head must name the class of real images and of fakes (the
    class G was told), and G wants its fakes named as told. ``class_weight`` scales both."""

    def __init__(self, cfg: Config) -> None:
        self.weight = cfg.class_weight

    def d_terms(self, real: Heads, fake: Heads, batch: Batch) -> dict[str, torch.Tensor]:
        labels = batch["labels"]
        loss = F.cross_entropy(real["class"].float(), labels) + F.cross_entropy(
            fake["class"].float(), labels
        )
        return {"class": self.weight * 0.5 * loss}

    def g_terms(self, fake: Heads, batch: Batch) -> dict[str, torch.Tensor]:
        return {"class": self.weight * F.cross_entropy(fake["class"].float(), batch["labels"])}

    def metrics(self, real: Heads, fake: Heads, batch: Batch) -> dict[str, torch.Tensor]:
        with torch.no_grad():
            labels = batch["labels"]
            return {
                "Accuracy/D/class_real": (real["class"].argmax(1) == labels).float().mean(),
                "Accuracy/D/class_fake": (fake["class"].argmax(1) == labels).float().mean(),
            }


MODELS.register("acgan")(
    GANSpec(Config, Generator, Discriminator, channels_last=True, auxiliary=ClassTerms)
)
