"""The command line as a user meets it: help, clean errors, and the whole train/generate path."""

import re
import subprocess
import sys
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import TINY_DCGAN
from gamegan.cli import app, main
from gamegan.io.png import read_png

DOCS = Path(__file__).resolve().parents[1] / "docs" / "cli"


def _documented_commands():
    import importlib.util

    spec = importlib.util.spec_from_file_location("cli_docs", DOCS / "update.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.COMMANDS


COMMANDS = _documented_commands()


def gamegan(*args, check=None):
    """Run the real entry point in a subprocess: exit codes and stderr as a user sees them."""
    result = subprocess.run(
        [sys.executable, "-m", "gamegan", *map(str, args)], capture_output=True, text=True
    )
    if check is not None:
        assert result.returncode == check, result.stderr
    return result


def help_text(words):
    result = CliRunner().invoke(app, [*words, "--help"], terminal_width=100, env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("words", COMMANDS, ids=lambda w: "-".join(w) or "main")
def test_help_matches_committed_docs(words):
    name = "-".join(["gamegan", *words]) + ".txt"
    expected = (DOCS / name).read_text()
    assert help_text(words) == expected, f"docs/cli/{name} is stale: run python docs/cli/update.py"


def tiny_flags():
    return sum((["--set", o] for o in (*TINY_DCGAN, "train.tensorboard=False")), [])


def test_train_then_generate(tmp_path, mnist_dir):
    run = tmp_path / "run"
    gamegan(
        "train",
        "dcgan-mnist",
        "--data-dir",
        mnist_dir,
        "--out",
        run,
        "--iterations",
        2,
        "--sample-every",
        1,
        "--no-progress",
        *tiny_flags(),
        check=0,
    )
    assert (run / "samples" / "fakes-000002.png").exists()
    out = gamegan("generate", run, "--count", 6, "--seed", 3, "--out", tmp_path / "g.png", check=0)
    assert "seeds 3-8" in out.stdout
    grid = read_png(tmp_path / "g.png")
    assert grid.shape == (2 * 28 + 3 * 2, 3 * 28 + 4 * 2)
    gamegan("generate", run, "--count", 2, "--seed", 4, "--out", tmp_path / "single", check=0)
    files = sorted((tmp_path / "single").iterdir())
    assert [f.name for f in files] == ["seed000004.png", "seed000005.png"]
    # seed 4 is the second cell of the grid (row 0, column 1)
    cell = grid[2:30, 2 + 30 : 30 + 30]
    assert np.array_equal(read_png(files[0]), cell)


def test_dry_run_prints_config_and_creates_nothing(tmp_path):
    out = gamegan(
        "train",
        "wgan-forest",
        "--dry-run",
        "--out",
        tmp_path / "x",
        "--set",
        "train.n_critic=3",
        check=0,
    )
    assert '"n_critic": 3' in out.stdout and "would create" in out.stdout
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    "args, words",
    [
        (["train", "nope"], "unknown preset 'nope'"),
        (
            ["train", "dcgan-mnist", "--set", "model.z_dim=abc"],
            "--set model.z_dim: expected an integer",
        ),
        (["train", "dcgan-mnist", "--set", "model.colour=1"], "--set model.colour: unknown key"),
        (["train", "dcgan-mnist", "--device", "cuda"], "CUDA is not available"),
        (["train", "dcgan-folder"], "--data is required"),
        (["train", "dcgan-folder", "--data", "/no/such/folder"], "/no/such/folder"),
        (["train", "dcgan-mnist", "--data-dir", "/no/such/dir"], "gamegan data download mnist"),
        (["train"], "give a PRESET"),
        (["train", "--resume", "/no/such/run"], "not a gamegan run folder"),
        (["generate", "/no/such/run"], "no such run folder"),
        (["generate", "chorale", "--truncation", "0.5"], "--truncation applies to texture"),
        (["data", "download", "svhn"], "unknown data set"),
    ],
)
def test_bad_input_is_one_clear_line(capsys, args, words):
    # The entry point's own handling, in this process: a subprocess each would spend 3 s on
    # imports (the tests around this one run the real process).
    with mock.patch.object(sys, "argv", ["gamegan", *args]), pytest.raises(SystemExit) as exit:
        main()
    stderr = capsys.readouterr().err
    assert exit.value.code == 2, stderr
    assert words in stderr
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr


def test_bad_flag_value_is_a_usage_error():
    result = gamegan("train", "dcgan-mnist", "--iterations", "many")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert re.search(r"iterations", result.stderr)


def test_generate_precision_is_for_textures(tmp_path):
    bad = gamegan("generate", "brick", "--precision", "fp16", "--out", tmp_path / "t.png")
    assert bad.returncode != 0 and "--precision must be fp32, bf16 or auto" in bad.stderr
    music = gamegan("generate", "chorale", "--precision", "bf16", "--out", tmp_path / "s.mid")
    assert music.returncode != 0 and "applies to textures" in music.stderr
    assert "Traceback" not in bad.stderr + music.stderr and not list(tmp_path.iterdir())
    made = gamegan(
        "generate", "brick", "--precision", "auto", "--size", "96x64", "--out", tmp_path / "t.png"
    )
    assert made.returncode == 0, made.stderr
    assert read_png(tmp_path / "t.png").shape[:2] == (64, 96)


def test_presets_lists_the_chapter_programs():
    out = gamegan("presets", check=0).stdout
    for name in ("gan-mnist", "dcgan-mnist", "wgan-mnist", "wgan-forest", "dcgan-folder"):
        assert name in out


def test_snapshot_of_wrong_kind(tmp_path, mnist_dir):
    run = tmp_path / "run"
    gamegan(
        "train",
        "dcgan-mnist",
        "--data-dir",
        mnist_dir,
        "--out",
        run,
        "--iterations",
        1,
        "--no-progress",
        *tiny_flags(),
        check=0,
    )
    state = next(run.glob("state-*.safetensors"))
    result = gamegan("generate", state)
    assert result.returncode == 2 and "expected a gamegan.snapshot/1 file" in result.stderr


def test_data_inspect_reports_skipped_files(tmp_path):
    from datafiles import write_image_folder

    write_image_folder(tmp_path / "imgs")
    out = gamegan("data", "inspect", tmp_path / "imgs", check=0).stdout
    assert "skipped" in out.lower() and "corrupt" in out.lower()


def test_data_download_offline_is_one_line(tmp_path, monkeypatch):
    import socket

    import gamegan.data.download as download

    # A closed local port stands in for an unreachable host (tests never touch the network).
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    url = f"http://127.0.0.1:{port}/train-images-idx3-ubyte.gz"
    monkeypatch.setattr(
        download,
        "official_sources",
        lambda name: {"train-images-idx3-ubyte.gz": ((url,), "0" * 32)},
    )
    result = CliRunner().invoke(app, ["data", "download", "mnist", "--dir", str(tmp_path)])
    assert result.exit_code != 0
    assert "cannot reach 127.0.0.1" in str(result.exception) and str(tmp_path) in str(
        result.exception
    )
