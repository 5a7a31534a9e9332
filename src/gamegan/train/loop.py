"""The training loop shared by every model: logging, samples, checkpoints, Ctrl-C.

It drives any *trainer* object with ``iteration``, ``step() -> dict of scalar tensors``,
``images_per_iteration``, ``write_samples(path)``, ``snapshot()`` and ``state()`` (both
returning ``(tensors, metadata)``), so music models reuse it unchanged.
"""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

from gamegan.io.checkpoint import save_tensors
from gamegan.io.rundir import BEST_SNAPSHOT, checkpoint_name, prune_states
from gamegan.io.stats import StatsWriter
from gamegan.runtime import Distributed


class StopRequest:
    """Turns the first SIGINT/SIGTERM into a flag checked between iterations.

    A second Ctrl-C falls through to Python's default and stops at once.
    """

    def __init__(self) -> None:
        self.signal: int | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> StopRequest:
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._previous[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread: leave signals alone
                pass
        return self

    def _handle(self, signum: int, frame: object) -> None:
        self.signal = signum
        signal.signal(signal.SIGINT, signal.default_int_handler)

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


class Log:
    """Lines to ``log.txt`` and to the terminal (through the progress bar when one is shown)."""

    def __init__(self, path: Path | None, *, quiet: bool = False) -> None:
        self._file = open(path, "a") if path is not None else None
        self.quiet = quiet
        self.bar = None

    def __call__(self, line: str) -> None:
        if self._file is not None:
            self._file.write(line + "\n")
            self._file.flush()
        if self.quiet:
            return
        if self.bar is not None:
            self.bar.write(line)
        else:
            print(line, flush=True)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def _format(stats: dict[str, float]) -> str:
    return "  ".join(
        f"{k}={v:.4g}" for k, v in stats.items() if not k.startswith("Timing/") or "_per_sec" in k
    )


def _any_rank(flag: bool, dist_info: Distributed, device: torch.device) -> bool:
    """True on every rank when one rank saw a stop signal, so all stop at the same step."""
    if not dist_info.enabled:
        return flag
    import torch.distributed as dist

    value = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(value)
    return bool(value.item() > 0)


def run(
    trainer,
    *,
    run_dir: Path,
    total_iterations: int,
    log_every: int,
    sample_every: int,
    checkpoint_every: int,
    keep_states: int,
    tensorboard: bool,
    dist_info: Distributed,
    device: torch.device,
    log: Log,
    progress: bool | None = None,
    on_step: Callable[[int], None] | None = None,
    on_stop: Callable[[int], None] | None = None,
) -> str:
    """Train until ``total_iterations``; returns ``"done"`` or ``"interrupted"``.

    The state is saved at every checkpoint, at the end and on a stop signal, so a kill loses
    at most the iterations since the last save, and a resume continues bit for bit.
    ``on_stop`` gets the number of the signal that stopped the run (the exit code says which).
    """
    main = dist_info.is_main
    start = trainer.iteration
    stats_writer = (
        StatsWriter(run_dir, tensorboard=tensorboard, resume_from=start) if main else None
    )
    show_bar = main and (sys.stderr.isatty() if progress is None else progress)
    bar = None
    if show_bar:
        from tqdm import tqdm

        bar = tqdm(total=total_iterations, initial=start, unit="it", dynamic_ncols=True)
        log.bar = bar

    def save(final: bool = False) -> None:
        state_tensors, state_meta = trainer.state()  # collective under torchrun
        if not main:
            return
        snap_tensors, snap_meta = trainer.snapshot()
        it = trainer.iteration
        save_tensors(run_dir / checkpoint_name("snapshot", it), snap_tensors, snap_meta)
        save_tensors(run_dir / checkpoint_name("state", it), state_tensors, state_meta)
        prune_states(run_dir, keep_states)
        log(f"saved {checkpoint_name('state', it)} and {checkpoint_name('snapshot', it)}")

    status = "done"
    last_saved: int | None = None
    sums: dict[str, torch.Tensor] = {}
    counts: dict[str, int] = {}
    count = 0
    tick = time.perf_counter()
    with StopRequest() as stop:
        while trainer.iteration < total_iterations:
            out = trainer.step()
            it = trainer.iteration
            for key, value in out.items():
                sums[key] = sums.get(key, 0.0) + value
                counts[key] = counts.get(key, 0) + 1  # some stats (Loss/val) come now and then
            count += 1
            if on_step is not None:
                on_step(it)

            if it % log_every == 0 or it == total_iterations:
                seconds = time.perf_counter() - tick
                means = {k: float(v) / counts[k] for k, v in sums.items()}
                means["Timing/sec_per_iter"] = seconds / count
                unit = getattr(trainer, "unit", "img")  # img, or seq for sequence models
                means[f"Timing/{unit}_per_sec"] = count * trainer.images_per_iteration / seconds
                if main:
                    stats_writer.write(it, means)
                    if bar is not None:
                        bar.set_postfix_str(_format(means), refresh=False)
                    else:
                        log(f"iteration {it}/{total_iterations}  {_format(means)}")
                sums, counts, count = {}, {}, 0
                tick = time.perf_counter()
            if bar is not None:
                bar.update(1)
            if main and getattr(trainer, "new_best", False):
                # The weights with the best validation score so far (train.val_every: sequence
                # models' validation loss, texture models' validation SWD).
                tensors, meta = trainer.snapshot()
                save_tensors(run_dir / BEST_SNAPSHOT, tensors, {**meta, "best": True})
            if main and sample_every and it % sample_every == 0:
                trainer.write_samples(run_dir / "samples" / f"fakes-{it:06d}.png")

            stop_now = _any_rank(stop.signal is not None, dist_info, device)
            if checkpoint_every and it % checkpoint_every == 0 or it == total_iterations:
                save()
                last_saved = it
            if stop_now:
                if last_saved != it:
                    save()
                    last_saved = it
                status = "interrupted"
                if on_stop is not None:
                    on_stop(stop.signal or signal.SIGINT)  # another rank's signal: SIGINT
                break
        else:
            if last_saved != trainer.iteration:  # nothing was left to train: still save
                save()
    if bar is not None:
        bar.close()
        log.bar = None
    if stats_writer is not None:
        stats_writer.close()
    return status
