"""The fitted colour map: distributions moved, pixels independent, identity until fitted."""

import pytest
import torch

from gamegan.nn.color import ColorTransfer


def _as_image(pixels):  # [P, C] -> [1, C, P, 1]
    return pixels.T.reshape(1, pixels.shape[1], -1, 1)


def _as_pixels(image):
    return image.reshape(image.shape[1], -1).T


def _samples(n=40_000, seed=0):
    g = torch.Generator().manual_seed(seed)
    made = (0.25 * torch.randn(n, 3, generator=g)).clamp(-1, 1)  # grey haze
    u = torch.rand(n, generator=g)
    real = torch.stack(  # dark with a few bright points, a blue cast, correlated channels
        [u**4 * 2 - 1, u**4 * 1.6 - 0.9, -0.3 + 0.2 * torch.rand(n, generator=g)], dim=1
    )
    return made, real


@pytest.mark.parametrize("steps", [1, 4])
def test_fitted_map_moves_the_colour_distribution_onto_the_target(steps):
    made, real = _samples()
    ct = ColorTransfer(3, steps).eval()
    ct.fit(made, real)
    fresh, _ = _samples(seed=1)  # pixels the map was not fitted on
    out = _as_pixels(ct(_as_image(fresh)))
    levels = torch.linspace(0.02, 0.98, 25)
    for c in range(3):
        before = (torch.quantile(fresh[:, c], levels) - torch.quantile(real[:, c], levels)).abs()
        after = (torch.quantile(out[:, c], levels) - torch.quantile(real[:, c], levels)).abs()
        assert after.max() < 0.03 < before.max()
    # The channels' correlation follows the target's (red and green move together there).
    corr = torch.corrcoef(out[:, :2].T)[0, 1]
    assert corr > 0.9 > torch.corrcoef(fresh[:, :2].T)[0, 1]
    assert out.min() >= -1 and out.max() <= 1


def test_map_is_per_pixel_monotone_and_identity_until_fitted():
    made, real = _samples()
    image = _as_image(made[:4096]).reshape(1, 3, 64, 64)
    assert torch.equal(ColorTransfer(3, 0)(image), image)
    assert torch.allclose(ColorTransfer(3, 2).eval()(image), image, atol=1e-5)
    ct = ColorTransfer(3, 2).eval()
    ct.fit(made, real)
    out = ct(image)
    # Each pixel alone: rolling or cropping the input rolls or crops the output (tiling kept),
    # up to float rounding (einsum may sum a shifted image's pixels in another order: 1.2e-6
    # on one CPU; a map that looked at its neighbours would move pixels by far more).
    rolled = ct(torch.roll(image, (5, 9), (2, 3)))
    assert torch.allclose(rolled, torch.roll(out, (5, 9), (2, 3)), atol=1e-5)
    assert torch.allclose(ct(image[..., 10:30, 3:50]), out[..., 10:30, 3:50], atol=1e-5)
    # Training passes through: the generator learns without the map.
    assert torch.equal(ct.train()(image), image)
    # One channel: a monotone map (a brighter input is never darker).
    gray = ColorTransfer(1, 1).eval()
    gray.fit(made[:, :1], real[:, :1])
    ramp = torch.linspace(-1, 1, 101).view(1, 1, 101, 1)
    assert (gray(ramp).diff(dim=2) >= -1e-6).all()


def test_fitted_map_survives_a_state_dict_round_trip():
    made, real = _samples()
    ct = ColorTransfer(3, 2).eval()
    ct.fit(made, real)
    copy = ColorTransfer(3, 2).eval()
    copy.load_state_dict(ct.state_dict())
    image = _as_image(made[:1000])
    assert torch.equal(copy(image), ct(image))


def test_reset_is_the_identity_and_a_refit_the_same_map():
    made, real = _samples()
    ct = ColorTransfer(3, 2).eval()
    ct.fit(made, real)
    fitted = {k: v.clone() for k, v in ct.state_dict().items()}
    image = _as_image(made[:1000])
    assert not torch.allclose(ct(image), image, atol=1e-3)
    ct.reset()
    assert torch.allclose(ct(image), image, atol=1e-5)
    ct.fit(made, real)
    assert all(torch.equal(v, fitted[k]) for k, v in ct.state_dict().items())


def test_fitting_a_generator_twice_gives_the_same_map():
    """A snapshot whose map is fitted already (a bundled model) refits from its raw output."""
    from gamegan.train.gan import fit_color_maps

    made, real = _samples(4096)
    G = torch.nn.Sequential(torch.nn.Identity(), ColorTransfer(3, 1))
    images = _as_image(real).reshape(1, 3, 64, 64)

    def fit(G):
        g = torch.Generator().manual_seed(0)
        return fit_color_maps(G, lambda: (_as_image(made).reshape(1, 3, 64, 64), {}), images, g)

    once = fit(G)
    twice = fit(once)
    assert not torch.equal(once[1].lut, G[1].lut)
    assert all(torch.equal(a, b) for a, b in zip(once.buffers(), twice.buffers(), strict=True))
