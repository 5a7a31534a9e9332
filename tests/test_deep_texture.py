"""Deep periodic Spatial GAN: receptive field, noise inputs, exact tiling and windowing."""

import json

import numpy as np
import pytest
import torch

from gamegan.api import train
from gamegan.errors import ConfigError
from gamegan.generate import load_generator, texture
from gamegan.generate.textures import _synthesize
from gamegan.io.checkpoint import load_tensors
from gamegan.models.deep_spatial_gan import Config, Discriminator, Generator
from gamegan.runtime import make_generator

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


def test_noise_inputs_can_start_with_a_weight():
    G = Generator(Config(**{**TINY, "noise_init": 0.3})).eval()
    assert all(torch.all(stage.noise_weight == 0.3) for stage in G.net.stages)
    z = seeded_z(G, 0, 32, 32)
    other = z.clone()
    other[:, -G.noise_channels :] = torch.randn_like(other[:, -G.noise_channels :])
    with torch.no_grad():
        assert not torch.allclose(G(z), G(other))
    with pytest.raises(ConfigError, match="model.noise_init"):
        Config(**{**TINY, "noise_init": -0.1})


@pytest.mark.parametrize("upsample", ["nearest", "bilinear"])
def test_wrap_is_computed_like_the_inside(upsample):
    """Rolling the field by whole cells rolls the texture exactly: no seam by construction."""
    G = Generator(Config(**{**TINY, "n_periodic": 0, "upsample": upsample})).eval()
    with torch.no_grad():
        for stage in G.net.stages:
            stage.noise_weight.fill_(0.3)
        z = seeded_z(G, 1, 40, 48)
        x = G(z)
        shifted = G(torch.roll(z, shifts=(3, 5), dims=(2, 3)))
    assert torch.allclose(torch.roll(x, shifts=(12, 20), dims=(2, 3)), shifted, atol=1e-5)


@pytest.mark.parametrize("upsample,convs", [("nearest", 1), ("bilinear", 1), ("bilinear", 2)])
@pytest.mark.parametrize("tileable", [True, False])
def test_windows_with_the_models_margin_equal_one_pass(tileable, upsample, convs):
    cfg = Config(**{**TINY, "upsample": upsample, "g_convs_per_stage": convs})
    G = Generator(cfg).eval().set_tileable(tileable)
    reach = convs + (upsample == "bilinear")  # the rendering stages'
    assert G.margin_cells == 1 + 2 * TINY["n_blocks"] + reach
    with torch.no_grad():
        for stage in G.net.stages:
            stage.noise_weight.fill_(0.3)
        z = seeded_z(G, 2, 4 * 23, 4 * 19)
        whole = G(z)
        windows = _synthesize(G, z, tile_cells=7)
    assert torch.allclose(whole, windows, atol=1e-5)


@pytest.mark.parametrize("upsample,convs", [("nearest", 1), ("bilinear", 1), ("nearest", 2)])
def test_receptive_field_reaches_the_margin_but_not_beyond(upsample, convs):
    """A change in one latent cell moves pixels up to margin_cells away, and none further."""
    cfg = Config(
        **{
            **TINY,
            "n_periodic": 0,
            "use_noise": False,
            "upsample": upsample,
            "g_convs_per_stage": convs,
        }
    )
    torch.manual_seed(0)  # weights where no ReLU of the tiny stages is dead at the edge
    G = Generator(cfg).eval()
    z = seeded_z(G, 3, 4 * 21, 4 * 21)
    poked = z.clone()
    poked[:, :3, 10, 10] += 5.0
    with torch.no_grad():
        diff = (G(z) - G(poked)).abs().sum(dim=(0, 1))  # [H, W]
    rows = diff.sum(dim=1).nonzero().flatten()
    reach = max(10 * 4 - int(rows.min()), int(rows.max()) - (11 * 4 - 1))
    assert 4 * (G.margin_cells - 2) < reach <= 4 * G.margin_cells


def test_bilinear_upsampling_is_exact_and_fixed():
    """Nearest x2 then the [1, 2, 1] filter is bilinear x2 (inside, where no padding reaches),
    and the filter is not trained."""
    from gamegan.models.deep_spatial_gan import UpStage

    stage = UpStage(3, 4, Config(**{**TINY, "use_noise": False, "upsample": "bilinear"}))
    x = torch.randn(1, 3, 8, 10)
    nearest = torch.nn.functional.interpolate(x, scale_factor=2.0, mode="nearest")
    bilinear = torch.nn.functional.interpolate(x, scale_factor=2.0, mode="bilinear")
    with torch.no_grad():
        smoothed = stage.smooth(nearest)
    assert torch.allclose(smoothed[..., 1:-1, 1:-1], bilinear[..., 1:-1, 1:-1], atol=1e-6)
    assert not stage.smooth.weight.requires_grad
    assert stage.smooth.bias is None
    with pytest.raises(ConfigError, match="model.upsample"):
        Config(**{**TINY, "upsample": "bicubic"})


def test_coarse_critics_judge_halved_images_and_weigh_like_the_first():
    cfg = Config(**{**TINY, "d_scales": 2})
    D = Discriminator(cfg)
    x = torch.randn(1, 1, 32, 48)
    logits = D(x)
    assert logits.shape == (1, 2 * 8 * 12)  # the halved image's 4x6 map repeated onto 8x12
    coarse = logits[0, 8 * 12 :].view(8, 12)
    assert torch.equal(coarse[0::2, 0::2], coarse[1::2, 1::2])  # each logit covers 2x2
    assert not torch.equal(coarse[0::2, 0::2], coarse[0::2, 2::2])
    # its own weights: changing the coarse critic moves only its half of the logits
    with torch.no_grad():
        before = D(x)
        D.coarse[0][-1].bias += 1.0
        moved = D(x) - before
    assert torch.all(moved[0, : 8 * 12] == 0) and torch.allclose(moved[0, 8 * 12 :], torch.ones(96))
    # the coarse critic sees further: a poke in one corner reaches logits the first one's miss
    poked = x.clone()
    poked[..., :2, :2] += 3.0
    with torch.no_grad():
        change = (D(poked) - D(x))[0].view(2, 8, 12).abs()
    assert change[1].gt(0).sum() > change[0].gt(0).sum()
    with pytest.raises(ConfigError, match="model.d_scales"):
        Config(**{**TINY, "d_scales": 0})


def test_spectral_norm_bounds_every_learned_critic_layer():
    torch.manual_seed(0)
    cfg = Config(**{**TINY, "d_spectral_norm": True, "d_blur": True, "d_scales": 2})
    D = Discriminator(cfg)
    for _ in range(30):  # each training-mode pass refines the power iteration
        D(torch.randn(2, 1, 32, 32))
    learned = [m for m in D.modules() if isinstance(m, torch.nn.Conv2d) and m.bias is not None]
    assert len(learned) == 2 * (len(cfg.d_channels) + cfg.d_blocks + 1)
    for conv in learned:
        sigma = torch.linalg.matrix_norm(conv.weight.detach().flatten(1), ord=2)
        assert abs(float(sigma) - 1.0) < 0.05
    blurs = [m for m in D.modules() if isinstance(m, torch.nn.Conv2d) and m.bias is None]
    assert blurs and all(not m.weight.requires_grad for m in blurs)  # fixed filters stay as made
    assert torch.allclose(blurs[0].weight[0, 0, 1], torch.tensor([2.0, 4.0, 2.0]) / 16)


def test_fine_head_adds_many_small_patch_logits():
    cfg = Config(**{**TINY, "d_fine_head": 1})
    D = Discriminator(cfg)
    logits = D(torch.zeros(2, 1, 32, 48))
    assert logits.shape == (2, 16 * 24 + 8 * 12)  # after one stride-2 layer, and after both
    # A fine logit sees a small patch: a change in one corner leaves the far fine logits alone.
    x = torch.randn(1, 1, 32, 48)
    poked = x.clone()
    poked[..., :2, :2] += 3.0
    with torch.no_grad():
        fine = (D(x) - D(poked))[0, : 16 * 24].view(16, 24)
    assert fine[0, 0] != 0 and torch.all(fine[8:, 12:] == 0)
    with pytest.raises(ConfigError, match="model.d_fine_head"):
        Config(**{**TINY, "d_fine_head": 2})


def test_convs_per_scale_widen_each_logits_view_and_keep_its_size():
    """``d_convs_per_scale``: 3x3 layers after every stride-2 one; the logit map keeps its
    size, and each logit sees further (a poke reaches logits a plain critic's do not)."""
    x = torch.randn(1, 1, 32, 48)
    poked = x.clone()
    poked[..., :2, :2] += 3.0
    reach = {}
    for k in (0, 1):
        torch.manual_seed(0)
        D = Discriminator(Config(**{**TINY, "d_blocks": 0, "d_convs_per_scale": k}))
        convs = [m for m in D.modules() if isinstance(m, torch.nn.Conv2d)]
        assert len(convs) == 2 + 2 * k + 1  # stride-2 layers, 3x3 ones, the logit layer
        with torch.no_grad():
            reach[k] = int(((D(x) - D(poked))[0] != 0).sum())
        assert D(x).shape == (1, 8, 12)
    assert reach[1] > reach[0]
    with pytest.raises(ConfigError, match="d_convs_per_scale"):
        Config(**{**TINY, "d_convs_per_scale": -1})


def test_blurred_critic_does_not_see_a_pixel_checkerboard():
    """``d_blur``: the [1, 2, 1] filter before each stride-2 layer removes the finest
    checkerboard, which a plain strided critic aliases into a response (a pattern of grain
    the generator could add unseen by one, and for free with the other)."""
    x = torch.randn(1, 1, 32, 48)
    yy, xx = torch.meshgrid(torch.arange(32), torch.arange(48), indexing="ij")
    checker = 0.5 * ((yy + xx) % 2 * 2 - 1).float()
    change = {}
    for blur in (False, True):
        torch.manual_seed(0)
        D = Discriminator(Config(**{**TINY, "d_blur": blur}))
        with torch.no_grad():
            change[blur] = float((D(x + checker) - D(x)).abs().mean())
        assert D(x).shape == (1, 8, 12)
    assert change[True] < 0.01 * change[False]  # left: the border's replicated padding
    with pytest.raises(ConfigError, match="d_blur"):
        Config(**{**TINY, "d_blur": 1})


def test_the_critics_blur_stays_fixed_through_training(tmp_path):
    """The trainer switches D's gradients off and on around each generator step; the blur
    must come out of it still the [1, 2, 1] filter, and outside the optimizer."""
    photo = _stripes(tmp_path / "stripes.png")
    run = _train_tiny(photo, tmp_path / "run", 3, "model.d_blur=True", "optim.lr=1e-2")
    tensors, _ = load_tensors(run / "state-000003.safetensors")
    blurs = [k for k, v in tensors.items() if k.startswith("D.") and v.shape[1:] == (1, 3, 3)]
    assert len(blurs) == 2  # one before each stride-2 layer
    binomial = torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16
    for key in blurs:
        assert torch.equal(tensors[key], binomial.expand_as(tensors[key]))
    adam = [k for k in tensors if k.startswith("opt_D.state.") and k.endswith(".exp_avg")]
    assert len(adam) == 2 * (2 + 1 + 1)  # weights and biases of the 2 + d_blocks + head convs


def test_standardize_uses_the_training_images_statistics():
    from gamegan.nn.layers import Standardize

    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 60, (10, 3, 16, 16), generator=g, dtype=torch.uint8)
    images[:, 2] = 7  # a flat channel: its std is floored, nothing divides by zero
    layer = Standardize(3)
    layer.fit(images, chunk=3)
    out = layer(images.float() / 127.5 - 1)
    assert torch.allclose(out[:, :2].mean((0, 2, 3)), torch.zeros(2), atol=1e-5)
    assert torch.allclose(out[:, :2].std((0, 2, 3), unbiased=False), torch.ones(2), atol=1e-4)
    assert torch.equal(out[:, 2], torch.zeros_like(out[:, 2]))
    D = Discriminator(Config(**{**TINY, "channels": 3, "d_standardize": True}))
    assert set(D.state_dict()) >= {"standardize.mean", "standardize.std"}  # saved and resumed


def test_slope_critic_sees_standardised_heights_and_slopes_of_float_data():
    from gamegan.nn.layers import SlopeChannels, Standardize

    ramp = torch.arange(16.0).view(1, 1, 1, 16).expand(4, 1, 16, 16) / 16 - 0.5  # float heights
    x = SlopeChannels()(ramp)
    assert x.shape == (4, 3, 16, 16)
    assert torch.allclose(x[:, 1], torch.full((4, 16, 16), 1 / 16)) and torch.all(x[:, 2] == 0)
    g = torch.Generator().manual_seed(1)
    heights = torch.cumsum(torch.randn(20, 1, 16, 16, generator=g), -1) / 40  # rough terrain
    layer = Standardize(3, transform=SlopeChannels())
    layer.fit(heights, chunk=6)  # float data is taken as it is, not as 0-255 pixels
    out = layer(heights)
    assert torch.allclose(out.mean((0, 2, 3)), torch.zeros(3), atol=1e-4)
    assert torch.allclose(out[:, :2].std((0, 2, 3), unbiased=False), torch.ones(2), atol=1e-3)
    D = Discriminator(Config(**{**TINY, "d_slopes": True}))
    assert D.standardize.mean.shape == (1, 3, 1, 1) and D(torch.zeros(2, 1, 64, 64)).ndim == 3


def test_config_errors_name_the_key():
    with pytest.raises(ConfigError, match="model.resolution"):
        Config(**{**TINY, "resolution": 30})
    with pytest.raises(ConfigError, match="model.use_noise"):
        Config(**{**TINY, "use_noise": "yes"})
    with pytest.raises(ConfigError, match="model.n_periodic"):
        Config(**{**TINY, "z_global": 0})
    with pytest.raises(ConfigError, match="model.g_norm"):
        Config(**{**TINY, "g_norm": "instance"})


def test_pixel_norm_gives_unit_rms_features_then_its_affine():
    from gamegan.nn.layers import PixelNorm

    norm = PixelNorm(4)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 4, 5, 6, generator=g) * (0.1 + 10 * torch.rand(2, 1, 5, 6, generator=g))
    y = norm(x)
    assert torch.allclose(y.square().mean(1), torch.ones(2, 5, 6), atol=1e-4)
    assert torch.allclose(y * x.norm(dim=1, keepdim=True) / 2, x, atol=1e-4)  # same direction
    with torch.no_grad():
        norm.weight.fill_(3.0)
        norm.bias.fill_(-1.0)
    assert torch.allclose(norm(x), 3 * y - 1, atol=1e-4)


def test_pixel_norm_generator_is_the_same_in_training_and_per_sample():
    """BatchNorm renders a latent from the batch's statistics in training and from running
    ones in inference (on the Hubble photo, a dense blob field in inference where training
    drew sparse specks from the same latent); with g_norm="pixel" a field renders the same in
    both modes and whatever else is in the batch."""
    for norm in ("batch", "pixel"):
        torch.manual_seed(0)
        G = Generator(Config(**{**TINY, "g_norm": norm}))
        with torch.no_grad():
            for stage in G.net.stages:
                stage.noise_weight.fill_(0.3)
            z = G.sample_z(3, torch.Generator().manual_seed(1), "cpu", height=32, width=32)
            G.train()
            together = G.net(G.features(z))
            alone = G.net(G.features(z[:1]))
            G.eval()
            inference = G(z)
        same = torch.allclose(together, inference, atol=1e-5) and torch.allclose(
            together[:1], alone, atol=1e-5
        )
        assert same == (norm == "pixel")
        has_batch_norm = any(isinstance(m, torch.nn.BatchNorm2d) for m in G.modules())
        assert has_batch_norm == (norm == "batch")


@pytest.mark.parametrize(
    "upsample,g_norm,convs",
    [
        ("nearest", "batch", 1),
        ("bilinear", "batch", 1),
        ("nearest", "pixel", 1),
        ("nearest", "batch", 2),
    ],
)
def test_training_renders_a_window_of_a_larger_field_exactly(upsample, g_norm, convs):
    """In training the trunk sees context x the crop; the crop is a window of that texture."""
    cfg = Config(**{**TINY, "upsample": upsample, "g_norm": g_norm, "g_convs_per_stage": convs})
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


def test_random_phase_windows_start_anywhere_on_the_cell_grid_and_stay_exact():
    """With model.random_phase a training window is still an exact window of the larger
    field, but it starts at any pixel, not only at a cell corner (4 px cells here)."""
    cfg = Config(**{**TINY, "random_phase": True})
    G = Generator(cfg).eval()
    with torch.no_grad():
        for stage in G.net.stages:
            stage.noise_weight.fill_(0.3)
        z = G.sample_training_z(1, torch.Generator().manual_seed(4), "cpu")
        whole = G(z)
        G.training = True
        phases = set()
        for seed in range(12):
            torch.manual_seed(seed)
            window = G(z)
            assert window.shape[-2:] == (32, 32)
            matches = [
                (top, left)
                for top in range(64)
                for left in range(64)
                if torch.allclose(
                    torch.roll(whole, shifts=(-top, -left), dims=(2, 3))[..., :32, :32],
                    window,
                    atol=1e-5,
                )
            ]
            assert len(matches) == 1
            phases.add((matches[0][0] % 4, matches[0][1] % 4))
    assert len(phases) > 4  # not only (0, 0): every phase can be drawn


def test_random_phase_and_the_grid_term_are_refused_together(tmp_path):
    """The grid term folds windows from a cell corner; random phases would fold noise."""
    from gamegan.errors import ConfigError

    photo = _stripes(tmp_path / "stripes.png")
    with pytest.raises(ConfigError, match="random_phase"):
        _train_tiny(
            photo,
            tmp_path / "run",
            1,
            "model.random_phase=True",
            "train.grid_weight=1.0",
            "train.grid_period=2",
        )


# training and generation through the package


def _stripes(path, size=96):
    """A tiny photo with structure the first iterations can learn: noisy diagonal stripes."""
    from PIL import Image

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:size, :size]
    stripes = 127 + 100 * np.sin(2 * np.pi * (xx + yy) / 12.0)
    pixels = np.clip(stripes + rng.normal(0, 10, (size, size)), 0, 255).astype(np.uint8)
    Image.fromarray(np.stack([pixels] * 3, axis=-1)).save(path)
    return path


DEEP_TINY = (
    "model.z_local=4",
    "model.z_global=4",
    "model.n_periodic=2",
    "model.trunk_channels=16",
    "model.n_blocks=1",
    "model.g_channels=(16, 8)",
    "model.d_channels=(16, 32)",
    "model.d_blocks=1",
    "model.resolution=32",
    "train.tensorboard=False",
    "data.n_crops=256",
)


def _train_tiny(photo, out, iterations, *overrides, **options):
    """A quiet DEEP_TINY run on ``photo``: batch 4, no sample grids unless told."""
    options = {"batch_size": 4, "sample_every": 0, **options}
    return train(
        "texture",
        out=out,
        data=str(photo),
        iterations=iterations,
        overrides=(*DEEP_TINY, *overrides),
        quiet=True,
        progress=False,
        **options,
    ).run_dir


@pytest.fixture(scope="module")
def stripes_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("deep")
    photo = _stripes(folder / "stripes.png")
    run = train(
        "texture",
        out=folder / "run",
        data=str(photo),
        iterations=120,
        batch_size=8,
        checkpoint_every=1,
        sample_every=0,
        overrides=(*DEEP_TINY, "optim.lr=1e-3", "train.keep_states=1"),
        quiet=True,
        progress=False,
    ).run_dir
    return photo, run


def test_training_on_a_tiny_photo_lowers_the_swd(stripes_run):
    from PIL import Image

    from gamegan.metrics.swd import sliced_wasserstein_images

    photo, run = stripes_run
    real = [np.asarray(Image.open(photo))]

    def swd(snapshot):
        made = [texture(run / snapshot, width=96, height=96, seed=s) for s in range(3)]
        fake = [(255 * m).round().astype(np.uint8) for m in made]
        return sliced_wasserstein_images(real, fake, n_descriptors=1024, n_projections=128)

    early, late = swd("snapshot-000001.safetensors"), swd("snapshot-000120.safetensors")
    assert late["swd/avg"] < 0.7 * early["swd/avg"], (early, late)


def test_generation_in_channels_last_and_bf16_leaves_the_texture_as_it_was(stripes_run):
    """Generation runs a channels_last copy of the network (bf16 when asked): the texture
    is float32's within rounding, bf16's within a few 8-bit levels, still seamless, and the
    loaded generator itself is not converted."""
    from gamegan.metrics.tiling import edge_error

    _, run = stripes_run
    loaded = load_generator(run)
    G = loaded.G.set_tileable(True)
    z = G.sample_z(1, make_generator(5), "cpu", height=96, width=128)
    with torch.no_grad():
        plain = ((G.net(G.features(z))[0].permute(1, 2, 0) + 1) / 2).clamp(0, 1).numpy()
    fp32 = texture(loaded, width=128, height=96, seed=5)
    bf16 = texture(loaded, width=128, height=96, seed=5, precision="bf16")
    bf16_windows = texture(loaded, width=128, height=96, seed=5, precision="bf16", tile_cells=7)
    assert np.abs(fp32 - plain).max() < 1e-5
    levels = np.abs(bf16 - fp32) * 255
    assert 0 < levels.mean() < 0.5 and levels.max() < 6, (levels.mean(), levels.max())
    assert np.abs(bf16_windows - bf16).max() * 255 < 6
    gray = bf16.mean(-1)
    assert edge_error(gray) < 1.5
    assert all(p.dtype == torch.float32 and p.is_contiguous() for p in loaded.G.parameters())
    with pytest.raises(ConfigError, match="precision"):
        texture(loaded, width=64, height=64, precision="fp16")


@pytest.mark.parametrize("width, height", [(96, 64), (48, 112), (400, 272)])
def test_trained_textures_wrap_exactly_at_any_size(stripes_run, width, height):
    """The wrap is computed like the inside, exactly: rolling the generator's input field
    (noise and sinusoids alike) by whole cells rolls the texture, and windowed passes equal
    one pass."""
    _, run = stripes_run
    loaded = load_generator(run)
    one_pass = texture(loaded, width=width, height=height, seed=5, tile_cells=1024)
    windows = texture(loaded, width=width, height=height, seed=5, tile_cells=7)
    assert np.abs(one_pass - windows).max() < 1e-5
    G, u = loaded.G.set_tileable(True), loaded.G.upsampling
    z = G.sample_z(1, torch.Generator().manual_seed(5), "cpu", height=height, width=width)
    with torch.no_grad():
        features = G.features(z)
        x = G.net(features)
        rolled = G.net(torch.roll(features, shifts=(3, 5), dims=(2, 3)))
    assert torch.allclose(torch.roll(x, shifts=(3 * u, 5 * u), dims=(2, 3)), rolled, atol=1e-5)


def test_untileable_textures_are_cut_from_a_larger_seamless_one(stripes_run):
    """No zero padding at the borders (training never shows it): the texture is the middle
    of a tileable one larger by the receptive field, in one pass or in windows."""
    _, run = stripes_run
    loaded = load_generator(run)
    pad = loaded.G.margin_cells * loaded.G.upsampling
    larger = texture(loaded, width=80 + 2 * pad, height=48 + 2 * pad, seed=2)
    for tile_cells in (1024, 3):
        plain = texture(loaded, width=80, height=48, seed=2, tileable=False, tile_cells=tile_cells)
        assert np.abs(plain - larger[pad : pad + 48, pad : pad + 80]).max() < 1e-5


def test_resume_is_bit_exact_with_random_phase_windows(tmp_path):
    """The windows' phases come from the global RNG too, which the state saves."""
    from gamegan.api import resume
    from gamegan.io.checkpoint import load_tensors

    photo = _stripes(tmp_path / "stripes.png")
    whole = _train_tiny(photo, tmp_path / "whole", 4, "model.random_phase=True")
    part = _train_tiny(photo, tmp_path / "part", 2, "model.random_phase=True", checkpoint_every=2)
    resume(part, iterations=4, progress=False, quiet=True)
    a, _ = load_tensors(whole / "state-000004.safetensors")
    b, _ = load_tensors(part / "state-000004.safetensors")
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_resume_is_bit_exact_with_training_windows(tmp_path):
    """The window positions come from the global RNG, which the state saves; a critic that
    standardises its input measures the training crops once, and the state carries that; the
    spectrum and patch terms are refitted from the same crops on resume (the patch term's
    draws come from the global RNG); the colour map of each snapshot
    is fitted, and the validation score measured, from streams of their own, and the best score
    so far is in the state, so snapshots and the best one are identical too; a spectrally
    normalised critic's power-iteration vectors are in the state."""
    from PIL import Image

    from gamegan.api import resume
    from gamegan.io.checkpoint import load_tensors

    photo = _stripes(tmp_path / "stripes.png")

    def run(name, iterations):
        return _train_tiny(
            photo,
            tmp_path / name,
            iterations,
            "model.d_standardize=True",
            "train.spectrum_weight=1.0",
            "train.patch_weight=1.0",
            "train.grid_weight=1.0",
            "train.grid_period=2",
            "model.color_steps=2",
            "train.val_every=2",
            "model.d_spectral_norm=True",
            "model.d_scales=2",
            checkpoint_every=3,
        )

    whole, part = run("whole", 6), run("part", 3)
    resume(part, iterations=6, progress=False, quiet=True)
    a, _ = load_tensors(whole / "state-000006.safetensors")
    b, _ = load_tensors(part / "state-000006.safetensors")
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert any(key.startswith("D.coarse.0.") and key.endswith("._u") for key in a)
    last = json.loads((whole / "stats.jsonl").read_text().splitlines()[-1])
    assert last["Loss/G/grid"] > 0 and last["Loss/G/spectrum"] > 0
    pixels = torch.from_numpy(np.array(Image.open(photo))).double() / 127.5 - 1
    mean, std = a["D.standardize.mean"].flatten(), a["D.standardize.std"].flatten()
    assert torch.allclose(mean.double(), pixels.mean((0, 1)), atol=0.05)
    assert torch.allclose(std.double(), pixels.std((0, 1)), rtol=0.1)
    for name in ("snapshot-000006.safetensors", "snapshot-best.safetensors"):
        s1, m1 = load_tensors(whole / name)
        s2, m2 = load_tensors(part / name)
        assert all(torch.equal(s1[k], s2[k]) for k in s1) and m1["iteration"] == m2["iteration"]


def test_snapshots_carry_a_colour_map_fitted_to_the_photo(tmp_path):
    """``model.color_steps``: a snapshot's textures have the photo's colours, which the same
    weights without the map, early in training, do not; the map is in the snapshot."""
    from PIL import Image

    from gamegan.metrics.color import color_histogram_distance

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:96, :96]
    stripes = np.sin(2 * np.pi * (xx + yy) / 12.0)[..., None]
    pixels = [40, 90, 160] + np.array([60, 30, 10]) * stripes + rng.normal(0, 8, (96, 96, 3))
    photo = tmp_path / "rust.png"
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(photo)
    run = _train_tiny(photo, tmp_path / "run", 3, "model.color_steps=2")
    loaded = load_generator(run)
    assert loaded.G.net.color.steps == 2

    def distance():
        made = [255 * texture(loaded, width=96, height=96, seed=s) for s in range(3)]
        return color_histogram_distance([np.asarray(Image.open(photo))], made)["color/hist_l1"]

    fitted = distance()
    loaded.G.net.color.steps = 0  # the same weights, raw
    raw = distance()
    assert fitted < 0.5 * raw, (fitted, raw)


def test_validation_keeps_the_best_snapshot_and_the_run_folder_means_it(tmp_path):
    """``train.val_every``: the snapshot with the lowest validation SWD is kept as
    snapshot-best, and generating from the run folder takes it, not the newest."""
    import json

    from gamegan.generate.snapshots import run_snapshot
    from gamegan.io.checkpoint import load_tensors

    photo = _stripes(tmp_path / "stripes.png")
    run = _train_tiny(
        photo,
        tmp_path / "run",
        8,
        "train.val_every=2",
        "train.log_every=2",
        "train.keep_states=1",
        checkpoint_every=2,
    )
    stats = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    scores = {s["iteration"]: s["Metric/val_swd"] for s in stats if "Metric/val_swd" in s}
    assert sorted(scores) == [2, 4, 6, 8] and len(set(scores.values())) == 4
    best = min(scores, key=scores.get)
    kept, meta = load_tensors(run / "snapshot-best.safetensors")
    assert meta["best"] and int(meta["iteration"]) == best
    numbered, _ = load_tensors(run / f"snapshot-{best:06d}.safetensors")
    assert all(torch.equal(kept[k], numbered[k]) for k in numbered)
    assert run_snapshot(run) == run / "snapshot-best.safetensors"
    assert load_generator(run).metadata["iteration"] == best


def test_standing_statistics_belong_to_the_averaged_weights():
    from torch import nn

    from gamegan.train.gan import standing_statistics

    torch.manual_seed(0)
    G = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    G[1].running_mean.fill_(5.0)  # statistics of some other weights
    g = torch.Generator().manual_seed(1)
    batches = [torch.randn(8, 3, generator=g) for _ in range(4)]
    feed = iter(batches)
    before = torch.get_rng_state()
    fixed = standing_statistics(G, lambda: (next(feed), {}), 4, torch.device("cpu"))
    assert torch.equal(torch.get_rng_state(), before)
    assert torch.equal(G[1].running_mean, torch.full((4,), 5.0))  # the original is untouched
    with torch.no_grad():
        features = G[0](torch.cat(batches))
    assert torch.allclose(fixed[1].running_mean, features.mean(0), atol=1e-6)
    assert not fixed.training and fixed[1].momentum == G[1].momentum


def test_untileable_textures_render_little_of_their_border(stripes_run):
    """The border cells feed the trunk (cheap, on the latent grid) but are not rendered: the
    rendering stages see the texture's cells and their one-cell reach, not the whole field."""
    _, run = stripes_run
    loaded = load_generator(run)
    G, u = loaded.G, loaded.G.upsampling
    seen, original = [], G.net.render_field
    G.net.render_field = lambda x: seen.append(tuple(x.shape[-2:])) or original(x)
    try:
        texture(loaded, width=5 * u, height=3 * u, seed=2, tileable=False)
    finally:
        del G.net.render_field
    reach = G.net.render_margin_cells
    assert seen == [(3 + 2 * reach, 5 + 2 * reach)]
