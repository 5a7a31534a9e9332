"""Faults a user meets: kills, a second process, a full disk, stale temp files, bad totals.

docs/reliability.md lists each fault with the test here that proves what happens.
"""

import errno
import functools
import json
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import safetensors.torch
import torch

from conftest import TINY_DCGAN
from gamegan.api import resume, train
from gamegan.errors import CheckpointError, ConfigError
from gamegan.io.checkpoint import STATE_FORMAT, load_tensors
from gamegan.io.png import read_png, write_png
from gamegan.io.rundir import RunLock
from gamegan.io.stats import read_stats

OVERRIDES = (*TINY_DCGAN, "train.log_every=1", "train.tensorboard=False")


def tiny_run(tmp_path, mnist_dir, name="run", **flags):
    flags = {"iterations": 4, "sample_every": 0, "checkpoint_every": 2, **flags}
    return train(
        "dcgan-mnist",
        out=tmp_path / name,
        data_dir=mnist_dir,
        overrides=OVERRIDES,
        progress=False,
        quiet=True,
        **flags,
    )


def cli(*words, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "gamegan", *words],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def test_run_killed_before_first_checkpoint_resumes_from_zero(tmp_path, mnist_dir):
    # What a crash before the first checkpoint leaves: config.json and a log, no state.
    run = tiny_run(tmp_path, mnist_dir, "killed").run_dir
    for path in [*run.glob("state-*"), *run.glob("snapshot-*")]:
        path.unlink()
    result = resume(run, progress=False, quiet=True)
    assert result.status == "done" and result.iteration == 4
    assert [row["iteration"] for row in read_stats(run)] == [1, 2, 3, 4]  # read as one run
    assert "no training state yet: starting again from iteration 0" in (run / "log.txt").read_text()
    # ... and it trained exactly as an uninterrupted run with the same config.
    fresh = tiny_run(tmp_path, mnist_dir, "fresh").run_dir
    a, _ = load_tensors(run / "state-000004.safetensors", expected_format=STATE_FORMAT)
    b, _ = load_tensors(fresh / "state-000004.safetensors", expected_format=STATE_FORMAT)
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_killed_before_config_json_the_folder_can_be_reused(tmp_path, mnist_dir):
    (tmp_path / "half" / "samples").mkdir(parents=True)  # what create_run_dir made first
    (tmp_path / "half" / ".lock").write_text("123")
    assert tiny_run(tmp_path, mnist_dir, "half", iterations=1).status == "done"


def test_one_process_at_a_time_holds_a_run_folder(tmp_path, mnist_dir):
    run = tiny_run(tmp_path, mnist_dir, iterations=2).run_dir
    config = (run / "config.json").read_bytes()
    held = RunLock(run)  # another open of the lock, as a second process makes
    try:
        with pytest.raises(ConfigError, match="another gamegan process .* is training"):
            RunLock(run)
        with pytest.raises(ConfigError, match="another gamegan process"):
            resume(run, iterations=4, progress=False, quiet=True)
        # A second process on the command line: one line, non-zero exit, nothing rewritten.
        proc = cli("train", "--resume", str(run), "--iterations", "4", "--no-progress")
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 2
        assert err.strip().count("\n") == 0 and "another gamegan process" in err, err
        assert (run / "config.json").read_bytes() == config
        assert not (run / "state-000004.safetensors").exists()
    finally:
        held.release()
    assert resume(run, iterations=4, progress=False, quiet=True).iteration == 4


def test_stale_temp_files_are_removed_when_a_run_is_opened(tmp_path, mnist_dir):
    run = tiny_run(tmp_path, mnist_dir, iterations=2).run_dir
    stale = [
        run / ".state-000004.safetensors.gamegan.tmp",  # a kill inside a checkpoint write
        run / ".snapshot-000004.safetensors.gamegan.tmp",
        run / "state-000004.safetensors.tmp",  # the name older versions used
    ]
    for path in stale:
        path.write_bytes(b"\0" * 1000)
    mine = run / "notes.tmp"
    mine.write_text("not ours")
    resume(run, iterations=3, progress=False, quiet=True)
    assert not any(path.exists() for path in stale)
    assert mine.read_text() == "not ours"
    assert [p.name for p in run.iterdir() if p.name.endswith(".tmp")] == ["notes.tmp"]


def test_write_png_removes_a_killed_write_of_the_same_file(tmp_path):
    target = tmp_path / "tex.png"
    for stale in (tmp_path / "tex.png.tmp", tmp_path / ".tex.png.gamegan.tmp"):
        stale.write_bytes(b"half a png")
    other = tmp_path / "other.png.tmp"
    other.write_bytes(b"another target's")
    image = np.arange(12, dtype=np.uint8).reshape(3, 4)
    write_png(target, image)
    assert np.array_equal(read_png(target), image)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.png.tmp", "tex.png"]


@pytest.mark.parametrize(
    "error",
    [
        OSError(errno.ENOSPC, "No space left on device"),
        safetensors.SafetensorError("Error while serializing: IoError(No space left on device)"),
    ],
    ids=["ENOSPC", "SafetensorError"],
)
def test_full_disk_stops_with_one_line_and_keeps_the_last_state(
    tmp_path, mnist_dir, monkeypatch, error
):
    real_save = safetensors.torch.save_file

    def save_file(tensors, filename, metadata=None):
        if "000004" in filename:
            with open(filename, "wb") as f:  # the disk fills half-way through the write
                f.write(b"\0" * 100)
            raise error
        return real_save(tensors, filename, metadata=metadata)

    monkeypatch.setattr(safetensors.torch, "save_file", save_file)
    with pytest.raises(CheckpointError, match="no space left on the device") as caught:
        tiny_run(tmp_path, mnist_dir)
    assert "\n" not in str(caught.value)
    run = tmp_path / "run"
    assert sorted(p.name for p in run.iterdir() if "state" in p.name) == [
        "state-000002.safetensors"
    ]
    _, meta = load_tensors(run / "state-000002.safetensors", expected_format=STATE_FORMAT)
    assert meta["iteration"] == 2
    monkeypatch.setattr(safetensors.torch, "save_file", real_save)
    assert resume(run, progress=False, quiet=True).iteration == 4  # the lock was released


def test_resume_to_fewer_iterations_than_done_is_refused(tmp_path, mnist_dir):
    run = tiny_run(tmp_path, mnist_dir).run_dir
    config = (run / "config.json").read_bytes()
    with pytest.raises(ConfigError, match="already at iteration 4"):
        resume(run, iterations=2, progress=False, quiet=True)
    assert (run / "config.json").read_bytes() == config
    assert json.loads(config)["train"]["iterations"] == 4


def test_resume_after_the_samples_folder_was_removed(tmp_path, mnist_dir):
    # Once an internal error: the sample grid's temporary file had no folder to go in.
    run = tiny_run(tmp_path, mnist_dir, sample_every=2).run_dir
    shutil.rmtree(run / "samples")
    resume(run, iterations=6, progress=False, quiet=True)
    assert sorted(p.name for p in (run / "samples").iterdir()) == ["fakes-000006.png"]


def test_sigterm_saves_state_and_exits_143(tmp_path, mnist_dir):
    run = tmp_path / "terminated"
    sets = sum((["--set", o] for o in OVERRIDES), [])
    proc = cli(
        "train", "dcgan-mnist", "--data-dir", str(mnist_dir), "--out", str(run),
        "--iterations", "100000", "--checkpoint-every", "0", "--sample-every", "0",
        "--no-progress", *sets,
    )  # fmt: skip
    deadline = time.time() + 60
    while time.time() < deadline and not (run / "stats.jsonl").exists():
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "Traceback" not in err and "gamegan train --resume" in err
    assert len(list(run.glob("state-*.safetensors"))) == 1


def test_a_hopeless_batch_size_is_refused_before_the_run_folder(tmp_path, mnist_dir):
    with pytest.raises(ConfigError, match=r"--batch-size 100000000: .* GB .* smaller batch"):
        tiny_run(tmp_path, mnist_dir, batch_size=100_000_000)
    assert not (tmp_path / "run").exists()


def generate(*words):
    """``gamegan generate WORDS`` in this process: (exit code, output), as ``main`` ends."""
    from typer.testing import CliRunner

    from gamegan.cli import app
    from gamegan.errors import GameganError

    result = CliRunner().invoke(app, ["generate", *words])
    assert result.exception is None or isinstance(result.exception, (SystemExit, GameganError))
    if isinstance(result.exception, GameganError):  # main() prints it as one line, exit 2
        return 2, f"error: {result.exception}\n"
    return result.exit_code, result.output


@pytest.mark.parametrize("size", ["1x1", "3x3", "2048x2"])
def test_generate_refuses_tiny_sizes_before_writing(tmp_path, size):
    code, output = generate("brick", "--size", size, "--out", str(tmp_path / "t.png"))
    assert code == 2 and f"--size '{size}': at least 8 pixels" in output
    assert list(tmp_path.iterdir()) == []


def test_generate_into_a_missing_or_unwritable_folder_is_one_line(tmp_path):
    missing = tmp_path / "no" / "dir" / "x.png"
    code, output = generate("brick", "--size", "16x16", "--out", str(missing))
    assert code == 2 and "does not exist" in output
    assert not (tmp_path / "no").exists()
    code, output = generate("brick", "--size", "16x16", "--out", "/proc/x.png")
    assert code == 2 and "--out /proc/x.png: cannot write there" in output, output
    assert output.count("\n") == 1


def test_generate_into_a_full_disk_is_one_line_and_leaves_no_half_written_file(
    tmp_path, monkeypatch
):
    from PIL import Image

    real_save = Image.Image.save

    def save(self, fp, *args, **kwargs):
        if "-tiled" in str(fp):  # the texture is written; the disk fills during the preview
            with open(fp, "wb") as f:
                f.write(b"\x89PNG\r\n half a file")
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(self, fp, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "save", save)
    out = tmp_path / "t.png"
    code, output = generate("brick", "--size", "32x32", "--out", str(out))
    assert code == 2, output
    full = "no space left on the device; no half-written file was left"
    assert output == f"error: --out {out}: {full}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["t.png"]  # finished before: whole
    assert read_png(out).shape == (32, 32)


def test_large_textures_show_a_progress_bar_per_window(tmp_path, monkeypatch):
    import gamegan.generate as gen

    real_texture = gen.texture
    words = ["brick", "--size", "128x64", "--no-preview", "--out", str(tmp_path / "t.png")]
    # 1-cell windows: the 8x4 latent cells of a 128x64 texture make 32 windows, as many as
    # a 4096x2048 texture's at the default 32 cells (512 px).
    monkeypatch.setattr(gen, "texture", functools.partial(real_texture, tile_cells=1))
    code, output = generate(*words, "--progress")
    assert code == 0, output
    assert re.search(r"seed 0: 100%\|.*\| 32/32 \[", output), output
    code, output = generate(*words, "--no-progress")
    assert code == 0 and "32/32" not in output, output
    # 8 windows (below MIN_PROGRESS_WINDOWS, as a 1024x1024 texture's 4) take no bar.
    monkeypatch.setattr(gen, "texture", functools.partial(real_texture, tile_cells=2))
    code, output = generate(*words, "--progress")
    assert code == 0 and "%|" not in output, output


def test_shell_completion(monkeypatch):
    from typer.testing import CliRunner

    from gamegan.cli import app

    # Typer detects the shell from the parent processes; the test names it instead.
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    result = CliRunner().invoke(app, ["--show-completion", "bash"])
    assert result.exit_code == 0, result.output
    assert "complete -o default -F _gamegan_completion gamegan" in result.output
    # What the script asks on a Tab after "gamegan gen": the program completes the word.
    env = {"_GAMEGAN_COMPLETE": "complete_bash", "COMP_WORDS": "gamegan gen", "COMP_CWORD": "1"}
    result = CliRunner().invoke(app, [], env=env)
    assert result.exit_code == 0 and result.output.split() == ["generate"], result.output


def test_nested_or_unreadable_checkpoint_headers_get_clear_errors(tmp_path, monkeypatch):
    import gamegan.io.checkpoint as checkpoint

    header = b"[" * 200_000 + b"]" * 200_000 + b" "  # its length does not start with 0x80
    bomb = tmp_path / "bomb.safetensors"
    bomb.write_bytes(len(header).to_bytes(8, "little") + header)
    with pytest.raises(CheckpointError, match="not a safetensors file"):
        checkpoint.read_metadata(bomb)

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(checkpoint, "open", denied, raising=False)
    with pytest.raises(CheckpointError, match="permission denied"):
        checkpoint.read_metadata(bomb)


def test_unreadable_images_say_why(tmp_path, monkeypatch):
    from PIL import Image

    from gamegan.data.image_folder import SkipImage, read_image

    path = tmp_path / "a.png"
    write_png(path, np.zeros((4, 4), np.uint8))

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Image, "open", denied)
    with pytest.raises(SkipImage, match="permission denied"):
        read_image(path)
    monkeypatch.undo()

    loop_a, loop_b = tmp_path / "loop-a.png", tmp_path / "loop-b.png"
    loop_a.symlink_to(loop_b)
    loop_b.symlink_to(loop_a)
    with pytest.raises(SkipImage, match="link loop"):
        read_image(loop_a)


def test_version_and_short_help():
    from typer.testing import CliRunner

    from gamegan import __version__
    from gamegan.cli import app

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output == f"gamegan {__version__}\n"
    for words in ([], ["train"], ["data", "download"]):
        result = CliRunner().invoke(app, [*words, "-h"])
        assert result.exit_code == 0 and "Usage: gamegan" in result.output


# The last-resort handler


def test_an_unexpected_exception_is_one_line_and_a_crash_log(tmp_path, monkeypatch, capsys):
    import gamegan.cli as cli_module
    from gamegan.io import rundir

    def boom():
        raise RuntimeError("something\nbroke inside")

    monkeypatch.setattr(cli_module, "app", boom)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(rundir, "last_locked_run_dir", None)
    with pytest.raises(SystemExit) as exit_info:
        cli_module.main()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("gamegan: internal error: RuntimeError: something broke inside; ")
    assert "(user cache folder)" in err
    (log,) = (tmp_path / "cache" / "gamegan").glob("crash-*.log")
    assert str(log) in err
    assert "Traceback" in log.read_text() and "in boom" in log.read_text()

    # While a run folder is (or was) locked by this process, the log goes there.
    run = tmp_path / "run"
    run.mkdir()
    monkeypatch.setattr(rundir, "last_locked_run_dir", run)
    with pytest.raises(SystemExit):
        cli_module.main()
    err = capsys.readouterr().err
    (log,) = run.glob("crash-*.log")
    assert f"the traceback is in {log} (run folder)" in err


def test_user_errors_and_interrupts_are_not_internal_errors(monkeypatch, capsys):
    import gamegan.cli as cli_module

    def user_error():
        raise ConfigError("--size 1x1: too small")

    monkeypatch.setattr(cli_module, "app", user_error)
    with pytest.raises(SystemExit) as exit_info:
        cli_module.main()
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == "error: --size 1x1: too small\n"

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_module, "app", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cli_module.main()


def test_a_corrupt_newest_state_falls_back_to_the_previous_good_one(tmp_path, mnist_dir):
    run = tiny_run(tmp_path, mnist_dir, "corrupt").run_dir
    newest = run / "state-000004.safetensors"
    assert (run / "state-000002.safetensors").is_file()
    data = newest.read_bytes()
    newest.write_bytes(data[: len(data) // 2])  # what a crash of the machine mid-write leaves
    result = resume(run, iterations=6, progress=False, quiet=True)
    assert result.status == "done" and result.iteration == 6
    log = (run / "log.txt").read_text()
    assert (
        "newest state unreadable, resuming from the previous good one, state-000002.safetensors"
        in log
    )
    assert "resumed state-000002.safetensors at iteration 2" in log

    # With no readable state at all, one clear error and nothing trained.
    for path in run.glob("state-*"):
        path.write_bytes(b"\0" * 16)
    with pytest.raises(CheckpointError, match="no readable training state"):
        resume(run, iterations=8, progress=False, quiet=True)


def test_generate_from_a_run_uses_only_the_runs_own_model(tmp_path, mnist_dir):
    from gamegan.generate import load_generator, resolve_snapshot
    from gamegan.io.checkpoint import SNAPSHOT_FORMAT, save_tensors

    run = tiny_run(tmp_path, mnist_dir, "own").run_dir
    own = resolve_snapshot(run)
    assert own.name == "snapshot-000004.safetensors"
    # Another model's snapshot dropped into the folder, newer than the run's own.
    foreign = run / "snapshot-000099.safetensors"
    save_tensors(foreign, {"w": torch.zeros(1)}, {"format": SNAPSHOT_FORMAT, "model": "mlp_gan"})
    assert resolve_snapshot(run) == own
    assert load_generator(run).path == own
    # The file itself may still be given explicitly.
    assert resolve_snapshot(foreign) == foreign
    for path in run.glob("snapshot-00000*"):
        path.unlink()
    with pytest.raises(CheckpointError, match="no snapshot of the run's model 'dcgan'"):
        resolve_snapshot(run)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/fd")
def test_atomic_writes_fsync_the_temp_file_before_the_rename(tmp_path, monkeypatch):
    import os

    from gamegan.io.checkpoint import save_tensors
    from gamegan.io.rundir import write_json
    from gamegan.io.terrain import write_raw

    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        return real_fsync(fd)

    def replace(src, dst):
        events.append(("replace", str(src)))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    writes = [
        (tmp_path / "a.safetensors", lambda p: save_tensors(p, {"x": torch.zeros(2)}, {})),
        (tmp_path / "b.json", lambda p: write_json(p, {"b": 1})),
        (tmp_path / "c.png", lambda p: write_png(p, np.zeros((8, 8), np.uint8))),
        (tmp_path / "d.raw", lambda p: write_raw(p, np.zeros((8, 8), np.uint16))),
    ]
    for path, write in writes:
        events.clear()
        write(path)
        tmp = str(tmp_path / f".{path.name}.gamegan.tmp")
        assert events == [("fsync", tmp), ("replace", tmp), ("fsync", str(tmp_path))], path
        assert path.is_file()


def test_every_command_defaults_to_the_same_device():
    from typer.main import get_command

    from gamegan.cli import app

    commands = get_command(app).commands
    defaults = {
        name: next(p.default for p in commands[name].params if p.name == "device")
        for name in ("generate", "eval")
    }
    assert defaults == {"generate": "auto", "eval": "auto"}
    # train's None means "the run's own device", which is "auto" in every preset's config.
    assert next(p.default for p in commands["train"].params if p.name == "device") is None


def test_the_log_counts_skipped_files_once(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(4):
        write_png(folder / f"{i}.png", rng.integers(0, 256, (32, 32), dtype=np.uint8))
    (folder / "broken.png").write_bytes(b"not a png")
    (folder / "notes.txt").write_text("not an image")
    run = train(
        "dcgan-mnist",
        out=tmp_path / "run",
        data=str(folder),
        overrides=OVERRIDES,
        progress=False,
        quiet=True,
        iterations=1,
        sample_every=0,
        checkpoint_every=0,
    ).run_dir
    (line,) = [row for row in (run / "log.txt").read_text().splitlines() if "data: " in row]
    said = line.split("photos", 1)[1]  # the temp path itself holds the test's name
    assert said.count("skipped") == 1 and "2 files skipped" in said, line
