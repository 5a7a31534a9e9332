"""Start or resume a run: the Python API behind ``gamegan train``.

>>> import gamegan
>>> result = gamegan.train("dcgan-mnist", iterations=200, data_dir="~/mnist")  # doctest: +SKIP
>>> gamegan.resume(result.run_dir, iterations=400)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from gamegan import __version__
from gamegan.build import Resolved, resolve
from gamegan.config import RunConfig, from_dict, to_dict, validate
from gamegan.data.run_data import load_run_data
from gamegan.errors import CheckpointError, ConfigError, DataError
from gamegan.io.checkpoint import STATE_FORMAT, load_tensors
from gamegan.io.rundir import (
    RunLock,
    create_run_dir,
    next_run_dir,
    numbered_files,
    read_config_json,
    remove_stale_temp_files,
    write_json,
)
from gamegan.runtime import (
    Distributed,
    busy_cores_note,
    distributed_from_env,
    init_distributed,
    pick_device,
    resolve_precision,
    set_threads,
)
from gamegan.train import loop


@dataclass(frozen=True)
class TrainResult:
    """Where a run lives and how it ended (``done``, ``interrupted`` or ``dry-run``).

    ``signal`` is the signal that interrupted it (SIGINT or SIGTERM), for the exit code.
    """

    run_dir: Path
    iteration: int
    status: str
    config: RunConfig
    signal: int | None = None


def _broadcast_path(path: Path | None, dist_info: Distributed) -> Path:
    if not dist_info.enabled:
        assert path is not None
        return path
    import torch.distributed as dist

    box = [str(path) if path is not None else None]
    dist.broadcast_object_list(box, src=0)
    return Path(box[0])


def _fit_crop(resolved: Resolved) -> tuple[Resolved, str]:
    """Shrink a texture model's crop to fit a small photo (or its training half).

    The crop shrinks to the largest multiple of the generator's upsampling that fits, and at
    least two latent cells; the config records the crop used, so resume and eval agree. A
    photo smaller than that stays an error, raised by the loader with both sizes.
    """
    from gamegan.data.textures import largest_crop, texture_source

    cfg, model_cfg = resolved.cfg, resolved.model_cfg
    u = model_cfg.upsampling
    try:
        if cfg.data.heights:
            from gamegan.data.heights import largest_height_crop

            side = largest_height_crop(cfg.data.source, cfg.data.holdout, cfg.data.raw_size)
        else:
            source = texture_source(cfg.data.source)
            side = largest_crop(source, model_cfg.channels, cfg.data.holdout)
    except DataError:  # not photos (a data set such as cifar100), or bad ones: the loader says
        return resolved, ""
    fit = side // u * u
    if fit >= model_cfg.resolution or fit < 2 * u:
        return resolved, ""
    from gamegan.config import set_value

    cfg = set_value(cfg, "model.resolution", fit)
    note = f"crops shrunk from {model_cfg.resolution} to {fit} px to fit a {side} px photo side"
    return resolve(cfg), note


def _fit_classes(resolved: Resolved, data) -> tuple[Resolved, str]:
    """A class-conditional image model takes as many classes as its data has (a folder's
    subfolders): ``model.n_classes`` is set to their number, and config.json records it."""
    n_classes = getattr(resolved.model_cfg, "n_classes", 0)
    names = getattr(data, "class_names", None)
    if not n_classes or not names or len(names) == n_classes:
        return resolved, ""
    if resolved.spec.family.makes != "images":
        return resolved, ""  # music has its two modes; the trainer names any mismatch
    from gamegan.config import set_value

    cfg = set_value(resolved.cfg, "model.n_classes", len(names))
    return resolve(cfg), f"model.n_classes {n_classes} -> {len(names)}, the data's classes"


def available_memory(device: torch.device) -> int | None:
    """Bytes free on ``device`` (RAM for the CPU), or None where the OS does not say."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    try:
        import psutil  # not a dependency: used when installed, it knows every OS

        return int(psutil.virtual_memory().available)
    except ImportError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # Windows, or a libc without the names
        return None


def _check_batch_memory(resolved: Resolved, device: torch.device, dist_info) -> None:
    """Refuse a batch whose images alone (float32) do not fit in free memory.

    The networks' activations need several times more, so this only catches the hopeless
    cases (a mistyped ``--batch-size``) before a run folder is made, not every tight one.
    """
    model_cfg = resolved.model_cfg
    if resolved.spec.family.makes == "music" or not hasattr(model_cfg, "channels"):
        return
    side, channels = model_cfg.resolution, model_cfg.channels
    per_process = -(-resolved.cfg.train.batch_size // dist_info.world_size)
    needed = per_process * side * side * channels * 4
    free = available_memory(device)
    if free is not None and needed > free:
        raise ConfigError(
            f"--batch-size {resolved.cfg.train.batch_size}: one batch of {side}x{side}x"
            f"{channels} images needs at least {needed / 1e9:.1f} GB, but only "
            f"{free / 1e9:.1f} GB of memory is free on {device}; use a smaller batch"
        )


def _describe(cfg: RunConfig) -> str:
    return cfg.preset or f"{cfg.model.name}-{cfg.loss.name}"


def train(
    preset: str | RunConfig,
    *,
    out: str | Path | None = None,
    runs_dir: str | Path = "runs",
    overrides: list[str] | tuple[str, ...] = (),
    dry_run: bool = False,
    progress: bool | None = None,
    quiet: bool = False,
    **flags: object,
) -> TrainResult:
    """Train a preset (or a full :class:`RunConfig`) in a new run folder.

    Parameters
    ----------
    preset : str or RunConfig
        A preset name (``gamegan presets`` lists them) or a complete config.
    out : path, optional
        The run folder; by default the next numbered folder under ``runs_dir``.
    runs_dir : path
        Where numbered run folders are made.
    overrides : list of str
        ``section.key=value`` strings, as ``--set`` takes them.
    dry_run : bool
        Check everything, print nothing to disk, and return the resolved config.
    progress : bool, optional
        Force the progress bar on or off (default: on when stderr is a terminal).
    quiet : bool
        Write the log only to ``log.txt``.
    **flags
        Shortcuts named like the CLI options: ``data``, ``data_dir``, ``iterations``,
        ``batch_size``, ``sample_every``, ``checkpoint_every``, ``seed``, ``device``,
        ``precision``, ``threads``.

    Returns
    -------
    TrainResult
        The run folder, the last iteration and the status.
    """
    from gamegan.presets import build_config

    if isinstance(preset, RunConfig):
        from gamegan.config import apply_overrides

        cfg = validate(apply_overrides(preset, overrides))
        if flags:
            raise ConfigError("pass flags inside the RunConfig, or give a preset name")
    else:
        cfg = build_config(preset, overrides=overrides, **flags)
    resolved = resolve(cfg)
    crop_note = ""
    if resolved.spec.family.makes == "textures":
        resolved, crop_note = _fit_crop(resolved)
    dist_info = distributed_from_env()
    device = pick_device(resolved.cfg.train.device)  # before any folder: a bad flag leaves none
    _check_batch_memory(resolved, device, dist_info)
    # "auto" is decided once, here: config.json keeps the choice, so a resume trains on in it.
    resolved, precision_note = decide_precision(resolved, device)
    if dry_run:
        target = Path(out) if out else next_run_dir(runs_dir, _describe(resolved.cfg))
        return TrainResult(target, 0, "dry-run", resolved.cfg)

    data = load_run_data(resolved)  # bad data fails before the run folder exists
    resolved, classes_note = _fit_classes(resolved, data)
    for note in (crop_note, classes_note):
        if note:
            data = replace(data, source=f"{data.source}; {note}")
    run_dir = lock = None
    if dist_info.is_main:
        run_dir = create_run_dir(Path(out) if out else next_run_dir(runs_dir, _describe(cfg)))
        lock = RunLock(run_dir)
        try:
            write_json(
                run_dir / "config.json", {**to_dict(resolved.cfg), "gamegan_version": __version__}
            )
        except BaseException:
            lock.release()
            raise
    return _run(
        resolved, data, run_dir, dist_info, device, None, progress, quiet, lock, precision_note
    )


def resume(
    run_dir: str | Path,
    *,
    iterations: int | None = None,
    device: str | None = None,
    threads: int | None = None,
    progress: bool | None = None,
    quiet: bool = False,
) -> TrainResult:
    """Continue a run from its newest state, bit for bit as if never stopped.

    A run stopped before its first checkpoint (it has ``config.json`` but no state yet)
    starts again from iteration 0 with its own config. Only one process at a time may train
    in a run folder.

    Parameters
    ----------
    run_dir : path
        A run folder made by :func:`train`.
    iterations : int, optional
        The new total number of iterations (default: the run's own).
    device : str, optional
        Train on another device than the one the run started on.
    threads : int, optional
        CPU threads for torch from now on (0: torch's default), for a machine that is busier
        or freer than when the run started. Like ``device`` it changes how the run is
        computed, not what it learns, though a CPU kernel may round differently on another
        thread count.
    progress, quiet : bool
        As for :func:`train`.

    Returns
    -------
    TrainResult
        The run folder, the last iteration and the status.
    """
    run_dir = Path(run_dir)
    raw = read_config_json(run_dir)
    raw.pop("gamegan_version", None)
    cfg = from_dict(RunConfig, raw, where="config.json")
    changes = {}
    if iterations is not None:
        changes["iterations"] = iterations
    if device is not None:
        changes["device"] = device
    if threads is not None:
        changes["threads"] = threads
    cfg = validate(replace(cfg, train=replace(cfg.train, **changes)))
    dist_info = distributed_from_env()
    lock = RunLock(run_dir) if dist_info.is_main else None
    try:
        if lock is not None:
            remove_stale_temp_files(run_dir)
        state = _newest_state(run_dir, cfg, iterations)
        resolved = resolve(cfg)
        dev = pick_device(resolved.cfg.train.device)
        codec = None
        if state is not None and state[1].get("codec") is not None:
            if hasattr(resolved.spec, "codec"):
                codec = resolved.spec.codec.from_dict(state[1]["codec"])
        data = load_run_data(resolved, codec)
        if dist_info.is_main:
            write_json(
                run_dir / "config.json", {**to_dict(resolved.cfg), "gamegan_version": __version__}
            )
    except BaseException:
        if lock is not None:
            lock.release()
        raise
    return _run(resolved, data, run_dir, dist_info, dev, state, progress, quiet, lock)


def _newest_state(run_dir: Path, cfg: RunConfig, iterations: int | None):
    """``(tensors, meta, path, notes)`` of a run's newest good state, or None before the first.

    A newest state that cannot be read (truncated by a crash of the disk or the machine) is
    passed over for the previous one, which ``keep_states`` keeps; ``notes`` says so for the
    log. When none can be read, a clear error names each.
    """
    states = numbered_files(run_dir, "state")
    if not states:
        return None
    notes, bad = [], []
    for _, state_path in reversed(states):
        try:
            tensors, meta = load_tensors(state_path, expected_format=STATE_FORMAT)
        except CheckpointError as err:
            bad.append(str(err))
            continue
        break
    else:
        raise CheckpointError(
            f"{run_dir}: no readable training state ({'; '.join(bad)}); "
            "the run cannot continue from its states"
        )
    if bad:
        notes.append(
            f"newest state unreadable, resuming from the previous good one, {state_path.name} "
            f"({'; '.join(bad)})"
        )
    if meta.get("model") != cfg.model.name:
        raise CheckpointError(
            f"{state_path}: holds model {meta.get('model')!r}, not {cfg.model.name!r}"
        )
    at = int(meta.get("iteration", 0))
    if iterations is not None and iterations < at:
        raise ConfigError(
            f"--iterations {iterations}: {run_dir} is already at iteration {at}; "
            f"give a total of at least {at}"
        )
    return tensors, meta, state_path, notes


def _metrics_hook(trainer, run_dir: Path, t, log):
    """``--metrics-every N``: every N iterations, snapshot and ``gamegan eval`` the run.

    All metrics that apply except the digit classifier's (which trains a classifier first).

    The results go to ``metrics.jsonl`` (with the iteration) and the log. Evaluation draws from
    its own seeded generators and the global RNG state is put back, so a run with metrics
    trains exactly as one without.
    """
    from gamegan.evaluate import applicable_metrics, evaluate_run
    from gamegan.io.checkpoint import save_tensors
    from gamegan.io.rundir import checkpoint_name
    from gamegan.models.base import family_of

    # The digit classifier's FID/KID costs a classifier training: left to `gamegan eval`.
    groups = [g for g in applicable_metrics(trainer.cfg) if g != "classifier"]

    def hook(iteration: int) -> None:
        if iteration % t.metrics_every:
            return
        tensors, meta = trainer.snapshot()
        snapshot = run_dir / checkpoint_name("snapshot", iteration)
        save_tensors(snapshot, tensors, meta)
        music = family_of(trainer.kind).makes == "music"
        n = t.metrics_count // 10 if music else t.metrics_count
        rng = torch.get_rng_state()
        cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
        try:
            rows = evaluate_run(run_dir, n=n, seed=0, metrics=groups, snapshot=snapshot)
        finally:
            torch.set_rng_state(rng)
            if cuda_rng is not None:
                torch.cuda.set_rng_state_all(cuda_rng)
        shown = "  ".join(
            f"{row['metric']}={row['value']:.4g}"
            for row in rows
            if isinstance(row.get("value"), (int, float))
        )
        log(f"metrics at iteration {iteration}: {shown}")

    return hook


def _data_line(data) -> str:
    """The log's ``data:`` line; the skipped files are counted once (some sources count them)."""
    line = f"data: {data.source}"
    if data.skipped and not re.search(r"\d+ (files )?skipped\b", data.source):
        line += f" ({len(data.skipped)} files skipped)"
    return line


def decide_precision(resolved, device):
    """``resolved`` with its ``train.precision`` decided for ``device`` (``auto``: bf16 where the
    hardware multiplies it natively), and the log line that says why."""
    precision, note = resolve_precision(resolved.cfg.train.precision, device)
    if precision != resolved.cfg.train.precision:
        train_cfg = replace(resolved.cfg.train, precision=precision)
        resolved = replace(resolved, cfg=replace(resolved.cfg, train=train_cfg))
    return resolved, note


def _run(
    resolved, data, run_dir, dist_info, device, state, progress, quiet, lock=None, note=""
) -> TrainResult:
    cfg = resolved.cfg
    t = cfg.train
    try:
        set_threads(t.threads, dist_info)
        device = init_distributed(dist_info, device)
        run_dir = _broadcast_path(run_dir, dist_info)
        if resolved.spec.family.sequential:
            from gamegan.train.sequence import SequenceTrainer

            trainer = SequenceTrainer(resolved, data, device=device, dist_info=dist_info)
        elif resolved.spec.two_way:
            from gamegan.train.cycle import CycleTrainer

            trainer = CycleTrainer(resolved, data, device=device, dist_info=dist_info)
        elif resolved.spec.encoder is not None:
            from gamegan.train.autoencoder import AutoencoderTrainer

            trainer = AutoencoderTrainer(resolved, data.images, device=device, dist_info=dist_info)
        else:
            from gamegan.train.gan import GANTrainer

            trainer = GANTrainer(
                resolved,
                data.images,
                device=device,
                dist_info=dist_info,
                labels=data.labels,
                class_names=data.class_names,
                conditions=data.conditions,
                height_range=data.height_range,
            )
        restarted = state is None and (run_dir / "log.txt").exists()
        log = loop.Log(
            run_dir / "log.txt" if dist_info.is_main else None, quiet=quiet or not dist_info.is_main
        )
        # (made on resume too: a run folder whose samples were cleared away still continues)
        (run_dir / "samples").mkdir(exist_ok=True)
        if state is None:
            if restarted:
                log("no training state yet: starting again from iteration 0 with this config")
            log(f"gamegan {__version__}: {run_dir}")
            log(_data_line(data))
            for name, reason in data.skipped[:20]:
                log(f"  skipped {name}: {reason}")
            log(f"config: {json.dumps(to_dict(cfg))}")
            if dist_info.is_main:
                trainer.write_reals(run_dir / "samples" / "reals.png")
        else:
            tensors, meta, path, notes = state
            for note in notes:
                log(note)
            if int(meta.get("world_size", 1)) != dist_info.world_size:
                log(
                    f"note: state saved by {meta.get('world_size')} process(es), resumed on "
                    f"{dist_info.world_size}: weights and optimizers are exact, "
                    "random streams restart"
                )
            trainer.load_state(tensors, meta, str(path))
            log(f"resumed {path.name} at iteration {trainer.iteration}")
        threads = torch.get_num_threads()
        log(f"device: {device}, processes: {dist_info.world_size}, threads: {threads}")
        busy = busy_cores_note(threads) if device.type == "cpu" and not dist_info.enabled else None
        if busy:
            log(busy)
        log(note or f"precision: {t.precision}")
        on_step = None
        stopped_by: list[int] = []
        if t.metrics_every and dist_info.is_main:
            on_step = _metrics_hook(trainer, run_dir, t, log)
        status = loop.run(
            trainer,
            run_dir=run_dir,
            total_iterations=t.iterations,
            log_every=t.log_every,
            sample_every=t.sample_every,
            checkpoint_every=t.checkpoint_every,
            keep_states=t.keep_states,
            tensorboard=t.tensorboard,
            dist_info=dist_info,
            device=device,
            log=log,
            progress=progress,
            on_step=on_step,
            on_stop=stopped_by.append,
        )
        log(f"{status} at iteration {trainer.iteration}: {run_dir}")
        log.close()
        return TrainResult(
            run_dir, trainer.iteration, status, cfg, stopped_by[0] if stopped_by else None
        )
    finally:
        if lock is not None:
            lock.release()
        if dist_info.enabled:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.barrier()  # no rank tears down gloo while another still writes or talks
                dist.destroy_process_group()
