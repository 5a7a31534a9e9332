"""gamegan benchmarks: one command, one table.

    python benchmarks/run.py                 # everything, medians of 5 timed runs
    python benchmarks/run.py --only train    # training rows only (train, texture, peak)
    python benchmarks/run.py --threads 1     # pin torch threads (default: torch's choice)

Rows:
- peak: float32 GFLOP/s of a 2048x2048 product through MKL (torch.matmul) and through oneDNN
  (torch.utils.mkldnn's Linear), which is what runs torch's convolutions on this CPU;
- train: iterations/s and images/s of the chapter's presets at their batch sizes, FLOPs per
  iteration counted with torch's FlopCounterMode, and that rate as a fraction of the oneDNN peak;
- texture: seconds to generate seamless textures of 1024x1024 and 4096x4096.

Data are random tensors of the right shape, so no data set is needed; the arithmetic is the
same as on real data. Timings are medians; the machine is shared, so compare ratios.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch


def median_seconds(fn, repeats: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_gflops(repeats: int) -> dict[str, float]:
    n = 2048
    a, b = torch.randn(n, n), torch.randn(n, n)
    flops = 2 * n**3
    mkl = flops / median_seconds(lambda: torch.matmul(a, b), repeats) / 1e9
    linear = torch.nn.Linear(n, n, bias=False).eval()
    from torch.utils import mkldnn

    onednn_linear = mkldnn.to_mkldnn(linear)
    x = a.to_mkldnn()
    with torch.no_grad():
        onednn = flops / median_seconds(lambda: onednn_linear(x), repeats) / 1e9
    return {"mkl": mkl, "onednn": onednn}


def train_row(preset: str, iterations: int, repeats: int, overrides=()) -> dict:
    from torch.utils.flop_counter import FlopCounterMode

    from gamegan.presets import build_config
    from gamegan.runtime import Distributed
    from gamegan.train.build import resolve
    from gamegan.train.gan import GANTrainer

    cfg = build_config(preset, data="synthetic", overrides=overrides, device="cpu")
    resolved = resolve(cfg)
    m = resolved.model_cfg
    images = torch.randint(
        0, 256, (2048, m.channels, m.resolution, m.resolution), dtype=torch.uint8
    )
    trainer = GANTrainer(resolved, images, device=torch.device("cpu"), dist_info=Distributed())
    with FlopCounterMode(display=False) as counter:
        trainer.step()
    flops = counter.get_total_flops()

    def run():
        for _ in range(iterations):
            trainer.step()

    seconds = median_seconds(run, repeats) / iterations
    return {
        "iterations/s": 1.0 / seconds,
        "images/s": trainer.images_per_iteration / seconds,
        "GFLOP/iteration": flops / 1e9,
        "GFLOP/s": flops / seconds / 1e9,
    }


def texture_rows(repeats: int) -> list[tuple[str, float]]:
    from gamegan.generate import PRETRAINED, load_generator, pretrained_path, texture

    name = PRETRAINED[0]
    try:
        pretrained_path(name)
    except Exception as err:  # no bundled model in this checkout
        print(f"texture: skipped ({err})")
        return []
    loaded = load_generator(name)
    rows = []
    for side in (1024, 4096):
        seconds = median_seconds(
            lambda side=side: texture(loaded, width=side, height=side, seed=0),
            repeats if side <= 1024 else max(1, repeats // 2),
        )
        rows.append((f"{name} {side}x{side} tileable", seconds))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=10, help="per timed training run")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--only", choices=("train", "texture", "peak"), default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, repeats {args.repeats}")

    peak = None
    if args.only in (None, "peak", "train"):
        peak = peak_gflops(args.repeats)
        print("\n| peak | GFLOP/s (float32, 2048x2048 product) |\n| --- | --- |")
        print(f"| MKL torch.matmul | {peak['mkl']:.0f} |")
        print(f"| oneDNN mkldnn Linear | {peak['onednn']:.0f} |")
    if args.only in (None, "train"):
        print(
            "\n| training | batch | it/s | img/s | GFLOP/it | GFLOP/s | of oneDNN peak |"
            "\n| --- | --- | --- | --- | --- | --- | --- |"
        )
        for preset in ("dcgan-mnist", "wgan-forest", "texture-brick"):
            from gamegan.presets import get_preset

            row = train_row(preset, args.iterations, args.repeats)
            batch = get_preset(preset).train.batch_size
            print(
                f"| {preset} | {batch} | {row['iterations/s']:.2f} | {row['images/s']:.0f} | "
                f"{row['GFLOP/iteration']:.2f} | {row['GFLOP/s']:.0f} | "
                f"{row['GFLOP/s'] / peak['onednn']:.0%} |"
            )
    if args.only in (None, "texture"):
        rows = texture_rows(args.repeats)
        if rows:
            print("\n| generation | seconds |\n| --- | --- |")
            for name, seconds in rows:
                print(f"| {name} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
