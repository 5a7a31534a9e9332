"""Does bf16 training reach float32's quality? Runs of both, several seeds, one table.

    python benchmarks/bf16_parity.py --out runs/parity              # DCGAN on photo crops
    python benchmarks/bf16_parity.py --out runs/parity --mnist ~/data  # dcgan-mnist itself

Trains the chapter's DCGAN (``dcgan-mnist``'s networks and optimizer) in float32 and in bf16
for each seed, then evaluates each run's last ``--snapshots`` snapshots (500 iterations apart)
with ``gamegan eval``'s measures (SWD and grey-level histogram against the training images,
beside their real-vs-real baseline) and prints them, with each precision's median and range:
a GAN's figures move between snapshots of one run about as much as between runs, so both
make the spread that bf16 is compared with. Without ``--mnist`` the data are 4500 random
28x28 crops of the bundled brick, grass and gravel photos (at half size), made once under
``--out``: the same network on real photographs, for machines without MNIST's files. About
10 minutes per float32 run and 6 per bf16 run on 2 CPU cores with AMX at 3000 iterations.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import numpy as np


def make_crops(folder: Path, n: int = 4500, side: int = 28) -> Path:
    """``n`` grey ``side`` px crops of the bundled photos at half size, as PNG files."""
    import skimage.data
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    if len(list(folder.glob("*.png"))) >= n:
        return folder
    rng = np.random.default_rng(0)
    photos = []
    for name in ("brick", "grass", "gravel"):
        img = getattr(skimage.data, name)()
        img = img.mean(2) if img.ndim == 3 else img
        half = Image.fromarray(img.astype(np.uint8))
        size = (img.shape[1] // 2, img.shape[0] // 2)
        photos.append(np.asarray(half.resize(size, Image.Resampling.LANCZOS)))
    for i in range(n):
        photo = photos[i % len(photos)]
        y, x = (int(rng.integers(0, s - side)) for s in photo.shape)
        Image.fromarray(photo[y : y + side, x : x + side]).save(folder / f"{i:05d}.png")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the runs")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--iterations", type=int, default=3000)
    parser.add_argument("--count", type=int, default=2000, help="images per evaluation set")
    parser.add_argument("--mnist", type=Path, help="MNIST's folder: train dcgan-mnist itself")
    parser.add_argument("--snapshots", type=int, default=3, help="last snapshots per run")
    args = parser.parse_args()

    from gamegan.api import train
    from gamegan.evaluate import evaluate_run

    if args.mnist:
        preset, data = "dcgan-mnist", {"data_dir": args.mnist}
        overrides: tuple[str, ...] = ()
    else:
        preset = "dcgan-folder"
        data = {"data": str(make_crops(args.out / "crops"))}
        overrides = ("model.resolution=28", "model.channels=1")
    results: dict[tuple[str, int, int], dict[str, float]] = {}
    baseline: dict[str, float] = {}
    for seed in args.seeds:
        for precision in ("fp32", "bf16"):
            run = args.out / f"{precision}-{seed}"
            if not (run / f"snapshot-{args.iterations:06d}.safetensors").exists():
                train(
                    preset,
                    out=run,
                    iterations=args.iterations,
                    seed=seed,
                    precision=precision,
                    checkpoint_every=500,
                    overrides=(*overrides, "train.tensorboard=False"),
                    progress=False,
                    quiet=True,
                    **data,
                )
            for back in range(args.snapshots):
                iteration = args.iterations - 500 * back
                snapshot = run / f"snapshot-{iteration:06d}.safetensors"
                rows = evaluate_run(run, n=args.count, seed=1000, snapshot=snapshot)
                results[(precision, seed, iteration)] = {r["metric"]: r["value"] for r in rows}
                baseline = {r["metric"]: r["baseline"] for r in rows}
                print(f"{precision} seed {seed} iteration {iteration}: {rows}", flush=True)

    metrics = list(baseline)
    print("\n| run | iteration | " + " | ".join(metrics) + " |")
    print("| --- | --- |" + " --- |" * len(metrics))
    for (precision, seed, iteration), values in sorted(results.items()):
        cells = " | ".join(f"{values[m]:.4g}" for m in metrics)
        print(f"| {precision}, seed {seed} | {iteration} | {cells} |")
    for precision in ("fp32", "bf16"):
        cells = []
        for m in metrics:
            values = [v[m] for key, v in results.items() if key[0] == precision]
            median = statistics.median(values)
            cells.append(f"**{median:.4g}** ({min(values):.4g}-{max(values):.4g})")
        print(f"| {precision}: median (range) | all | " + " | ".join(cells) + " |")
    print("| real-vs-real | | " + " | ".join(f"{baseline[m]:.4g}" for m in metrics) + " |")


if __name__ == "__main__":
    main()
