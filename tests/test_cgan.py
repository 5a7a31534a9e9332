"""The class-conditional GANs (cgan, acgan): a folder's subfolders as classes, training told
them, and ``generate --class`` choosing one."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from gamegan.api import images, train
from gamegan.cli import app
from gamegan.data.image_folder import load_image_folder
from gamegan.errors import ConfigError
from gamegan.io.png import read_png
from gamegan.models import MODELS

# Two classes that differ at a glance: a left-half and a right-half white picture.
HALVES = {"left": np.s_[:, :8], "right": np.s_[:, 8:]}


@pytest.fixture(scope="module")
def halves(tmp_path_factory):
    root = tmp_path_factory.mktemp("halves")
    for name, half in HALVES.items():
        (root / name).mkdir()
        for i in range(8):
            picture = np.zeros((16, 16), np.uint8)
            picture[half] = 255
            Image.fromarray(picture).save(root / name / f"{i}.png")
    return root


TINY = (
    "model.resolution=16",
    "model.channels=1",
    "model.z_dim=8",
    "model.g_hidden=(32, 32)",
    "model.d_hidden=(32, 32)",
    "model.dropout=0.0",
    "optim.lr=1e-3",
    "train.tensorboard=False",
)


@pytest.fixture(scope="module")
def trained(halves, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    common = dict(data=str(halves), overrides=TINY, batch_size=16, sample_every=0, quiet=True,
                  progress=False)  # fmt: skip
    start = train("cgan-folder", out=out / "r0", iterations=0, **common).run_dir
    end = train("cgan-folder", out=out / "r1", iterations=600, **common).run_dir
    return start, end


def test_subfolders_are_classes(halves, tmp_path):
    data = load_image_folder(halves, 16, 1)
    assert data.class_names == ["left", "right"]
    assert data.labels.tolist() == [0] * 8 + [1] * 8
    assert "2 classes by subfolder: left 8, right 8" in data.source
    # A picture at the top beside the subfolders: no classes at all, nothing guessed.
    Image.fromarray(np.zeros((16, 16), np.uint8)).save(tmp_path / "top.png")
    for name in HALVES:
        (tmp_path / name).mkdir()
        Image.fromarray(np.zeros((16, 16), np.uint8)).save(tmp_path / name / "a.png")
    assert load_image_folder(tmp_path, 16, 1).labels is None
    assert load_image_folder(halves / "left", 16, 1).labels is None  # one folder, no classes


def test_cgan_learns_to_draw_the_class_it_is_told(trained):
    """n_classes is fitted to the folder's two classes; told a class, G draws its half."""
    start, end = trained
    assert '"n_classes": 2' in (end / "config.json").read_text()
    assert "model.n_classes 10 -> 2" in (end / "log.txt").read_text()

    def error(run, told, name):
        """How far pictures drawn for class ``told`` are from class ``name``'s picture."""
        target = np.zeros((16, 16), np.float32)
        target[HALVES[name]] = 255
        drawn = images(run, n=16, seed=0, label=told)[..., 0].astype(np.float32)
        return np.abs(drawn - target).mean()

    other = {"left": "right", "right": "left"}
    for name in HALVES:
        assert error(end, name, name) < 0.5 * error(start, name, name), name
        assert error(end, name, name) < 0.5 * error(end, name, other[name]), name


def test_acgan_learns_the_class_through_its_classifier(halves, tmp_path):
    """AC-GAN's D is not told the class but names it; its class head's losses are logged, its
    classifier learns the two halves, and G told a class draws that half."""
    tiny = ("model.resolution=16", "model.channels=1", "model.z_dim=8",
            "model.g_channels=(16, 8)", "model.d_channels=(8, 8, 8, 8)", "optim.lr=1e-3",
            "train.tensorboard=False")  # fmt: skip
    run = train("acgan-folder", data=str(halves), out=tmp_path / "run", iterations=300,
                overrides=tiny, batch_size=16, sample_every=0, quiet=True,
                progress=False).run_dir  # fmt: skip
    last = (run / "log.txt").read_text().splitlines()[-3]
    assert "Loss/D/class=" in last and "Loss/G/class=" in last
    assert "Accuracy/D/class_real=1 " in last
    target = {name: np.zeros((16, 16), np.float32) for name in HALVES}
    for name, half in HALVES.items():
        target[name][half] = 255
    for told, other in (("left", "right"), ("right", "left")):
        drawn = images(run, n=16, seed=0, label=told)[..., 0].astype(np.float32)
        assert np.abs(drawn - target[told]).mean() < 0.4 * np.abs(drawn - target[other]).mean()


def test_acgan_discriminator_names_the_class_without_being_told():
    spec = MODELS.get("acgan")
    cfg = spec.config(
        resolution=8, z_dim=4, g_channels=(8,), d_channels=(4, 4), d_strides=(2, 1), n_classes=3
    )
    G, D = spec.generator(cfg).eval(), spec.discriminator(cfg).eval()
    x = G(G.sample_z(2), labels=torch.tensor([0, 2]))
    logits, heads = D(x)
    assert logits.shape == (2,) and heads["class"].shape == (2, 3)
    told = D(x, torch.tensor([1, 1]))  # labels are accepted and ignored
    assert torch.equal(told[0], logits) and torch.equal(told[1]["class"], heads["class"])


def test_generate_class_rows_files_and_errors(trained, tmp_path, mnist_dir):
    _, run = trained
    runner = CliRunner()
    grid = tmp_path / "grid.png"
    result = runner.invoke(
        app, ["generate", str(run), "--class", "right,0", "--count", "3", "--out", str(grid)]
    )
    assert result.exit_code == 0, result.output
    assert "2x3 grid of 6 images of right, left" in result.output
    assert read_png(grid).shape[:2] == (2 * 16 + 3 * 2, 3 * 16 + 4 * 2)  # 2 px padding
    folder = tmp_path / "pngs"
    result = runner.invoke(app, ["generate", str(run), "--class", "left", "--count", "2",
                                 "--out", str(folder)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == [
        "left-seed000000.png",
        "left-seed000001.png",
    ]
    for bad, message in (("up", "not one of this model's 2 classes (left, right)"), ("2", "0-1")):
        result = runner.invoke(app, ["generate", str(run), "--class", bad, "--out", str(grid)])
        assert isinstance(result.exception, ConfigError) and message in str(result.exception)
    result = runner.invoke(app, ["generate", "chorale", "--class", "0", "--out", str(grid)])
    assert result.exit_code == 2 and "--class applies to image models" in result.output


def test_unconditional_runs_refuse_a_class(tmp_path, mnist_dir):
    run = train("dcgan-mnist", data_dir=mnist_dir, out=tmp_path / "run", iterations=1,
                overrides=("model.g_channels=(8, 4)", "model.d_channels=(4, 8, 8, 8)"),
                batch_size=4, sample_every=0, quiet=True, progress=False).run_dir  # fmt: skip
    with pytest.raises(ConfigError, match="not trained on classes"):
        images(run, n=2, label=3)


def test_cgan_networks_need_labels_and_use_them():
    spec = MODELS.get("cgan")
    cfg = spec.config(resolution=8, z_dim=4, g_hidden=(8,), d_hidden=(8, 8), n_classes=3)
    G, D = spec.generator(cfg).eval(), spec.discriminator(cfg).eval()
    z = G.sample_z(2)
    a, b = G(z, labels=torch.tensor([0, 0])), G(z, labels=torch.tensor([1, 2]))
    assert a.shape == (2, 1, 8, 8) and not torch.allclose(a, b)
    assert D(a, torch.tensor([0, 1])).shape == (2,)
    with pytest.raises(ValueError, match="needs labels"):
        G(z)
    with pytest.raises(ValueError, match=r"in \[0, 3\)"):
        D(a, torch.tensor([0, 3]))
    with pytest.raises(ConfigError, match="n_classes"):
        spec.config(n_classes=1)


@pytest.mark.parametrize(
    ("preset", "small"),
    [
        ("cgan-mnist", ("model.g_hidden=(16,)", "model.d_hidden=(16, 16)")),
        ("acgan-mnist", ("model.g_channels=(16, 8)", "model.d_channels=(8, 8, 8, 8)")),
    ],
)
def test_mnist_presets_generate_a_digit_and_export_with_labels(preset, small, tmp_path, mnist_dir):
    """The MNIST presets take the data set's ten digit labels; ``--class 7`` writes sevens'
    files; the ONNX graph takes the class beside the latent and matches PyTorch."""
    from gamegan.export.onnx import export_onnx

    run = train(preset, data_dir=mnist_dir, out=tmp_path / "run", iterations=2, overrides=small,
                batch_size=8, sample_every=0, quiet=True, progress=False).run_dir  # fmt: skip
    assert '"n_classes": 10' in (run / "config.json").read_text()
    out = tmp_path / "sevens"
    result = CliRunner().invoke(
        app, ["generate", str(run), "--class", "7", "--count", "4", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert len(list(out.glob("7-seed*.png"))) == 4
    report = export_onnx(run, tmp_path / "cgan.onnx")
    assert report.inputs[1].startswith("labels int64") and report.max_abs_diff < 1e-4


def test_app_offers_the_classes_of_a_conditional_model(trained, tmp_path):
    pytest.importorskip("gradio")
    from gamegan.app.gradio_app import ANY_CLASS, GameganApp

    _, run = trained
    web = GameganApp.from_runs([run], out=tmp_path / "out")
    ((_, key),) = web.choices("images")
    assert web.class_choices(key) == [ANY_CLASS, "left", "right"]
    grid, files, summary = web.images_handler(key, 0, 4, "right")
    assert "4 images of class right" in summary and "-right-seeds0-3" in grid
    pixels = read_png(grid).astype(float)  # a 2x2 grid of 16 px gray pictures, 2 px padding
    first = pixels[2:18, 2:18]
    assert first[:, 8:].mean() > 200 > 50 > first[:, :8].mean()
    assert "images of 16x16" in web.images_handler(key, 0, 4, ANY_CLASS)[2]
    with pytest.raises(Exception, match="pick a class from the list"):
        web.images_handler(key, 0, 4, "0")  # the page sends names from the list only


def test_eval_scores_a_conditional_digit_model_per_class(tmp_path, mnist_dir):
    """Each class asked for in turn: the digit classifier's accuracy on the class asked for
    and the class's FID, each beside real digits of the class, and their means."""
    from gamegan.evaluate import evaluate_run

    run = train("cgan-mnist", data_dir=mnist_dir, out=tmp_path / "run", iterations=2,
                overrides=("model.g_hidden=(16,)", "model.d_hidden=(16, 16)"), batch_size=8,
                sample_every=0, quiet=True, progress=False).run_dir  # fmt: skip
    lines = []
    rows = evaluate_run(run, n=20, metrics=["classifier"], log=lines.append,
                        classifier_options={"epochs": 1, "batch_size": 16})  # fmt: skip
    by_name = {row["metric"]: row for row in rows}
    accuracies = [by_name[f"classifier/class_accuracy/{d}"]["value"] for d in range(10)]
    assert all(0 <= a <= 1 for a in accuracies)
    mean = by_name["classifier/class_accuracy"]
    assert mean["value"] == pytest.approx(np.mean(accuracies))
    assert any(name.startswith("classifier/class_fid/") for name in by_name)
    assert by_name["classifier/class_fid"]["value"] > 0
    assert any("generating 2 digits of each of the 10 classes" in line for line in lines)
