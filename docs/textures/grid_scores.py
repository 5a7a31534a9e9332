"""Upsampling-grid scores of held-out texture runs, without the rest of the evaluation.

    python docs/textures/grid_scores.py RUN[:SNAPSHOT] [RUN[:SNAPSHOT] ...]

For each run (its newest snapshot, or the one named), the ``heldout/grid/period_P`` figures of
``gamegan eval RUN --metrics heldout`` (:mod:`gamegan.metrics.grid`) on the same textures (the
held-out halves' size, the same seeds), beside the held-out halves' own scores, without image
quilting or the pyramid metrics: seconds instead of minutes, for runs evaluated before the
score existed or for their earlier snapshots.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from gamegan import metrics
from gamegan.build import resolve
from gamegan.evaluate.run import load_run_config
from gamegan.evaluate.texture import heldout_sets
from gamegan.generate import load_generator


def grid_row(run: Path, snapshot: Path | None = None) -> tuple[dict, dict]:
    """(GAN, held-out halves) grid scores of a held-out run's snapshot."""
    resolved = resolve(load_run_config(run))
    sets = heldout_sets(resolved, load_generator(snapshot or run), seed=0, quilting=False)
    return metrics.compute("grid", images=sets["gan"]), metrics.compute(
        "grid", images=sets["held_out"]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", help="RUN or RUN:SNAPSHOT")
    args = parser.parse_args()
    for spec in args.runs:
        run, _, snapshot = spec.partition(":")
        gan, photo = grid_row(Path(run), Path(snapshot) if snapshot else None)
        cells = "  ".join(f"{k[5:]} {v:.3f} ({photo[k]:.3f})" for k, v in gan.items())
        print(f"{spec}: {cells}   (GAN, held-out halves in brackets)")


if __name__ == "__main__":
    main()
