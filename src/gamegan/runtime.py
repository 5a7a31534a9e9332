"""Where and how computation runs: device choice, autocast, seeds, and torchrun processes."""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass

import torch

from gamegan.errors import ConfigError


def pick_device(name: str = "auto") -> torch.device:
    """``auto`` takes CUDA when present; asking for CUDA on a machine without it is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError(f"--device {name}: CUDA is not available on this machine")
        return torch.device(name)
    if name == "cpu":
        return torch.device("cpu")
    raise ConfigError(f"--device must be auto, cpu or cuda[:N], got {name!r}")


def fast_bf16(device: torch.device) -> str | None:
    """What makes bfloat16 fast on ``device`` (a hardware feature), or None where nothing does.

    bf16 pays where the hardware multiplies it natively: CUDA GPUs of compute capability 8
    (Ampere) and later, CPUs with AMX or AVX-512 BF16 (oneDNN runs the convolutions and matrix
    products on them). Elsewhere bf16 is emulated and slower than float32.
    """
    if device.type == "cuda":
        major, minor = torch.cuda.get_device_capability(device)
        return f"compute capability {major}.{minor} has bf16 tensor cores" if major >= 8 else None
    if device.type == "cpu":
        if getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)():
            return "this CPU has AMX"
        if getattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)():
            return "this CPU has AVX-512 BF16"
    return None


def resolve_precision(precision: str, device: torch.device) -> tuple[str, str]:
    """The precision a run trains in (``auto`` decided for ``device``) and a log line saying why."""
    if precision != "auto":
        return precision, f"precision: {precision}"
    reason = fast_bf16(device)
    if reason:
        return "bf16", f"precision: bf16 (auto: {reason})"
    return "fp32", f"precision: fp32 (auto: no fast bf16 on {device})"


def autocast(device: torch.device, precision: str):
    """bf16 autocast when asked for; fp32 runs with no context at all."""
    if precision == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def make_generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    """A private RNG stream for one purpose (data order, latents), so purposes never interfere."""
    generator = torch.Generator(device=device)
    generator.manual_seed(seed)
    return generator


@dataclass(frozen=True)
class Distributed:
    """This process's place in a torchrun job (world_size 1 when run alone)."""

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def distributed_from_env() -> Distributed:
    """Read torchrun's environment variables."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Distributed()
    return Distributed(
        rank=int(os.environ["RANK"]),
        local_rank=int(os.environ.get("LOCAL_RANK", "0")),
        world_size=world,
    )


def init_distributed(dist_info: Distributed, device: torch.device) -> torch.device:
    """Start the process group (gloo on CPU, NCCL on CUDA); return this rank's device."""
    if not dist_info.enabled:
        return device
    import torch.distributed as dist

    if device.type == "cuda":
        device = torch.device("cuda", dist_info.local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend=backend)
    return device


def set_threads(threads: int, dist_info: Distributed) -> None:
    """Pick CPU threads: several processes on one machine must share its cores."""
    if threads > 0:
        torch.set_num_threads(threads)
    elif dist_info.enabled:
        local_world = int(os.environ.get("LOCAL_WORLD_SIZE", dist_info.world_size))
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // local_world))


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _busy_cpu_seconds() -> float | None:
    """CPU seconds the whole machine has been busy since boot (Linux's /proc/stat)."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle and waiting for I/O
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def other_work_cores(seconds: float = 0.25) -> float | None:
    """How many cores other processes keep busy now: the machine's CPU time over ``seconds``
    less this process's own. None where the OS does not tell."""
    before, own_before, start = _busy_cpu_seconds(), os.times(), time.monotonic()
    if before is None:
        return None
    time.sleep(seconds)
    after, own_after = _busy_cpu_seconds(), os.times()
    own = (own_after.user - own_before.user) + (own_after.system - own_before.system)
    return max(0.0, (after - before - own) / (time.monotonic() - start))


def busy_cores_note(threads: int) -> str | None:
    """A warning when ``threads`` CPU threads would share their cores with work already running.

    Torch's threads wait for each other at every operation, so one held up by another process
    holds up all: a texture run with 2 threads beside a 1-thread run on 2 cores measured about
    20 times slower than alone, where 1 thread each costs each run about half. The 1-minute
    load average says whether to look (it lags: a job that has just ended still counts), and
    the other work is then measured over a quarter of a second.
    """
    if threads < 2 or not hasattr(os, "getloadavg"):
        return None  # one thread is only time-sliced: it has no sibling to wait for
    cores = usable_cores()
    load = os.getloadavg()[0]
    if load + threads <= cores + 0.5:
        return None
    measured = other_work_cores()
    load = load if measured is None else measured
    idle = max(1, int(cores - load + 0.5))
    if load + threads <= cores + 0.5 or idle >= threads:
        return None
    return (
        f"note: the machine is busy (other work keeps {load:.1f} of {cores} cores busy) and this "
        f"run takes {threads} threads; threads that share cores with other work can make each "
        f"step many times slower. --threads {idle} or a quiet machine runs faster"
    )
