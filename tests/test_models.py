"""Image GAN models: shapes, the chapter's architectures and parameter counts, config checks."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from gamegan.errors import ConfigError
from gamegan.models import MODELS, dcgan, mlp_gan
from gamegan.nn.layers import (
    ACTIVATIONS,
    Conv2dSame,
    CReLU,
    Dropout,
    batch_norm,
    keras_init_,
    make_activation,
    same_padding,
)


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def n_bn_buffers(module: nn.Module) -> int:
    """Keras counts BN moving mean/variance as (non-trainable) params."""
    return sum(
        m.running_mean.numel() + m.running_var.numel()
        for m in module.modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm)
    )


def build(name: str, **params):
    spec = MODELS.get(name)
    cfg = spec.config(**params)
    return cfg, spec.generator(cfg), spec.discriminator(cfg)


@pytest.mark.parametrize("name", ["mlp_gan", "dcgan"])
@pytest.mark.parametrize("resolution", [28, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes_and_ranges(name: str, resolution: int, channels: int) -> None:
    torch.manual_seed(0)
    cfg, G, D = build(name, resolution=resolution, channels=channels)
    z = G.sample_z(3, torch.Generator().manual_seed(1))
    assert z.shape == (3, cfg.z_dim) == (3, G.z_dim)
    x = G(z)
    assert x.shape == (3, channels, resolution, resolution)
    assert x.abs().max() <= 1.0
    logits = D(x)
    assert logits.shape == (3,)
    assert torch.isfinite(logits).all()


def test_sample_z_is_seeded() -> None:
    G = dcgan.Generator(dcgan.Config())
    a = G.sample_z(4, torch.Generator().manual_seed(7))
    b = G.sample_z(4, torch.Generator().manual_seed(7))
    assert torch.equal(a, b)


def test_wrong_input_shape_is_named() -> None:
    cfg = dcgan.Config()
    with pytest.raises(ValueError, match=r"expected shape \[N, 1, 28, 28\]"):
        dcgan.Discriminator(cfg)(torch.zeros(2, 3, 28, 28))
    with pytest.raises(ValueError, match="z"):
        dcgan.Generator(cfg)(torch.zeros(2, 99))


def test_registry_names_and_specs() -> None:
    assert {"mlp_gan", "dcgan"} <= set(MODELS.names())
    spec = MODELS.get("dcgan")
    assert (spec.config, spec.generator, spec.discriminator) == (
        dcgan.Config,
        dcgan.Generator,
        dcgan.Discriminator,
    )
    assert dcgan.Critic is dcgan.Discriminator
    with pytest.raises(ConfigError, match="choose one of"):
        MODELS.get("nope")


def test_every_model_names_a_family_the_layers_can_serve() -> None:
    """A family says what its models make; one that samples event by event has no ONNX
    graph and says why; an unknown kind is a clear error."""
    from gamegan.models.base import FAMILIES, MAKES, family_of

    for name in MODELS.names():
        family = MODELS.get(name).family
        assert family is family_of(MODELS.get(name).kind) and family.makes in MAKES, name
    for kind in FAMILIES.names():
        family = FAMILIES.get(kind)
        assert (family.onnx_output is None) == bool(family.no_onnx), kind
        assert not (family.sequential and family.onnx_output), kind
    assert {FAMILIES.get(k).makes for k in FAMILIES.names()} == set(MAKES)
    assert MODELS.get("deep_spatial_gan").family.makes == "textures"
    assert MODELS.get("lstm_lm").family.sequential
    with pytest.raises(ConfigError, match="model family"):
        family_of("voxel_gan")


# the chapter's architectures


def test_dcgan_discriminator_layers_as_chapter() -> None:
    D = dcgan.Discriminator(dcgan.Config())
    block = [nn.LeakyReLU, Dropout]
    expected = (
        [Conv2dSame, *block]
        + [Conv2dSame, nn.ZeroPad2d, nn.BatchNorm2d, *block]
        + [Conv2dSame, nn.BatchNorm2d, *block]
        + [Conv2dSame, nn.BatchNorm2d, *block]
        + [nn.Flatten, nn.Linear]
    )
    assert [type(m) for m in D.net] == expected
    assert D.flat_features == 4 * 4 * 256
    assert D.net[-1].in_features == 4 * 4 * 256
    convs = [m for m in D.net if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [32, 64, 128, 256]
    assert [c.stride[0] for c in convs] == [2, 2, 2, 1]
    assert all(m.p == 0.25 for m in D.net if isinstance(m, nn.Dropout))
    assert all(m.negative_slope == 0.2 for m in D.net if isinstance(m, nn.LeakyReLU))


def test_dcgan_discriminator_feature_sizes() -> None:
    # 28 -> 14 -> 7 -> pad 8 -> 4 -> 4, as Keras "same" gives.
    D = dcgan.Discriminator(dcgan.Config())
    sizes = []
    x = torch.zeros(2, 1, 28, 28)
    for m in D.net:
        x = m(x)
        if isinstance(m, (nn.Conv2d, nn.ZeroPad2d)):
            sizes.append(x.shape[-1])
    assert sizes == [14, 7, 8, 4, 4]


def test_keras_same_padding_alignment() -> None:
    # Keras puts the odd padding pixel bottom/right: a stride-2 k3 conv on 4x4 reads rows 0-2.
    assert same_padding(28, 3, 2) == (0, 1)
    assert same_padding(28, 4, 1) == (1, 2)
    conv = Conv2dSame(1, 1, 3, stride=2)
    with torch.no_grad():
        conv.weight.zero_()
        conv.weight[0, 0, 0, 0] = 1.0  # picks the top-left input of each window
        conv.bias.zero_()
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    assert conv(x)[0, 0].tolist() == [[0.0, 2.0], [8.0, 10.0]]
    # Stride 1: the same as PyTorch's padding="same", odd and even kernels.
    x = torch.randn(2, 3, 7, 7)
    for k in (3, 4):
        ours = Conv2dSame(3, 5, k)
        ref = nn.Conv2d(3, 5, k, padding="same")
        ref.load_state_dict(ours.state_dict())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PyTorch warns about the even kernel's pad copy
            torch.testing.assert_close(ours(x), ref(x))


def test_dcgan_generator_layers_as_chapter() -> None:
    G = dcgan.Generator(dcgan.Config())
    expected = (
        [nn.Linear, nn.Unflatten, nn.ReLU]
        + [nn.Upsample, Conv2dSame, nn.BatchNorm2d, nn.ReLU]
        + [nn.Upsample, Conv2dSame, nn.BatchNorm2d, nn.ReLU]
        + [Conv2dSame, nn.Tanh]
    )
    assert [type(m) for m in G.net] == expected
    assert G.net[0].out_features == 128 * 7 * 7


def test_dcgan_parameter_counts_match_keras() -> None:
    G = dcgan.Generator(dcgan.Config())
    D = dcgan.Discriminator(dcgan.Config())
    # Keras summary of the chapter's generator (trainable params).
    g_dense = 100 * 6272 + 6272
    g_conv1, g_bn1 = 128 * 128 * 9 + 128, 2 * 128
    g_conv2, g_bn2 = 128 * 64 * 9 + 64, 2 * 64
    g_conv3 = 64 * 1 * 9 + 1
    g_trainable = g_dense + g_conv1 + g_bn1 + g_conv2 + g_bn2 + g_conv3
    assert n_params(G) == g_trainable == 855_809
    assert n_params(G) + n_bn_buffers(G) == 856_193  # Keras "Total params"
    d_convs = (1 * 32 * 9 + 32) + (32 * 64 * 9 + 64) + (64 * 128 * 9 + 128) + (128 * 256 * 9 + 256)
    d_bns = 2 * (64 + 128 + 256)
    d_dense = 4 * 4 * 256 + 1
    assert n_params(D) == d_convs + d_bns + d_dense == 392_833
    assert n_params(D) + n_bn_buffers(D) == 393_729


def test_mlp_gan_parameter_counts_match_keras() -> None:
    G = mlp_gan.Generator(mlp_gan.Config())
    D = mlp_gan.Discriminator(mlp_gan.Config())
    g = (100 * 256 + 256) + 2 * 256 + (256 * 512 + 512) + 2 * 512
    g += (512 * 1024 + 1024) + 2 * 1024 + (1024 * 784 + 784)
    assert n_params(G) == g == 1_489_936
    assert n_params(D) == (784 * 512 + 512) + (512 * 256 + 256) + (256 + 1) == 533_505


def test_wgan_configuration() -> None:
    # The chapter's WGAN critic/generator (MNIST) and the 32x32x3 forest variant.
    params = dict(d_channels=(16, 32, 64, 128), g_kernel_size=4)
    for resolution, channels, flat_size in [(28, 1, 4), (32, 3, 5)]:
        cfg, G, D = build("dcgan", resolution=resolution, channels=channels, **params)
        x = G(torch.randn(2, 100))
        assert x.shape == (2, channels, resolution, resolution)
        assert D(x).shape == (2,)
        assert D.flat_features == 128 * flat_size * flat_size
        assert all(m.kernel_size == (4, 4) for m in G.net if isinstance(m, nn.Conv2d))
    assert cfg.start_resolution == 8


# activations and BatchNorm


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("name", ["mlp_gan", "dcgan"])
def test_every_activation(name: str, activation: str) -> None:
    _, G, D = build(name, g_activation=activation, d_activation=activation, resolution=32)
    x = G(torch.randn(2, 100))
    assert x.shape[-2:] == (32, 32)
    assert D(x).shape == (2,)


def test_make_activation() -> None:
    for shape in [(4, 6), (4, 6, 5, 5)]:
        x = torch.randn(shape)
        for name in ACTIVATIONS:
            act, out = make_activation(name, 6)
            assert act(x).shape[1] == out
    act, out = make_activation("crelu", 6)
    assert isinstance(act, CReLU) and out == 12
    x = torch.tensor([[1.0, -2.0]])
    assert act(x).tolist() == [[1.0, 0.0, 0.0, 2.0]]
    prelu, _ = make_activation("prelu", 6)
    assert sum(p.numel() for p in prelu.parameters()) == 6
    leaky, _ = make_activation("leaky_relu", 6, leaky_slope=0.3)
    assert leaky.negative_slope == 0.3
    with pytest.raises(ConfigError, match="relu6"):
        make_activation("swish", 6)


def test_crelu_doubles_dcgan_channels() -> None:
    _, G, D = build("dcgan", g_activation="crelu", d_activation="crelu")
    g_convs = [m for m in G.net if isinstance(m, nn.Conv2d)]
    assert [c.in_channels for c in g_convs] == [256, 256, 128]
    d_convs = [m for m in D.net if isinstance(m, nn.Conv2d)]
    assert [c.in_channels for c in d_convs] == [1, 64, 128, 256]
    assert D.flat_features == 4 * 4 * 512


def test_bn_momentum_keras_to_torch() -> None:
    bn = batch_norm(3, 0.8)
    assert bn.momentum == pytest.approx(0.2)
    assert bn.eps == 1e-3
    x = torch.randn(16, 3, 4, 4) + torch.tensor([1.0, 2.0, 3.0]).view(1, 3, 1, 1)
    bn.train()
    bn(x)
    batch_mean = x.mean(dim=(0, 2, 3))
    # Keras: running = 0.8 * running + 0.2 * batch, from running_mean = 0.
    torch.testing.assert_close(bn.running_mean, 0.2 * batch_mean)
    batch_var = x.var(dim=(0, 2, 3), unbiased=True)
    torch.testing.assert_close(bn.running_var, 0.8 * 1.0 + 0.2 * batch_var)
    _, G, D = build("dcgan", bn_momentum=0.9)
    bns = [m for m in [*G.modules(), *D.modules()] if isinstance(m, nn.BatchNorm2d)]
    assert len(bns) == 5 and all(m.momentum == pytest.approx(0.1) for m in bns)
    assert batch_norm(4, 0.8, dims=1).momentum == pytest.approx(0.2)


def test_keras_init() -> None:
    torch.manual_seed(0)
    layer = keras_init_(nn.Conv2d(8, 16, 3))
    assert torch.all(layer.bias == 0)
    bound = (6 / (8 * 9 + 16 * 9)) ** 0.5
    assert layer.weight.abs().max() <= bound
    _, G, _ = build("dcgan", init="torch")
    assert G.net[0].bias.abs().sum() > 0


def test_d_batchnorm_off_and_no_dropout() -> None:
    _, _, D = build("dcgan", d_batchnorm=False, dropout=0.0)
    assert not any(isinstance(m, (nn.BatchNorm2d, nn.Dropout)) for m in D.modules())
    assert D(torch.zeros(2, 1, 28, 28)).shape == (2,)


# bad configs


@pytest.mark.parametrize(
    "name, params, match",
    [
        ("dcgan", {"resolution": 30}, "divisible by 4"),
        ("dcgan", {"resolution": 0}, "resolution"),
        ("dcgan", {"g_activation": "swish"}, "g_activation"),
        ("dcgan", {"d_activation": "tanh"}, "d_activation"),
        ("dcgan", {"dropout": 1.0}, "dropout"),
        ("dcgan", {"dropout": -0.1}, "dropout"),
        ("dcgan", {"bn_momentum": 1.0}, "bn_momentum"),
        ("dcgan", {"d_strides": (2, 2, 2)}, "d_strides"),
        ("dcgan", {"d_channels": (32,), "d_strides": (2,)}, "d_channels"),
        ("dcgan", {"g_channels": ()}, "g_channels"),
        ("dcgan", {"z_dim": 2.5}, "z_dim"),
        ("dcgan", {"channels": True}, "channels"),
        ("dcgan", {"init": "he"}, "init"),
        ("dcgan", {"d_batchnorm": "yes"}, "d_batchnorm"),
        ("mlp_gan", {"g_hidden": (256, 0)}, "g_hidden"),
        ("mlp_gan", {"dropout": 1.5}, "dropout"),
        ("mlp_gan", {"leaky_slope": -1.0}, "leaky_slope"),
    ],
)
def test_bad_configs(name: str, params: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        MODELS.get(name).config(**params)


def test_config_lists_become_tuples() -> None:
    cfg = dcgan.Config(d_channels=[16, 32, 64, 128])
    assert cfg.d_channels == (16, 32, 64, 128)
    hash(cfg)


def test_dropout_keeps_the_rate_and_the_chapters_scaling() -> None:
    drop = Dropout(0.25)
    torch.manual_seed(0)
    x = torch.ones(400, 1001, requires_grad=True)  # an element count not divisible by 4
    y = drop(x)
    assert y.unique().tolist() == [0.0, pytest.approx(4 / 3)]
    assert (y == 0).float().mean().item() == pytest.approx(0.25, abs=0.003)
    y.sum().backward()
    assert torch.equal(x.grad, y.detach())  # the gradient flows through the kept elements
    torch.manual_seed(0)
    assert torch.equal(drop(x), y)  # the global generator decides: seeds and resume hold
    assert not torch.equal(drop(x), y)
    masks = torch.stack([drop(torch.ones(64)) == 0 for _ in range(2000)]).float()
    assert masks.mean(0).min() > 0.18 and masks.mean(0).max() < 0.32  # no position favoured
    nhwc = torch.randn(4, 8, 5, 5).contiguous(memory_format=torch.channels_last)
    assert drop(nhwc).is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(drop.eval()(x), x)
    assert torch.equal(Dropout(1.0)(x), torch.zeros_like(x))
