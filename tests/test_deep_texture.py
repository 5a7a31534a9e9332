"""Deep periodic Spatial GAN: receptive field, noise inputs, exact tiling and windowing."""

import pytest
import torch

from gamegan.errors import ConfigError
from gamegan.generate import _synthesize
from gamegan.models.deep_spatial_gan import Config, Discriminator, Generator

TINY = dict(
    resolution=32,
    z_local=3,
    z_global=3,
    n_periodic=2,
    trunk_channels=8,
    n_blocks=2,
    g_channels=(8, 4),
    d_channels=(8, 8),
    d_blocks=1,
)


def seeded_z(G, seed, height, width):
    return G.sample_z(1, torch.Generator().manual_seed(seed), "cpu", height=height, width=width)


def test_any_size_and_patch_logits():
    G = Generator(Config(**TINY, channels=3)).eval()
    D = Discriminator(Config(**TINY, channels=3))
    for h, w in ((32, 32), (16, 48), (4, 4)):
        x = G(G.sample_z(2, torch.Generator().manual_seed(0), "cpu", height=h, width=w))
        assert x.shape == (2, 3, h, w) and x.abs().max() <= 1
    assert D(torch.zeros(2, 3, 32, 48)).shape == (2, 8, 12)
    with pytest.raises(ConfigError, match="multiple of 4"):
        G.sample_z(1, None, "cpu", height=6, width=8)


def test_noise_channels_are_part_of_the_latent_field():
    cfg = Config(**TINY)
    assert cfg.noise_channels == 4 + 16  # a 2x2 map for stage 1, a 4x4 map for stage 2
    G = Generator(cfg)
    assert G.z_dim == 3 + 3 + 2 * 2 + 20
    assert Generator(Config(**{**TINY, "use_noise": False})).z_dim == 3 + 3 + 2 * 2


def test_noise_inputs_change_only_fine_detail_once_learned():
    G = Generator(Config(**TINY)).eval()
    z = seeded_z(G, 0, 32, 32)
    other = z.clone()
    other[:, -G.noise_channels :] = torch.randn_like(other[:, -G.noise_channels :])
    with torch.no_grad():
        assert torch.equal(G(z), G(other))  # weights start at zero: noise has no effect yet
        for stage in G.net.stages:
            stage.noise_weight.fill_(0.5)
        assert not torch.allclose(G(z), G(other))


def test_wrap_is_computed_like_the_inside():
    """Rolling the field by whole cells rolls the texture exactly: no seam by construction."""
    G = Generator(Config(**{**TINY, "n_periodic": 0})).eval()
    with torch.no_grad():
        for stage in G.net.stages:
            stage.noise_weight.fill_(0.3)
        z = seeded_z(G, 1, 40, 48)
        x = G(z)
        shifted = G(torch.roll(z, shifts=(3, 5), dims=(2, 3)))
    assert torch.allclose(torch.roll(x, shifts=(12, 20), dims=(2, 3)), shifted, atol=1e-5)


@pytest.mark.parametrize("tileable", [True, False])
def test_windows_with_the_models_margin_equal_one_pass(tileable):
    G = Generator(Config(**TINY)).eval().set_tileable(tileable)
    assert G.margin_cells == 1 + 2 * TINY["n_blocks"] + 1
    with torch.no_grad():
        for stage in G.net.stages:
            stage.noise_weight.fill_(0.3)
        z = seeded_z(G, 2, 4 * 23, 4 * 19)
        whole = G(z)
        windows = _synthesize(G, z, tile_cells=7)
    assert torch.allclose(whole, windows, atol=1e-5)


def test_receptive_field_reaches_the_margin_but_not_beyond():
    """A change in one latent cell moves pixels up to margin_cells away, and none further."""
    G = Generator(Config(**{**TINY, "n_periodic": 0, "use_noise": False})).eval()
    z = seeded_z(G, 3, 4 * 21, 4 * 21)
    poked = z.clone()
    poked[:, :3, 10, 10] += 5.0
    with torch.no_grad():
        diff = (G(z) - G(poked)).abs().sum(dim=(0, 1))  # [H, W]
    rows = diff.sum(dim=1).nonzero().flatten()
    reach = max(10 * 4 - int(rows.min()), int(rows.max()) - (11 * 4 - 1))
    assert 4 * (G.margin_cells - 2) < reach <= 4 * G.margin_cells


def test_config_errors_name_the_key():
    with pytest.raises(ConfigError, match="model.resolution"):
        Config(**{**TINY, "resolution": 30})
    with pytest.raises(ConfigError, match="model.use_noise"):
        Config(**{**TINY, "use_noise": "yes"})
    with pytest.raises(ConfigError, match="model.n_periodic"):
        Config(**{**TINY, "z_global": 0})


def test_training_renders_a_window_of_a_larger_field_exactly():
    """In training the trunk sees context x the crop; the crop is a window of that texture."""
    cfg = Config(**TINY)
    G = Generator(cfg).eval()
    with torch.no_grad():
        for stage in G.net.stages:
            stage.noise_weight.fill_(0.3)
        z = G.sample_training_z(1, torch.Generator().manual_seed(4), "cpu")
        assert z.shape[-2:] == (cfg.context * 8, cfg.context * 8)  # 32 px crop, 4 px cells
        whole = G(z)  # eval: the whole 64 px field, wrapping
        G.training = True  # the window path, with BatchNorm's running statistics kept
        torch.manual_seed(0)
        window = G(z)
    assert window.shape[-2:] == (32, 32)
    matches = [
        (top, left)
        for top in range(0, 64, 4)
        for left in range(0, 64, 4)
        if torch.allclose(
            torch.roll(whole, shifts=(-top, -left), dims=(2, 3))[..., :32, :32], window, atol=1e-5
        )
    ]
    assert len(matches) == 1
