"""The adversarial autoencoder: codes pushed to the prior by a GAN on codes, a decoder that
rebuilds images from them, and encode/decode in the API."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from gamegan.api import decode, encode, images, resume, train
from gamegan.errors import ConfigError
from gamegan.io.checkpoint import load_tensors

TINY = (
    "model.resolution=16",
    "model.channels=1",
    "model.z_dim=2",
    "model.hidden=(64, 64)",
    "model.d_hidden=(32, 32)",
    "optim.lr=1e-3",
    "train.tensorboard=False",
)


@pytest.fixture(scope="module")
def halves(tmp_path_factory):
    root = tmp_path_factory.mktemp("halves")
    for i in range(16):
        picture = np.zeros((16, 16), np.uint8)
        picture[:, 8 * (i % 2) : 8 + 8 * (i % 2)] = 255
        Image.fromarray(picture).save(root / f"{i}.png")
    return root


@pytest.fixture(scope="module")
def trained(halves, tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    common = dict(data=str(halves), overrides=TINY, batch_size=16, sample_every=0, quiet=True,
                  progress=False)  # fmt: skip
    start = train("aae-mnist", out=runs / "r0", iterations=0, **common).run_dir
    end = train("aae-mnist", out=runs / "r1", iterations=400, **common).run_dir
    return start, end


def _pictures(n):
    out = np.zeros((n, 16, 16, 1), np.uint8)
    for i in range(n):
        out[i, :, 8 * (i % 2) : 8 + 8 * (i % 2)] = 255
    return out


def test_aae_rebuilds_images_and_its_codes_follow_the_prior(trained):
    start, end = trained
    pictures = _pictures(8)

    def error(run):
        return np.abs(decode(run, encode(run, pictures)).astype(float) - pictures).mean()

    assert error(end) < 0.3 * error(start)
    assert error(end) < 40  # of 255: each half drawn back
    codes = encode(end, pictures)
    assert codes.shape == (8, 2) and np.abs(codes).max() < 4  # near N(0, I), not far out
    assert not np.allclose(codes[0], codes[1], atol=0.1)  # the two halves get other codes
    # The decoder as a generator: prior draws decode to pictures of one half or the other.
    drawn = images(end, n=32, seed=0)[..., 0].astype(float)
    left, right = drawn[:, :, :8].mean((1, 2)), drawn[:, :, 8:].mean((1, 2))
    assert (np.abs(left - right) > 100).mean() > 0.6
    log = (end / "log.txt").read_text()
    assert "Loss/G/reconstruction=" in log and "Accuracy/D=" in log


def test_resume_is_bit_exact(halves, tmp_path):
    common = dict(data=str(halves), overrides=(*TINY, "train.log_every=1"), batch_size=4,
                  sample_every=2, checkpoint_every=2, quiet=True, progress=False)  # fmt: skip
    whole = train("aae-mnist", out=tmp_path / "whole", iterations=4, **common).run_dir
    part = train("aae-mnist", out=tmp_path / "part", iterations=2, **common).run_dir
    resume(part, iterations=4, progress=False, quiet=True)
    a, _ = load_tensors(whole / "state-000004.safetensors")
    b, _ = load_tensors(part / "state-000004.safetensors")
    assert a.keys() == b.keys() and {k.split(".")[0] for k in a} >= {"E", "G", "D"}
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_encode_errors(trained, tmp_path, mnist_dir):
    _, run = trained
    with pytest.raises(ConfigError, match="encode takes uint8"):
        encode(run, np.zeros((2, 8, 8, 1), np.uint8))
    dcgan = train("dcgan-mnist", data_dir=mnist_dir, out=tmp_path / "dcgan", iterations=1,
                  overrides=("model.g_channels=(8, 4)", "model.d_channels=(4, 8, 8, 8)"),
                  batch_size=4, sample_every=0, quiet=True, progress=False).run_dir  # fmt: skip
    with pytest.raises(ConfigError, match="has no encoder"):
        encode(dcgan, np.zeros((1, 28, 28, 1), np.uint8))
