"""A resumable sampler: the data order is a pure function of (seed, epoch, position)."""

from __future__ import annotations

import torch


class EpochSampler:
    """Yields batches of indices from a fresh permutation each epoch.

    Its whole state is ``(epoch, position)``: the permutation is recomputed from the seed, so
    a resumed run continues with exactly the batches it would have drawn.
    """

    def __init__(self, n: int, seed: int) -> None:
        if n < 1:
            raise ValueError("EpochSampler needs at least one item")
        self.n = n
        self.seed = seed
        self.epoch = 0
        self.position = 0
        self._order = self._permutation(0)

    def _permutation(self, epoch: int) -> torch.Tensor:
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        return torch.randperm(self.n, generator=generator)

    def next(self, batch_size: int) -> torch.Tensor:
        """The next ``batch_size`` indices, running on into the next epoch when needed."""
        parts = []
        needed = batch_size
        while needed > 0:
            if self.position >= self.n:
                self.epoch += 1
                self.position = 0
                self._order = self._permutation(self.epoch)
            take = min(needed, self.n - self.position)
            parts.append(self._order[self.position : self.position + take])
            self.position += take
            needed -= take
        return torch.cat(parts)

    def state(self) -> dict[str, int]:
        return {"epoch": self.epoch, "position": self.position}

    def load_state(self, state: dict[str, int]) -> None:
        self.epoch = int(state["epoch"])
        self.position = int(state["position"])
        self._order = self._permutation(self.epoch)
