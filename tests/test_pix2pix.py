"""pix2pix: pairs from A/ and B/ folders or made from pictures, a U-Net that learns a mapping,
outputs of any size that tile when the input does, and ``generate --input``."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from gamegan.api import train
from gamegan.cli import app
from gamegan.data.pairs import derive_condition, load_pair_folder
from gamegan.errors import ConfigError
from gamegan.evaluate import evaluate_run
from gamegan.generate import translate
from gamegan.io.png import read_png
from gamegan.models import MODELS

TINY = (
    "model.resolution=32",
    "model.channels=1",
    "model.condition_channels=1",
    "model.depth=3",
    "model.g_base=16",
    "model.g_max=32",
    "model.d_channels=(8, 16, 16)",
    "model.dropout=0.0",
    "optim.lr=1e-3",
    "train.tensorboard=False",
)


def _blobs(rng, size=32):
    """A random smooth gray picture."""
    coarse = rng.integers(0, 256, (size // 8, size // 8)).astype(np.uint8)
    return np.array(Image.fromarray(coarse).resize((size, size), Image.BILINEAR))


@pytest.fixture(scope="module")
def inverted(tmp_path_factory):
    """Pairs whose B is the negative of A, and a run trained on them."""
    root = tmp_path_factory.mktemp("pairs")
    (root / "A").mkdir()
    (root / "B").mkdir()
    rng = np.random.default_rng(0)
    for i in range(24):
        a = _blobs(rng)
        Image.fromarray(a).save(root / "A" / f"{i:02d}.png")
        Image.fromarray(255 - a).save(
            root / "B" / f"{i:02d}.jpg" if i == 0 else root / "B" / f"{i:02d}.png"
        )
    Image.fromarray(_blobs(rng)).save(root / "A" / "lonely.png")
    runs = tmp_path_factory.mktemp("runs")
    common = dict(data=str(root), overrides=TINY, batch_size=4, sample_every=0, quiet=True,
                  progress=False)  # fmt: skip
    start = train("pix2pix", out=runs / "r0", iterations=0, **common).run_dir
    end = train("pix2pix", out=runs / "r1", iterations=300, **common).run_dir
    return root, start, end


def test_pair_folder_matches_names_and_skips_lone_files(inverted):
    root, _, _ = inverted
    data = load_pair_folder(root, 32, 1, 1)
    assert len(data) == 24 and data.conditions.shape == (24, 1, 32, 32)
    assert ("no file of the same name in B/") in dict(data.skipped)[str(root / "A" / "lonely.png")]
    # B is the negative of A (JPEG costs a few levels on pair 0)
    assert (data.conditions[1:].int() + data.images[1:].int() - 255).abs().max() <= 1


def test_pix2pix_learns_the_mapping(inverted):
    """Trained, G turns a new input into its negative far better than before training."""
    _, start, end = inverted
    a = _blobs(np.random.default_rng(99), 64)  # unseen, and twice the training size

    def error(run):
        return np.abs(translate(run, a)[..., 0].astype(float) - (255 - a)).mean()

    assert error(end) < 0.3 * error(start), (error(end), error(start))
    assert "Loss/G/l1=" in (end / "log.txt").read_text()
    # gamegan eval on a paired folder: outputs of its first pairs against their targets.
    l1 = {run: {r["metric"]: r["value"] for r in evaluate_run(run, n=8)}["translation/l1"]
          for run in (start, end)}  # fmt: skip
    assert l1[end] < 0.3 * l1[start]


def test_outputs_tile_when_the_input_does(inverted):
    _, _, run = inverted
    a = _blobs(np.random.default_rng(5), 64)
    out = translate(run, a, tileable=True).astype(int)
    rolled = translate(run, np.roll(a, (8, 24), axis=(0, 1)), tileable=True).astype(int)
    assert np.array_equal(np.roll(out, (8, 24), axis=(0, 1)), rolled)  # the wrap is an interior
    odd = translate(run, a[:50, :60], tileable=True)  # resampled to 56x64 and back
    assert odd.shape == (50, 60, 1)
    assert translate(run, a[:50, :60], tileable=False).shape == (50, 60, 1)


def test_edges_and_gray_conditions():
    picture = np.zeros((1, 1, 16, 16), np.uint8)
    picture[..., :, 8:] = 200  # one vertical step
    edges = derive_condition(torch.from_numpy(picture), "edges")[0, 0].numpy()
    assert edges[:, 7:9].max() < 128  # ink at the step
    assert edges[:, :6].min() == 255 and edges[:, 10:].min() == 255  # none elsewhere, borders too
    rgb = torch.zeros(1, 3, 4, 4, dtype=torch.uint8)
    rgb[:, 0] = 255
    assert derive_condition(rgb, "gray").unique().tolist() == [76]  # 0.299 * 255


def test_sketch_preset_trains_on_a_photo_and_errors(tmp_path, inverted):
    root, _, _ = inverted
    small = ("model.resolution=32", "model.depth=3", "model.g_base=8", "model.g_max=16",
             "model.d_channels=(8, 8, 8)", "data.n_crops=16")  # fmt: skip
    run = train("pix2pix-sketch", data="brick", out=tmp_path / "sketch", iterations=2,
                overrides=(*small, "data.holdout=right"), batch_size=2, sample_every=0,
                quiet=True, progress=False).run_dir  # fmt: skip
    assert "A: the pictures' edges" in (run / "log.txt").read_text()
    # Judged on the held-out half: its sketch through G against the half itself.
    rows = {r["metric"]: r for r in evaluate_run(run)}
    assert rows["translation/swd/avg"]["baseline"] > 0 and 0 < rows["translation/l1"]["value"] < 1
    picture = read_png(run / "eval" / "translation-snapshot-000002.png")
    assert picture.shape[0] == 512  # sketch | output | held-out half, each 512 x 256
    with pytest.raises(ConfigError, match="needs pairs"):
        train("pix2pix-sketch", data="brick", out=tmp_path / "x", iterations=1,
              overrides=(*small, "data.condition="), quiet=True, progress=False)  # fmt: skip
    with pytest.raises(ConfigError, match="give one or the other"):
        train("pix2pix", data=str(root), out=tmp_path / "y", iterations=1,
              overrides=(*TINY, "data.condition=gray"), quiet=True, progress=False)  # fmt: skip
    with pytest.raises(ConfigError, match="data.condition must be one of edges, gray"):
        train("pix2pix", data=str(root), out=tmp_path / "z", iterations=1,
              overrides=(*TINY, "data.condition=labels"), quiet=True, progress=False)  # fmt: skip


def test_generate_input_file_folder_and_errors(inverted, tmp_path):
    root, _, run = inverted
    runner = CliRunner()
    out = tmp_path / "one.png"
    result = runner.invoke(app, ["generate", str(run), "--input", str(root / "A" / "03.png"),
                                 "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert read_png(out).shape == (32, 32) and "(32x32, tileable)" in result.output
    folder = tmp_path / "many"
    result = runner.invoke(app, ["generate", str(run), "--input", str(root / "A"), "--out",
                                 str(folder), "--no-tileable"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(list(folder.glob("*.png"))) == 25
    result = runner.invoke(app, ["generate", str(run), "--out", str(out)])
    assert result.exit_code == 2 and "give --input" in result.output
    result = runner.invoke(app, ["generate", "brick", "--input", str(out), "--out", str(out)])
    assert result.exit_code == 2 and "--input applies to image-to-image models" in result.output


def test_unet_and_patchgan_shapes():
    spec = MODELS.get("pix2pix")
    cfg = spec.config()
    assert cfg.multiple == 256
    small = spec.config(resolution=64, depth=4, g_base=8, g_max=16, d_channels=(8, 8, 8, 8))
    G, D = spec.generator(small).eval(), spec.discriminator(small)
    a = torch.zeros(2, 3, 64, 96)
    b = G(G.sample_z(2), condition=a)
    assert b.shape == (2, 3, 64, 96) and D(b, condition=a).shape == (2, 8 * 12)
    with pytest.raises(ValueError, match="multiples of 16"):
        G(G.sample_z(1), condition=torch.zeros(1, 3, 40, 64))
    with pytest.raises(ConfigError, match="multiple of 2\\*\\*model.depth"):
        spec.config(resolution=100, depth=3)


def test_onnx_export_takes_the_input_image(inverted, tmp_path):
    """The graph's input is the image itself (sides in multiples of 2**depth), checked against
    PyTorch by onnxruntime at several sizes; circular padding exports as Pad(wrap)."""
    pytest.importorskip("onnxruntime")
    from gamegan.export.onnx import export_onnx, read_onnx_metadata

    _, _, run = inverted
    report = export_onnx(run, tmp_path / "p2p.onnx")
    assert report.inputs[0].startswith("condition float32 [batch, 1, h, w]")
    assert "multiples of 8" in report.inputs[0] and report.tileable is True
    assert [c.input_shape for c in report.checks] == [(1, 1, 16, 16), (1, 1, 16, 24),
                                                      (2, 1, 24, 16)]  # fmt: skip
    assert max(c.max_abs_diff for c in report.checks) < 1e-4
    assert read_onnx_metadata(tmp_path / "p2p.onnx")["gamegan.tileable"] == "true"


def test_app_translates_an_input_chosen_by_name(inverted, tmp_path):
    """The web app's "From an image" tab: inputs come from a folder given at start, picked by
    the name the app listed; anything else, a path included, is refused."""
    pytest.importorskip("gradio")
    from gamegan.app.gradio_app import GameganApp
    from gamegan.app.safety import scan_inputs

    root, _, run = inverted
    web = GameganApp.from_runs([run], out=tmp_path / "out", inputs=root / "A")
    ((_, key),) = web.choices("translations")
    assert "03.png" in web.inputs and len(web.inputs) == 25
    picture, files, summary = web.translate_handler(key, "03.png", True, False)
    assert read_png(picture).shape == (32, 32) and files == [picture]
    assert "03.png, 32x32" in summary and str(tmp_path / "out") in picture
    for bad in ("nothing.png", str(root / "A" / "03.png"), "../A/03.png"):
        with pytest.raises(Exception, match="pick an input image from the list"):
            web.translate_handler(key, bad, True, False)
    with pytest.raises(ConfigError, match="no such folder"):
        scan_inputs(tmp_path / "missing")
