"""gamegan.data: exact values from official-format fixtures, and helpful errors for bad files."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import io
import os
import pickle
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from datafiles import (
    write_cifar100_binary,
    write_cifar100_python,
    write_image_folder,
    write_mnist_idx,
    write_mnist_pkl,
    write_png_bomb,
)
from gamegan.data import load_images, resolve_data_dir, safe_pickle
from gamegan.data.cifar100 import COARSE_NAMES, FINE_NAMES, FINE_TO_COARSE, load_cifar100
from gamegan.data.download import download
from gamegan.data.image_folder import MAX_PIXELS, load_image_folder
from gamegan.data.images import resize_to, set_channels
from gamegan.data.inspect import inspect_path
from gamegan.data.mnist import load_mnist
from gamegan.data.textures import BUNDLED_TEXTURES, bundled_texture_path, load_texture_crops
from gamegan.errors import ConfigError, DataError

# MNIST


@pytest.mark.parametrize(("gz", "dotted"), [(True, False), (False, False), (True, True)])
def test_mnist_idx_round_trip(tmp_path, gz, dotted):
    expected = write_mnist_idx(tmp_path, n=30, n_test=10, gz=gz, dotted=dotted)
    for split in ("train", "test"):
        data = load_mnist(tmp_path, split)
        images, labels = expected[split]
        assert data.images.shape == (len(images), 1, 28, 28)
        assert data.images.dtype == torch.uint8 and data.images.is_contiguous()
        np.testing.assert_array_equal(data.images[:, 0].numpy(), images)
        np.testing.assert_array_equal(data.labels.numpy(), labels)
        assert data.labels.dtype == torch.int64
        assert data.class_names == [str(d) for d in range(10)]
        assert f"({len(images)} images, IDX files in {tmp_path})" in data.source


def test_mnist_truncated_file_is_named(tmp_path):
    write_mnist_idx(tmp_path, n=10, gz=False)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte: truncated"):
        load_mnist(tmp_path)


def test_mnist_truncated_gzip_is_named(tmp_path):
    write_mnist_idx(tmp_path, n=10, gz=True)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte\.gz"):
        load_mnist(tmp_path)


def test_mnist_wrong_magic_and_swapped_files(tmp_path):
    write_mnist_idx(tmp_path, n=10, gz=False)
    images = tmp_path / "train-images-idx3-ubyte"
    labels = tmp_path / "train-labels-idx1-ubyte"
    data_images, data_labels = images.read_bytes(), labels.read_bytes()
    images.write_bytes(data_labels)
    labels.write_bytes(data_images)
    with pytest.raises(DataError, match=r"not an IDX images file \(magic number 2049"):
        load_mnist(tmp_path)


def test_mnist_missing_files_message(tmp_path):
    with pytest.raises(DataError) as err:
        load_mnist(tmp_path / "nowhere")
    message = str(err.value)
    assert "train-images-idx3-ubyte" in message and "train-labels-idx1-ubyte" in message
    assert "mnist.pkl.gz" in message and str(tmp_path / "nowhere") in message
    assert f"gamegan data download mnist --dir {tmp_path / 'nowhere'}" in message


def test_mnist_half_pair_names_missing_file(tmp_path):
    write_mnist_idx(tmp_path, n=10)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="not t10k-labels-idx1-ubyte"):
        load_mnist(tmp_path, "test")


def test_mnist_pickle_round_trip_all_splits(tmp_path):
    expected = write_mnist_pkl(tmp_path, n=20)
    for split in ("train", "valid", "test"):
        data = load_mnist(tmp_path, split)
        pixels, labels = expected[split]
        np.testing.assert_array_equal(data.images[:, 0].numpy(), pixels)
        np.testing.assert_array_equal(data.labels.numpy(), labels)
        assert "mnist.pkl.gz" in data.source


def test_mnist_idx_takes_precedence_over_pickle(tmp_path):
    idx = write_mnist_idx(tmp_path, n=12, seed=1)
    write_mnist_pkl(tmp_path, n=20, seed=2)
    data = load_mnist(tmp_path, "train")
    np.testing.assert_array_equal(data.images[:, 0].numpy(), idx["train"][0])
    assert len(load_mnist(tmp_path, "valid")) == 10  # only the pickle has it


def test_mnist_valid_split_needs_pickle(tmp_path):
    write_mnist_idx(tmp_path, n=10)
    with pytest.raises(DataError, match="valid split exists only in"):
        load_mnist(tmp_path, "valid")


# safe pickle


class _Evil:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"echo pwned > {self.marker}",))


def test_safe_pickle_refuses_code_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    payload = (np.zeros(3, np.float32), _Evil(marker))
    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(gzip.compress(pickle.dumps(payload, protocol=2)))
    with pytest.raises(DataError, match=r"refuses to load pickled object (posix|nt)\.system"):
        load_mnist(tmp_path)
    with pytest.raises(DataError, match="from evil.pkl"):
        safe_pickle.load(gzip.open(path), name="evil.pkl")
    assert not marker.exists()


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_safe_pickle_loads_numpy_containers(protocol):
    obj = {
        b"data": np.arange(12, dtype=np.uint8).reshape(3, 4),
        "x": (np.float32(1.5), [np.array([1.0, 2.0]), 3]),
        "fortran": np.asfortranarray(np.arange(6, dtype=np.int64).reshape(2, 3)),
    }
    back = safe_pickle.load(io.BytesIO(pickle.dumps(obj, protocol=protocol)))
    np.testing.assert_array_equal(back[b"data"], obj[b"data"])
    assert back["x"][0] == np.float32(1.5) and back["x"][1][1] == 3
    np.testing.assert_array_equal(back["x"][1][0], [1.0, 2.0])
    np.testing.assert_array_equal(back["fortran"], obj["fortran"])


def test_safe_pickle_refuses_other_codecs():
    import codecs

    class Rot:
        def __reduce__(self):
            return (codecs.encode, ("abc", "rot13"))

    with pytest.raises(DataError):
        safe_pickle.load(io.BytesIO(pickle.dumps(Rot(), protocol=2)))


# CIFAR-100


def test_cifar100_label_tables():
    assert len(FINE_NAMES) == 100 and len(set(FINE_NAMES)) == 100
    assert len(COARSE_NAMES) == 20 and len(FINE_TO_COARSE) == 100
    assert FINE_NAMES[33] == "forest" and COARSE_NAMES[FINE_TO_COARSE[33]].startswith("large_nat")
    assert all(FINE_TO_COARSE.count(c) == 5 for c in range(20))


@pytest.mark.parametrize(
    "writer",
    [
        functools.partial(write_cifar100_binary, archive=False),
        functools.partial(write_cifar100_binary, archive=True),
        functools.partial(write_cifar100_python, archive=False),
        functools.partial(write_cifar100_python, archive=True),
    ],
    ids=["binary", "binary-archive", "python", "python-archive"],
)
def test_cifar100_round_trip(tmp_path, writer):
    expected = writer(tmp_path, n_per_class=3, classes=(33, 5, 99))
    for split in ("train", "test"):
        data = load_cifar100(tmp_path, split)
        images, fine, _ = expected[split]
        assert data.images.shape == (9, 3, 32, 32)
        np.testing.assert_array_equal(data.images.numpy(), images)
        np.testing.assert_array_equal(data.labels.numpy(), fine)
        assert data.class_names == FINE_NAMES


@pytest.mark.parametrize("selection", [[33], ["forest"], ["Forest"], ("33",)])
def test_cifar100_class_selection_by_number_or_name(tmp_path, selection):
    expected = write_cifar100_binary(tmp_path, n_per_class=4, classes=(33, 5))
    images, fine, _ = expected["train"]
    data = load_cifar100(tmp_path, "train", classes=selection)
    np.testing.assert_array_equal(data.images.numpy(), images[fine == 33])
    assert data.labels.tolist() == [33] * 4
    assert "1 of 100 classes" in data.source


def test_cifar100_coarse_selection(tmp_path):
    expected = write_cifar100_binary(tmp_path, n_per_class=2, classes=(33, 5, 47))
    _, fine, _ = expected["train"]
    data = load_cifar100(tmp_path, coarse_classes=["large natural outdoor scenes", "trees"])
    assert sorted(data.labels.tolist()) == sorted(f for f in fine.tolist() if f in (33, 47))
    both = load_cifar100(tmp_path, classes=[5], coarse_classes=["trees"])
    assert sorted(set(both.labels.tolist())) == [5, 47]


def test_cifar100_unknown_name_suggests_close_matches(tmp_path):
    write_cifar100_binary(tmp_path)
    with pytest.raises(DataError, match="did you mean forest"):
        load_cifar100(tmp_path, classes=["forrest"])
    with pytest.raises(DataError, match="out of range 0-99"):
        load_cifar100(tmp_path, classes=[100])
    with pytest.raises(DataError, match="no train images of the selected classes"):
        load_cifar100(tmp_path, classes=["apple"])


def test_cifar100_bad_file_size_is_named(tmp_path):
    write_cifar100_binary(tmp_path)
    path = tmp_path / "cifar-100-binary" / "train.bin"
    path.write_bytes(path.read_bytes()[:-1000])
    with pytest.raises(DataError, match=r"train\.bin: .* not a whole number of CIFAR-100 records"):
        load_cifar100(tmp_path)


def test_cifar100_missing_files_message(tmp_path):
    with pytest.raises(DataError) as err:
        load_cifar100(tmp_path)
    assert "cifar-100-binary/train.bin" in str(err.value)
    assert f"gamegan data download cifar100 --dir {tmp_path}" in str(err.value)


# image folders


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("folder")
    info = write_image_folder(path)
    return path, info


def test_image_folder_loads_usable_and_reports_skipped(folder):
    path, info = folder
    data = load_image_folder(path, resolution=16, channels=3)
    assert data.images.shape == (len(info["usable"]), 3, 16, 16)
    assert data.labels is None and data.class_names is None
    reasons = {Path(f).relative_to(path).as_posix(): r for f, r in data.skipped}
    assert set(reasons) == set(info["skipped"])
    for name, phrase in info["skipped"].items():
        assert phrase in reasons[name], (name, reasons[name])
    assert "too small (1x1" in reasons["tiny.png"]
    assert not any(".hidden" in f or ".cache" in f for f, _ in data.skipped)


def test_image_folder_exact_pixels(folder):
    path, info = folder
    arrays = info["arrays"]
    for name in ("exact.png", "palette.png", "anim.gif"):
        data = load_image_folder(path / name, resolution=16, channels=3)
        np.testing.assert_array_equal(data.images[0].permute(1, 2, 0).numpy(), arrays[name])
    deep = load_image_folder(path / "deep16.png", resolution=16, channels=1)
    np.testing.assert_array_equal(deep.images[0, 0].numpy(), arrays["deep16.png"] >> 8)


def test_image_folder_alpha_kept_or_composited_over_black(folder):
    path, info = folder
    rgba = info["arrays"]["alpha.webp"]
    kept = load_image_folder(path / "alpha.webp", resolution=16, channels=4)
    np.testing.assert_array_equal(kept.images[0].permute(1, 2, 0).numpy(), rgba)
    flat = load_image_folder(path / "alpha.webp", resolution=16, channels=3)
    over_black = np.round(rgba[..., :3] * (rgba[..., 3:] / 255.0)).astype(np.uint8)
    assert np.abs(flat.images[0].permute(1, 2, 0).numpy().astype(int) - over_black).max() <= 1


def test_image_folder_resizes_shorter_side_and_crops_centre(tmp_path):
    array = np.zeros((40, 80, 3), np.uint8)
    array[:, 10:70] = 200  # black side bands, outside the centre square (x 20-60)
    Image.fromarray(array).save(tmp_path / "wide.png")
    data = load_image_folder(tmp_path / "wide.png", resolution=20, channels=3)
    assert data.images.shape == (1, 3, 20, 20)
    assert (data.images == 200).all()


def test_decompression_bomb_is_skipped_and_limit_restored(tmp_path):
    Image.fromarray(np.full((16, 16), 9, np.uint8)).save(tmp_path / "ok.png")
    write_png_bomb(tmp_path / "bomb.png", side=9000)  # 81 MP > 64 MP: a warning, made an error
    write_png_bomb(tmp_path / "huge.png", side=12000)  # 144 MP > 2 x 64 MP: Pillow's error
    before = Image.MAX_IMAGE_PIXELS
    data = load_image_folder(tmp_path, resolution=16, channels=1)
    assert Image.MAX_IMAGE_PIXELS == before != MAX_PIXELS
    assert len(data) == 1
    reasons = dict((Path(f).name, r) for f, r in data.skipped)
    assert "decompression bomb" in reasons["bomb.png"]
    assert "decompression bomb" in reasons["huge.png"]


def test_image_folder_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_image_folder(tmp_path / "nope", 16, 3)
    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "b.png").write_bytes(b"junk")
    with pytest.raises(DataError) as err:
        load_image_folder(tmp_path, 16, 3)
    message = str(err.value)
    assert str(tmp_path) in message and "2 files skipped" in message
    assert "a.txt: not an image file" in message and "b.png: not a readable image" in message


# textures


def test_bundled_texture_crops_are_seeded():
    a = load_texture_crops("brick", resolution=32, channels=1, n_crops=64, seed=3)
    b = load_texture_crops("brick", resolution=32, channels=1, n_crops=64, seed=3)
    c = load_texture_crops("brick", resolution=32, channels=1, n_crops=64, seed=4)
    assert a.images.shape == (64, 1, 32, 32) and a.labels is None
    assert torch.equal(a.images, b.images) and not torch.equal(a.images, c.images)
    rgb = load_texture_crops("GRAVEL", resolution=16, channels=3, n_crops=8)
    assert torch.equal(rgb.images[:, 0], rgb.images[:, 2])


def test_texture_crops_are_flipped_windows_of_the_photo(tmp_path):
    h, w, res = 20, 30, 8
    yy, xx = np.mgrid[0:h, 0:w]
    photo = np.stack([yy * 12, xx * 8, np.full_like(xx, 7)], axis=-1).astype(np.uint8)
    Image.fromarray(photo).save(tmp_path / "photo.png")
    Image.fromarray(photo[::-1].copy()).save(tmp_path / "photo2.png")
    data = load_texture_crops(tmp_path, resolution=res, channels=3, n_crops=50, seed=0)
    assert data.images.shape == (50, 3, res, res)
    flips_seen = set()
    for crop in data.images.permute(0, 2, 3, 1).numpy():
        rows, cols = crop[:, :, 0] // 12, crop[:, :, 1] // 8
        flip_y, flip_x = rows[0, 0] > rows[-1, 0], cols[0, 0] > cols[0, -1]
        flips_seen.add((flip_y, flip_x))
        window_rows = np.sort(rows[:, 0])
        assert (np.diff(window_rows) == 1).all() and (np.diff(np.sort(cols[0])) == 1).all()
    assert len(flips_seen) == 4


def test_texture_smaller_than_crop(tmp_path):
    Image.new("L", (20, 12)).save(tmp_path / "small.png")
    with pytest.raises(DataError, match=r"small.png: the image is 20x12, smaller than the 16x16"):
        load_texture_crops(tmp_path / "small.png", resolution=16, channels=1)


# load_images and conversions


def test_load_images_converts_mnist_to_asked_size(tmp_path):
    expected = write_mnist_idx(tmp_path, n=10)
    data = load_images("MNIST", data_dir=tmp_path, resolution=32, channels=3)
    assert data.images.shape == (10, 3, 32, 32)
    assert torch.equal(data.images[:, 0], data.images[:, 1])
    same = load_images("mnist", data_dir=tmp_path, resolution=28, channels=1)
    np.testing.assert_array_equal(same.images[:, 0].numpy(), expected["train"][0])
    threes = load_images("mnist", data_dir=tmp_path, resolution=28, channels=1, classes=[3])
    assert threes.labels.tolist() == [3] and "(1 images" in threes.source


def test_load_images_env_and_dispatch(tmp_path, monkeypatch, folder):
    write_cifar100_binary(tmp_path / "env", n_per_class=2)
    monkeypatch.setenv("GAMEGAN_DATA", str(tmp_path / "env"))
    assert resolve_data_dir(None) == tmp_path / "env"
    assert resolve_data_dir(tmp_path) == tmp_path
    data = load_images("cifar100", resolution=16, channels=1, classes=["forest"])
    assert data.images.shape == (2, 1, 16, 16) and data.labels.tolist() == [33, 33]
    monkeypatch.delenv("GAMEGAN_DATA")
    assert resolve_data_dir(None) == Path.cwd() / "data"

    path, info = folder
    from_folder = load_images(str(path), resolution=16, channels=1)
    assert len(from_folder) == len(info["usable"])
    crops = load_images(f"texture:{path / 'exact.png'}", resolution=8, channels=3, n_crops=5)
    assert crops.images.shape == (5, 3, 8, 8)
    assert load_images("grass", resolution=8, channels=1, n_crops=3).images.shape == (3, 1, 8, 8)


def test_load_images_unknown_source_and_bad_options(tmp_path):
    with pytest.raises(DataError) as err:
        load_images("mnsit", resolution=32, channels=1)
    assert str(err.value) == (
        "--data mnsit: not a known data set (mnist, cifar100, brick, grass, gravel, ihc, "
        "hubble) and no such file or folder"
    )
    with pytest.raises(ConfigError, match="channels"):
        load_images("mnist", data_dir=tmp_path, resolution=32, channels=2)
    with pytest.raises(ConfigError, match="only be chosen for mnist and cifar100"):
        load_images("brick", resolution=8, channels=1, classes=["forest"])


def test_set_channels_and_resize():
    rgb = torch.tensor([[[[255]], [[0]], [[0]]], [[[10]], [[200]], [[30]]]], dtype=torch.uint8)
    gray = set_channels(rgb, 1)
    assert gray.flatten().tolist() == [round(0.299 * 255), round(2.99 + 117.4 + 3.42)]
    assert set_channels(gray, 3).shape == (2, 3, 1, 1)
    assert set_channels(gray, 4)[:, 3].flatten().tolist() == [255, 255]
    la = torch.tensor([[[[200]], [[128]]]], dtype=torch.uint8)
    assert set_channels(la, 3).flatten().tolist() == [100, 100, 100]  # 200 * 128 / 255
    flat = torch.full((2, 3, 28, 28), 77, dtype=torch.uint8)
    assert (resize_to(flat, 32) == 77).all() and (resize_to(flat, 7) == 77).all()
    ramp = torch.arange(64, dtype=torch.uint8).view(1, 1, 8, 8)
    assert resize_to(ramp, 8) is ramp


def test_import_is_lazy():
    code = "import sys, gamegan.data; print('PIL' in sys.modules, 'skimage' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_bundled_textures_list():
    assert BUNDLED_TEXTURES == ("brick", "grass", "gravel", "ihc", "hubble")
    for name in BUNDLED_TEXTURES:
        assert bundled_texture_path(name).is_file()


# download


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    requests: list[str] = []

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        super().do_GET()


@pytest.fixture
def file_server(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    _QuietHandler.requests = []
    handler = functools.partial(_QuietHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}", _QuietHandler.requests
    server.shutdown()
    server.server_close()


def test_download_verifies_and_skips_present_files(tmp_path, file_server):
    served, base, requests = file_server
    write_mnist_idx(served, n=10)
    names = sorted(p.name for p in served.iterdir())
    sources = {
        name: (f"{base}/{name}", hashlib.md5((served / name).read_bytes()).hexdigest())
        for name in names
    }
    dest = tmp_path / "dest"
    paths = download("mnist", dest, sources=sources, timeout=5)
    assert [p.name for p in paths] == names and len(requests) == 4
    assert all((dest / n).read_bytes() == (served / n).read_bytes() for n in names)
    assert not list(dest.glob("*.part"))
    assert len(load_mnist(dest)) == 10
    download("mnist", dest, sources=sources, timeout=5)
    assert len(requests) == 4  # nothing fetched again


def test_download_rejects_wrong_checksum(tmp_path, file_server):
    served, base, _ = file_server
    (served / "x.bin").write_bytes(b"hello")
    with pytest.raises(DataError, match=r"x\.bin: checksum mismatch.*expected 0{32}"):
        download("mnist", tmp_path / "d", sources={"x.bin": (f"{base}/x.bin", "0" * 32)})
    assert list((tmp_path / "d").iterdir()) == []


def test_download_unreachable_host_fails_at_once(tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    url = f"http://127.0.0.1:{port}/train-images-idx3-ubyte.gz"
    other = f"http://127.0.0.1:{port}/t10k-images-idx3-ubyte.gz"
    sources = {"train-images-idx3-ubyte.gz": (url, "0" * 32), "t10k.gz": (other, "1" * 32)}
    start = time.monotonic()
    with pytest.raises(DataError) as err:
        download("mnist", tmp_path / "d", sources=sources, timeout=10)
    assert time.monotonic() - start < 3
    message = str(err.value)
    assert message.startswith("cannot reach 127.0.0.1 (")
    assert f"put them in {tmp_path / 'd'}: {url} {other}" in message
    assert list((tmp_path / "d").iterdir()) == []


def test_download_unknown_name(tmp_path):
    with pytest.raises(DataError, match="choose mnist or cifar100"):
        download("imagenet", tmp_path)


# inspect


def test_inspect_folder_report(folder):
    path, info = folder
    report = inspect_path(path)
    assert f"{len(info['usable']) + 1} usable images" in report  # tiny.png is readable
    assert "16x16 (" in report and "I;16 (1)" in report and "CMYK (1)" in report
    for name, phrase in info["skipped"].items():
        if name != "tiny.png":
            assert f"{name}: " in report and phrase in report


def test_inspect_datasets(tmp_path):
    write_cifar100_binary(tmp_path, n_per_class=3, classes=(33, 5))
    report = inspect_path("cifar100", data_dir=tmp_path)
    assert " 33 forest: 3" in report and "  5 bed: 3" in report and "train:" in report
    write_mnist_idx(tmp_path, n=20, n_test=10)
    report = inspect_path("mnist", data_dir=tmp_path)
    assert "20 images of 28x28" in report and "10 images of 28x28" in report
    assert "      0: 2" in report
    with pytest.raises(DataError, match="gamegan data download mnist"):
        inspect_path("mnist", data_dir=tmp_path / "empty")
    with pytest.raises(DataError, match="no such file or folder"):
        inspect_path(tmp_path / "nope")


def test_data_download_shows_progress(tmp_path, file_server, monkeypatch):
    from typer.testing import CliRunner

    import gamegan.data.download as download_module
    from gamegan.cli import app

    served, base, _ = file_server
    write_mnist_idx(served, n=10)
    sources = {
        p.name: ((f"{base}/{p.name}",), hashlib.md5(p.read_bytes()).hexdigest())
        for p in sorted(served.iterdir())
    }
    monkeypatch.setattr(download_module, "official_sources", lambda name: sources)
    words = ["data", "download", "mnist", "--dir", str(tmp_path / "dest"), "--progress"]
    result = CliRunner().invoke(app, words)
    assert result.exit_code == 0, result.output
    for name in sources:
        assert re.search(rf"{re.escape(name)}: 100%", result.output), result.output
    assert "ok  " in result.output
    result = CliRunner().invoke(app, [*words[:-1], "--no-progress"])  # present: nothing fetched
    assert "100%" not in result.output
