"""Each music file parsed in a worker process under a time limit: a file that hangs the parser
or crashes it costs that file only. Jobs and answers cross the pipe as JSON, never pickle."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import signal
import time
import warnings
from collections import deque
from collections.abc import Iterator

from gamegan.data.music import convert
from gamegan.music.score import score_to_dict


def run_job(job: list) -> bytes:
    path, number = job
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores = convert.parse_item(path, number)
        answer = {"scores": [score_to_dict(s) for s in scores]}
    except convert.Skip as skip:
        answer = {"skip": str(skip), "cache": True}
    except MemoryError:
        answer = {"skip": "ran out of memory", "cache": False}
    except Exception as err:  # a parser bug on an odd file is that file's problem only
        answer = {"skip": f"parser failed ({convert.describe_error(err)})", "cache": True}
    return json.dumps(answer).encode()


def _worker(conn) -> None:
    """Parse files sent as JSON until told to stop; answers go back as JSON (no pickle)."""
    import faulthandler

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    # Silence the worker at the file-descriptor level: music21 prints warnings and C code may
    # print too, which would tear the parent's progress bar; a crash is reported by exit code.
    faulthandler.disable()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    while True:
        try:
            job = json.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return
        if job is None:
            return
        conn.send_bytes(run_job(job))


def _context():
    methods = multiprocessing.get_all_start_methods()
    # fork starts a worker in milliseconds and shares the parent's imports; spawn elsewhere.
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


class _Slot:
    """One worker process and the job it is running."""

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.process = None
        self.conn = None
        self.job: int | None = None
        self.started = 0.0

    def start(self, index: int, job: list) -> None:
        if self.process is None:
            parent_conn, child_conn = self.ctx.Pipe()
            self.process = self.ctx.Process(target=_worker, args=(child_conn,), daemon=True)
            self.process.start()
            child_conn.close()  # so the parent sees EOF when the worker dies
            self.conn = parent_conn
        self.job, self.started = index, time.monotonic()
        self.conn.send_bytes(json.dumps(job).encode())

    def stop(self, kill: bool = False) -> None:
        if self.process is None:
            return
        if not kill and self.job is None:
            with contextlib.suppress(OSError, ValueError):
                self.conn.send_bytes(b"null")
            self.process.join(timeout=1.0)
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5.0)
        self.conn.close()
        self.process = self.conn = None
        self.job = None

    def exit_reason(self) -> str:
        self.process.join(timeout=1.0)
        code = self.process.exitcode
        if code is not None and code < 0:
            try:
                return f"the parser crashed ({signal.Signals(-code).name})"
            except ValueError:
                return f"the parser crashed (signal {-code})"
        return f"the parser crashed (exit code {code})"


def parse_all(jobs: list[list], *, workers: int, timeout: float) -> Iterator[tuple[int, dict]]:
    """Run the jobs in worker processes; yield ``(job index, decoded JSON answer)`` as they end.

    A worker past ``timeout`` on one job is killed (the only way to stop a parser stuck in C
    code or a loop) and replaced; so is one that dies. Either way only that job is lost.
    Closing the generator early (Ctrl-C, an error) kills the workers.
    """
    from multiprocessing.connection import wait

    ctx = _context()
    pending = deque(range(len(jobs)))
    slots = [_Slot(ctx) for _ in range(max(1, min(workers, len(jobs))))]
    try:
        while pending or any(s.job is not None for s in slots):
            for slot in slots:
                if slot.job is None and pending:
                    index = pending.popleft()
                    try:
                        slot.start(index, jobs[index])
                    except (OSError, ValueError):  # the idle worker died: start a fresh one
                        slot.stop(kill=True)
                        slot.start(index, jobs[index])
            busy = [s for s in slots if s.job is not None]
            deadline = min(s.started for s in busy) + timeout
            waitables = [s.conn for s in busy] + [s.process.sentinel for s in busy]
            ready = set(wait(waitables, timeout=max(0.0, deadline - time.monotonic())))
            for slot in busy:
                index = slot.job
                if slot.conn in ready or slot.process.sentinel in ready:
                    try:
                        answer = json.loads(slot.conn.recv_bytes())
                        slot.job = None
                    except (EOFError, OSError):
                        answer = {"skip": slot.exit_reason(), "cache": False}
                        slot.stop(kill=True)
                    if slot.process is not None and not slot.process.is_alive():
                        slot.stop(kill=True)
                elif time.monotonic() - slot.started >= timeout:
                    answer = {"skip": f"took longer than {timeout:g} s", "cache": False}
                    slot.stop(kill=True)
                else:
                    continue
                yield index, answer
    finally:
        for slot in slots:
            slot.stop(kill=slot.job is not None)
