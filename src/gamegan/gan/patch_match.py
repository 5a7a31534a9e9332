"""A generator term that matches the distribution of the training crops' multi-scale patches.

The patch critic of a texture GAN is a learned, and on these photos weak, judge: on gravel,
grass and the Hubble field it stays at chance (docs/textures.md) and its gradient says little
about which stones or blades are missing. Patch distributions can instead be matched
directly: Elnekave and Weiss (2022, "Generating natural images with direct patch distribution
matching", arXiv:2203.11862) synthesise single-image textures by minimising the sliced
Wasserstein distance between the patches of a pyramid of the output and of the input, with no
network; Heitz et al. (2021, "A sliced Wasserstein loss for neural texture synthesis",
arXiv:2006.07229) use the same loss on VGG features. Here that loss is a term of the
generator beside the adversarial one: at every level of a Laplacian pyramid (ProGAN's, as in
:mod:`gamegan.metrics.swd`), random 7x7 neighbourhoods of the generated crops are compared
with a bank of the training crops' neighbourhoods along random unit directions, and each
sorted projection is pulled to the bank's quantiles (the 1-d optimal transport).

The bank is drawn from the training crops only (a held-out half stays unseen), once, when the
trainer is built; the directions and the generated patches are drawn afresh at every step
from the global RNG, which training states save, so a resumed run continues exactly.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gamegan.data.images import to_model_range
from gamegan.errors import ConfigError
from gamegan.metrics.swd import laplacian_pyramid, level_sizes

_FIT_CHUNK = 256  # crops per pyramid while fitting the bank


def random_patches(level: Tensor, n_patches: int, size: int, generator=None) -> Tensor:
    """``n_patches`` random ``size`` x ``size`` neighbourhoods of a batch, flattened:
    ``[n_patches, C * size * size]``, images and positions drawn uniformly."""
    n, c, h, w = level.shape
    device = level.device
    which = torch.randint(0, n, (n_patches,), generator=generator, device=device)
    ys = torch.randint(0, h - size + 1, (n_patches,), generator=generator, device=device)
    xs = torch.randint(0, w - size + 1, (n_patches,), generator=generator, device=device)
    d = torch.arange(size, device=device)
    rows = (ys[:, None] + d)[:, :, None]  # [P, size, 1]
    cols = (xs[:, None] + d)[:, None, :]  # [P, 1, size]
    patches = level.permute(0, 2, 3, 1)[which[:, None, None], rows, cols]  # [P, s, s, C]
    return patches.permute(0, 3, 1, 2).reshape(n_patches, c * size * size)


class PatchMatch(nn.Module):
    """``loss(fake)``: sliced Wasserstein distance (squared, per direction) between the
    pyramid patches of generated crops and of the training crops, averaged over levels.

    Call :meth:`fit` with the training crops first (the trainer does). The bank lives on the
    crops' device and is not part of a run's state: a function of the data, drawn again (with
    a fixed seed) whenever a trainer is built.
    """

    def __init__(
        self,
        patch_size: int = 7,
        min_resolution: int = 16,
        n_patches: int = 2048,
        n_projections: int = 64,
        bank_size: int = 16384,
        bank_draw: int = 4096,
    ) -> None:
        super().__init__()
        self.patch_size = patch_size
        self.min_resolution = min_resolution
        self.n_patches = n_patches
        self.n_projections = n_projections
        self.bank_size = bank_size
        self.bank_draw = bank_draw  # bank rows compared per step (sorting all is slow)
        self.banks: list[Tensor] = []  # filled by fit: one [bank_size, D] per level
        self.means: list[Tensor] = []
        self.stds: list[Tensor] = []
        self.crop_size: tuple[int, int] | None = None

    @torch.no_grad()
    def fit(self, images: Tensor) -> None:
        """Draw the bank from uint8 crops ``[N, C, H, W]`` (at least ``patch_size`` px)."""
        n, _, h, w = images.shape
        if n == 0 or min(h, w) < self.patch_size:
            raise ConfigError(
                f"patch matching needs crops of at least {self.patch_size} px, got {n} of {w}x{h}"
            )
        n_levels = len(level_sizes(h, w, min_resolution=self.min_resolution))
        per_chunk = -(-self.bank_size // -(-n // _FIT_CHUNK))  # patches per chunk, rounded up
        g = torch.Generator(device=images.device).manual_seed(0)
        parts: list[list[Tensor]] = [[] for _ in range(n_levels)]
        for start in range(0, n, _FIT_CHUNK):
            chunk = to_model_range(images[start : start + _FIT_CHUNK]).float()
            for i, level in enumerate(laplacian_pyramid(chunk, n_levels)):
                parts[i].append(random_patches(level, per_chunk, self.patch_size, g))
        self.banks, self.means, self.stds = [], [], []
        c = images.shape[1]
        for level_parts in parts:
            bank = torch.cat(level_parts)[: self.bank_size]
            per_channel = bank.view(len(bank), c, -1)
            mean = per_channel.mean(dim=(0, 2)).repeat_interleave(self.patch_size**2)
            std = per_channel.std(dim=(0, 2)).clamp_min(1e-6).repeat_interleave(self.patch_size**2)
            self.means.append(mean)
            self.stds.append(std)
            self.banks.append((bank - mean) / std)
        self.crop_size = (h, w)

    def forward(self, fake: Tensor) -> Tensor:
        if self.crop_size is None:
            raise RuntimeError("PatchMatch.fit() must be called before use")
        if tuple(fake.shape[-2:]) != self.crop_size:
            h, w = self.crop_size
            raise ConfigError(
                f"patch matching: the generator's {fake.shape[-1]}x{fake.shape[-2]} "
                f"training images differ from the {w}x{h} crops"
            )
        levels = laplacian_pyramid(fake.float(), len(self.banks))
        total = fake.new_zeros((), dtype=torch.float32)
        for level, bank, mean, std in zip(levels, self.banks, self.means, self.stds, strict=True):
            desc = (random_patches(level, self.n_patches, self.patch_size) - mean) / std
            dirs = torch.randn(desc.shape[1], self.n_projections, device=desc.device)
            dirs = dirs / dirs.norm(dim=0, keepdim=True)
            fake_sorted = (desc @ dirs).sort(dim=0).values  # [n_patches, n_projections]
            n_draw = min(self.bank_draw, len(bank))
            rows = torch.randint(0, len(bank), (n_draw,), device=bank.device)
            real_sorted = (bank[rows] @ dirs).sort(dim=0).values  # [bank_draw, n_projections]
            # The bank's quantiles at the generated patches' ranks (mid-rank positions).
            ranks = (torch.arange(len(desc), device=desc.device) + 0.5) * (
                len(real_sorted) / len(desc)
            )
            total = total + (fake_sorted - real_sorted[ranks.long()]).square().mean()
        return total / len(self.banks)
