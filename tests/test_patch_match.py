"""The generator's patch-distribution term: what it measures, that its gradient fixes detail."""

import numpy as np
import pytest
import torch

from gamegan.config import RunConfig, TrainConfig, validate
from gamegan.errors import ConfigError
from gamegan.gan.patch_match import PatchMatch, random_patches


def _dot_crops(n=64, size=32, seed=0):
    """uint8 [n, 1, size, size] crops of sparse bright 3x3 dots on a dark, noisy ground."""
    g = np.random.default_rng(seed)
    crops = 40 + g.normal(0, 6, (n, size, size))
    for k in range(n):
        for y, x in g.integers(1, size - 1, (12, 2)):
            crops[k, y - 1 : y + 2, x - 1 : x + 2] = 220
    return torch.from_numpy(np.clip(crops, 0, 255).astype(np.uint8))[:, None]


def _to_unit(x):
    return x.float() / 127.5 - 1


def _term(crops, **kwargs):
    term = PatchMatch(min_resolution=8, **kwargs)
    term.fit(crops)
    return term


def test_real_crops_score_near_zero_and_other_textures_do_not():
    term = _term(_dot_crops())
    torch.manual_seed(0)
    same = term(_to_unit(_dot_crops(n=8, seed=1)))
    blurred = term(torch.nn.functional.avg_pool2d(_to_unit(_dot_crops(n=8, seed=1)), 3, 1, 1))
    noise = term(0.3 * torch.randn(8, 1, 32, 32) - 0.6)
    assert same < 0.1  # what sampling 2048 patches and 64 directions leaves
    assert blurred > 2 * same and noise > 5 * same


def test_its_gradient_turns_noise_into_the_photos_patches():
    crops = _dot_crops()
    term = _term(crops, n_patches=1024)
    torch.manual_seed(0)
    image = torch.nn.Parameter(0.1 * torch.randn(4, 1, 32, 32))  # no pixel above 0.5
    opt = torch.optim.Adam([image], lr=0.05)
    start = term(image).item()
    for _ in range(150):
        opt.zero_grad()
        term(image).backward()
        opt.step()
    assert term(image).item() < 0.05 * start
    # The photo's tones: a dark ground and bright dots (10 % of the photo's pixels).
    pixels = image.detach().flatten()
    assert abs(pixels.median() - _to_unit(crops).median()) < 0.1
    assert (pixels > 0.5).float().mean() > 0.02


def test_the_bank_holds_patches_of_every_level_standardised():
    term = _term(_dot_crops(), bank_size=1000)
    assert len(term.banks) == 3  # 32, 16, 8 px levels at min_resolution 8
    for bank in term.banks:
        assert bank.shape == (1000, 49)
        assert torch.allclose(bank.mean(), torch.tensor(0.0), atol=0.05)
        assert torch.allclose(bank.std(), torch.tensor(1.0), atol=0.1)


def test_random_patches_are_the_images_own_neighbourhoods():
    level = torch.arange(2 * 3 * 10 * 12, dtype=torch.float32).view(2, 3, 10, 12)
    g = torch.Generator().manual_seed(0)
    patches = random_patches(level, 20, 5, g).view(20, 3, 5, 5)
    for p in patches:
        n, corner = divmod(int(p[0, 0, 0]), 3 * 120)  # values are unique: where it came from
        y, x = divmod(corner, 12)
        assert torch.equal(p, level[n, :, y : y + 5, x : x + 5])


def test_bad_use_is_a_clear_error():
    term = PatchMatch()
    with pytest.raises(RuntimeError, match="fit"):
        term(torch.zeros(1, 1, 32, 32))
    term = _term(_dot_crops())
    with pytest.raises(ConfigError, match="64x64 training images differ from the 32x32"):
        term(torch.zeros(1, 1, 64, 64))
    with pytest.raises(ConfigError, match="at least 7 px"):
        PatchMatch().fit(torch.zeros(2, 1, 4, 32, dtype=torch.uint8))
    with pytest.raises(ConfigError, match="train.patch_weight"):
        validate(RunConfig(train=TrainConfig(patch_weight=-1.0)))
