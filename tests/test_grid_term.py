"""The generator's grid term: what it measures, that its gradient removes a grid, its errors."""

import pytest
import torch
import torch.nn.functional as F

from gamegan.config import RunConfig, TrainConfig, validate
from gamegan.data.images import to_model_range
from gamegan.errors import ConfigError
from gamegan.gan.grid import GridEvenness
from gamegan.metrics import compute
from gamegan.train.run import train


def _blocks(n=8, size=64, seed=0):
    """Noise upsampled x2 by nearest neighbour: every other difference is zero."""
    g = torch.Generator().manual_seed(seed)
    return F.interpolate(torch.randn(n, 1, size // 2, size // 2, generator=g), scale_factor=2.0)


def test_noise_scores_near_zero_and_grids_score_their_amplitude():
    term = GridEvenness(8)
    noise = torch.randn(8, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    assert term(noise) < 0.005
    assert term(_blocks()) == pytest.approx(1.0, abs=0.01)  # profile about 0, 2, 0, 2, ...
    # Contrast modulated along columns with period 4: a profile about 1 + a cos(.), a^2/4
    # over both axes (rows stay flat); |difference| follows the modulation only roughly.
    columns = torch.arange(64)
    contrast = 1 + 0.5 * torch.cos(2 * torch.pi * (columns + 0.5) / 4)
    assert 0.02 < term(noise * contrast) < 0.1
    assert GridEvenness(2)(noise * contrast) < 0.005  # period 4 folded by 2 is flat


def _joints(n, size=32, phase=None, seed=0):
    """uint8 noise crops with strong horizontal lines, one per 8 rows, at a random row or at
    ``phase`` mod 8."""
    g = torch.Generator().manual_seed(seed)
    crops = (100 + 10 * torch.randn(n, 1, size, size, generator=g)).round().to(torch.uint8)
    for crop in crops:
        for row in range(0, size, 8):  # one line in each band of 8 rows
            offset = phase if phase is not None else int(torch.randint(0, 8, (1,), generator=g))
            crop[0, row + offset] = 220
    return crops


def test_only_unevenness_beyond_the_training_crops_own_counts():
    term = GridEvenness(8, batch=4)
    batches = [to_model_range(_joints(4, seed=s)) for s in range(1, 41)]
    unfitted = sum(map(term, batches)) / len(batches)
    assert unfitted > 0.03  # a few strong lines in a batch are uneven wherever they fall ...
    term.fit(_joints(512))
    # ... as the crops' own batches are
    assert float(term.floor) == pytest.approx(float(unfitted), rel=0.3)
    assert sum(map(term, batches)) / len(batches) < 0.3 * term.floor  # the hinge: about 0
    locked = to_model_range(_joints(4, phase=3, seed=99))  # lines at one phase of the grid
    assert term(locked) > 3 * term.floor


def test_its_gradient_removes_the_blocks_that_the_grid_metric_sees():
    image = torch.nn.Parameter(_blocks(n=4, size=32) + 0.01 * torch.randn(4, 1, 32, 32))
    start = compute("grid", images=image.detach().permute(0, 2, 3, 1).numpy())["grid/period_2"]
    term = GridEvenness(8)
    opt = torch.optim.Adam([image], lr=0.02)
    for _ in range(150):
        opt.zero_grad()
        term(image).backward()
        opt.step()
    end = compute("grid", images=image.detach().permute(0, 2, 3, 1).numpy())["grid/period_2"]
    assert start > 0.9 and end < 0.1


def test_bad_use_is_a_clear_error():
    with pytest.raises(ConfigError, match="period must be a whole number"):
        GridEvenness(1)
    with pytest.raises(ConfigError, match="over 8 px a side"):
        GridEvenness(8)(torch.zeros(1, 1, 8, 8))
    with pytest.raises(ConfigError, match="train.grid_weight"):
        validate(RunConfig(train=TrainConfig(grid_weight=-1.0)))
    with pytest.raises(ConfigError, match="train.grid_period"):
        validate(RunConfig(train=TrainConfig(grid_period=1)))


def test_the_trainer_needs_a_texture_generator_whose_cells_the_period_divides(tmp_path, mnist_dir):
    from test_deep_texture import DEEP_TINY, _stripes

    with pytest.raises(ConfigError, match="needs a texture generator"):
        train("dcgan-mnist", data_dir=mnist_dir, out=tmp_path / "dcgan", iterations=1,
              overrides=("model.g_channels=(8, 4)", "model.d_channels=(4, 8, 8, 8)",
                         "train.grid_weight=1"),
              batch_size=4, sample_every=0, quiet=True, progress=False)  # fmt: skip
    photo = _stripes(tmp_path / "stripes.png")
    with pytest.raises(ConfigError, match="divide the generator's 4 px cells, got 8"):
        train("texture", data=str(photo), out=tmp_path / "t", iterations=1,
              overrides=(*DEEP_TINY, "train.grid_weight=1"),
              batch_size=4, sample_every=0, quiet=True, progress=False)  # fmt: skip
