"""Semi-supervised GAN (Odena 2016, arXiv:1606.01583; Salimans et al. 2016, arXiv:1606.03498).

The discriminator is also a classifier with one output more than the data has classes: the
N classes of real images and an (N+1)-th, "fake". It learns the classes from the few
labelled examples and what real images look like from all of them and from G's fakes, so a
handful of labels goes further than in a classifier trained on them alone. The product of
the training is D: snapshots keep it, and ``gamegan eval`` reports its accuracy on the
training examples whose labels it never saw (and on MNIST's test split when present).

The networks are the chapter's reference collection's, eriklindernoren/Keras-GAN
``sgan/sgan.py``: G and D are the DCGAN's (:mod:`gamegan.models.dcgan`, whose defaults are
that D's 32-64-128-256 filters), D with a second head of N+1 class logits beside the
real/fake one; G learns from the real/fake head alone. Keras-GAN labels every training image
(and weights its classes oddly); here only ``labelled_per_class`` examples of each class keep
their label, the first ones of each class in the data's order, as the method intends.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from gamegan.models import acgan, dcgan
from gamegan.models.auxiliary import AuxiliaryTerms, Batch, Heads
from gamegan.models.base import MODELS, GANSpec, check_int, check_range


@dataclass(frozen=True)
class Config(dcgan.Config):
    """SGAN parameters; defaults are Keras-GAN's SGAN on MNIST, with 100 labels per digit."""

    n_classes: int = 10
    labelled_per_class: int = 100  # training examples per class that keep their label (0: all)
    class_weight: float = 1.0  # weight of the class term beside the real/fake loss

    def __post_init__(self) -> None:
        super().__post_init__()
        check_int("n_classes", self.n_classes, 2)
        check_int("labelled_per_class", self.labelled_per_class, 0)
        check_range("class_weight", self.class_weight, 0.0, float("inf"))


Generator = dcgan.Generator


class Discriminator(acgan.Discriminator):
    """Images -> (logits [N], {"class": logits [N, n_classes + 1]}); the last class is
    "fake" (AC-GAN's class head with one more output). ``predict`` is the classifier that
    training makes."""

    extra_classes = 1

    @torch.no_grad()
    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """The likeliest of the N real classes for images in [-1, 1], [N] int64."""
        return self(x)[1]["class"][:, : self.n_classes].argmax(1)


def labelled_mask(labels: torch.Tensor, per_class: int) -> torch.Tensor:
    """Which examples keep their label: the first ``per_class`` of each class in data order
    (all when ``per_class`` is 0), bool [N]."""
    if per_class == 0:
        return torch.ones_like(labels, dtype=torch.bool)
    order = torch.argsort(labels, stable=True)  # by class, data order within a class
    rank = torch.empty_like(labels)
    counts = torch.bincount(labels)
    starts = torch.cumsum(counts, 0) - counts
    rank[order] = torch.arange(len(labels), device=labels.device) - starts[labels[order]]
    return rank < per_class


class SemiSupervisedTerms(AuxiliaryTerms):
    """D's class term: the labelled real images' classes and "fake" for G's images (the mean
    of the two cross-entropies, times ``class_weight``); G has none."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.labelled: torch.Tensor | None = None
        self.hidden = False  # some examples' labels are hidden from training

    def prepare(self, labels: torch.Tensor) -> None:
        self.labelled = labelled_mask(labels, self.cfg.labelled_per_class)
        self.hidden = not bool(self.labelled.all())

    def d_terms(self, real: Heads, fake: Heads, batch: Batch) -> dict[str, torch.Tensor]:
        n = self.cfg.n_classes
        fake_class = torch.full_like(batch["labels"], n)
        loss = F.cross_entropy(fake["class"].float(), fake_class)
        known = self.labelled[batch["index"]]
        # Labelled examples are few: a batch without one adds a zero (no host sync to check).
        targets = torch.where(known, batch["labels"], -100)  # -100: ignored
        per_example = F.cross_entropy(real["class"].float(), targets, reduction="none")
        real_loss = per_example.sum() / known.sum().clamp(min=1)
        return {"class": self.cfg.class_weight * 0.5 * (real_loss + loss)}

    def metrics(self, real: Heads, fake: Heads, batch: Batch) -> dict[str, torch.Tensor]:
        """How often D names the class of the batch's *unlabelled* real images: an estimate
        of its accuracy on examples it was not told (0 in a batch without one)."""
        if not self.hidden:
            return {}  # every label was kept: nothing unseen to score
        with torch.no_grad():
            unknown = ~self.labelled[batch["index"]]
            guess = real["class"][:, : self.cfg.n_classes].argmax(1)
            hits = ((guess == batch["labels"]) & unknown).sum()
            return {"Accuracy/D/class_unlabelled": hits / unknown.sum().clamp(min=1)}


MODELS.register("sgan")(
    GANSpec(
        Config,
        Generator,
        Discriminator,
        channels_last=True,
        auxiliary=SemiSupervisedTerms,
        keeps_discriminator=True,
    )
)
