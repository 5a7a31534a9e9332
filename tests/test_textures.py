"""Texture GAN: any size, seamless tiling, terrain formats, bad sizes."""

import numpy as np
import pytest
import torch

from gamegan.api import train
from gamegan.errors import ConfigError
from gamegan.generate import load_generator, parse_size, texture
from gamegan.io.png import read_png, write_png
from gamegan.io.terrain import add_wrap_edge, normal_map, read_raw, to_uint16, write_raw
from gamegan.models.spatial_gan import Config, Discriminator, Generator

TINY_TEXTURE = (
    "model.g_channels=(8, 8, 8, 8)",
    "model.d_channels=(8, 8)",
    "model.z_local=4",
    "model.z_global=4",
    "model.n_periodic=2",
    "train.tensorboard=False",
)


@pytest.fixture(scope="module")
def texture_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("tex") / "run"
    return train(
        "texture-shallow",
        data="gravel",
        out=out,
        iterations=3,
        batch_size=4,
        sample_every=3,
        overrides=(*TINY_TEXTURE, "data.n_crops=16", "model.channels=1"),
        quiet=True,
        progress=False,
    ).run_dir


def test_generator_makes_any_size_and_d_judges_patches():
    G, D = Generator(Config(channels=3)), Discriminator(Config(channels=3))
    for h, w in ((64, 64), (48, 160), (16, 16)):
        z = G.sample_z(2, torch.Generator().manual_seed(0), "cpu", height=h, width=w)
        x = G(z)
        assert x.shape == (2, 3, h, w) and x.abs().max() <= 1
        assert D(x).shape == (2, h // 16, w // 16)
    with pytest.raises(ConfigError, match="multiple of 16"):
        G.sample_z(1, None, "cpu", height=20, width=16)


def test_circular_generator_has_no_seam_by_construction():
    """Rolling the field by whole cells rolls the image: the wrap is computed like the inside."""
    G = Generator(Config(n_periodic=0)).eval()
    z = G.sample_z(1, torch.Generator().manual_seed(1), "cpu", height=64, width=96)
    with torch.no_grad():
        x = G(z)
        shifted = G(torch.roll(z, shifts=(1, 2), dims=(2, 3)))
    assert torch.allclose(torch.roll(x, shifts=(16, 32), dims=(2, 3)), shifted, atol=1e-5)


def test_periodic_waves_wrap_when_tileable():
    G = Generator(Config(n_periodic=3)).eval()
    glob = torch.randn(4, 20)
    k = G.wave_numbers(glob, 5, 7)  # [N, P, 2] for a 5 x 7 field
    turns = k * torch.tensor([5.0, 7.0]) / (2 * torch.pi)
    assert torch.allclose(turns, turns.round(), atol=1e-5)  # whole periods: the field wraps
    free = G.set_tileable(False).wave_numbers(glob, 5, 7)
    assert not torch.allclose(free, k)


def test_texture_any_size_and_seed(texture_run):
    a = texture(texture_run, width=200, height=72, seed=5)
    b = texture(texture_run, width=200, height=72, seed=5)
    c = texture(texture_run, width=200, height=72, seed=6)
    assert a.shape == (72, 200, 1) and a.dtype == np.float32
    assert 0.0 <= a.min() and a.max() <= 1.0
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_tiled_passes_equal_one_pass(texture_run):
    loaded = load_generator(texture_run)
    for tileable in (True, False):
        one = texture(loaded, width=256, height=192, tileable=tileable, seed=1, tile_cells=64)
        tiled = texture(loaded, width=256, height=192, tileable=tileable, seed=1, tile_cells=4)
        assert np.abs(one - tiled).max() < 1e-5


def test_tileable_texture_wraps(texture_run):
    from gamegan.metrics.tiling import edge_error, interior_seam_scores, seam_score

    seamless = texture(texture_run, width=128, height=96, seed=3)[..., 0]
    plain = texture(texture_run, width=128, height=96, seed=3, tileable=False)[..., 0]
    assert edge_error(seamless) < 1.5 and 0.5 < seam_score(seamless) < 1.5
    interior = interior_seam_scores(seamless, n=32)
    assert interior.min() <= seam_score(seamless) <= interior.max()
    assert edge_error(plain) > edge_error(seamless)


def test_untileable_texture_is_the_middle_of_a_larger_tileable_one(texture_run):
    # Zero padding at the borders, which training never shows, drew a frame; instead every
    # pixel of a texture that need not tile sees latent cells all around it.
    loaded = load_generator(texture_run)
    pad = loaded.G.margin_cells * loaded.G.upsampling
    plain = texture(loaded, width=96, height=64, seed=5, tileable=False)
    larger = texture(loaded, width=96 + 2 * pad, height=64 + 2 * pad, seed=5)
    assert np.abs(plain - larger[pad : pad + 64, pad : pad + 96]).max() < 1e-5
    odd = texture(loaded, width=90, height=60, seed=5, tileable=False)
    assert odd.shape == (60, 90, plain.shape[-1]) and np.abs(odd - plain[:60, :90]).max() < 1e-5


@pytest.mark.parametrize("tileable", [True, False])
def test_morph_changes_from_one_seed_to_the_other_without_a_seam(texture_run, tileable):
    from gamegan.generate.textures import morph_weights
    from gamegan.metrics.tiling import interior_seam_scores, seam_score

    loaded = load_generator(texture_run)
    u, margin = loaded.G.upsampling, loaded.G.margin_cells
    width, height, cells = 48 * 16, 64, 48
    morph = texture(loaded, width=width, height=height, seed=3, morph_to=8, tileable=tileable)
    a = texture(loaded, width=width, height=height, seed=3, tileable=tileable)
    b = texture(loaded, width=width, height=height, seed=8, tileable=tileable)
    w = morph_weights(cells, tileable)
    # Columns whose whole receptive field lies where the weight is 0 (or 1) are exactly
    # the first (second) seed's texture; the parts between are neither.
    pure_a = [
        c
        for c in range(cells)
        if (w[[(c + d) % cells for d in range(-margin, margin + 1)]] == 0).all()
    ]
    pure_b = [
        c
        for c in range(cells)
        if (w[[(c + d) % cells for d in range(-margin, margin + 1)]] == 1).all()
    ]
    assert len(pure_a) >= 4 and len(pure_b) >= 4
    for cols, ref in ((pure_a, a), (pure_b, b)):
        pixels = np.concatenate([np.arange(c * u, (c + 1) * u) for c in cols])
        assert np.abs(morph[:, pixels] - ref[:, pixels]).max() < 1e-5
    middle = [c for c in range(cells) if 0.3 < w[c] < 0.7]
    pixels = np.concatenate([np.arange(c * u, (c + 1) * u) for c in middle])
    apart = np.abs(a[:, pixels] - b[:, pixels]).mean()  # (a tiny model's are close)
    assert np.abs(morph[:, pixels] - a[:, pixels]).mean() > 0.2 * apart
    assert np.abs(morph[:, pixels] - b[:, pixels]).mean() > 0.2 * apart
    if tileable:  # A at both borders: the wrap is as smooth as the texture's own lines
        gray = morph[..., 0]
        assert seam_score(gray) <= interior_seam_scores(gray, n=32).max()
    else:
        assert (w[: cells // 3] == 0).all() and (w[-(cells // 3) :] == 1).all()


def test_truncation_scales_only_the_global_vector(texture_run):
    from gamegan.generate import truncate
    from gamegan.metrics.tiling import interior_seam_scores, seam_score

    loaded = load_generator(texture_run)
    G, cfg = loaded.G, loaded.G.cfg
    z = G.sample_z(2, torch.Generator().manual_seed(4), "cpu", height=64, width=48)
    half = truncate(G, z, 0.5)
    glob = slice(cfg.z_local, cfg.z_local + cfg.z_global)
    assert torch.equal(half[:, glob], z[:, glob] * 0.5)
    rest = torch.ones(z.shape[1], dtype=torch.bool)
    rest[glob] = False
    assert torch.equal(half[:, rest], z[:, rest])  # local noise, phases: as drawn
    assert truncate(G, z, 1.0) is z and not torch.equal(z, half)  # the caller's z kept
    # At 0 every seed has the mean variant: the same wave vectors, different grain.
    zero = truncate(G, z, 0.0)
    assert torch.equal(zero[0, glob], zero[1, glob]) and zero[:, glob].abs().max() == 0
    plain = texture(loaded, width=128, height=96, seed=3)
    assert np.array_equal(texture(loaded, width=128, height=96, seed=3, truncation=1.0), plain)
    truncated = texture(loaded, width=128, height=96, seed=3, truncation=0.3)
    assert not np.array_equal(truncated, plain)
    gray = truncated[..., 0]  # still seamless
    assert seam_score(gray) <= interior_seam_scores(gray, n=32).max()
    for bad in (-0.1, 1.5):
        with pytest.raises(ConfigError, match="truncation must be between 0 and 1"):
            texture(loaded, width=64, height=64, truncation=bad)


def test_variations_sheet_shows_each_seed(texture_run):
    from gamegan.generate import quantize, variations

    sheet = variations(texture_run, 5, width=64, height=48, seed=10)
    assert sheet.dtype == np.uint8 and sheet.shape == (8 + 2 * (48 + 8 + 16), 8 + 3 * (64 + 8), 3)
    for i, (row, col) in enumerate([(0, 0), (0, 1), (1, 1)]):
        seed = 10 + [0, 1, 4][i]
        top, left = 8 + row * (48 + 8 + 16), 8 + col * (64 + 8)
        expected = quantize(texture(texture_run, width=64, height=48, seed=seed))
        assert np.array_equal(sheet[top : top + 48, left : left + 64, 0], expected)
    label = sheet[8 + 48 + 2 : 8 + 48 + 14, 8 : 8 + 64]
    assert (label < 128).any()  # "seed 10" written under the first
    assert (sheet[-60:, -60:] == 255).all()  # the sixth place is empty


def test_terrain_size_repeats_first_row_and_column(texture_run):
    image = texture(texture_run, width=129, height=65, seed=2)
    assert image.shape == (65, 129, 1)
    assert np.array_equal(image[-1], image[0]) and np.array_equal(image[:, -1], image[:, 0])


def test_sizes_are_parsed_with_clear_errors():
    assert parse_size("1024x512") == (1024, 512)
    assert parse_size("300") == (300, 300)
    for bad in ("12x0", "huge", "10x20x30", "-4x4", "99999x10"):
        with pytest.raises(ConfigError, match="--size"):
            parse_size(bad)


def test_image_gan_snapshot_is_not_a_texture(tmp_path, mnist_dir):
    from conftest import TINY_DCGAN

    run = train(
        "dcgan-mnist",
        out=tmp_path / "r",
        data_dir=mnist_dir,
        iterations=1,
        overrides=TINY_DCGAN,
        quiet=True,
    ).run_dir
    with pytest.raises(ConfigError, match="texture model"):
        texture(run, width=64, height=64)


def test_heightmap_formats_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    height = rng.random((33, 65)).astype(np.float32)
    samples = to_uint16(height)
    assert samples.dtype == np.uint16 and samples.max() > 60000
    write_png(tmp_path / "h.png", samples)
    assert np.array_equal(read_png(tmp_path / "h.png"), samples)
    write_raw(tmp_path / "h.raw", samples)
    assert (tmp_path / "h.raw").stat().st_size == 33 * 65 * 2
    assert np.array_equal(read_raw(tmp_path / "h.raw", 65), samples)
    raw = np.fromfile(tmp_path / "h.raw", dtype=np.uint8)
    assert raw[0] == samples[0, 0] & 0xFF  # little-endian: low byte first
    wrapped = add_wrap_edge(samples)
    assert wrapped.shape == (34, 66) and np.array_equal(wrapped[-1], wrapped[0])


def test_normal_map_directions():
    flat = normal_map(np.zeros((8, 8)))
    assert (flat == [128, 128, 255]).all()
    ramp = np.tile(np.linspace(0, 1, 16, dtype=np.float32), (16, 1))  # rises to the right
    n = normal_map(ramp, wrap=False).astype(int)
    assert n[8, 8, 0] < 128 and abs(n[8, 8, 1] - 128) <= 1  # tilts left, no y tilt
    down = np.tile(np.linspace(0, 1, 16, dtype=np.float32)[:, None], (1, 16))  # rises downwards
    gl, dx = normal_map(down, wrap=False).astype(int), normal_map(down, wrap=False, directx=True)
    assert gl[8, 8, 1] > 128 and dx[8, 8, 1] < 128  # OpenGL green up, DirectX flipped


def test_cli_writes_texture_preview_heightmap_and_normal_map(tmp_path, texture_run):
    import subprocess
    import sys

    out = tmp_path / "wall.png"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "gamegan",
            "generate",
            str(texture_run),
            "--size",
            "96x64",
            "--heightmap",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "seam score" in result.stdout
    assert read_png(out).shape == (64, 96)
    assert read_png(tmp_path / "wall-tiled.png").shape == (128, 192)
    height = read_png(tmp_path / "wall-height.png")
    assert height.dtype == np.uint16 and height.shape == (64, 96)
    assert np.array_equal(read_raw(tmp_path / "wall-height.raw", 96), height)
    assert read_png(tmp_path / "wall-normal.png").shape == (64, 96, 3)
    bad = subprocess.run(
        [sys.executable, "-m", "gamegan", "generate", str(texture_run), "--size", "12x0"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "--size '12x0'" in bad.stderr and "Traceback" not in bad.stderr


def _photo(path, h, w, channels=3, dtype=np.uint8):
    from PIL import Image

    rng = np.random.default_rng(0)
    if dtype == np.uint16:
        Image.fromarray(rng.integers(0, 65535, (h, w), dtype=np.uint16)).save(path)
    else:
        shape = (h, w, channels) if channels > 1 else (h, w)
        Image.fromarray(rng.integers(0, 255, shape, dtype=np.uint8)).save(path)
    return path


@pytest.mark.parametrize("channels, dtype", [(3, np.uint8), (4, np.uint8), (1, np.uint16)])
def test_texture_preset_learns_from_a_photo_path(tmp_path, channels, dtype):
    photo = _photo(tmp_path / "wall.png", 100, 90, channels, dtype)  # RGB, RGBA or 16-bit gray
    run = train(
        "texture",
        out=tmp_path / "r",
        data=str(photo),
        iterations=1,
        batch_size=2,
        overrides=(*TINY_TEXTURE, "data.n_crops=8"),
        quiet=True,
        progress=False,
    ).run_dir
    # The default 128 px crop shrinks to the largest multiple of 16 that fits: 80 px.
    assert read_png(run / "samples" / "reals.png").shape == (5 * 80 + 12, 5 * 80 + 12, 3)
    assert "crops shrunk from 128 to 80 px" in (run / "log.txt").read_text()
    assert texture(run, width=80, height=48).shape == (48, 80, 3)


def test_photo_smaller_than_the_crop_is_a_clear_error(tmp_path):
    from gamegan.errors import DataError

    photo = _photo(tmp_path / "small.png", 20, 50)  # not even two 16 px latent cells wide
    with pytest.raises(DataError, match="20"):
        train("texture", out=tmp_path / "r", data=str(photo), iterations=1, quiet=True)
    assert not (tmp_path / "r").exists()


def test_eval_of_a_texture_run_has_baselines_and_tiling(texture_run):
    import json

    from gamegan.evaluate import evaluate_run

    rows = {row["metric"]: row for row in evaluate_run(texture_run)}
    assert {"swd/avg", "color/hist_l1", "tiling/edge_error", "tiling/seam_score"} <= set(rows)
    for row in rows.values():
        assert np.isfinite(row["value"]) and np.isfinite(row["baseline"])
    # the photo, wrapped, has a visible seam; the generated textures are made seamless
    assert rows["tiling/edge_error"]["baseline"] > 2 * rows["tiling/edge_error"]["value"]
    line = json.loads((texture_run / "metrics.jsonl").read_text().splitlines()[-1])
    assert "chessboard" in line["baseline"] and line["snapshot"].startswith("snapshot-")


def test_texture_model_trains_on_the_chapter_forest_images(tmp_path, cifar_dir):
    run = train(
        "texture",
        out=tmp_path / "forest",
        data="cifar100",
        data_dir=cifar_dir,
        iterations=1,
        batch_size=2,
        overrides=(*TINY_TEXTURE, "data.classes=('forest',)", "model.resolution=32"),
        quiet=True,
        progress=False,
    ).run_dir
    assert "CIFAR-100 train (6 images, 1 of 100 classes" in (run / "log.txt").read_text()
    assert texture(run, width=96, height=64).shape == (64, 96, 3)


@pytest.mark.parametrize("name", ["ihc", "hubble"])
def test_bundled_colour_models_tile_in_their_photos_colours(name):
    """The bundled colour models make RGB textures whose mean colour (over eight seeds: one
    texture is one draw of the global vector, mostly gland or mostly stroma on ihc; ihc's
    come out browner than the photo, by 0.06 in blue) and contrast per channel are near the
    photo's (a gray, flat or collapsed model is far from them), and whose wrap is no more
    visible than their interior lines."""
    from gamegan import metrics
    from gamegan.data.textures import bundled_texture_path, read_textures

    made = np.stack([texture(name, width=256, height=256, seed=seed) for seed in range(8)])
    assert made.shape == (8, 256, 256, 3)
    photo = read_textures(str(bundled_texture_path(name)), 3)[0][0].numpy() / 255.0
    mean, std = photo.mean((1, 2)), photo.std((1, 2))
    assert np.abs(made.mean((0, 1, 2)) - mean).max() < 0.08, (made.mean((0, 1, 2)), mean)
    spread = made.std((1, 2)).mean(0)  # per channel, the mean over the textures
    assert np.all((spread > std / 2) & (spread < std * 2)), (spread, std)
    if name == "ihc":  # stained tissue: red over green over blue, like the photo
        assert np.all(np.diff(made.mean((0, 1, 2))) < -0.03)
    seams = metrics.compute("tiling", images=list((made * 255).round().astype(np.uint8)))
    assert seams["tiling/seam_over_median"] < 1.15
