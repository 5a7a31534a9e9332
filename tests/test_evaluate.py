"""``evaluate_run`` and ``gamegan eval`` end to end on tiny runs (a few seconds in all)."""

import json
import subprocess
import sys

import pytest
import torch
from typer.testing import CliRunner

from conftest import TINY_DCGAN
from gamegan.api import train
from gamegan.cli import app
from gamegan.errors import CheckpointError, ConfigError
from gamegan.evaluate import applicable_metrics, evaluate_run, load_run_config


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("GAMEGAN_CACHE", str(tmp_path / "cache"))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny workloads: a second thread only waits on a busy machine
    yield
    torch.set_num_threads(threads)


def tiny_run(path, preset="dcgan-mnist", **flags):
    return train(
        preset,
        out=path,
        iterations=2,
        sample_every=0,
        checkpoint_every=2,
        overrides=(*TINY_DCGAN, "train.tensorboard=False"),
        progress=False,
        quiet=True,
        **flags,
    ).run_dir


@pytest.fixture(scope="module")
def mnist_run(tmp_path_factory, mnist_dir):
    return tiny_run(tmp_path_factory.mktemp("eval") / "run", data_dir=mnist_dir)


def test_evaluate_mnist_run_writes_metrics_with_baselines(mnist_run):
    lines = []
    rows = evaluate_run(
        mnist_run, n=12, classifier_options={"epochs": 1, "batch_size": 16}, log=lines.append
    )
    names = [row["metric"] for row in rows]
    assert names == [
        "swd/28",
        "swd/avg",
        "color/hist_l1",
        "classifier/fid",
        "classifier/kid",
        "classifier/class_entropy",
        "classifier/class_coverage",
        "classifier/accuracy",
    ]
    for row in rows[:-1]:
        assert isinstance(row["value"], float) and isinstance(row["baseline"], float)
    assert rows[-1]["baseline"] is None and 0 <= rows[-1]["value"] <= 1
    assert any("training on 64 images" in line for line in lines)  # the fixture's train split
    record = json.loads((mnist_run / "metrics.jsonl").read_text().splitlines()[-1])
    assert record["snapshot"] == "snapshot-000002.safetensors" and record["iteration"] == 2
    assert record["n_images"] == 12 and record["baseline"] == "the MNIST test split"
    assert record["results"][0]["metric"] == "swd/28" and "baseline" in record["results"][0]

    # Second time: the classifier comes from the cache, the file gets a second line, and the
    # same seed gives the same numbers.
    lines.clear()
    again = evaluate_run(
        mnist_run, n=12, classifier_options={"epochs": 1, "batch_size": 16}, log=lines.append
    )
    assert any("classifier: cached" in line for line in lines)
    assert again == rows
    assert len((mnist_run / "metrics.jsonl").read_text().splitlines()) == 2


def test_test_split_limits_the_set_size_and_metrics_can_be_chosen(mnist_run):
    # The fixture's test split has 20 digits, so sets of 20 at most.
    rows = evaluate_run(mnist_run, n=50, metrics=["swd"])
    assert [row["metric"] for row in rows] == ["swd/28", "swd/avg"]
    record = json.loads((mnist_run / "metrics.jsonl").read_text().splitlines()[-1])
    assert record["n_images"] == 20
    with pytest.raises(ConfigError, match="choose from swd, color, classifier"):
        evaluate_run(mnist_run, n=4, metrics=["tiling"])


def test_evaluate_texture_run_uses_halves_of_the_crops(tmp_path):
    run = tiny_run(tmp_path / "brick", preset="dcgan-texture", data="brick")
    assert applicable_metrics(load_run_config(run)) == ["swd", "color"]
    # 40 crops would give halves of 20; ask for fewer to keep the test quick.
    rows = evaluate_run(run, n=10)
    assert [row["metric"] for row in rows] == ["swd/32", "swd/16", "swd/avg", "color/hist_l1"]
    record = json.loads((run / "metrics.jsonl").read_text())
    assert record["baseline"] == "two disjoint halves of the training data"


def test_not_a_run_folder(tmp_path):
    with pytest.raises(CheckpointError, match="no such run folder"):
        evaluate_run(tmp_path / "missing")
    with pytest.raises(CheckpointError, match="no config.json"):
        evaluate_run(tmp_path)


def test_cli_eval_prints_the_table(mnist_run):
    result = CliRunner().invoke(
        app, ["eval", str(mnist_run), "--count", "8", "--metrics", "swd,color"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["metric", "generated", "real-vs-real", "ratio"]
    assert [line.split()[0] for line in lines[1:]] == ["swd/28", "swd/avg", "color/hist_l1"]


def test_cli_eval_missing_folder_is_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "gamegan", "eval", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'nope'}: no such run folder"
