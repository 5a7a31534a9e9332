"""The adversarial objective interface and the OBJECTIVES registry (``--loss`` choices).

An objective is a bundle of hooks (after EDM's loss callables and stylegan2-ada's phases): the
trainer calls them and never names a variant, so a new GAN loss is one small file.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from gamegan.registry import Registry


class Objective:
    """Adversarial loss as hooks: the trainer calls these and never names a variant.

    The constructor's keyword arguments (annotated, with defaults) are the objective's config
    schema: ``--set loss.<name>=...`` is checked against ``inspect.signature``.
    Logits are D's raw outputs, [N]; D is a callable (often a DDP wrapper), never a model type.
    """

    n_critic: ClassVar[int] = 1  # D steps per G step
    default_optimizer: ClassVar[dict[str, Any]] = {
        "name": "adam",
        "lr": 2e-4,
        "betas": (0.5, 0.999),
    }  # used by presets/docs
    has_accuracy: ClassVar[bool] = True  # logits are probabilities' logits -> accuracy meaningful

    def __init__(self) -> None:
        """Take options here, in subclasses, as annotated keyword arguments with defaults."""

    def d_loss(self, logits_real: Tensor, logits_fake: Tensor) -> Tensor:
        """Scalar loss D minimizes."""
        raise NotImplementedError

    def g_loss(self, logits_fake: Tensor) -> Tensor:
        """Scalar loss G minimizes (through a frozen D)."""
        raise NotImplementedError

    def penalty(
        self, D: Callable[[Tensor], Tensor], x_real: Tensor, x_fake: Tensor
    ) -> Tensor | float:
        """Regularizer added to ``d_loss`` (e.g. a gradient penalty)."""
        return 0.0

    def scheduled_penalty(
        self, D: Callable[[Tensor], Tensor], x_real: Tensor, x_fake: Tensor, d_step: int, every: int
    ) -> tuple[Tensor | float, float]:
        """:meth:`penalty` and its weight in D's loss on the ``d_step``-th D step.

        With ``every = k`` (``train.penalty_every``) it is computed on every k-th D step only,
        with weight k (0 on the others): StyleGAN2's lazy regularisation (Karras et al. 2020),
        which keeps the penalty's average pull and saves its double backward pass (R1 is
        about a quarter of a texture model's step) on the other steps. Trainers number the
        D steps from the iteration, which the training state holds, so a resumed run
        penalises the same steps.
        """
        if d_step % every:
            return 0.0, 0.0
        return self.penalty(D, x_real, x_fake), float(every)

    def after_d_step(self, D: nn.Module) -> None:
        """Run after each optimizer step of D (e.g. weight clipping)."""

    def d_accuracy(self, logits_real: Tensor, logits_fake: Tensor) -> Tensor | None:
        """Fraction of real with logit > 0 and fake with logit < 0; None when meaningless.

        A 0-dim tensor, so the trainer can log it without waiting for the device.
        """
        if not self.has_accuracy:
            return None
        with torch.no_grad():
            correct = torch.cat([logits_real.detach() > 0, logits_fake.detach() < 0])
            return correct.float().mean()

    def params(self) -> dict[str, Any]:
        """Return the constructor arguments as set, for logs and run configs."""
        names = list(inspect.signature(type(self).__init__).parameters)[1:]
        return {name: getattr(self, name) for name in names}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{type(self).__name__}({args})"


OBJECTIVES: Registry[type[Objective]] = Registry("loss")
register = OBJECTIVES.register
