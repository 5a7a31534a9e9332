"""The generator's spectrum term: what it measures, that its gradient fixes arrangement."""

import numpy as np
import pytest
import torch

from gamegan.config import RunConfig, TrainConfig, validate
from gamegan.errors import ConfigError
from gamegan.gan.spectrum import SpectrumMatch


def _stripe_crops(n=64, size=32, period=8, seed=0):
    """uint8 [n, 1, size, size] crops of vertical stripes with random phase and noise."""
    g = np.random.default_rng(seed)
    xx = np.arange(size)[None, None, :]
    phase = g.uniform(0, 2 * np.pi, (n, 1, 1))
    stripes = 127 + 90 * np.sin(2 * np.pi * xx / period + phase) + g.normal(0, 8, (n, size, size))
    return torch.from_numpy(np.clip(stripes, 0, 255).astype(np.uint8))[:, None]


def _to_unit(x):
    return x.float() / 127.5 - 1


def test_real_crops_score_near_zero_and_other_arrangements_do_not():
    crops = _stripe_crops()
    term = SpectrumMatch()
    term.fit(crops)
    same = term(_to_unit(_stripe_crops(n=8, seed=1)))
    turned = term(_to_unit(_stripe_crops(n=8, seed=1)).transpose(2, 3))  # horizontal stripes
    wider = term(_to_unit(_stripe_crops(n=8, period=16, seed=1)))
    assert same < 0.05
    assert turned > 20 * same and wider > 20 * same


def test_its_gradient_moves_an_image_towards_the_photos_spectrum():
    term = SpectrumMatch()
    term.fit(_stripe_crops())
    torch.manual_seed(0)
    image = torch.nn.Parameter(0.3 * torch.randn(4, 1, 32, 32))
    opt = torch.optim.Adam([image], lr=0.02)
    start = term(image).item()
    for _ in range(200):
        opt.zero_grad()
        term(image).backward()
        opt.step()
    assert term(image).item() < 0.2 * start
    # The stripes' vertical period now dominates: power at 4 cycles across, not along.
    power = torch.fft.fft2(image.detach()[:, 0]).abs().square().mean(0)
    assert power[0, 4] > 10 * power[4, 0]


def test_colour_is_judged_by_luminance_and_level_is_not_judged():
    gray = _stripe_crops()
    term = SpectrumMatch()
    term.fit(gray.expand(-1, 3, -1, -1))
    x = _to_unit(_stripe_crops(n=8, seed=2))
    assert torch.allclose(term(x.expand(-1, 3, -1, -1)), term(x), atol=1e-5)
    assert torch.allclose(term(x + 0.2), term(x), atol=1e-4)  # a brighter copy: DC only


def test_bad_use_is_a_clear_error():
    term = SpectrumMatch()
    with pytest.raises(RuntimeError, match="fit"):
        term(torch.zeros(1, 1, 32, 32))
    term.fit(_stripe_crops())
    with pytest.raises(ConfigError, match="64x64 training images differ from the 32x32"):
        term(torch.zeros(1, 1, 64, 64))
    with pytest.raises(ConfigError, match="square crops"):
        SpectrumMatch().fit(torch.zeros(2, 1, 16, 32, dtype=torch.uint8))
    with pytest.raises(ConfigError, match="odd width"):
        SpectrumMatch(smooth=2)
    with pytest.raises(ConfigError, match="train.spectrum_weight"):
        validate(RunConfig(train=TrainConfig(spectrum_weight=-1.0)))


def test_min_period_compares_only_the_coarser_bins():
    crops = _stripe_crops(period=8)
    coarse = SpectrumMatch(min_period=6)
    coarse.fit(crops)
    full = SpectrumMatch()
    full.fit(crops)
    x = _to_unit(_stripe_crops(n=8, seed=1))
    grain = torch.zeros_like(x)
    grain[..., ::2, :] = 0.3  # a 2 px hatch: power at the finest vertical frequency only
    assert full(x + grain) > 2 * full(x)  # the full term sees the hatch ...
    assert torch.allclose(coarse(x + grain), coarse(x), rtol=0.05)  # ... the coarse one not
    wider = _to_unit(_stripe_crops(n=8, period=16, seed=1))
    assert coarse(wider) > 20 * coarse(x)  # the stripes' period, 8 px >= 6, still counts
    with pytest.raises(ConfigError, match="spectrum_min_period"):
        validate(RunConfig(train=TrainConfig(spectrum_min_period=1.0)))
