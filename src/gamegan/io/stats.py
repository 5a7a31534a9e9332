"""Training statistics: one JSON line per logged iteration, mirrored to TensorBoard."""

from __future__ import annotations

import json
from pathlib import Path


class StatsWriter:
    """Appends ``{"iteration": N, "Loss/D": ...}`` lines to ``stats.jsonl``.

    TensorBoard is imported only when enabled, since it is slow to import. On resume, lines
    logged after the state being resumed are dropped so the file reads as one clean run.
    """

    def __init__(self, run_dir: str | Path, *, tensorboard: bool = True, resume_from: int = -1):
        self.path = Path(run_dir) / "stats.jsonl"
        if resume_from >= 0 and self.path.exists():
            kept = [
                line
                for line in self.path.read_text().splitlines()
                if line.strip() and json.loads(line).get("iteration", 0) <= resume_from
            ]
            self.path.write_text("".join(line + "\n" for line in kept))
        self._file = open(self.path, "a")
        self._tb = None
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self._tb = SummaryWriter(log_dir=str(Path(run_dir) / "tensorboard"))

    def write(self, iteration: int, stats: dict[str, float]) -> None:
        self._file.write(json.dumps({"iteration": iteration, **stats}) + "\n")
        self._file.flush()
        if self._tb is not None:
            for key, value in stats.items():
                self._tb.add_scalar(key, value, iteration)

    def close(self) -> None:
        self._file.close()
        if self._tb is not None:
            self._tb.close()


def read_stats(run_dir: str | Path) -> list[dict]:
    """All lines of a run's ``stats.jsonl``."""
    path = Path(run_dir) / "stats.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
