"""ONNX export: onnxruntime equals PyTorch at every size, textures wrap, docs script reproduces.

Each export runs torch.export (a few seconds), so every exported file is a module fixture.
"""

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import typer
from typer.testing import CliRunner

from gamegan.errors import CheckpointError, ConfigError
from gamegan.export import onnx as onnx_export
from gamegan.export.onnx import ExportCheckError, export_onnx, read_onnx_metadata
from gamegan.generate import load_generator, quantize, texture
from gamegan.io.checkpoint import SNAPSHOT_FORMAT, module_tensors, save_tensors
from gamegan.models import MODELS
from gamegan.runtime import make_generator

ort = pytest.importorskip("onnxruntime")

DOCS = Path(__file__).resolve().parents[1] / "docs" / "engines.md"
HELP = DOCS.parent / "cli" / "gamegan-export.txt"
TIGHT = 1e-5  # float32 reordering noise is ~1e-6 on these outputs

TINY_TEXTURE = dict(
    channels=3, z_local=4, z_global=4, n_periodic=2, g_channels=(8, 8, 8, 8), d_channels=(8, 8)
)
TINY_DCGAN = dict(z_dim=8, g_channels=(16, 8), d_channels=(8, 8, 8, 8))


def write_snapshot(path, model, params, kind):
    """A snapshot of a freshly built generator, BatchNorm statistics randomized so they count."""
    spec = MODELS.get(model)
    torch.manual_seed(0)
    G = spec.generator(spec.config(**params))
    for m in G.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.running_mean.normal_(0.0, 0.2)
            m.running_var.uniform_(0.5, 1.5)
    meta = {
        "format": SNAPSHOT_FORMAT,
        "kind": kind,
        "model": model,
        "model_params": params,
        "gamegan_version": "test",
    }
    return save_tensors(path, module_tensors("G", G), meta)


def run_onnx(path, z):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"z": z.numpy()})[0]


def app_with_export():
    """The export command under a group (like the real CLI) without touching ``gamegan.cli.app``."""
    from gamegan.cli import export as export_cli

    app = typer.Typer(
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},  # as gamegan.cli.app
    )

    @app.callback()
    def main() -> None:
        """gamegan (test)."""

    export_cli.register(app)
    return app


# fixtures: one export per file


@pytest.fixture(scope="module")
def dcgan(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dcgan")
    snapshot = write_snapshot(folder / "snapshot.safetensors", "dcgan", TINY_DCGAN, "image_gan")
    return snapshot, export_onnx(snapshot, folder / "dcgan.onnx")


@pytest.fixture(scope="module")
def tex_snapshot(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tex")
    return write_snapshot(folder / "snap.safetensors", "spatial_gan", TINY_TEXTURE, "texture_gan")


@pytest.fixture(scope="module")
def tex(tex_snapshot):
    return export_onnx(tex_snapshot, tex_snapshot.parent / "tex.onnx", sizes=[(3, 5), (2, 2, 7)])


@pytest.fixture(scope="module")
def tex_flat(tex_snapshot):
    """Zero-padded, through the CLI and unchecked: the tests below check it instead."""
    out = tex_snapshot.parent / "sub" / "flat.onnx"
    args = ["export", str(tex_snapshot), "--onnx", str(out), "--no-tileable", "--no-check"]
    result = CliRunner().invoke(app_with_export(), args)
    assert result.exit_code == 0, result.output
    return out, result.output


@pytest.fixture(scope="module")
def brick(tmp_path_factory):
    """The Done criterion's first half: ``gamegan export brick --onnx brick.onnx``."""
    out = tmp_path_factory.mktemp("brick") / "brick.onnx"
    result = CliRunner().invoke(app_with_export(), ["export", "brick", "--onnx", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


# image GANs


def test_image_gan_matches_torch_at_any_batch(dcgan):
    snapshot, report = dcgan
    assert [c.input_shape for c in report.checks] == [(1, 8), (3, 8)]
    assert [c.output_shape for c in report.checks] == [(1, 1, 28, 28), (3, 1, 28, 28)]
    assert report.max_abs_diff < TIGHT
    G = load_generator(snapshot).G
    z = G.sample_z(5, make_generator(7), "cpu")
    with torch.no_grad():
        want = G(z).numpy()
    got = run_onnx(report.path, z)
    assert got.shape == (5, 1, 28, 28) and np.abs(got - want).max() < TIGHT
    session = ort.InferenceSession(str(report.path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["z"]
    assert session.get_inputs()[0].shape == ["batch", 8]
    assert session.get_outputs()[0].name == "image"
    latent = json.loads(report.metadata["gamegan.latent"])
    assert latent["shape"] == ["batch", 8] and "N(0, 1)" in latent["values"]


def test_music_gan_exports_like_an_image_gan(tmp_path):
    module = pytest.importorskip("gamegan.models.pianoroll_gan")
    # The model's defaults with narrow layers (whatever its widths are this week).
    params = {
        f.name: tuple(min(v, 8) for v in f.default)
        for f in dataclasses.fields(module.Config)
        if f.name.endswith("_channels") and isinstance(f.default, tuple)
    }
    snapshot = write_snapshot(tmp_path / "s.safetensors", "pianoroll_gan", params, "music_gan")
    report = export_onnx(snapshot, tmp_path / "roll.onnx")
    assert report.max_abs_diff < TIGHT
    shape = module.Config(**params).image_shape  # (tracks, steps, pitches)
    assert [c.output_shape for c in report.checks] == [(1, *shape), (3, *shape)]
    output = json.loads(report.metadata["gamegan.output"])
    assert output["name"] == "pianoroll" and "> 0" in output["on"]


# texture GANs


def test_texture_matches_torch_on_non_square_fields(tex_snapshot, tex):
    assert [c.input_shape for c in tex.checks] == [(1, 12, 3, 5), (2, 12, 2, 7)]
    assert tex.max_abs_diff < TIGHT
    G = load_generator(tex_snapshot).G.set_tileable(True)
    for n, rows, cols in ((1, 4, 4), (1, 8, 2), (2, 1, 6)):
        z = G.sample_z(n, make_generator(rows), "cpu", height=16 * rows, width=16 * cols)
        with torch.no_grad():
            want = G(z).numpy()
        got = run_onnx(tex.path, z)
        assert got.shape == (n, 3, 16 * rows, 16 * cols)
        assert np.abs(got - want).max() < TIGHT


@pytest.mark.parametrize("g_norm", ["batch", "pixel"])
def test_deep_texture_model_exports_with_its_noise_inputs(tmp_path, g_norm):
    """deep_spatial_gan: residual trunk, pixel-shuffled noise channels, circular padding."""
    params = dict(
        channels=3, z_local=3, z_global=3, n_periodic=2, trunk_channels=8, n_blocks=1,
        g_channels=(8, 8), d_channels=(8, 8), resolution=16, g_norm=g_norm,
    )  # fmt: skip
    snapshot = write_snapshot(
        tmp_path / "deep.safetensors", "deep_spatial_gan", params, "texture_gan"
    )
    loaded = load_generator(snapshot)
    G = loaded.G
    with torch.no_grad():
        for stage in G.net.stages:
            stage.noise_weight.fill_(0.5)  # so that a wrongly unfolded noise map would show
    report = export_onnx(loaded, tmp_path / "deep.onnx", sizes=[(3, 5)])
    assert report.max_abs_diff < TIGHT
    layout = json.loads(report.metadata["gamegan.latent"])["channels"]
    assert layout[-1]["first"] == 3 + 3 + 2 * 2 and layout[-1]["count"] == 4 + 16
    assert layout[-1]["first"] + layout[-1]["count"] == G.z_dim
    z = G.sample_z(2, make_generator(1), "cpu", height=4 * 6, width=4 * 3)
    G.eval().set_tileable(True)
    with torch.no_grad():
        want = G(z).numpy()
    assert np.abs(run_onnx(report.path, z) - want).max() < TIGHT


def _rolled(G, z, shift_rows, shift_cols):
    """The field that makes the texture rolled by whole cells: the local noise rolls, and the
    phases move back along the (snapped) waves so the sinusoids roll with it."""
    cfg = G.cfg
    zl, zg, p = cfg.z_local, cfg.z_global, cfg.n_periodic
    rows, cols = z.shape[-2:]
    glob = z[:, zl : zl + zg, 0, 0]
    phi = torch.atan2(z[:, zl + zg + p :, 0, 0], z[:, zl + zg : zl + zg + p, 0, 0])
    with torch.no_grad():
        k = G.wave_numbers(glob, rows, cols)  # [N, P, 2], whole periods over the field
    phi = phi - k[..., 0] * shift_rows - k[..., 1] * shift_cols
    out = z.clone()
    out[:, :zl] = torch.roll(z[:, :zl], (shift_rows, shift_cols), dims=(2, 3))
    phases = torch.cat([phi.cos(), phi.sin()], dim=1)[..., None, None]
    out[:, zl + zg :] = phases.expand(-1, -1, rows, cols)
    return out


def test_tileable_export_wraps_and_the_flat_one_does_not(tex_snapshot, tex, tex_flat):
    """Rolling the field by whole cells rolls the exported texture: the pixels across the wrap
    seam are computed exactly like any neighbours inside, as in the PyTorch model."""
    G = load_generator(tex_snapshot).G.set_tileable(True)
    z = G.sample_z(1, make_generator(3), "cpu", height=48, width=80)  # 3 x 5 cells
    shifted = _rolled(G, z, 1, 2)
    x = run_onnx(tex.path, z)
    assert np.abs(np.roll(x, (16, 32), axis=(2, 3)) - run_onnx(tex.path, shifted)).max() < 1e-4
    with torch.no_grad():  # the PyTorch model has the same property (the test's own check)
        assert torch.allclose(torch.roll(G(z), (16, 32), dims=(2, 3)), G(shifted), atol=1e-4)
    flat_path, output = tex_flat
    assert "not tileable" in output and "not checked" in output
    flat = run_onnx(flat_path, z)
    assert np.abs(np.roll(flat, (16, 32), axis=(2, 3)) - run_onnx(flat_path, shifted)).max() > 0.01
    # ... and the flat export is the zero-padded PyTorch model, not a broken one.
    G.set_tileable(False)
    for rows, cols in ((3, 5), (2, 7)):
        z = G.sample_z(2, make_generator(rows), "cpu", height=16 * rows, width=16 * cols)
        with torch.no_grad():
            assert np.abs(G(z).numpy() - run_onnx(flat_path, z)).max() < TIGHT


def test_metadata_describes_latent_and_output(tex, tex_flat):
    meta = read_onnx_metadata(tex.path)
    assert meta["gamegan.kind"] == "texture_gan" and meta["gamegan.model"] == "spatial_gan"
    assert meta["gamegan.tileable"] == "true"
    assert read_onnx_metadata(tex_flat[0])["gamegan.tileable"] == "false"
    assert json.loads(meta["gamegan.model_params"])["z_local"] == 4
    from gamegan import __version__

    assert meta["gamegan.version"] == __version__
    latent = json.loads(meta["gamegan.latent"])
    assert latent["shape"] == ["batch", 12, "h", "w"] and latent["upsampling"] == 16
    assert latent["margin_cells"] == 2  # the shallow model's receptive field
    assert (latent["z_local"], latent["z_global"], latent["n_periodic"]) == (4, 4, 2)
    assert [c["first"] for c in latent["channels"]] == [0, 4, 8, 10]
    assert "N(0, 1)" in latent["channels"][0]["values"]
    output = json.loads(meta["gamegan.output"])
    assert output["shape"] == ["batch", 3, "16*h", "16*w"] and output["layout"] == "NCHW"
    assert output["range"] == [-1, 1] and output["to_unit_range"] == "(x + 1) / 2"
    doc = meta["doc_string"]
    assert "h = HEIGHT / 16" in doc and "(x + 1) / 2" in doc and "Tileable: yes" in doc
    # onnxruntime shows the same to an engine-side script
    session = ort.InferenceSession(str(tex.path), providers=["CPUExecutionProvider"])
    assert session.get_modelmeta().custom_metadata_map["gamegan.latent"] == meta["gamegan.latent"]
    assert session.get_inputs()[0].shape == ["batch", 12, "h", "w"]
    assert session.get_outputs()[0].shape == ["batch", 3, "16*h", "16*w"]


# the bundled brick model, the CLI and the docs


def test_cli_prints_layout_and_check_table(brick):
    path, output = brick
    assert path.is_file() and path.stat().st_size > 100_000
    assert not path.with_name(path.name + ".tmp").exists()
    assert "z float32 [batch, 388, h, w]" in output
    assert "texture float32 [batch, 1, 16*h, 16*w]" in output and "(x + 1) / 2" in output
    rows = re.findall(r"^  \[1, 388, (\d), (\d)\]\s+\[1, 1, \d+, \d+\]\s+(\S+)", output, re.M)
    assert [(r, c) for r, c, _ in rows] == [("4", "4"), ("3", "5"), ("8", "2")]
    assert all(float(d) < 1e-4 for _, _, d in rows)


def _same_pixels(a, b):
    """Equal up to float rounding: onnxruntime and PyTorch sum convolutions in other orders, so a
    pixel within ~1e-4 of an 8-bit rounding boundary may round the other way (docs/engines.md)."""
    assert a.shape == b.shape and a.dtype == b.dtype == np.uint8
    diff = np.abs(a.astype(int) - b.astype(int))
    assert diff.max() <= 1 and (diff > 0).mean() <= 1e-3, (diff.max(), (diff > 0).sum())


def test_bundled_brick_matches_generate_texture(brick):
    path, _ = brick
    width, height, seed = 96, 64, 2
    want = texture("brick", width=width, height=height, seed=seed)  # [H, W, 1] in [0, 1]
    G = load_generator("brick").G
    z = G.sample_z(1, make_generator(seed), "cpu", height=height, width=width)
    x = run_onnx(path, z)
    got = np.clip((x[0].transpose(1, 2, 0) + 1) / 2, 0, 1)
    assert np.abs(got - want).max() < 1e-5
    _same_pixels(quantize(got), quantize(want))


def docs_script() -> str:
    text = DOCS.read_text()
    match = re.search(
        r"<!-- test_export.py runs this script.*?-->\n```python\n(.*?)```", text, re.S
    )
    assert match, "docs/engines.md lost its onnxruntime script"
    return match.group(1)


@pytest.mark.parametrize("seed, width, height", [(0, 512, 512), (3, 320, 192)])
def test_docs_script_reproduces_gamegan_generate(brick, tmp_path, monkeypatch, seed, width, height):
    """The Done criterion: the 10-line onnxruntime script gives `gamegan generate`'s texture."""
    from gamegan.io.png import read_png

    path, _ = brick
    script = docs_script()
    assert len(script.strip().splitlines()) <= 16
    line = "seed, width, height = 0, 512, 512"
    assert line in script
    script = script.replace(line, f"seed, width, height = {seed}, {width}, {height}")
    (tmp_path / "brick.onnx").symlink_to(path)
    monkeypatch.chdir(tmp_path)
    exec(compile(script, str(DOCS), "exec"), {"__name__": "__main__"})
    want = quantize(texture("brick", width=width, height=height, seed=seed))
    _same_pixels(read_png(tmp_path / "brick.png"), want)


# errors a user can cause


def test_missing_run_and_wrong_kinds_are_clear_errors(tmp_path, tex_snapshot):
    with pytest.raises(CheckpointError, match="no such run folder or snapshot file"):
        export_onnx(tmp_path / "nope", tmp_path / "x.onnx")
    sequence = save_tensors(
        tmp_path / "lm.safetensors",
        {"model.w": torch.zeros(1)},
        {"format": SNAPSHOT_FORMAT, "kind": "note_sequence", "model": "lstm_lm"},
    )
    with pytest.raises(ConfigError, match="note_sequence model is not exported to ONNX: .*event"):
        export_onnx(sequence, tmp_path / "x.onnx")
    with pytest.raises(ConfigError, match="must end in .onnx"):
        export_onnx(tex_snapshot, tmp_path / "x.txt")
    with pytest.raises(ConfigError, match="tileable textures need opset 19"):
        export_onnx(tex_snapshot, tmp_path / "x.onnx", opset=18)
    with pytest.raises(ConfigError, match="opset 12: choose 18"):
        export_onnx(tex_snapshot, tmp_path / "x.onnx", opset=12)
    assert not list(tmp_path.glob("*.onnx*"))


def test_failed_check_writes_nothing(dcgan, tmp_path, monkeypatch):
    snapshot, _ = dcgan
    monkeypatch.setattr(onnx_export, "ATOL", -1.0)  # every difference is now too large
    with pytest.raises(ExportCheckError, match="was not written"):
        export_onnx(snapshot, tmp_path / "bad.onnx", sizes=[2])
    assert not list(tmp_path.iterdir())


def test_help_matches_committed_docs():
    """test_cli.py takes this over once ``export`` is in docs/cli/update.py's COMMANDS."""
    result = CliRunner().invoke(
        app_with_export(),
        ["export", "--help"],
        terminal_width=100,
        env={"COLUMNS": "100"},
        prog_name="gamegan",
    )
    assert result.output == HELP.read_text(), "docs/cli/gamegan-export.txt is stale"


def test_cli_errors_are_one_line(tmp_path, tex_snapshot):
    app = app_with_export()
    result = CliRunner().invoke(app, ["export", "/no/such/run", "--onnx", str(tmp_path / "a.onnx")])
    assert isinstance(result.exception, CheckpointError)
    assert "\n" not in str(result.exception)
    result = CliRunner().invoke(
        app, ["export", str(tex_snapshot), "--onnx", str(tmp_path / "a.onnx"), "--opset", "18"]
    )
    assert isinstance(result.exception, ConfigError) and "--no-tileable" in str(result.exception)
    result = CliRunner().invoke(app, ["export", "brick"])
    assert result.exit_code == 2 and "--onnx" in result.output
