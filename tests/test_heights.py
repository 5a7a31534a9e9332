"""Elevation data at full precision, and the terrain model that learns from it."""

import json
import subprocess
import sys

import numpy as np
import pytest
import tifffile
from PIL import Image

from gamegan.data.heights import load_height_crops, read_height_fields, read_heights
from gamegan.errors import DataError
from gamegan.generate import write_terrain_files
from gamegan.io.png import read_png
from gamegan.io.terrain import read_raw

RAMP = np.arange(65536, dtype=np.uint16).reshape(256, 256)  # every 16-bit level once


def _png16(path, samples):
    Image.fromarray(samples).save(path)
    assert read_png(path).dtype == np.uint16
    return path


def test_a_16_bit_heightmap_keeps_all_65536_levels_through_data_and_output(tmp_path):
    crops = load_height_crops(_png16(tmp_path / "ramp.png", RAMP), 256, n_crops=1)
    assert crops.images.dtype.is_floating_point and crops.height_range == (0.0, 65535.0)
    unit = (crops.images[0, 0].double().numpy() + 1.0) / 2.0  # [-1, 1] -> [0, 1]
    levels = np.round(unit * 65535).astype(np.int64)
    assert np.array_equal(levels, RAMP)  # not one of 65,536 levels lost (8 bits keep 256)
    files = write_terrain_files(unit.astype(np.float32), tmp_path / "out", crops.height_range)
    assert np.array_equal(read_png(files["texture"]), RAMP)
    assert np.array_equal(read_raw(files["raw"], 256), RAMP)
    np.testing.assert_allclose(np.load(files["heights"]), RAMP, atol=0.01)  # float32 heights
    scale = json.loads(files["scale"].read_text())
    assert scale["lowest"] == 0 and scale["highest"] == 65535


def test_height_formats_read_in_their_units(tmp_path):
    rng = np.random.default_rng(0)
    metres = (300 + 500 * rng.random((40, 50))).astype(np.float32)
    tifffile.imwrite(tmp_path / "dem.tif", metres)
    np.save(tmp_path / "dem.npy", metres.astype(np.float64))
    np.savez(tmp_path / "dem.npz", lat=np.arange(40), elevation=metres.astype(np.int16))
    (metres.astype("<f4")).tofile(tmp_path / "dem.r32")
    (metres.astype("<u2")).tofile(tmp_path / "dem.raw")
    assert np.array_equal(read_heights(tmp_path / "dem.tif").values, metres)
    assert np.array_equal(read_heights(tmp_path / "dem.npy").values, metres)
    assert np.array_equal(read_heights(tmp_path / "dem.npz").values, metres.astype(np.int16))
    assert np.array_equal(read_heights(tmp_path / "dem.r32", (50, 40)).values, metres)
    assert np.array_equal(read_heights(tmp_path / "dem.raw", (50, 40)).values, metres.astype("<u2"))
    fields, skipped, _ = read_height_fields(tmp_path, (50, 40))
    assert len(fields) == 5 and skipped == []
    (tmp_path / "notes.txt").write_text("x")
    assert read_height_fields(tmp_path, (50, 40))[1] == [
        (str(tmp_path / "notes.txt"), "not a height raster")
    ]


def test_bundled_dem_is_matplotlibs_jacksboro_fault():
    (field,), _, what = read_height_fields("jacksboro")
    assert field.values.shape == (344, 403) and field.range == (236.0, 1076.0)
    assert "jacksboro" in what


def test_holes_are_filled_from_their_nearest_neighbours(tmp_path):
    values = np.tile(np.arange(20, dtype=np.float32), (20, 1))
    values[5:8, 10:12] = np.nan
    values[0, 0] = np.inf
    tifffile.imwrite(tmp_path / "holes.tif", values)
    field = read_heights(tmp_path / "holes.tif")
    assert field.filled == 7 and np.isfinite(field.values).all()
    assert set(np.unique(field.values[5:8, 10:12])) <= {9.0, 10.0, 11.0, 12.0}
    void = np.full((16, 16), 100, np.int16)
    void[0, :8] = 200
    void[3, 3] = -32768  # SRTM's missing sample
    np.save(tmp_path / "void.npy", void)
    assert read_heights(tmp_path / "void.npy").values.min() == 100


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda p: np.save(p / "f.npy", np.full((20, 20), np.nan)), "every sample is missing"),
        (lambda p: np.save(p / "f.npy", np.full((20, 20), 7.0)), "flat raster"),
        (lambda p: np.save(p / "f.npy", np.arange(12.0).reshape(3, 4)), "too small"),
        (lambda p: np.save(p / "f.npy", np.zeros((4, 20, 20))), "one 2-D grid"),
        (lambda p: Image.new("RGB", (20, 20)).save(p / "f.png"), "heights need one channel"),
        (lambda p: (p / "f.raw").write_bytes(b"\0" * 800), "--raw-size"),
        (lambda p: (p / "f.tif").write_bytes(b"II*\0garbage"), "not a readable height raster"),
        (lambda p: np.savez(p / "f.npz", a=np.zeros((9, 9)), b=np.ones((9, 9))), "which array"),
    ],
)
def test_bad_height_data_is_a_clear_error(tmp_path, make, words):
    make(tmp_path)
    (path,) = tmp_path.iterdir()
    with pytest.raises(DataError, match=words):
        read_heights(path)


@pytest.fixture(scope="module")
def terrain_run(tmp_path_factory):
    """A two-iteration terrain run on the right-held-out half of a synthetic DEM (metres)."""
    from gamegan.api import train

    tmp_path = tmp_path_factory.mktemp("terrain")
    tifffile.imwrite(tmp_path / "dem.tif", DEM.astype(np.float32))
    return train(
        "terrain",
        data=str(tmp_path / "dem.tif"),
        out=tmp_path / "run",
        iterations=2,
        batch_size=2,
        overrides=(
            "data.holdout=right",
            "data.n_crops=8",
            "model.trunk_channels=8",
            "model.g_channels=(8, 8, 8, 8)",
            "model.d_channels=(8, 8, 8, 8)",
            "train.tensorboard=False",
        ),
        quiet=True,
        progress=False,
    ).run_dir


_YS, _XS = np.mgrid[0:96, 0:160]
DEM = 500 + 80 * np.sin(_XS / 7.0) * np.cos(_YS / 11.0) + 0.25 * _XS


def test_terrain_trains_on_a_dem_and_generates_heights_in_its_units(tmp_path, terrain_run):
    run, dem = terrain_run, DEM
    log = (run / "log.txt").read_text()
    assert "crops shrunk from 128 to 80" in log  # the 80 px half of a 160 px DEM
    lo, hi = float(dem.min()), float(dem.max())
    out = tmp_path / "hill.png"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gamegan",
            "generate",
            str(run),
            "--size",
            "65x65",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert f"heights {lo:g} to {hi:g}" in result.stdout
    samples = read_png(out)
    assert samples.dtype == np.uint16 and samples.shape == (65, 65)
    assert np.array_equal(samples[-1], samples[0])  # 2^n + 1: the first row repeated
    heights = np.load(tmp_path / "hill.npy")
    assert lo <= heights.min() and heights.max() <= hi
    np.testing.assert_allclose(heights, lo + samples / 65535 * (hi - lo), atol=(hi - lo) / 65535)
    for suffix in ("-normal.png", "-relief.png", "-tiled.png", ".raw", ".json"):
        assert (tmp_path / f"hill{suffix}").is_file()

    from gamegan.evaluate import applicable_metrics, evaluate_run, load_run_config

    assert applicable_metrics(load_run_config(run)) == ["terrain"]
    rows = {r["metric"]: r for r in evaluate_run(run, log=lambda *_: None)}
    for name in ("height_swd/avg", "slope_swd/bandpass", "height_w1", "slope_w1"):
        assert rows[f"terrain/{name}"]["value"] > 0 and rows[f"terrain/{name}"]["baseline"] > 0
    # Real-vs-real: the DEM's left half against its right, in metres.
    left, right = dem[:, :80], dem[:, 80:]
    q = (np.arange(1000) + 0.5) / 1000
    expected = np.abs(np.quantile(left, q) - np.quantile(right, q)).mean()
    assert rows["terrain/height_w1"]["baseline"] == pytest.approx(expected, rel=1e-6)
    assert rows["terrain/tiling/seam_over_median"]["value"] < 1.5  # generated heightmaps tile
    assert all(0 <= rows[f"terrain/grid/period_{p}"]["value"] <= 2 for p in (2, 4, 8, 16))
    assert (run / "eval" / "terrain-relief-snapshot-000002.png").is_file()
    assert read_png(run / "eval" / "terrain-snapshot-000002.png").ndim == 3  # the plot


def test_slopes_and_distribution_distance_in_the_data_units():
    from gamegan.metrics.terrain import slopes, wasserstein_1d

    ramp = np.tile(np.arange(32.0) * 3.0, (16, 1))  # 3 units per sample, to the right
    assert np.allclose(slopes(ramp), 3.0)
    wave = np.sin(2 * np.pi * np.arange(32) / 32)[None].repeat(8, 0)
    rolled = slopes(np.roll(wave, 5, axis=1), wrap=True)
    assert np.array_equal(rolled, np.roll(slopes(wave, wrap=True), 5, axis=1))  # it wraps
    rng = np.random.default_rng(0)
    a = rng.normal(size=5000)
    assert wasserstein_1d(a, a + 7.0) == pytest.approx(7.0)
    assert wasserstein_1d(a, a) == 0.0


def test_the_web_app_shows_a_terrain_model_in_relief(tmp_path, terrain_run):
    from gamegan.app.gradio_app import GameganApp

    web = GameganApp.from_runs([terrain_run], out=tmp_path / "out")
    key = next(key for label, key in web.choices("textures") if label == terrain_run.name)
    picture, tiled, preview, normal, files, summary = web.texture_handler(key, 1, 64, 64, True)
    assert picture.endswith("-relief.png") and read_png(picture).shape == (64, 64, 3)
    assert f"heights {DEM.min():g} to {DEM.max():g}" in summary
    names = [p.rsplit("/", 1)[-1] for p in files]
    assert any(n.endswith(".npy") for n in names) and any(n.endswith(".json") for n in names)
    height = next(p for p in files if p.endswith(f"{64}x{64}.png"))
    assert read_png(height).dtype == np.uint16


def test_bundled_terrain_model_makes_heights_of_the_dem(tmp_path):
    """`gamegan generate terrain --size 1025x1025`: the README's terrain command, smaller."""
    out = tmp_path / "hill.png"
    result = subprocess.run(
        [sys.executable, "-m", "gamegan", "generate", "terrain", "--size", "129x129", "--out",
         str(out)],
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "heights 236 to 1076" in result.stdout  # metres, the Jacksboro DEM's range
    samples = read_png(out)
    assert samples.dtype == np.uint16 and samples.shape == (129, 129)
    assert len(np.unique(samples)) > 2000  # many more levels than 8 bits hold
    heights = np.load(tmp_path / "hill.npy")
    assert 236 <= heights.min() and heights.max() <= 1076 and np.ptp(heights) > 50
