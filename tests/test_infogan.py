"""InfoGAN: latent codes that G keeps visible, found without labels, and ``--code`` setting one."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from gamegan.api import images, train
from gamegan.cli import app
from gamegan.errors import ConfigError
from gamegan.io.png import read_png
from gamegan.models import MODELS
from gamegan.models.infogan import split_codes

TINY = (
    "model.resolution=16",
    "model.channels=1",
    "model.z_dim=1",  # little noise: the halves are the codes' to decide
    "model.n_categorical=2",
    "model.n_continuous=1",
    "model.g_hidden=64",
    "model.g_channels=(16, 8)",
    "model.d_channels=(8, 16)",
    "model.d_hidden=32",
    "model.q_hidden=16",
    "model.dropout=0.0",
    "optim.lr=1e-3",
    "train.tensorboard=False",
)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Pictures white on the left or on the right half, in one folder: no labels at all."""
    root = tmp_path_factory.mktemp("unlabelled")
    for i in range(16):
        picture = np.zeros((16, 16), np.uint8)
        picture[:, 8 * (i % 2) : 8 + 8 * (i % 2)] = 255  # even: the left half, odd: the right
        Image.fromarray(picture).save(root / f"{i}.png")
    out = tmp_path_factory.mktemp("runs") / "info"
    # One thread whatever the environment says: with two, the sums run in another order and
    # this tiny run can end elsewhere (one code drawing both halves, seen once).
    return train("infogan-folder", data=str(root), out=out, iterations=1500, overrides=TINY,
                 batch_size=16, sample_every=0, threads=1, quiet=True,
                 progress=False).run_dir  # fmt: skip


def test_the_category_code_becomes_the_half_without_labels(trained):
    """Each value of the 2-way code draws one half (which is which is the model's choice), and
    Q names the code of G's fakes."""
    assert "Loss/G/info=" in (trained / "log.txt").read_text()
    last = [line for line in (trained / "log.txt").read_text().splitlines() if "Q/category" in line]
    accuracy = float(last[-1].split("Accuracy/Q/category=")[1].split()[0])
    assert accuracy > 0.85
    sides = []
    for category in (0, 1):
        drawn = images(trained, n=32, seed=0, codes={"category": category})[..., 0] / 255.0
        left_minus_right = drawn[:, :, :8].mean((1, 2)) - drawn[:, :, 8:].mean((1, 2))
        side = np.sign(np.median(left_minus_right))
        assert (np.sign(left_minus_right) == side).mean() >= 0.75, category
        sides.append(side)
    assert sides[0] == -sides[1]


def test_generate_code_rows_and_errors(trained, tmp_path, mnist_dir):
    runner = CliRunner()
    grid = tmp_path / "sweep.png"
    result = runner.invoke(
        app, ["generate", str(trained), "--code", "c1=-1,0,1", "--count", "4", "--out", str(grid)]
    )
    assert result.exit_code == 0, result.output
    assert "3x4 grid of 12 images of c1=-1, c1=0, c1=1" in result.output
    assert read_png(grid).shape[:2] == (3 * 16 + 4 * 2, 4 * 16 + 5 * 2)
    folder = tmp_path / "pngs"
    result = runner.invoke(app, ["generate", str(trained), "--code", "category=1", "--count",
                                 "2", "--out", str(folder)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == [
        "category-1-seed000000.png",
        "category-1-seed000001.png",
    ]
    for bad, message in (("c9=1", "not one of this model's codes (category, c1)"),
                         ("category=2", "give a category 0-1")):  # fmt: skip
        result = runner.invoke(app, ["generate", str(trained), "--code", bad, "--out", str(grid)])
        assert isinstance(result.exception, ConfigError) and message in str(result.exception)
    result = runner.invoke(app, ["generate", str(trained), "--code", "c1", "--out", str(grid)])
    assert result.exit_code == 2 and "NAME=VALUE" in result.output
    run = train("dcgan-mnist", data_dir=mnist_dir, out=tmp_path / "dcgan", iterations=1,
                overrides=("model.g_channels=(8, 4)", "model.d_channels=(4, 8, 8, 8)"),
                batch_size=4, sample_every=0, quiet=True, progress=False).run_dir  # fmt: skip
    with pytest.raises(ConfigError, match="has no latent codes"):
        images(run, n=2, codes={"c1": 0.0})


def test_latent_layout_and_codes():
    spec = MODELS.get("infogan")
    cfg = spec.config()
    G, D = spec.generator(cfg).eval(), spec.discriminator(cfg).eval()
    assert G.z_dim == 62 + 10 + 2 and G.code_names == ("category", "c1", "c2")
    z = G.sample_z(64, torch.Generator().manual_seed(0), "cpu")
    category, continuous = split_codes(z, cfg)
    assert torch.equal(z[:, 62:72].sum(1), torch.ones(64)) and len(category.unique()) > 5
    assert continuous.shape == (64, 2) and continuous.abs().max() <= 1
    set_ = G.with_codes(z, {"category": 3, "c2": 1.5})
    assert (split_codes(set_, cfg)[0] == 3).all() and (set_[:, -1] == 1.5).all()
    assert torch.equal(set_[:, :62], z[:, :62]) and torch.equal(set_[:, -2], z[:, -2])
    logits, heads = D(G(z))
    assert logits.shape == (64,) and heads["category"].shape == (64, 10)
    assert heads["mean"].shape == heads["log_std"].shape == (64, 2)
    with pytest.raises(ConfigError, match="needs a code"):
        spec.config(n_categorical=0, n_continuous=0)


def test_infogan_mnist_trains_and_exports(tmp_path, mnist_dir):
    from gamegan.export.onnx import export_onnx

    run = train("infogan-mnist", data_dir=mnist_dir, out=tmp_path / "run", iterations=2,
                overrides=("model.g_hidden=32", "model.d_hidden=16", "model.q_hidden=8"),
                batch_size=8, sample_every=0, quiet=True, progress=False).run_dir  # fmt: skip
    report = export_onnx(run, tmp_path / "infogan.onnx")
    assert report.max_abs_diff < 1e-4
    assert "the category, one-hot" in " ".join(report.inputs)
