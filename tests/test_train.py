"""The training engine: files a run writes, resume equality, interruption, learning."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from conftest import TINY_DCGAN
from gamegan.api import images, resume, train
from gamegan.errors import CheckpointError, ConfigError, DataError
from gamegan.io.checkpoint import STATE_FORMAT, load_tensors
from gamegan.io.png import read_png
from gamegan.io.stats import read_stats

TINY_MLP = ("model.g_hidden=(16, 16)", "model.d_hidden=(16,)", "model.z_dim=8")


def tiny_run(tmp_path, mnist_dir, name="run", preset="dcgan-mnist", extra=(), **flags):
    flags = {"iterations": 4, "sample_every": 2, "checkpoint_every": 2, **flags}
    tiny = TINY_MLP if preset == "gan-mnist" else TINY_DCGAN
    return train(
        preset,
        out=tmp_path / name,
        data_dir=mnist_dir,
        overrides=(*tiny, "train.log_every=1", "train.tensorboard=False", *extra),
        progress=False,
        quiet=True,
        **flags,
    )


def test_run_folder_holds_everything(tmp_path, mnist_dir):
    result = tiny_run(tmp_path, mnist_dir, extra=("train.tensorboard=True",))
    run = result.run_dir
    assert result.status == "done" and result.iteration == 4
    config = json.loads((run / "config.json").read_text())
    assert config["preset"] == "dcgan-mnist" and config["train"]["iterations"] == 4
    stats = read_stats(run)
    assert [s["iteration"] for s in stats] == [1, 2, 3, 4]
    for line in stats:
        assert {
            "Loss/D",
            "Loss/G",
            "Accuracy/D",
            "Timing/sec_per_iter",
            "Timing/img_per_sec",
        } <= set(line)
        assert 0.0 <= line["Accuracy/D"] <= 1.0 and np.isfinite(line["Loss/D"])
    reals = read_png(run / "samples" / "reals.png")
    fakes = read_png(run / "samples" / "fakes-000004.png")
    assert reals.shape == fakes.shape == (5 * 28 + 6 * 2, 5 * 28 + 6 * 2)  # 5x5 grid, 2 px padding
    assert (run / "samples" / "fakes-000002.png").exists()
    assert (run / "snapshot-000002.safetensors").exists() and (
        run / "snapshot-000004.safetensors"
    ).exists()
    assert any((run / "tensorboard").iterdir())
    assert "done at iteration 4" in (run / "log.txt").read_text()


def test_keep_states_prunes_old_states(tmp_path, mnist_dir):
    run = tiny_run(
        tmp_path, mnist_dir, iterations=6, checkpoint_every=1, extra=("train.keep_states=2",)
    ).run_dir
    assert sorted(p.name for p in run.glob("state-*")) == [
        "state-000005.safetensors",
        "state-000006.safetensors",
    ]
    assert len(list(run.glob("snapshot-*"))) == 6


def _state_tensors(run_dir, iteration):
    tensors, meta = load_tensors(
        run_dir / f"state-{iteration:06d}.safetensors", expected_format=STATE_FORMAT
    )
    return tensors, meta


@pytest.mark.parametrize(
    "preset, extra",
    [
        ("dcgan-mnist", ("train.ema_decay=0.9",)),  # dropout, BN, Adam, EMA
        ("dcgan-mnist", ("train.precision=bf16",)),  # bf16 autocast, channels_last, dropout
        ("wgan-mnist", ("train.n_critic=2",)),  # RMSprop, clipping, several critic steps
        ("gan-mnist", ("loss.name=wgan_gp",)),  # gradient penalty, BN in G
        # labels, a class head, lazy R1 (penalised D steps 0, 2, 4 across the resume at 3)
        ("acgan-mnist", ("loss.name=r1", "train.ema_decay=0.9", "train.penalty_every=2")),
        ("sgan-mnist", ("model.labelled_per_class=2",)),  # labels for D only, D in snapshots
    ],
)
def test_resume_is_bit_exact(tmp_path, mnist_dir, preset, extra):
    whole = tiny_run(tmp_path, mnist_dir, "whole", preset, extra, iterations=6, checkpoint_every=3)
    part = tiny_run(tmp_path, mnist_dir, "part", preset, extra, iterations=3, checkpoint_every=3)
    resumed = resume(part.run_dir, iterations=6, progress=False, quiet=True)
    assert resumed.iteration == 6
    a, meta_a = _state_tensors(whole.run_dir, 6)
    b, meta_b = _state_tensors(part.run_dir, 6)
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert meta_a["sampler"] == meta_b["sampler"]
    assert meta_a["opt_G"] == meta_b["opt_G"]
    # the resumed run's stats read as one run
    assert [s["iteration"] for s in read_stats(part.run_dir)] == list(range(1, 7))


def test_resume_can_change_the_cpu_threads(tmp_path, mnist_dir):
    part = tiny_run(tmp_path, mnist_dir, iterations=2).run_dir
    before = torch.get_num_threads()
    try:
        resumed = resume(part, iterations=4, threads=2, progress=False, quiet=True)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
    assert resumed.iteration == 4
    assert json.loads((part / "config.json").read_text())["train"]["threads"] == 2
    logged = [line for line in (part / "log.txt").read_text().splitlines() if "threads:" in line]
    assert len(logged) == 2 and logged[-1].endswith("threads: 2"), logged


def test_busy_machine_note_names_the_load_and_a_thread_count(monkeypatch):
    from gamegan import runtime

    monkeypatch.setattr(runtime, "usable_cores", lambda: 2)
    monkeypatch.setattr(runtime.os, "getloadavg", lambda: (1.2, 1.0, 1.0))  # busy: look
    monkeypatch.setattr(runtime, "other_work_cores", lambda: 1.0)
    note = runtime.busy_cores_note(2)
    assert "keeps 1.0 of 2 cores busy" in note and "--threads 1" in note
    assert runtime.busy_cores_note(1) is None  # one thread beside one busy core fits
    monkeypatch.setattr(runtime, "other_work_cores", lambda: 2.0)
    assert runtime.busy_cores_note(1) is None  # nothing to lower: one thread is time-sliced
    monkeypatch.setattr(runtime, "usable_cores", lambda: 8)
    monkeypatch.setattr(runtime.os, "getloadavg", lambda: (5.0, 1.0, 1.0))
    monkeypatch.setattr(runtime, "other_work_cores", lambda: 5.0)
    assert "--threads 3" in runtime.busy_cores_note(4)
    assert runtime.busy_cores_note(3) is None
    monkeypatch.setattr(runtime, "usable_cores", lambda: 2)
    # a job that has just ended still weighs on the load average: the measurement decides
    monkeypatch.setattr(runtime.os, "getloadavg", lambda: (1.5, 1.0, 1.0))
    monkeypatch.setattr(runtime, "other_work_cores", lambda: 0.2)
    assert runtime.busy_cores_note(2) is None
    # where the OS gives no CPU times, the 1-minute load average stands in
    monkeypatch.setattr(runtime, "other_work_cores", lambda: None)
    assert "keeps 1.5 of 2 cores busy" in runtime.busy_cores_note(2)

    def not_measured():
        raise AssertionError("measured though the load average says the machine is quiet")

    monkeypatch.setattr(runtime.os, "getloadavg", lambda: (0.3, 1.0, 1.0))
    monkeypatch.setattr(runtime, "other_work_cores", not_measured)
    assert runtime.busy_cores_note(2) is None


@pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="CPU times from Linux's /proc")
def test_other_work_is_measured_without_this_process():
    import threading

    from gamegan import runtime

    if runtime.other_work_cores(0.5) > runtime.usable_cores() - 1.2:
        pytest.skip("other processes keep the cores busy: no room for a spinner to show")
    # a thread of this process spins while it measures: its own work does not count ...
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            pass

    ours = threading.Thread(target=spin)
    ours.start()
    try:
        own = runtime.other_work_cores(1.0)
    finally:
        stop.set()
        ours.join()
    # ... and another process that spins does: about one core more than the line above
    code = "import time\nend = time.time() + 3\nwhile time.time() < end: pass"
    spinner = subprocess.Popen([sys.executable, "-c", code])
    try:
        time.sleep(0.3)
        other = runtime.other_work_cores(1.0)
    finally:
        spinner.kill()
        spinner.wait()
    assert other - own > 0.5, (own, other)


def test_training_on_a_busy_machine_logs_the_note(tmp_path, mnist_dir, monkeypatch):
    from gamegan import runtime

    monkeypatch.setattr(runtime, "usable_cores", lambda: 2)
    monkeypatch.setattr(runtime.os, "getloadavg", lambda: (3.0, 3.0, 3.0))
    monkeypatch.setattr(runtime, "other_work_cores", lambda: 3.0)
    before = torch.get_num_threads()
    try:
        run = tiny_run(tmp_path, mnist_dir, iterations=1, threads=2).run_dir
    finally:
        torch.set_num_threads(before)
    log = (run / "log.txt").read_text()
    assert "note: the machine is busy (other work keeps 3.0 of 2 cores busy)" in log


def test_metrics_every_evaluates_without_changing_training(tmp_path, mnist_dir):
    extra = ("train.metrics_count=20",)
    plain = tiny_run(tmp_path, mnist_dir, "plain", extra=extra)
    measured = tiny_run(tmp_path, mnist_dir, "measured", extra=extra, metrics_every=2)
    records = [json.loads(line) for line in (measured.run_dir / "metrics.jsonl").open()]
    assert [r["iteration"] for r in records] == [2, 4]
    for record in records:
        names = {row["metric"] for row in record["results"]}
        assert "swd/avg" in names and not any(n.startswith("classifier") for n in names)
        assert all(row["value"] > 0 for row in record["results"])
    assert not (plain.run_dir / "metrics.jsonl").exists()
    a, _ = _state_tensors(plain.run_dir, 4)
    b, _ = _state_tensors(measured.run_dir, 4)
    for key in a:
        assert torch.equal(a[key], b[key]), key
    log = (measured.run_dir / "log.txt").read_text()
    assert "metrics at iteration 2: swd" in log


def test_lazy_penalty_is_computed_on_every_kth_d_step_only(tmp_path, mnist_dir):
    extra = ("loss.name=r1", "train.penalty_every=3")
    run = tiny_run(tmp_path, mnist_dir, extra=extra, iterations=7).run_dir
    penalised = [s["iteration"] for s in read_stats(run) if "Loss/D/penalty" in s]
    assert penalised == [1, 4, 7]  # D steps 0, 3 and 6
    every = tiny_run(tmp_path, mnist_dir, "every", extra=("loss.name=r1",), iterations=2).run_dir
    assert all("Loss/D/penalty" in s for s in read_stats(every))
    with pytest.raises(ConfigError, match="penalty_every"):
        tiny_run(tmp_path, mnist_dir, "bad", extra=("train.penalty_every=0",))


def test_resume_rejects_wrong_files(tmp_path, mnist_dir):
    with pytest.raises(CheckpointError, match="not a gamegan run folder"):
        resume(tmp_path)
    run = tiny_run(tmp_path, mnist_dir, iterations=2).run_dir
    for state in run.glob("state-*"):
        state.write_bytes(b"\x80\x04K\x01.")  # a pickle
    with pytest.raises(CheckpointError, match="never unpickles"):
        resume(run, iterations=4)


def test_bad_input_leaves_no_run_folder(tmp_path, mnist_dir):
    with pytest.raises(ConfigError):
        tiny_run(tmp_path, mnist_dir, "a", extra=("model.z_dim=zero",))
    with pytest.raises(DataError):
        train("dcgan-folder", out=tmp_path / "b", data=str(tmp_path / "missing"), quiet=True)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError):
        train("dcgan-folder", out=tmp_path / "c", data=str(tmp_path / "empty"), quiet=True)
    assert (
        not (tmp_path / "a").exists()
        and not (tmp_path / "b").exists()
        and not (tmp_path / "c").exists()
    )


def test_existing_folder_is_not_overwritten(tmp_path, mnist_dir):
    tiny_run(tmp_path, mnist_dir, "r", iterations=1)
    with pytest.raises(ConfigError, match="already exists"):
        tiny_run(tmp_path, mnist_dir, "r", iterations=1)


def test_numbered_run_folders(tmp_path, mnist_dir, monkeypatch):
    monkeypatch.chdir(tmp_path)
    kwargs = dict(data_dir=mnist_dir, iterations=1, overrides=TINY_DCGAN, quiet=True)
    first = train("dcgan-mnist", **kwargs).run_dir
    second = train("dcgan-mnist", **kwargs).run_dir
    assert (first.name, second.name) == ("00000-dcgan-mnist", "00001-dcgan-mnist")


def test_generated_images_depend_only_on_seed(tmp_path, mnist_dir):
    run = tiny_run(tmp_path, mnist_dir, iterations=2).run_dir
    a = images(run, n=4, seed=10)
    b = images(run, n=2, seed=12)
    assert a.shape == (4, 28, 28, 1) and a.dtype == np.uint8
    assert np.array_equal(a[2:], b)
    assert not np.array_equal(a[0], a[1])


def test_gan_learns_an_easy_target(tmp_path):
    """A tiny MLP GAN on one repeated picture: its samples must move towards that picture."""
    from PIL import Image

    folder = tmp_path / "target"
    folder.mkdir()
    picture = np.zeros((16, 16), np.uint8)
    picture[:, :8] = 255
    for i in range(8):
        Image.fromarray(picture).save(folder / f"{i}.png")
    common = dict(
        data=str(folder),
        overrides=(
            "model.name=mlp_gan",
            "model.resolution=16",
            "model.channels=1",
            "model.z_dim=8",
            "model.g_hidden=(32, 32)",
            "model.d_hidden=(32,)",
            "optim.lr=1e-3",
            "train.tensorboard=False",
        ),
        batch_size=16,
        sample_every=0,
        quiet=True,
        progress=False,
    )
    start = train("dcgan-folder", out=tmp_path / "r0", iterations=0, **common).run_dir
    end = train("dcgan-folder", out=tmp_path / "r1", iterations=600, **common).run_dir
    target = picture.astype(np.float32)

    def error(run):
        return np.abs(images(run, n=16, seed=0)[..., 0].astype(np.float32) - target).mean()

    assert error(end) < 0.5 * error(start)


def test_sigint_saves_state_and_resume_finishes(tmp_path, mnist_dir):
    run = tmp_path / "killed"
    cmd = [
        sys.executable,
        "-m",
        "gamegan",
        "train",
        "dcgan-mnist",
        "--data-dir",
        str(mnist_dir),
        "--out",
        str(run),
        "--iterations",
        "100000",
        "--checkpoint-every",
        "0",
        "--sample-every",
        "0",
        "--no-progress",
        *sum((["--set", o] for o in (*TINY_DCGAN, "train.tensorboard=False")), []),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and not (run / "stats.jsonl").exists():
        time.sleep(0.2)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "gamegan train --resume" in err
    states = sorted(run.glob("state-*.safetensors"))
    assert len(states) == 1
    stopped_at = int(states[0].stem.split("-")[1])
    assert stopped_at > 0
    result = resume(run, iterations=stopped_at + 2, progress=False, quiet=True)
    assert result.iteration == stopped_at + 2


@pytest.mark.skipif(os.cpu_count() is None, reason="needs a CPU count")
def test_torchrun_two_processes(tmp_path, mnist_dir):
    run = tmp_path / "ddp"
    base = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        "-m",
        "gamegan",
        "train",
    ]
    tiny = sum((["--set", o] for o in (*TINY_DCGAN, "train.tensorboard=False")), [])
    first = subprocess.run(
        [
            *base,
            "dcgan-mnist",
            "--data-dir",
            str(mnist_dir),
            "--out",
            str(run),
            "--iterations",
            "3",
            "--checkpoint-every",
            "2",
            "--sample-every",
            "2",
            "--no-progress",
            *tiny,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert first.returncode == 0, first.stderr[-3000:]
    assert (run / "samples" / "fakes-000002.png").exists()
    tensors, meta = _state_tensors(run, 3)
    assert meta["world_size"] == 2 and "rng.rank1.global_cpu" in tensors
    second = subprocess.run(
        [*base, "--resume", str(run), "--iterations", "5", "--no-progress"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert second.returncode == 0, second.stderr[-3000:]
    assert (run / "state-000005.safetensors").exists()
    assert [s["iteration"] for s in read_stats(run)][-1] == 5


def test_wgan_forest_trains_on_class_33_only(tmp_path, cifar_dir):
    from gamegan.build import resolve
    from gamegan.data.run_data import load_run_data
    from gamegan.presets import build_config

    cfg = build_config("wgan-forest", data_dir=cifar_dir)
    data = load_run_data(resolve(cfg))
    assert data.images.shape == (6, 3, 32, 32)  # the fixture holds 6 forest + 6 other images
    assert data.labels.tolist() == [33] * 6
    result = train(
        "wgan-forest",
        out=tmp_path / "forest",
        data_dir=cifar_dir,
        iterations=2,
        overrides=(*TINY_DCGAN, "train.tensorboard=False"),
        quiet=True,
        progress=False,
    )
    assert read_png(result.run_dir / "samples" / "reals.png").shape == (5 * 32 + 12, 5 * 32 + 12, 3)


def test_bf16_autocast_trains(tmp_path, mnist_dir):
    result = tiny_run(tmp_path, mnist_dir, extra=("train.precision=bf16",), iterations=2)
    for line in read_stats(result.run_dir):
        assert np.isfinite(line["Loss/D"]) and np.isfinite(line["Loss/G"])


@pytest.mark.parametrize(
    "amx, avx512_bf16, chosen",
    [(True, False, "bf16"), (False, True, "bf16"), (False, False, "fp32")],
)
def test_precision_auto_follows_the_hardware(
    tmp_path, mnist_dir, monkeypatch, amx, avx512_bf16, chosen
):
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: avx512_bf16)
    result = tiny_run(
        tmp_path, mnist_dir, extra=("train.precision=auto",), iterations=1, device="cpu"
    )
    # config.json keeps the choice, so a resume trains on in the same precision
    assert json.loads((result.run_dir / "config.json").read_text())["train"]["precision"] == chosen
    assert f"precision: {chosen} (auto: " in (result.run_dir / "log.txt").read_text()


def test_state_of_another_model_is_refused(tmp_path, mnist_dir):
    dcgan = tiny_run(tmp_path, mnist_dir, "a", iterations=1).run_dir
    wider = tiny_run(tmp_path, mnist_dir, "b", iterations=1, extra=("model.z_dim=9",)).run_dir
    for state in dcgan.glob("state-*"):
        state.unlink()
    (wider / "state-000001.safetensors").rename(dcgan / "state-000001.safetensors")
    with pytest.raises(CheckpointError, match="weights do not fit"):
        resume(dcgan, iterations=2)
