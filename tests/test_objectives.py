"""Adversarial objectives, each checked through the same hooks the trainer calls."""

from __future__ import annotations

import inspect

import pytest
import torch
from torch import nn

from gamegan.errors import ConfigError
from gamegan.gan import OBJECTIVES, Objective
from gamegan.gan.wgan import WGAN
from gamegan.gan.wgan_gp import WGANGP, gradient_norm

NAMES = OBJECTIVES.names()


def make(name: str) -> Objective:
    return OBJECTIVES.get(name)()


def toy_data(n: int = 64, dim: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    """Separable blobs: real around +1, fake around -1 in every coordinate."""
    g = torch.Generator().manual_seed(0)
    real = 1.0 + 0.3 * torch.randn(n, dim, generator=g)
    fake = -1.0 + 0.3 * torch.randn(n, dim, generator=g)
    return real, fake


def linear_d(dim: int = 4, scale: float = 0.01) -> nn.Module:
    torch.manual_seed(0)
    D = nn.Sequential(nn.Linear(dim, 1), nn.Flatten(0))  # logits [N]
    with torch.no_grad():
        # Slightly right already (real scores higher), and inside WGAN's clip range.
        D[0].weight.fill_(scale / dim**0.5)
        D[0].bias.zero_()
    return D


def full_d_loss(obj: Objective, D: nn.Module, real: torch.Tensor, fake: torch.Tensor):
    return obj.d_loss(D(real), D(fake)) + obj.penalty(D, real, fake)


def test_registry() -> None:
    assert {"vanilla", "lsgan", "hinge", "wgan", "wgan_gp"} <= set(NAMES)
    with pytest.raises(ConfigError, match="choose one of"):
        OBJECTIVES.get("nope")


@pytest.mark.parametrize("name", NAMES)
def test_signature_is_a_typed_schema(name: str) -> None:
    cls = OBJECTIVES.get(name)
    obj = cls()
    for p in list(inspect.signature(cls.__init__).parameters.values())[1:]:
        assert p.annotation is not inspect.Parameter.empty, p.name
        assert p.default is not inspect.Parameter.empty, p.name
        assert obj.params()[p.name] == p.default
    assert obj.n_critic >= 1
    assert obj.default_optimizer["name"] in {"adam", "rmsprop"}


@pytest.mark.parametrize("name", NAMES)
def test_finite_scalar_losses(name: str) -> None:
    obj = make(name)
    real, fake = toy_data()
    D = linear_d()
    d_loss = full_d_loss(obj, D, real, fake)
    g_loss = obj.g_loss(D(fake))
    for loss in (d_loss, g_loss):
        assert loss.ndim == 0 and torch.isfinite(loss)


@pytest.mark.parametrize("name", NAMES)
def test_right_sign_on_separable_problem(name: str) -> None:
    obj = make(name)
    high, low = torch.full((8,), 2.0), torch.full((8,), -2.0)
    assert obj.d_loss(high, low) < obj.d_loss(low, high)
    # G is happier when D scores its fakes as real.
    assert obj.g_loss(high) < obj.g_loss(low)


@pytest.mark.parametrize("name", NAMES)
def test_d_step_widens_the_margin(name: str) -> None:
    obj = make(name)
    real, fake = toy_data()
    D = linear_d()

    def margin() -> float:
        with torch.no_grad():
            return float(D(real).mean() - D(fake).mean())

    before = margin()
    opt = torch.optim.SGD(D.parameters(), lr=0.05)
    opt.zero_grad()
    full_d_loss(obj, D, real, fake).backward()
    opt.step()
    obj.after_d_step(D)
    assert margin() > before


@pytest.mark.parametrize("name", NAMES)
def test_g_step_raises_fake_scores(name: str) -> None:
    obj = make(name)
    _, fake = toy_data()
    D = linear_d().requires_grad_(False)  # frozen D, as in the G step
    x_fake = fake.clone().requires_grad_(True)  # stands in for G's output
    before = float(D(x_fake).mean().detach())
    opt = torch.optim.SGD([x_fake], lr=0.5)
    obj.g_loss(D(x_fake)).backward()
    opt.step()
    assert float(D(x_fake).mean().detach()) > before


@pytest.mark.parametrize("name", NAMES)
def test_finite_under_bf16_autocast(name: str) -> None:
    obj = make(name)
    real, fake = toy_data()
    D = linear_d()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        d_loss = full_d_loss(obj, D, real, fake)
        g_loss = obj.g_loss(D(fake))
    assert torch.isfinite(d_loss) and torch.isfinite(g_loss)
    d_loss.backward()
    assert all(torch.isfinite(p.grad).all() for p in D.parameters())


@pytest.mark.parametrize("name", NAMES)
def test_accuracy(name: str) -> None:
    obj = make(name)
    acc = obj.d_accuracy(torch.tensor([1.0, -1.0]), torch.tensor([-1.0, -1.0]))
    assert acc == (0.75 if obj.has_accuracy else None)


# WGAN: weight clipping


def test_wgan_clipping_bounds_parameters_not_bn_statistics() -> None:
    obj = WGAN(clip_value=0.01)
    assert obj.n_critic == 5 and not obj.has_accuracy
    assert obj.default_optimizer == {"name": "rmsprop", "lr": 5e-5}
    D = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.LazyLinear(1))
    D(torch.randn(2, 1, 5, 5))  # materialize the lazy layer
    with torch.no_grad():
        for p in D.parameters():
            p.uniform_(-1, 1)
        D[1].running_var.fill_(5.0)
        D[1].running_mean.fill_(-3.0)
    obj.after_d_step(D)
    for p in D.parameters():
        assert p.abs().max() <= 0.01
    assert torch.all(D[1].running_var == 5.0)
    assert torch.all(D[1].running_mean == -3.0)


def test_wgan_clip_value_option() -> None:
    D = nn.Linear(3, 1)
    with torch.no_grad():
        D.weight.fill_(1.0)
    WGAN(clip_value=0.02).after_d_step(D)
    assert torch.all(D.weight == 0.02)
    with pytest.raises(ConfigError, match="clip_value"):
        WGAN(clip_value=0.0)


# WGAN-GP: gradient penalty


def test_wgan_gp_penalty_zero_for_unit_gradient() -> None:
    obj = WGANGP()
    assert obj.n_critic == 5 and obj.default_optimizer["betas"] == (0.0, 0.9)
    real, fake = torch.randn(8, 2, 3, 3), torch.randn(8, 2, 3, 3)
    w = torch.randn(2, 3, 3)
    w = w / w.norm()

    def D(x: torch.Tensor) -> torch.Tensor:
        return (x * w).flatten(1).sum(1)  # grad = w everywhere, ||w|| = 1

    torch.testing.assert_close(gradient_norm(D, real, fake), torch.ones(8))
    assert float(obj.penalty(D, real, fake)) == pytest.approx(0.0, abs=1e-10)

    def D2(x: torch.Tensor) -> torch.Tensor:
        return 2 * D(x)

    # ||grad|| = 2: penalty = gp_weight * (2 - 1)^2.
    assert float(obj.penalty(D2, real, fake)) == pytest.approx(10.0, rel=1e-5)
    assert float(WGANGP(gp_weight=5.0).penalty(D2, real, fake)) == pytest.approx(5.0, rel=1e-5)


def test_wgan_gp_penalty_trains_d() -> None:
    # create_graph=True: the penalty's gradient reaches D's weights.
    D = linear_d(scale=3.0)
    real, fake = toy_data()
    WGANGP().penalty(D, real, fake).backward()
    assert D[0].weight.grad is not None and D[0].weight.grad.abs().sum() > 0


def test_vanilla_label_smoothing() -> None:
    from gamegan.gan.vanilla import Vanilla

    high, low = torch.full((4,), 20.0), torch.full((4,), -20.0)
    assert float(Vanilla().d_loss(high, low)) < 1e-6
    assert float(Vanilla(label_smoothing=0.1).d_loss(high, low)) > 0.5
    with pytest.raises(ConfigError, match="label_smoothing"):
        Vanilla(label_smoothing=1.0)


def test_vanilla_equals_sigmoid_bce() -> None:
    from gamegan.gan.vanilla import Vanilla

    real, fake = torch.tensor([0.3, 2.0]), torch.tensor([-1.0, 0.5])
    bce = nn.BCELoss()
    expected = 0.5 * (bce(real.sigmoid(), torch.ones(2)) + bce(fake.sigmoid(), torch.zeros(2)))
    torch.testing.assert_close(Vanilla().d_loss(real, fake), expected)
    torch.testing.assert_close(Vanilla().g_loss(fake), bce(fake.sigmoid(), torch.ones(2)))
