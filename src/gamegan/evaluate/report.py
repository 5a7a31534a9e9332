"""What every kind of evaluation shares: the job it is given and the report it appends."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gamegan import __version__

METRICS_FILE = "metrics.jsonl"
PICTURE_GAP = 8  # white pixels between the images of a side-by-side picture


@dataclass
class Evaluation:
    """One ``gamegan eval`` of one snapshot: what each kind of run's evaluator needs.

    ``groups`` are the metric groups asked for, ``n`` the set size (images or pieces),
    ``resolved`` the run's resolved config and ``loaded`` its snapshot.
    """

    run_dir: Path
    resolved: Any
    loaded: Any
    groups: list[str]
    n: int
    seed: int
    log: Callable[[str], None]
    started: float  # time.perf_counter() when the evaluation began
    classifier_options: dict[str, Any] = field(default_factory=dict)

    def report(
        self, rows: list[dict], n_made: int, source: str, extra: dict | None = None
    ) -> list[dict]:
        """Append one JSON line for ``rows`` to ``RUN_DIR/metrics.jsonl``; returns ``rows``."""
        from gamegan import metrics as metric_lib

        seconds = time.perf_counter() - self.started
        metric_lib.report(
            self.run_dir / METRICS_FILE,
            {
                "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "snapshot": self.loaded.path.name,
                "iteration": self.loaded.metadata.get("iteration"),
                "n_images": n_made,
                "seed": self.seed,
                "baseline": source,
                **(extra or {}),
                "seconds": round(seconds, 2),
                "gamegan_version": __version__,
                "results": rows,
            },
        )
        self.log(f"done in {seconds:.1f} s; appended to {self.run_dir / METRICS_FILE}")
        return rows


def hwc(image: torch.Tensor) -> np.ndarray:
    """A ``[C, H, W]`` tensor as the ``[H, W, C]`` array the picture metrics take."""
    return image.permute(1, 2, 0).contiguous().numpy()


def write_side_by_side(rows: list[tuple[np.ndarray, ...]], path: Path) -> None:
    """Rows of uint8 [H, W, C] pictures at 100%, side by side on white."""
    from gamegan.io.png import side_by_side, write_png

    path.parent.mkdir(parents=True, exist_ok=True)
    write_png(path, side_by_side(rows, PICTURE_GAP))
