"""``gamegan experiment``: sweeps of tiny runs, skip/resume on re-run, plot, table, errors."""

import json
import re
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from conftest import TINY_DCGAN
from gamegan.cli import app
from gamegan.errors import ConfigError
from gamegan.experiment import SWEEPS, Setting, Sweep, format_table, run_sweep, summarize_run
from gamegan.io.png import read_png

TINY = (*TINY_DCGAN, "train.tensorboard=False", "train.sample_every=0")
TWO = Sweep("two", "two tiny settings", (Setting("a", ()), Setting("b", ("model.dropout=0.5",))))


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("GAMEGAN_CACHE", str(tmp_path / "cache"))  # the digit classifier


def sweep(out, mnist_dir, sweep=TWO, **kwargs):
    lines = []
    options = {"iterations": 2, "eval_count": 0, **kwargs}
    result = run_sweep(
        sweep,
        "dcgan-mnist",
        out=out,
        data_dir=mnist_dir,
        overrides=TINY,
        progress=False,
        log=lines.append,
        **options,
    )
    return result, lines


def _mtimes(out):
    return {p: p.stat().st_mtime_ns for p in sorted(out.glob("*/state-*.safetensors"))}


def test_sweep_writes_runs_plot_and_table_then_skips_and_resumes(tmp_path, mnist_dir):
    out = tmp_path / "sweep"
    result, _ = sweep(out, mnist_dir, eval_count=8)
    for name in ("a", "b"):
        run = out / name
        assert (run / "config.json").is_file() and (run / "state-000002.safetensors").is_file()
    assert json.loads((out / "b" / "config.json").read_text())["model"]["params"]["dropout"] == 0.5
    described = json.loads((out / "experiment.json").read_text())
    assert described["sweep"] == "two" and described["preset"] == "dcgan-mnist"
    assert described["settings"][1] == {"name": "b", "overrides": ["model.dropout=0.5"]}
    assert described["overrides"] == list(TINY) and described["iterations"] == 2

    picture = read_png(out / "losses.png")
    assert picture.ndim == 3 and picture.shape[0] > 200 and picture.shape[1] > 400
    rows = json.loads((out / "results.json").read_text())["rows"]
    assert [r["setting"] for r in rows] == ["a", "b"]
    for row in rows:
        assert row["status"] == "done" and row["iteration"] == 2 and row["error"] is None
        assert isinstance(row["loss_d"], float) and row["seconds_per_iteration"] > 0
        assert {m["metric"] for m in row["metrics"]} >= {"swd/avg", "classifier/fid"}
    table = (out / "results.md").read_text()
    assert "| setting | status | iter | D loss | G loss | s/iter | swd/avg" in table
    assert "| real vs real |" in table and result.table in table

    # The same command again trains nothing and reuses the metrics it already computed.
    before = _mtimes(out)
    again, lines = sweep(out, mnist_dir, eval_count=8)
    assert again.skipped == ["a", "b"] and _mtimes(out) == before
    assert sum("metrics: cached" in line for line in lines) == 2
    assert again.rows == rows

    # A longer sweep resumes only the picked setting; the table keeps the other one's row.
    longer, lines = sweep(out, mnist_dir, iterations=3, only="b")
    assert any("resuming at iteration 2 -> 3" in line for line in lines)
    assert (out / "b" / "state-000003.safetensors").is_file()
    assert "resumed state-000002.safetensors" in (out / "b" / "log.txt").read_text()
    assert not (out / "a" / "state-000003.safetensors").exists()
    assert [(r["setting"], r["iteration"]) for r in longer.rows] == [("a", 2), ("b", 3)]
    assert len(json.loads((out / "results.json").read_text())["rows"]) == 2


def test_failing_setting_is_recorded_and_others_run(tmp_path, mnist_dir, monkeypatch):
    import gamegan.train.run as run_module

    real_train = run_module.train

    def train(cfg, **kwargs):
        if cfg.model.params.get("dropout") == 0.5:
            raise RuntimeError("boom\nsecond line")
        return real_train(cfg, **kwargs)

    monkeypatch.setattr(run_module, "train", train)
    result, _ = sweep(tmp_path / "sweep", mnist_dir)
    status = {r["setting"]: (r["status"], r["error"]) for r in result.rows}
    assert status == {"a": ("done", None), "b": ("failed", "RuntimeError: boom")}
    assert "- b: RuntimeError: boom" in result.table


def test_nan_losses_count_as_diverged(tmp_path):
    lines = [
        {"iteration": 10, "Loss/D": 0.5, "Loss/G": 1.0, "Timing/sec_per_iter": 0.2},
        {"iteration": 20, "Loss/D": float("nan"), "Loss/G": 2.0, "Timing/sec_per_iter": 0.4},
    ]
    (tmp_path / "stats.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    summary = summarize_run(tmp_path)
    assert summary["diverged"] == "Loss/D is nan at iteration 20"
    assert summary["loss_d"] is None and summary["loss_g"] == 2.0  # mean of the last 10%
    assert summary["seconds_per_iteration"] == pytest.approx(0.3)
    row = {"setting": "x", "status": "failed", "iteration": 20, "error": "diverged", "metrics": []}
    assert "| x | failed | 20 | - | - | - |" in format_table([row])


def test_builtin_sweeps_cover_the_chapter():
    from gamegan.config import OPTIMIZERS
    from gamegan.nn.layers import ACTIVATIONS

    assert [s.name for s in SWEEPS["optimizers"].settings] == list(OPTIMIZERS)
    assert [s.name for s in SWEEPS["activations"].settings] == ["chapter", *ACTIVATIONS]
    assert SWEEPS["critics"].settings[-1].overrides == ("train.n_critic=10",)
    assert SWEEPS["bn-momentum"].settings[0].overrides == ("model.bn_momentum=0.5",)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"sweep": "nope"}, "unknown sweep 'nope'"),
        ({"preset": "nope"}, "unknown preset 'nope'"),
        ({"overrides": ["optim.lr"]}, "expected KEY=VALUE"),
        ({"overrides": ["model.nope=1"]}, "model.nope"),
        (
            {"overrides": ["optim.lr=1e-3"]},
            "optim.lr=1e-3: the optimizers sweep sets this key itself",
        ),
        ({"only": "adam,nope"}, "--only nope"),
        ({"sweep": Sweep("s", "", (Setting("x", ("model.nope=1",)),))}, "does not fit preset"),
    ],
)
def test_config_errors_before_anything_trains(tmp_path, args, message):
    options = {"sweep": "optimizers", "preset": "dcgan-mnist", **args}
    with pytest.raises(ConfigError, match=re.escape(message)):
        run_sweep(options.pop("sweep"), options.pop("preset"), out=tmp_path / "x", **options)
    assert not (tmp_path / "x").exists()


def test_cli_runs_a_subset_and_prints_the_table(tmp_path, mnist_dir):
    sets = sum((["--set", o] for o in TINY), [])
    out = tmp_path / "critics"
    args = ["experiment", "critics", "dcgan-mnist", "--only", "n_critic-1,n_critic-2"]
    args += ["--iterations", "2", "--data-dir", str(mnist_dir), "--out", str(out), *sets]
    result = CliRunner().invoke(app, [*args, "--eval-count", "0", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "| n_critic-1 | done | 2 |" in result.output
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["n_critic-1", "n_critic-2"]
    saved = json.loads((out / "n_critic-2" / "config.json").read_text())
    assert saved["train"]["n_critic"] == 2


def test_cli_bad_sweep_is_one_line_and_exit_2():
    result = subprocess.run(
        [sys.executable, "-m", "gamegan", "experiment", "nope", "dcgan-mnist"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: unknown sweep 'nope'; choose one of: optimizers, critics, bn-momentum, activations"
    ]
