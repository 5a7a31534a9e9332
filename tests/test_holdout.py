"""Held-out evaluation of texture models: the split, its metrics, and `gamegan eval`."""

import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
import torch
from scipy.ndimage import uniform_filter
from typer.testing import CliRunner

from gamegan.api import build_config, train
from gamegan.cli import app
from gamegan.data import load_images
from gamegan.data.textures import load_texture_crops, split_holdout
from gamegan.errors import ConfigError, DataError
from gamegan.io.png import read_png, write_png
from gamegan.metrics import compute
from gamegan.metrics.spectrum import log_spectrum_distance
from gamegan.metrics.swd import sliced_wasserstein_images
from test_textures import TINY_TEXTURE


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny workloads on a shared 2-core machine
    yield
    torch.set_num_threads(threads)


def noise(h, w, c=None, seed=0):
    shape = (h, w) if c is None else (h, w, c)
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def stripes(h, w, period, seed=0, vertical=True):
    """Gray sine stripes plus a little noise, float [H, W] in 0-255."""
    t = np.arange(w if vertical else h)
    wave = 128 + 80 * np.sin(2 * np.pi * t / period)
    img = np.broadcast_to(wave[None, :] if vertical else wave[:, None], (h, w))
    return img + np.random.default_rng(seed).normal(0, 10, (h, w))


# the split


@pytest.mark.parametrize(
    "side, kept, held",
    [
        ("right", (slice(None), slice(0, 4)), (slice(None), slice(4, 8))),
        ("left", (slice(None), slice(4, 8)), (slice(None), slice(0, 4))),
        ("bottom", (slice(0, 3), slice(None)), (slice(3, 6), slice(None))),
        ("top", (slice(3, 6), slice(None)), (slice(0, 3), slice(None))),
    ],
)
def test_split_gives_the_two_halves(side, kept, held):
    photo = torch.arange(2 * 6 * 8).reshape(2, 6, 8)  # [C, H, W]
    train_half, held_out = split_holdout(photo, side)
    assert torch.equal(train_half, photo[(slice(None), *kept)])
    assert torch.equal(held_out, photo[(slice(None), *held)])


def test_split_of_an_odd_size_cuts_at_half_and_covers_the_photo():
    photo = torch.arange(5 * 7).reshape(1, 5, 7)
    assert [x.shape[-1] for x in split_holdout(photo, "right")] == [3, 4]
    assert [x.shape[-1] for x in split_holdout(photo, "left")] == [4, 3]
    assert [x.shape[-2] for x in split_holdout(photo, "top")] == [3, 2]
    kept, held = split_holdout(photo, "bottom")
    assert torch.equal(torch.cat([kept, held], dim=1), photo)
    with pytest.raises(ConfigError, match="sideways"):
        split_holdout(photo, "sideways")


@pytest.fixture
def two_tone_photo(tmp_path):
    """64x96 gray photo: a noisy left half in 0-99, a noisy right half in 200-255."""
    rng = np.random.default_rng(0)
    photo = np.empty((64, 96), dtype=np.uint8)
    photo[:, :48] = rng.integers(0, 100, (64, 48))
    photo[:, 48:] = rng.integers(200, 256, (64, 48))
    write_png(tmp_path / "wall.png", photo)
    return tmp_path / "wall.png"


def test_training_crops_come_only_from_the_kept_half(two_tone_photo):
    right = load_texture_crops(two_tone_photo, 16, 1, n_crops=300, seed=0, holdout="right")
    assert int(right.images.max()) < 100 and "right half held out" in right.source
    left = load_images(
        f"texture:{two_tone_photo}", resolution=16, channels=1, n_crops=300, holdout="left"
    )
    assert int(left.images.min()) >= 200
    both = load_texture_crops(two_tone_photo, 16, 1, n_crops=300, seed=0)
    assert int(both.images.max()) >= 200 and int(both.images.min()) < 100


def test_a_half_smaller_than_the_crop_is_a_data_error_with_both_sizes(two_tone_photo):
    # the whole 96x64 photo fits a 50 px crop; its 48x64 left half does not
    with pytest.raises(DataError, match=r"48x64 half.*50x50 crops"):
        load_texture_crops(two_tone_photo, 50, 1, n_crops=4, holdout="right")


def test_holdout_is_only_for_texture_sources(tmp_path):
    with pytest.raises(ConfigError, match="not a texture source"):
        load_images(str(tmp_path), resolution=8, channels=1, holdout="right")
    with pytest.raises(ConfigError, match="--holdout splits texture photos"):
        build_config("dcgan-mnist", overrides=["data.holdout=right"])
    with pytest.raises(ConfigError, match="--holdout must be one of left, right, top, bottom"):
        build_config("texture-brick", overrides=["data.holdout=middle"])


def test_cli_holdout_flag_shows_in_dry_run_and_rejects_bad_sides(tmp_path):
    result = CliRunner().invoke(app, ["train", "texture-brick", "--holdout", "right", "--dry-run"])
    assert result.exit_code == 0 and '"holdout": "right"' in result.output
    bad = subprocess.run(
        [sys.executable, "-m", "gamegan", "train", "texture-brick", "--holdout", "sideways"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "error: --holdout must be one of left, right, top, bottom (the side of each photo "
        "kept out of training), got 'sideways'"
    ]
    assert not (tmp_path / "runs").exists()


# log-spectrum distance


def test_spectrum_is_zero_for_identical_sets_and_ignores_the_level():
    a = [stripes(128, 160, 16), stripes(130, 140, 16, seed=1)]
    assert log_spectrum_distance(a, a) == {"spectrum": 0.0}
    assert log_spectrum_distance(a, [x * 3.7 for x in a])["spectrum"] < 1e-5  # float32 round-off
    # RGB is compared by its luminance: a gray image repeated in three channels is the same
    rgb = [np.repeat(x[..., None], 3, axis=-1) for x in a]
    assert log_spectrum_distance(a, rgb)["spectrum"] < 1e-9


def bricks(h, w, course=16, length=32, seed=0):
    """Running-bond courses: 2 px light mortar lines around dark bricks, plus noise."""
    y, x = np.mgrid[:h, :w]
    shift = (y // course % 2) * (length // 2)
    mortar = (y % course < 2) | ((x + shift) % length < 2)
    return np.where(mortar, 200.0, 90.0) + np.random.default_rng(seed).normal(0, 10, (h, w))


def test_spectrum_sees_the_arrangement_of_a_pattern():
    wall = bricks(256, 512)
    left, right = [wall[:, :256]], [wall[:, 256:]]
    same = log_spectrum_distance(left, right, window=64)["spectrum"]
    smaller = log_spectrum_distance(left, [bricks(256, 256, 12, 24, seed=1)], window=64)
    turned = log_spectrum_distance(left, [np.rot90(bricks(256, 256, seed=2))], window=64)
    assert same < 0.15
    assert smaller["spectrum"] > 3 * same and turned["spectrum"] > 3 * same


def test_spectrum_of_two_halves_of_noise_is_small_beside_another_grain():
    def blurred(h, w, size, seed):
        white = np.random.default_rng(seed).normal(128, 40, (h, w))
        return uniform_filter(white, size, mode="wrap")

    grain = blurred(256, 512, 3, seed=0)
    same = log_spectrum_distance([grain[:, :256]], [grain[:, 256:]])["spectrum"]
    coarser = log_spectrum_distance([grain[:, :256]], [blurred(256, 256, 6, seed=1)])
    assert same < 0.3 and coarser["spectrum"] > 3 * same


def test_spectrum_window_shrinks_for_small_images():
    small = [stripes(40, 50, 8)]
    assert compute("spectrum", real=small, fake=small)["spectrum"] == 0.0
    # 40 px images use 32 px windows; the stripes of another period still stand out
    assert compute("spectrum", real=small, fake=[stripes(40, 50, 3)])["spectrum"] > 0.3
    with pytest.raises(ValueError, match="4x4"):
        log_spectrum_distance([np.zeros((3, 9))], small)


# SWD between images of any sizes


def test_swd_images_is_zero_for_identical_sets_and_has_every_key():
    images = [noise(64, 80, 3), noise(48, 100, 3, seed=1)]  # shortest side 48: levels 48, 24
    result = sliced_wasserstein_images(images, images)
    assert list(result) == ["swd/0", "swd/1", "swd/avg", "swd/bandpass"]
    assert all(v == 0.0 for v in result.values())


def test_swd_images_is_deterministic_and_takes_either_layout():
    a = [noise(64, 64, 3), noise(64, 96, 3, seed=1)]
    b = [torch.from_numpy(noise(72, 72, 3, seed=2)).permute(2, 0, 1)]  # [C, H, W]
    first = compute("swd_images", real=a, fake=b, seed=5)
    assert first == compute(
        "swd_images", real=a, fake=[x.permute(1, 2, 0).numpy() for x in b], seed=5
    )
    assert first != compute("swd_images", real=a, fake=b, seed=6)
    levels = [first["swd/0"], first["swd/1"], first["swd/2"]]  # shortest side 64: 64, 32, 16
    assert list(first) == ["swd/0", "swd/1", "swd/2", "swd/avg", "swd/bandpass"]
    assert first["swd/avg"] == pytest.approx(np.mean(levels))
    assert first["swd/bandpass"] == pytest.approx(np.mean(levels[:2]))  # without the residual


def test_swd_images_is_larger_for_another_texture_than_for_another_crop():
    photo = stripes(96, 192, 12)
    reference = [photo[:, :96]]
    other_crop = sliced_wasserstein_images(reference, [photo[:, 96:]])
    other_texture = sliced_wasserstein_images(reference, [stripes(96, 96, 5, seed=4)])
    assert other_texture["swd/avg"] > 2 * other_crop["swd/avg"]
    assert other_texture["swd/bandpass"] > 2 * other_crop["swd/bandpass"]


# gamegan eval on a run trained with --holdout


@pytest.fixture(scope="module")
def holdout_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("holdout")
    rng = np.random.default_rng(0)
    # 100x136 RGB: the halves are 100x68, not a multiple of the generator's upsampling
    photo = np.repeat(rng.integers(0, 256, (25, 34, 3), dtype=np.uint8), 4, axis=0)
    photo = np.repeat(photo, 4, axis=1)
    write_png(folder / "wall.png", photo)
    run = train(
        "texture",
        out=folder / "run",
        data=str(folder / "wall.png"),
        iterations=2,
        batch_size=2,
        sample_every=0,
        overrides=(*TINY_TEXTURE, "model.resolution=32", "data.n_crops=8", "data.holdout=right"),
        quiet=True,
        progress=False,
    ).run_dir
    return run


def test_eval_reports_the_heldout_comparison_and_writes_the_picture(holdout_run):
    from gamegan.cli.evaluate import format_table
    from gamegan.evaluate import evaluate_run

    assert "right half held out" in (holdout_run / "log.txt").read_text()
    lines = []
    rows = evaluate_run(holdout_run, log=lines.append)
    by_name = {row["metric"]: row for row in rows}
    heldout = [
        "heldout/swd/0",
        "heldout/swd/1",
        "heldout/swd/2",  # shortest side 68: levels 68, 34, 17
        "heldout/swd/avg",
        "heldout/swd/bandpass",
        "heldout/spectrum",
        "heldout/color/hist_l1",
        "heldout/tiling/edge_error",
        "heldout/tiling/seam_score",
    ]
    assert [row["metric"] for row in rows[: len(heldout)]] == heldout
    for name in heldout:
        row = by_name[name]
        for key in ("value", "baseline", "quilting"):
            assert np.isfinite(row[key]) and row[key] >= 0, (name, key)
    swd = by_name["heldout/swd/avg"]
    assert swd["value"] == pytest.approx(np.mean([by_name[n]["value"] for n in heldout[:3]]))
    # the GAN's wrap is seamless; quilting (not tileable) and the photo halves are not
    tiling = by_name["heldout/tiling/edge_error"]
    assert tiling["value"] < tiling["quilting"] and tiling["value"] < tiling["baseline"]
    # the upsampling grid of the GAN's textures beside the photo halves' and quilting's
    for period in (2, 4, 8, 16):
        grid = by_name[f"heldout/grid/period_{period}"]
        assert all(0 <= grid[key] <= 2 + 1e-9 for key in ("value", "baseline", "quilting"))
    # today's chessboard numbers stay, without a quilting value
    assert by_name["swd/avg"]["quilting"] is None and "tiling/seam_score" in by_name
    assert 0 <= by_name["grid/period_2"]["baseline"] <= 1 + 1e-9

    pictures = list((holdout_run / "eval").iterdir())
    assert [p.name for p in pictures] == ["heldout-snapshot-000002.png"]
    picture = read_png(pictures[0])
    assert picture.shape == (100, 3 * 68 + 2 * 8, 3)  # half | quilting | GAN, 8 px gaps
    halves = read_png(holdout_run.parent / "wall.png")[:, 68:]
    assert np.array_equal(picture[:, :68], halves)  # the held-out half at 100%
    assert (picture[:, 68:76] == 255).all()

    record = json.loads((holdout_run / "metrics.jsonl").read_text().splitlines()[-1])
    assert record["holdout"] == "right" and record["picture"] == "eval/heldout-snapshot-000002.png"
    assert [r["metric"] for r in record["results"]] == [row["metric"] for row in rows]
    table = format_table(rows).splitlines()
    assert table[0].split() == ["metric", "generated", "real-vs-real", "ratio", "quilting"]
    assert table[1].split()[0] == "heldout/swd/0" and len(table[1].split()) == 5
    assert any("image quilting (block 56)" in line for line in lines)


def test_heldout_sets_without_quilting_make_the_same_textures(holdout_run):
    from gamegan.build import resolve
    from gamegan.evaluate import load_run_config
    from gamegan.evaluate.texture import HOLDOUT_SEEDS, heldout_sets
    from gamegan.generate import load_generator

    resolved, loaded = resolve(load_run_config(holdout_run)), load_generator(holdout_run)
    full = heldout_sets(resolved, loaded, seed=3)
    fast = heldout_sets(resolved, loaded, seed=3, quilting=False)
    assert len(full["quilting"]) == len(full["gan"]) == HOLDOUT_SEEDS and fast["quilting"] == []
    for key in ("held_out", "kept", "gan", "gan_tiles"):
        assert all(np.array_equal(a, b) for a, b in zip(full[key], fast[key], strict=True))


def test_eval_heldout_only_and_not_for_runs_without_a_holdout(holdout_run):
    from gamegan.evaluate import applicable_metrics, evaluate_run, load_run_config

    rows = evaluate_run(holdout_run, metrics=["heldout"], seed=1)
    assert all(row["metric"].startswith("heldout/") for row in rows)
    cfg = load_run_config(holdout_run)
    assert applicable_metrics(cfg)[0] == "heldout"
    plain = replace(cfg, data=replace(cfg.data, holdout=""))
    assert "heldout" not in applicable_metrics(plain)
