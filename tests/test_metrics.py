"""Metrics on tiny inputs with known answers: SWD, tiling, colour, Frechet/KID, classifier."""

import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gamegan import metrics
from gamegan.errors import ConfigError
from gamegan.metrics import classifier, color, frechet, swd, tiling


@pytest.fixture(autouse=True)
def _one_thread():
    # These workloads are tiny: on a busy 2-core machine a second thread only adds waiting.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def smooth_images(n, channels=1, size=(32, 32), seed=0):
    """Slightly blurred noise: a stationary texture-like distribution, uint8 [N, C, H, W]."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, channels, size[0] + 1, size[1] + 1, generator=g)
    x = F.avg_pool2d(x, 2, stride=1)  # [N, C, H, W]
    return (128 + 60 * x).clamp(0, 255).round().to(torch.uint8)


# sliced Wasserstein distance


def test_registry_lists_every_metric_and_rejects_unknown():
    assert {"swd", "color", "tiling", "frechet", "classifier"} <= set(metrics.names())
    with pytest.raises(ConfigError, match="unknown metric 'nope'"):
        metrics.compute("nope")


def test_swd_is_zero_for_identical_sets_small_for_same_distribution_and_grows():
    a, b = smooth_images(32, seed=1), smooth_images(32, seed=2)
    blurred = F.avg_pool2d(b.float(), 3, stride=1, padding=1, count_include_pad=False)
    kw = {"n_repeats": 2, "n_projections": 64}
    same = metrics.compute("swd", real=a, fake=a, **kw)
    other = swd.sliced_wasserstein(a, b, **kw)
    worse = swd.sliced_wasserstein(a, blurred, **kw)
    assert set(other) == {"swd/32", "swd/16", "swd/avg"}
    assert same == {"swd/32": 0.0, "swd/16": 0.0, "swd/avg": 0.0}
    assert worse["swd/32"] > 2 * other["swd/32"]  # blur shows at the finest level
    assert worse["swd/avg"] > 1.3 * other["swd/avg"]
    # A brightness/contrast change is normalised away per set (as in ProGAN), but not when
    # both sets are normalised with the real statistics.
    brighter = (b.float() * 0.7 + 60).clamp(0, 255)
    shift = swd.sliced_wasserstein(a, brighter, use_real_stats=True, **kw)["swd/avg"]
    assert shift > 5 * swd.sliced_wasserstein(a, b, use_real_stats=True, **kw)["swd/avg"]


def test_swd_is_deterministic_for_a_seed_and_takes_both_layouts():
    a, b = smooth_images(8, 3, seed=1), smooth_images(6, 3, seed=2)
    first = swd.sliced_wasserstein(a, b, seed=3)
    hwc = swd.sliced_wasserstein(a.permute(0, 2, 3, 1).numpy(), b.permute(0, 2, 3, 1), seed=3)
    assert first == hwc
    assert first != swd.sliced_wasserstein(a, b, seed=4)


def test_swd_levels_for_non_square_gray_and_small_images():
    assert swd.level_sizes(512, 512)[-1] == (16, 16) and len(swd.level_sizes(512, 512)) == 6
    assert swd.level_sizes(28, 28) == [(28, 28)]
    a, b = smooth_images(4, 1, (20, 40), seed=1), smooth_images(4, 1, (20, 40), seed=2)
    assert list(swd.sliced_wasserstein(a[:, 0], b[:, 0], n_repeats=1)) == ["swd/20x40", "swd/avg"]
    with pytest.raises(ValueError, match="smaller than"):
        swd.sliced_wasserstein(a[..., :5, :5], b[..., :5, :5])
    with pytest.raises(ValueError, match="real images"):
        swd.sliced_wasserstein(a, smooth_images(4, 3, (20, 40)))


def test_laplacian_pyramid_sums_back_to_the_image():
    x = torch.rand(2, 3, 37, 50)
    levels = swd.laplacian_pyramid(x, 3)
    assert [tuple(level.shape[-2:]) for level in levels] == [(37, 50), (19, 25), (10, 13)]
    rebuilt = levels[-1]
    for level in reversed(levels[:-1]):
        rebuilt = level + swd._up(rebuilt, level.shape[-2:])
    assert torch.allclose(rebuilt, x, atol=1e-5)


# tiling


def periodic_image(h=48, w=64, seed=0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    img = np.zeros((h, w, 3))
    for _ in range(6):  # integer periods per side: the image wraps around smoothly
        fy, fx = rng.integers(0, 4, 2)
        phase = rng.uniform(0, 2 * np.pi, 3)
        img += np.sin(2 * np.pi * (fy * y / h + fx * x / w)[..., None] + phase)
    return img


def test_tiling_is_about_one_for_a_periodic_image_and_large_for_a_seam():
    img = periodic_image()
    assert 0.7 < tiling.edge_error(img) < 1.4
    assert 0.7 < tiling.seam_score(img) < 1.4
    y, x = np.mgrid[0:48, 0:64]
    seam = img + 0.2 * x[..., None]  # a ramp: the wrap jumps by 0.2 * 63
    assert tiling.edge_error(seam) > 5 and tiling.seam_score(seam) > 3
    assert tiling.edge_error(img[..., 0]) == pytest.approx(tiling.edge_error(img[..., :1]))
    scores = metrics.compute("tiling", images=np.stack([img, seam]))
    assert scores["tiling/edge_error"] > 3
    smooth = metrics.compute("tiling", images=img)
    assert smooth["tiling/seam_over_p95"] < 1.1
    assert 0.8 < smooth["tiling/seam_over_median"] < 1.2
    assert metrics.compute("tiling", images=seam)["tiling/seam_over_p95"] > 2


def test_grid_sees_upsampling_blocks_and_not_noise():
    from gamegan.metrics.grid import grid_amplitude, grid_profiles

    rng = np.random.default_rng(0)
    noise = rng.uniform(0, 255, (6, 64, 80, 3))
    clean = metrics.compute("grid", images=noise)
    assert set(clean) == {f"grid/period_{p}" for p in (2, 4, 8, 16)}
    assert max(clean.values()) < 0.03  # no grid: sampling noise only
    # Nearest-neighbour x2: every other neighbour difference is 0, at period 2 only.
    blocks = [np.kron(rng.uniform(0, 255, (32, 40)), np.ones((2, 2))) for _ in range(3)]
    scores = metrics.compute("grid", images=blocks)
    assert scores["grid/period_2"] == pytest.approx(1.0)
    assert max(scores[f"grid/period_{p}"] for p in (4, 8, 16)) < 0.05
    # x4 blocks: differences 0, 0, 0, d, whose fundamental has twice the mean's amplitude;
    # no pattern of period 8 or 16
    quads = [np.kron(rng.uniform(0, 255, (32, 40)), np.ones((4, 4))) for _ in range(4)]
    scores = metrics.compute("grid", images=quads)
    assert scores["grid/period_4"] == pytest.approx(2.0)
    assert max(scores["grid/period_8"], scores["grid/period_16"]) < 0.05
    # A faint block pattern: a cosine of amplitude a in the differences scores a.
    columns, rows = grid_profiles([noise[0]], 8)
    assert columns.shape == rows.shape == (8,)
    profile = 3.0 * (1 + 0.1 * np.cos(2 * np.pi * np.arange(8) / 8 + 0.4))
    assert grid_amplitude(torch.from_numpy(profile)) == pytest.approx(0.1)
    assert grid_amplitude(torch.zeros(4)) == 0.0
    assert metrics.compute("grid", images=[np.full((20, 20), 9.0)])["grid/period_16"] == 0.0
    # Gray and one-channel images agree; sizes may differ within a set.
    gray = noise[0].mean(-1)
    assert metrics.compute("grid", images=[gray]) == metrics.compute(
        "grid", images=[gray[..., None]]
    )
    metrics.compute("grid", images=[noise[0], noise[1, :40, :50]])
    with pytest.raises(ValueError, match="at least 2"):
        grid_profiles([gray], 1)
    with pytest.raises(ValueError, match="over 16 px"):
        metrics.compute("grid", images=[np.zeros((10, 10))])


def test_tiling_edge_cases():
    flat = np.full((8, 8), 7.0)
    assert tiling.edge_error(flat) == 1.0 and tiling.seam_score(flat) == 1.0
    halves = np.zeros((8, 8))
    halves[:, :4] = 1.0  # rolled by half, its only steps lie on the seam band
    assert tiling.seam_score(halves) == float("inf")
    # The wrap: 8 steps of 1 in 16 pairs; inside: 8 steps of 1 in 112 pairs.
    assert tiling.edge_error(halves) == pytest.approx(7.0)
    with pytest.raises(ValueError):
        tiling.edge_error(np.zeros((1, 5)))
    with pytest.raises(ValueError):
        tiling.seam_score(np.zeros((3, 8)))
    tiled = tiling.tile_2x2(np.arange(6, dtype=np.uint8).reshape(2, 3))
    assert tiled.shape == (4, 6) and tiled.dtype == np.uint8 and tiled[3, 5] == 5
    assert tiling.tile_2x2(np.zeros((2, 3, 4))).shape == (4, 6, 4)


# colour histograms


def test_color_distance_zero_for_identical_and_one_for_disjoint():
    rgb = smooth_images(4, 3, (16, 16))
    assert metrics.compute("color", real=rgb, fake=rgb)["color/hist_l1"] == 0.0
    black, white = np.zeros((3, 8, 8, 3), np.uint8), np.full((5, 8, 8, 3), 255, np.uint8)
    assert color.color_histogram_distance(black, white)["color/hist_l1"] == 1.0
    gray = np.zeros((2, 8, 8), np.uint8)
    half = gray.copy()
    half[:, :4] = 200  # half the pixels move to another bin
    assert color.color_histogram_distance(gray, half)["color/hist_l1"] == pytest.approx(0.5)
    assert color.color_histograms(gray).shape == (1, 32)
    with pytest.raises(ValueError, match="channels"):
        color.color_histogram_distance(black, gray)


# Frechet and kernel distances


def test_color_histograms_of_image_lists_count_every_pixel_once():
    from gamegan.metrics import color

    small = np.zeros((5, 5, 3), np.uint8)  # 25 black pixels
    large = np.full((10, 10, 3), 255, np.uint8)  # 100 white pixels
    h = color.color_histograms([small, large], n_bins=2)
    assert torch.allclose(h, torch.tensor([[0.2, 0.8]] * 3, dtype=torch.float64))
    batch = np.stack([large, large])
    assert color.color_histogram_distance([large], batch)["color/hist_l1"] == 0.0
    assert color.color_histogram_distance([small, large], [large])["color/hist_l1"] == (
        pytest.approx(0.2)
    )


def gaussian_features(n, mean, cov, seed=0):
    """Samples whose sample mean and covariance equal ``mean`` and ``cov`` exactly."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, len(mean)))
    x -= x.mean(axis=0)
    x = x @ np.linalg.inv(np.linalg.cholesky(np.cov(x, rowvar=False))).T  # identity cov
    return x @ np.linalg.cholesky(cov).T + mean


def test_frechet_distance_zero_for_identical_and_closed_form_for_gaussians():
    a = gaussian_features(200, np.zeros(4), np.eye(4))
    assert frechet.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    mu1, var1 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 4.0, 0.25])
    mu2, var2 = np.array([1.0, 1.0, 0.0]), np.array([4.0, 1.0, 1.0])
    closed = ((mu1 - mu2) ** 2).sum() + (var1 + var2 - 2 * np.sqrt(var1 * var2)).sum()
    fa = gaussian_features(300, mu1, np.diag(var1), seed=1)
    fb = gaussian_features(500, mu2, np.diag(var2), seed=2)
    assert frechet.frechet_distance(fa, fb) == pytest.approx(closed, rel=1e-6)
    # A full covariance, against the eigen-decomposition path used without scipy.
    rot = np.linalg.qr(np.random.default_rng(3).standard_normal((3, 3)))[0]
    sigma = rot @ np.diag(var1) @ rot.T
    value = frechet.frechet_distance_from_stats(mu1, sigma, mu2, np.diag(var2))
    eig = frechet._trace_sqrt_product_eigh(sigma, np.diag(var2))
    expected = ((mu1 - mu2) ** 2).sum() + var1.sum() + var2.sum() - 2 * eig
    assert value == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError):
        frechet.frechet_distance(a[:1], a)


def test_kernel_distance_is_near_zero_for_one_distribution():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((300, 8)), rng.standard_normal((300, 8))
    same, spread = frechet.kernel_distance(a, b, subsets=20, subset_size=100)
    shifted = frechet.kernel_inception_distance(a, b + 1.0, subsets=20, subset_size=100)
    assert abs(same) < 3 * spread + 1e-3 and shifted > 20 * abs(same)
    both = metrics.compute("frechet", feat_real=a, feat_fake=b, subsets=5, subset_size=50)
    assert set(both) == {"fid", "kid"}


# classifier


def digit_like(n, seed=0):
    """Ten easy classes: a bright 6x6 square whose position is the digit, on noise."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 10
    images = rng.integers(0, 60, size=(n, 28, 28, 1), dtype=np.uint8)
    for img, k in zip(images, labels, strict=True):
        top, left = 3 + 12 * (k // 5), 1 + 5 * (k % 5)
        img[top : top + 6, left : left + 6] = 250
    return images, labels


def test_class_spread_known_answers():
    assert classifier.class_spread([3] * 20) == {"class_entropy": 0.0, "class_coverage": 0.1}
    even = classifier.class_spread(np.arange(100) % 10)
    assert even["class_entropy"] == pytest.approx(np.log2(10)) and even["class_coverage"] == 1.0
    with pytest.raises(ValueError):
        classifier.class_spread([])


def test_classifier_trains_once_then_comes_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GAMEGAN_CACHE", str(tmp_path))
    x, y = digit_like(200)
    x_test, y_test = digit_like(50, seed=1)
    kw = {"test_images": x_test, "test_labels": y_test, "epochs": 2, "batch_size": 32}
    first = classifier.load_or_train_classifier(x, y, **kw)
    assert not first.is_from_cache and first.accuracy >= 0.9
    assert first.path.parent == tmp_path / "classifiers" and first.path.is_file()
    second = classifier.load_or_train_classifier(x, y, **kw)
    assert second.is_from_cache and second.accuracy == first.accuracy
    assert torch.equal(first.features(x_test), second.features(x_test))
    assert first.features(x_test).shape == (50, 128)
    # Other data (or settings) is another fingerprint: trained anew.
    assert not classifier.load_or_train_classifier(x[:100], y[:100], **kw).is_from_cache
    # RGB and other sizes are turned into 28x28 gray.
    rgb32 = F.interpolate(torch.from_numpy(x_test).permute(0, 3, 1, 2).float(), size=32)
    assert classifier.classifier_metrics(
        x_test, rgb32.expand(-1, 3, -1, -1), classifier=first, subsets=2, subset_size=20
    )["classifier/class_coverage"] == pytest.approx(1.0)
    scores = metrics.compute("classifier", real=x, fake=x_test, classifier=first, subsets=2)
    assert set(scores) == {
        "classifier/fid",
        "classifier/kid",
        "classifier/class_entropy",
        "classifier/class_coverage",
    }


def test_import_metrics_is_light():
    code = (
        "import sys, gamegan.metrics; print([m for m in ('matplotlib', 'PIL') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_interior_seam_scores_bracket_a_seamless_wrap_and_not_a_seam():
    from gamegan.metrics.tiling import interior_seam_scores, seam_score

    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:64, 0:64]
    tile = np.sin(2 * np.pi * x / 16) + np.cos(2 * np.pi * y / 32) + 0.1 * rng.random((64, 64))
    interior = interior_seam_scores(tile, n=32)
    assert interior.min() - 0.05 <= seam_score(tile) <= interior.max() + 0.05
    broken = tile + (x > 40) * 3.0  # a step at the wrap (and at x=40 inside)
    assert seam_score(broken) > np.median(interior_seam_scores(broken, n=32))


@pytest.mark.parametrize("shape", [(4, 4), (5, 7), (37, 64), (33, 20, 3)])
def test_interior_seam_scores_are_seam_scores_of_rolled_copies(shape):
    """The one-pass computation gives what its definition says, at edges and corners too."""
    from gamegan.metrics.tiling import interior_seam_scores, seam_score

    rng = np.random.default_rng(3)
    ramp = np.linspace(0, 2, shape[1])[None, :]  # a step at the wrap, unlike the inside
    img = rng.random(shape) + (ramp[..., None] if len(shape) == 3 else ramp)
    scores = interior_seam_scores(img, n=24, seed=7)
    draw = np.random.default_rng(7)
    dy = draw.integers(2, max(3, shape[0] - 2), 24)
    dx = draw.integers(2, max(3, shape[1] - 2), 24)
    direct = [seam_score(np.roll(img, (a, b), axis=(0, 1))) for a, b in zip(dy, dx, strict=True)]
    np.testing.assert_allclose(scores, direct, rtol=1e-12)
    with pytest.raises(ValueError, match="4x4"):
        interior_seam_scores(np.zeros((3, 9)))
