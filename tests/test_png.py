"""gamegan.io.png: exact round trips (8- and 16-bit), grids, generator output to pixels."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from gamegan.errors import DataError
from gamegan.io.png import make_grid, read_png, to_uint8, write_png


@pytest.mark.parametrize(
    "shape", [(5, 7), (5, 7, 2), (5, 7, 3), (5, 7, 4)], ids=["gray", "gray+alpha", "rgb", "rgba"]
)
def test_uint8_round_trip(tmp_path, shape):
    array = np.random.default_rng(0).integers(0, 256, size=shape, dtype=np.uint8)
    write_png(tmp_path / "a.png", array)
    back = read_png(tmp_path / "a.png")
    assert back.dtype == np.uint8
    np.testing.assert_array_equal(back, array)


def test_uint16_round_trip_is_exact_and_really_16_bit(tmp_path):
    array = np.random.default_rng(1).integers(0, 65536, size=(9, 13), dtype=np.uint16)
    array[0, 0], array[0, 1] = 0, 65535
    path = tmp_path / "height.png"
    write_png(path, array)
    back = read_png(path)
    assert back.dtype == np.uint16
    np.testing.assert_array_equal(back, array)
    # IHDR: bit depth 16, colour type 0 (grayscale).
    ihdr = path.read_bytes()[16:29]
    assert ihdr[8] == 16 and ihdr[9] == 0
    with Image.open(path) as img:
        assert img.mode.startswith("I;16")


def test_hxwx1_is_written_as_gray(tmp_path):
    array = np.arange(12, dtype=np.uint8).reshape(3, 4, 1)
    write_png(tmp_path / "g.png", array)
    np.testing.assert_array_equal(read_png(tmp_path / "g.png"), array[:, :, 0])


def test_write_is_atomic_and_replaces(tmp_path):
    path = tmp_path / "x.png"
    write_png(path, np.zeros((2, 2), np.uint8))
    write_png(path, np.full((2, 2), 7, np.uint8))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.png"]
    assert read_png(path).tolist() == [[7, 7], [7, 7]]


@pytest.mark.parametrize(
    ("array", "match"),
    [
        (np.zeros((4, 4), np.float32), "unsupported dtype float32"),
        (np.zeros((4, 4, 3), np.uint16), "grayscale"),
        (np.zeros((4, 4, 5), np.uint8), "shape"),
        (np.zeros((2, 4, 4, 3), np.uint8), "shape"),
    ],
)
def test_write_rejects_unsupported_arrays(tmp_path, array, match):
    with pytest.raises(ValueError, match=match):
        write_png(tmp_path / "bad.png", array)
    assert list(tmp_path.iterdir()) == []


def test_read_errors_name_the_file(tmp_path):
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"definitely not a png")
    with pytest.raises(DataError, match="junk.png"):
        read_png(junk)
    with pytest.raises(DataError, match="missing.png"):
        read_png(tmp_path / "missing.png")
    Image.new("RGB", (4, 4)).save(tmp_path / "photo.jpg")
    with pytest.raises(DataError, match="not a PNG"):
        read_png(tmp_path / "photo.jpg")


def test_read_palette_png_expands_to_rgb(tmp_path):
    img = Image.new("P", (3, 2))
    img.putpalette([0, 0, 0, 10, 20, 30])
    img.putpixel((1, 0), 1)
    img.save(tmp_path / "p.png")
    back = read_png(tmp_path / "p.png")
    assert back.shape == (2, 3, 3)
    assert back[0, 1].tolist() == [10, 20, 30] and back[0, 0].tolist() == [0, 0, 0]


def test_make_grid_layout_padding_and_empty_cells():
    images = np.stack([np.full((2, 3, 1), 10 * (i + 1), np.uint8) for i in range(3)])
    grid = make_grid(images, n_rows=2, n_cols=2, padding=1, pad_value=255)
    assert grid.shape == (2 * 3 + 1, 2 * 4 + 1, 1)
    assert (grid[1:3, 1:4] == 10).all()
    assert (grid[1:3, 5:8] == 20).all()
    assert (grid[4:6, 1:4] == 30).all()
    assert (grid[4:6, 5:8] == 255).all()  # missing 4th image
    assert (grid[0] == 255).all() and (grid[:, 4] == 255).all()


def test_make_grid_accepts_nchw_tensor_like_nhwc_array():
    x = torch.randint(0, 256, (5, 3, 4, 6), dtype=torch.uint8)
    from_tensor = make_grid(x, 2, 3)
    from_array = make_grid(x.permute(0, 2, 3, 1).numpy(), 2, 3)
    np.testing.assert_array_equal(from_tensor, from_array)
    assert from_tensor.shape == (2 * 6 + 2, 3 * 8 + 2, 3)
    np.testing.assert_array_equal(from_tensor[2:6, 2:8], x[0].permute(1, 2, 0).numpy())


def test_make_grid_rejects_too_many_images_and_float():
    with pytest.raises(ValueError, match="do not fit"):
        make_grid(np.zeros((5, 2, 2, 1), np.uint8), 2, 2)
    with pytest.raises(ValueError, match="uint8"):
        make_grid(np.zeros((1, 2, 2, 1), np.float32), 1, 1)


def test_to_uint8_maps_range_rounds_and_clamps():
    x = torch.tensor([-1.0, 1.0, 0.0, -2.0, 3.0, float("nan"), 0.5]).view(1, 1, 1, 7)
    out = to_uint8(x)
    assert out.dtype == torch.uint8 and out.shape == x.shape
    assert out.flatten().tolist() == [0, 255, 128, 0, 255, 128, 191]


def test_generator_output_to_png_file(tmp_path):
    x = torch.rand(4, 3, 8, 8) * 2 - 1
    write_png(tmp_path / "fakes.png", make_grid(to_uint8(x), 2, 2))
    back = read_png(tmp_path / "fakes.png")
    np.testing.assert_array_equal(back[2:10, 2:10], to_uint8(x)[0].permute(1, 2, 0).numpy())
