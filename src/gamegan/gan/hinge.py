"""Hinge loss (Lim & Ye 2017, arXiv:1705.02894; Miyato et al. 2018, arXiv:1802.05957).

D only pays for samples inside the margin |logit| < 1; G pushes D's score on fakes up.
The sign of the logit still says real/fake, so accuracy stays meaningful.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from gamegan.gan.base import Objective, register


@register("hinge")
class Hinge(Objective):
    """Margin loss on D's logits; G maximizes D's score on fakes."""

    def d_loss(self, logits_real: Tensor, logits_fake: Tensor) -> Tensor:
        real, fake = logits_real.float(), logits_fake.float()
        return F.relu(1 - real).mean() + F.relu(1 + fake).mean()

    def g_loss(self, logits_fake: Tensor) -> Tensor:
        return -logits_fake.float().mean()
