"""The semi-supervised GAN: D learns the classes from a few labels, and eval scores it on the
examples whose labels it never saw."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from gamegan.api import train
from gamegan.errors import CheckpointError
from gamegan.evaluate import applicable_metrics, evaluate_run, load_run_config
from gamegan.generate import load_discriminator, load_generator
from gamegan.models import MODELS
from gamegan.models.sgan import labelled_mask

QUADRANTS = ("top-left", "top-right", "bottom-left", "bottom-right")


@pytest.fixture(scope="module")
def quadrants(tmp_path_factory):
    """Four classes of 16 pictures: a bright square in one quadrant, of varying brightness,
    over faint noise."""
    root = tmp_path_factory.mktemp("quadrants")
    rng = np.random.default_rng(0)
    for k, name in enumerate(QUADRANTS):
        (root / name).mkdir()
        for i in range(16):
            picture = rng.integers(0, 60, (16, 16)).astype(np.uint8)
            rows, cols = slice(8 * (k // 2), 8 * (k // 2) + 8), slice(8 * (k % 2), 8 * (k % 2) + 8)
            picture[rows, cols] = rng.integers(150, 256)
            Image.fromarray(picture).save(root / name / f"{i}.png")
    return root


def test_labelled_mask_keeps_the_first_of_each_class():
    labels = torch.tensor([2, 0, 1, 0, 2, 2, 0, 1])
    assert labelled_mask(labels, 2).tolist() == [1, 1, 1, 1, 1, 0, 0, 1]
    assert labelled_mask(labels, 0).all()


def test_sgan_classifies_what_it_was_not_told(quadrants, tmp_path):
    tiny = ("model.resolution=16", "model.channels=1", "model.z_dim=8",
            "model.g_channels=(16, 8)", "model.d_channels=(8, 8, 8, 8)",
            "model.labelled_per_class=2", "optim.lr=1e-3", "train.tensorboard=False")  # fmt: skip
    run = train("sgan-mnist", data=str(quadrants), out=tmp_path / "run", iterations=150,
                overrides=tiny, batch_size=16, sample_every=0, quiet=True,
                progress=False).run_dir  # fmt: skip
    log = (run / "log.txt").read_text()
    assert "Loss/D/class=" in log and "Accuracy/D/class_unlabelled=" in log
    assert "semi_supervised" in applicable_metrics(load_run_config(run))
    rows = {r["metric"]: r["value"] for r in evaluate_run(run, metrics=["semi_supervised"])}
    assert rows["semi_supervised/labels_used"] == 8  # 2 of each of the 4 classes
    assert rows["semi_supervised/accuracy_unlabelled"] >= 0.9  # 56 pictures it was not told
    # The snapshot keeps D; G alone still loads and generates unconditionally.
    loaded = load_generator(run)
    assert not loaded.class_names and loaded.metadata["discriminator_classes"] == sorted(QUADRANTS)
    assert load_discriminator(loaded).predict(torch.zeros(2, 1, 16, 16)).shape == (2,)


def test_a_generator_only_snapshot_has_no_discriminator(tmp_path, mnist_dir):
    run = train("dcgan-mnist", data_dir=mnist_dir, out=tmp_path / "run", iterations=1,
                overrides=("model.g_channels=(8, 4)", "model.d_channels=(4, 8, 8, 8)"),
                batch_size=4, sample_every=0, quiet=True, progress=False).run_dir  # fmt: skip
    with pytest.raises(CheckpointError, match="holds no discriminator"):
        load_discriminator(load_generator(run))


def test_sgan_discriminator_has_a_fake_class():
    spec = MODELS.get("sgan")
    cfg = spec.config(resolution=8, z_dim=4, g_channels=(8,), d_channels=(4, 4),
                      d_strides=(2, 1), n_classes=3)  # fmt: skip
    D = spec.discriminator(cfg).eval()
    logits, heads = D(torch.zeros(5, 1, 8, 8))
    assert logits.shape == (5,) and heads["class"].shape == (5, 4)
    assert D.predict(torch.zeros(5, 1, 8, 8)).max() < 3  # never the fake class


def test_sgan_mnist_reports_test_split_accuracy(tmp_path, mnist_dir):
    run = train("sgan-mnist", data_dir=mnist_dir, out=tmp_path / "run", iterations=2,
                overrides=("model.g_channels=(8, 4)", "model.d_channels=(4, 8, 8, 8)",
                           "model.labelled_per_class=3"),
                batch_size=8, sample_every=0, quiet=True, progress=False).run_dir  # fmt: skip
    rows = {r["metric"]: r["value"] for r in evaluate_run(run, metrics=["semi_supervised"])}
    assert rows["semi_supervised/labels_used"] == 30
    assert 0 <= rows["semi_supervised/accuracy_test"] <= 1
    assert 0 <= rows["semi_supervised/accuracy_unlabelled"] <= 1
