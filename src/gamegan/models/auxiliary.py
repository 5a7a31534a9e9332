"""A model family's own loss terms, beside the adversarial objective.

The adversarial objective (``--loss``) says how real/fake logits become losses and is the same
for every model. What a family adds is its own: AC-GAN's class head, InfoGAN's mutual
information, a semi-supervised critic's labelled examples, pix2pix's L1. Such a model's
discriminator returns its logits and a dict of named *heads*, ``(logits, {"class": ...})``,
and its spec names an :class:`AuxiliaryTerms` class, built from the model config, whose hooks
turn those heads and the batch into named scalar losses. The trainer adds them to D's and G's
losses and logs each as ``Loss/D/<name>`` and ``Loss/G/<name>``.

A batch is a dict of named tensors: ``real`` (images in [-1, 1]), ``index`` (their positions
in the data), ``z`` (the latents of the step's fakes) and what the data has for these
examples: ``labels``, ``context`` for a generator that continues it, ``condition`` (the
input image of an image-to-image model). :meth:`AuxiliaryTerms.g_terms` also gets ``fake``,
G's output with its graph.
"""

from __future__ import annotations

from torch import Tensor

Heads = dict[str, Tensor]
Batch = dict[str, Tensor]


def split_heads(output: Tensor | tuple[Tensor, Heads]) -> tuple[Tensor, Heads]:
    """A discriminator's output as (logits, heads); a plain critic has no heads."""
    if isinstance(output, tuple):
        logits, heads = output
        return logits, heads
    return output, {}


class AuxiliaryTerms:
    """Hooks for a family's extra losses; each returns ``{name: scalar loss}``."""

    def prepare(self, labels: Tensor | None) -> None:
        """Called once before training with every label of the data (None: unlabelled)."""

    def d_terms(self, real: Heads, fake: Heads, batch: Batch) -> dict[str, Tensor]:
        """Added to D's loss: its heads on the real batch and on the fakes (detached)."""
        return {}

    def g_terms(self, fake: Heads, batch: Batch) -> dict[str, Tensor]:
        """Added to G's loss: D's heads on the fakes, with gradients into G."""
        return {}

    def metrics(self, real: Heads, fake: Heads, batch: Batch) -> dict[str, Tensor]:
        """Logged beside the losses (``Accuracy/...``), as 0-dim tensors: no host sync."""
        return {}
