"""Would keeping the best-validated snapshot have helped? Scored on finished held-out runs.

    python docs/textures/best_snapshot.py RUN [RUN ...]

For every numbered snapshot of each held-out texture run this computes the validation score
that ``train.val_every`` keeps the best snapshot by
(:func:`gamegan.train.gan.texture_validation_swd`: generated fields against the run's
training crops, no held-out pixel) and, for comparison, runs

    gamegan eval RUN --metrics heldout --snapshot SNAPSHOT

then prints, per run, each snapshot's validation score beside its held-out SWD average and
band-pass, and which snapshot the validation score picks against the last one.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from heldout_table import heldout_eval  # beside this script

from gamegan.build import resolve
from gamegan.data.run_data import load_run_data
from gamegan.evaluate.run import load_run_config
from gamegan.generate import load_generator
from gamegan.io.rundir import numbered_files
from gamegan.train.gan import texture_validation_swd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    args = parser.parse_args()
    for run in args.runs:
        cfg = load_run_config(run)
        images = load_run_data(resolve(cfg)).images
        rows = []
        for iteration, path in numbered_files(run, "snapshot"):
            score = texture_validation_swd(load_generator(path).G, images, cfg.train.seed)
            record = heldout_eval(run, path, quiet=True)
            m = {r["metric"]: r["value"] for r in record["results"]}
            rows.append((iteration, score, m["heldout/swd/avg"], m["heldout/swd/bandpass"]))
            print(f"{run.name} {iteration}: validation {score:.1f}, held-out "
                  f"{rows[-1][2]:.0f} / {rows[-1][3]:.0f}", flush=True)  # fmt: skip
        picked = min(rows, key=lambda r: r[1])
        cells = ", ".join(f"{it}: {v:.0f} ({a:.0f} / {b:.0f})" for it, v, a, b in rows)
        print(f"| {run.name} | {cells} | {picked[0]}: {picked[2]:.0f} / {picked[3]:.0f} | "
              f"{rows[-1][0]}: {rows[-1][2]:.0f} / {rows[-1][3]:.0f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
