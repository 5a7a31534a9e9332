"""Image quilting baseline (gamegan.baselines.quilting)."""

from __future__ import annotations

import numpy as np
import pytest

from gamegan.baselines.quilting import min_cut_path, quilt, quilt_with_placements


def noise(h: int, w: int, c: int | None = None, seed: int = 0) -> np.ndarray:
    shape = (h, w) if c is None else (h, w, c)
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


@pytest.mark.parametrize("channels", [None, 3])
@pytest.mark.parametrize("tileable", [False, True])
def test_shape_and_dtype(channels, tileable):
    source = noise(40, 56, channels)
    out = quilt(source, 70, 45, block=12, tileable=tileable)
    expected = (70, 45) if channels is None else (70, 45, 3)
    assert out.shape == expected
    assert out.dtype == np.uint8


def test_output_smaller_than_a_block():
    out = quilt(noise(32, 32, 3), 5, 9, block=16)
    assert out.shape == (5, 9, 3)


@pytest.mark.parametrize("tileable", [False, True])
def test_repeated_tile_gives_exact_source_windows(tileable):
    tile = noise(6, 6, 3, seed=1)
    source = np.tile(tile, (8, 8, 1))  # 48x48, period 6; 60x72 output is a multiple
    block = 15
    out, placements = quilt_with_placements(
        source, 60, 72, block=block, overlap=4, tileable=tileable, seed=3
    )
    h, w = out.shape[:2]
    for p in placements:
        rows = (p.y + np.arange(block)) % h if tileable else np.arange(p.y, min(p.y + block, h))
        cols = (p.x + np.arange(block)) % w if tileable else np.arange(p.x, min(p.x + block, w))
        window = source[p.src_y : p.src_y + block, p.src_x : p.src_x + block]
        np.testing.assert_array_equal(out[np.ix_(rows, cols)], window[: len(rows), : len(cols)])
    # Every overlap matched exactly, so the whole output is the tile repeated (and, when
    # tileable at a multiple of the period, it wraps around too).
    np.testing.assert_array_equal(out[6:], out[:-6])
    np.testing.assert_array_equal(out[:, 6:], out[:, :-6])
    if tileable:
        np.testing.assert_array_equal(np.roll(out, (6, 6), axis=(0, 1)), out)


def test_every_pixel_comes_from_the_source():
    source = noise(24, 24, seed=2) // 64 * 64  # four gray levels
    out = quilt(source, 50, 50, block=8)
    assert set(np.unique(out)) <= set(np.unique(source))


def test_min_cut_path_is_connected_and_minimal():
    rng = np.random.default_rng(0)
    error = rng.random((30, 7))
    path = min_cut_path(error)
    assert path.shape == (30,)
    assert path.min() >= 0 and path.max() < 7
    assert np.abs(np.diff(path)).max() <= 1
    # A cheap valley is followed exactly.
    valley = np.ones((10, 5))
    cols = [0, 1, 2, 3, 4, 4, 3, 2, 2, 1]
    valley[np.arange(10), cols] = 0.0
    np.testing.assert_array_equal(min_cut_path(valley), cols)


def test_min_cut_path_matches_brute_force():
    rng = np.random.default_rng(4)
    error = rng.random((5, 3))
    best = np.inf
    for code in range(3**5):
        path = [(code // 3**r) % 3 for r in range(5)]
        if max(abs(a - b) for a, b in zip(path, path[1:], strict=False)) <= 1:
            best = min(best, error[np.arange(5), path].sum())
    found = min_cut_path(error)
    assert error[np.arange(5), found].sum() == pytest.approx(best)


def test_seeded_determinism():
    source = noise(40, 40, 3, seed=5)
    a = quilt(source, 64, 64, block=10, seed=7)
    b = quilt(source, 64, 64, block=10, seed=7)
    c = quilt(source, 64, 64, block=10, seed=8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_bad_arguments():
    with pytest.raises(ValueError, match="uint8"):
        quilt(np.zeros((20, 20), dtype=np.float32), 10, 10, block=8)
    with pytest.raises(ValueError, match="block"):
        quilt(noise(20, 20), 10, 10, block=21)
    with pytest.raises(ValueError, match="overlap"):
        quilt(noise(20, 20), 10, 10, block=8, overlap=8)
    with pytest.raises(ValueError, match="too small"):
        quilt(noise(20, 20), 12, 12, block=16, tileable=True)


def test_overlap_ssd_matches_brute_force():
    from gamegan.baselines.quilting import _Matcher

    source = noise(20, 23, 3, seed=6)
    block = 7
    rng = np.random.default_rng(1)
    target = rng.integers(0, 256, (block, block, 3)).astype(np.float64)
    mask = np.zeros((block, block), dtype=bool)
    mask[:, :2] = mask[:3, :] = True  # L-shaped overlap
    got = _Matcher(source.astype(np.float64), block).errors(target, mask)
    want = np.empty((20 - block + 1, 23 - block + 1))
    for y in range(want.shape[0]):
        for x in range(want.shape[1]):
            window = source[y : y + block, x : x + block].astype(np.float64)
            want[y, x] = (((window - target) ** 2).sum(-1) * mask).sum()
    np.testing.assert_array_equal(got, want)
