"""Train the default texture model on the left half of each bundled photo, score it on the right.

    python docs/textures/heldout_table.py [--photos brick ihc ...] [--runs runs/heldout]
        [--threads 2] [--iterations N] [--set KEY=VALUE ...] [--picture-suffix -NAME]
        [--markdown docs/textures/heldout.md]

For each photo this runs, as a user would,

    gamegan train texture-PHOTO --holdout right --out RUNS/PHOTO --threads T
    gamegan eval RUNS/PHOTO --metrics heldout

(``--set`` options added to every training, for an experiment against the presets), timing
the training's wall clock, then writes a markdown table of the held-out figures (GAN,
image quilting from the same left half, and the photo's left half itself: real-vs-real) and
copies each run's side-by-side picture to ``docs/images/textures/heldout-PHOTO.png``. The
snapshot evaluated is the run's own (its ``snapshot-best`` with ``train.val_every``, as in the
presets); the table names its iteration. A run folder that already holds a finished run is
evaluated again without retraining.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PICTURES = ROOT / "docs" / "images" / "textures"
PHOTOS = ("brick", "grass", "gravel", "ihc", "hubble")


def gamegan(*args: str, quiet: bool = False) -> None:
    subprocess.run([sys.executable, "-m", "gamegan", *args], check=True, capture_output=quiet)


def finished(run: Path) -> bool:
    log = run / "log.txt"
    return log.is_file() and "done at iteration" in log.read_text()


def train(
    photo: str, run: Path, threads: int, iterations: int | None, overrides: list[str]
) -> float | None:
    """Wall-clock seconds of the training, or None when the run was already there."""
    if finished(run):
        return None
    args = ["train", f"texture-{photo}", "--holdout", "right", "--out", str(run)]
    args += ["--threads", str(threads), "--no-progress"]
    if iterations:
        args += ["--iterations", str(iterations)]
    for override in overrides:
        args += ["--set", override]
    if run.exists():
        args = ["train", "--resume", str(run), "--no-progress"]
    start = time.perf_counter()
    gamegan(*args)
    seconds = time.perf_counter() - start
    (run / "train-seconds.txt").write_text(f"{seconds:.1f}\n")
    return seconds


def last_eval(run: Path) -> dict:
    lines = (run / "metrics.jsonl").read_text().splitlines()
    return json.loads(lines[-1])


def heldout_eval(run: Path, snapshot: Path | None = None, quiet: bool = False) -> dict:
    """``gamegan eval RUN --metrics heldout`` (of ``snapshot``, else the run's own), and the
    record it appended to ``RUN/metrics.jsonl``. The other scripts here call it too."""
    gamegan("eval", str(run), "--metrics", "heldout",
            *(("--snapshot", str(snapshot)) if snapshot else ()), quiet=quiet)  # fmt: skip
    return last_eval(run)


def row(photo: str, run: Path) -> str:
    record = last_eval(run)
    m = {r["metric"]: r for r in record["results"]}
    seconds_file = run / "train-seconds.txt"
    minutes = float(seconds_file.read_text()) / 60 if seconds_file.exists() else float("nan")

    def three(key: str, fmt: str) -> str:
        r = m[key]
        return " / ".join(format(r[k], fmt) for k in ("value", "quilting", "baseline"))

    seam = m["heldout/tiling/seam_score"]["value"]
    return (
        f"| {photo} | {minutes:.1f} | {record['iteration']} | {three('heldout/swd/avg', '.0f')} | "
        f"{three('heldout/swd/bandpass', '.0f')} | {three('heldout/spectrum', '.3f')} | "
        f"{three('heldout/color/hist_l1', '.3f')} | "
        f"{m['heldout/swd/avg']['value'] / m['heldout/swd/avg']['baseline']:.2f} | {seam:.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", nargs="+", default=list(PHOTOS), choices=PHOTOS)
    parser.add_argument("--runs", type=Path, default=ROOT / "runs" / "heldout")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=None, help="default: the preset's")
    parser.add_argument("--markdown", type=Path, default=None, help="also write the table here")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        help="KEY=VALUE for every training (repeatable)")  # fmt: skip
    parser.add_argument("--picture-suffix", default="",
                        help="copy pictures to heldout-PHOTO<suffix>.png")  # fmt: skip
    args = parser.parse_args()

    rows = []
    for photo in args.photos:
        run = args.runs / photo
        seconds = train(photo, run, args.threads, args.iterations, args.overrides)
        if seconds is not None:
            print(f"{photo}: trained in {seconds / 60:.1f} min", flush=True)
        picture = run / heldout_eval(run)["picture"]  # the evaluated snapshot's
        PICTURES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(picture, PICTURES / f"heldout-{photo}{args.picture_suffix}.png")
        rows.append(row(photo, run))
        print(rows[-1], flush=True)

    table = "\n".join(
        [
            f"Measured {datetime.date.today()} with `python docs/textures/heldout_table.py` "
            f"(`--threads {args.threads}`"
            + "".join(f" `--set {o}`" for o in args.overrides)
            + "). Each cell: GAN / image quilting / real-vs-real.",
            "",
            "| photo | train min | snapshot | SWD avg | SWD band-pass | log-spectrum "
            "| colour histogram | SWD ratio to real-vs-real | seam score |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
            *rows,
        ]
    )
    print(table)
    if args.markdown:
        args.markdown.write_text(table + "\n")


if __name__ == "__main__":
    main()
