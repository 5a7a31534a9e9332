"""The material maps beside a texture: ambient occlusion, roughness, normals, a lit preview."""

import subprocess
import sys

import numpy as np
import pytest

from gamegan.generate import write_texture_files
from gamegan.io.materials import ambient_occlusion, lit_preview, roughness_map
from gamegan.io.png import read_png
from gamegan.io.terrain import normal_map


def _periodic_field(h=48, w=64, seed=0):
    """A smooth random height field in [0, 1] that tiles (sum of whole-period waves)."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:h, 0:w]
    field = np.zeros((h, w))
    for _ in range(6):
        ky, kx = rng.integers(1, 5, 2)
        field += np.sin(2 * np.pi * (ky * ys / h + kx * xs / w) + rng.uniform(0, 6.3))
    return ((field - field.min()) / np.ptp(field)).astype(np.float32)


def test_ambient_occlusion_darkens_pits_not_peaks_or_flats():
    assert np.allclose(ambient_occlusion(np.full((16, 16), 0.5, np.float32)), 1.0)
    ys, xs = np.mgrid[-16:16, -16:16]
    bowl = np.clip(np.hypot(ys, xs) / 16, 0, 1).astype(np.float32)  # a pit in the middle
    ao = ambient_occlusion(bowl, strength=8.0, wrap=False)
    assert ao[16, 16] < 0.8 and ao[16, 16] < ao[16, 26] <= 1.0
    hill = 1.0 - bowl
    assert ambient_occlusion(hill, strength=8.0, wrap=False)[16, 16] == pytest.approx(1.0)


def test_ambient_occlusion_and_roughness_tile_exactly():
    field = _periodic_field()
    ao = ambient_occlusion(field, strength=6.0)
    # A tiled copy's middle sees the same neighbours as the tile itself wrapped around.
    tiled = ambient_occlusion(np.tile(field, (3, 3)), strength=6.0, wrap=False)
    assert np.array_equal(tiled[48:96, 64:128], ao)
    rolled = ambient_occlusion(np.roll(field, (5, 9), axis=(0, 1)), strength=6.0)
    assert np.array_equal(rolled, np.roll(ao, (5, 9), axis=(0, 1)))
    assert ao.min() < 0.95  # the field has valleys: not a map of ones
    rough = roughness_map(field, ao)
    assert 0.45 <= rough.min() and rough.max() <= 1.0
    assert np.array_equal(
        roughness_map(np.roll(field, 7, axis=1), np.roll(ao, 7, axis=1)), np.roll(rough, 7, axis=1)
    )
    # Dark (low) and occluded places are rougher than bright open ones.
    assert rough[field < 0.2].mean() > rough[field > 0.8].mean() + 0.2


def test_directx_normals_flip_green_only():
    field = _periodic_field()
    gl = normal_map(field, strength=8.0).astype(int)
    dx = normal_map(field, strength=8.0, directx=True).astype(int)
    assert np.array_equal(gl[..., [0, 2]], dx[..., [0, 2]])
    assert np.abs(gl[..., 1] + dx[..., 1] - 255).max() <= 1
    assert np.abs(gl[..., 1] - 128).max() > 20  # there was a green to flip


def test_lit_preview_keeps_a_flat_surface_and_shades_slopes():
    albedo = np.full((8, 8, 3), 0.5, np.float32)
    flat = lit_preview(albedo, normal_map(np.zeros((8, 8))), np.ones((8, 8)))
    assert np.abs(flat.astype(int) - 128).max() <= 2
    ramp = np.tile(np.linspace(0, 1, 8, dtype=np.float32), (8, 1))  # rises to the right
    ones = np.ones((8, 8))
    # The light comes from the upper left: a slope rising to the right faces it.
    toward = lit_preview(albedo, normal_map(ramp, strength=8.0, wrap=False), ones)
    away = lit_preview(albedo, normal_map(ramp[:, ::-1], strength=8.0, wrap=False), ones)
    assert away.mean() < flat.mean() - 10 and toward.mean() > flat.mean() + 10


def test_pbr_files_written_beside_the_texture(tmp_path):
    field = _periodic_field()
    image = np.stack([field, field * 0.8, field * 0.5], axis=-1)
    gl = write_texture_files(image, tmp_path / "gl", pbr=True)
    assert {"height", "raw", "normal", "ao", "roughness", "lit"} <= set(gl)
    dx = write_texture_files(image, tmp_path / "dx", pbr=True, normal_convention="directx")
    assert read_png(gl["ao"]).shape == (48, 64) and read_png(gl["lit"]).shape == (48, 64, 3)
    green_gl, green_dx = read_png(gl["normal"])[..., 1], read_png(dx["normal"])[..., 1]
    assert np.abs(green_gl.astype(int) + green_dx - 255).max() <= 1
    assert np.array_equal(read_png(gl["ao"]), read_png(dx["ao"]))


def test_bad_normal_convention_is_a_clear_error():
    bad = subprocess.run(
        [sys.executable, "-m", "gamegan", "generate", "brick", "--normal-convention", "vulkan"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0 and "--normal-convention must be opengl or directx" in bad.stderr
    assert "Traceback" not in bad.stderr
