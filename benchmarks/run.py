"""gamegan benchmarks: one command, one table.

    python benchmarks/run.py                 # everything, medians of 5 timed runs
    python benchmarks/run.py --only train    # training rows only (train, texture, peak)
    python benchmarks/run.py --threads 1     # pin torch threads (default: torch's choice)
    python benchmarks/run.py --side-by-side  # gamegan against plain eager PyTorch ports

Rows:
- peak: float32 GFLOP/s of a 2048x2048 product through MKL (torch.matmul) and through oneDNN
  (torch.utils.mkldnn's Linear), which is what runs torch's convolutions on this CPU;
- train: iterations/s and images/s of the chapter's presets at their batch sizes, FLOPs per
  iteration counted with torch's per-op flop formulas (those of FlopCounterMode), and that
  rate as a fraction of the oneDNN peak;
- texture: seconds to generate seamless textures of 1024x1024 and 4096x4096, in float32 and
  bf16;
- side by side (``--side-by-side``): iterations/s of gamegan's training step and of a plain
  eager PyTorch port of the same program (``plain_ports.py``), in float32 and bf16, taking
  turns in one run, with their ratios;
- music: training throughput of note-lstm, note-vae (the chapter's sizes) and chorale-gan on
  the bundled Bach chorales, with FLOPs (LSTM layers counted analytically: torch's fused LSTM
  kernels are invisible to torch's flop counter) and the fraction of the matmul peak; and seconds of
  generation per minute of music for the bundled music models.

Image data are random tensors of the right shape, so no data set is needed; the arithmetic is
the same as on real data. Music rows use the bundled chorales (parsed once, then cached).
Timings are medians; the machine is shared, so compare ratios.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

SIDE_BY_SIDE = ("dcgan-mnist", "wgan-forest", "texture-brick", "chorale-gan")
# The training table's rows: a preset and its overrides. Lazy R1 (penalty every 16 critic
# steps) beside the texture preset's every-step R1, and the preset without its grid term;
# time them with --iterations 16 or more.
TRAIN_ROWS = (
    ("dcgan-mnist", ()),
    ("wgan-forest", ()),
    ("texture-brick", ()),
    ("texture-brick", ("train.precision=fp32",)),
    ("texture-brick", ("train.precision=fp32", "train.penalty_every=16")),
    ("texture-brick", ("train.precision=fp32", "train.grid_weight=0")),
)


def median_seconds(fn, repeats: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class CountFlops:
    """FLOPs of the ops run inside, by torch's own per-op formulas (torch.utils.flop_counter).

    FlopCounterMode itself also tracks modules with autograd hooks, which break
    ``torch.autograd.grad`` (the WGAN-GP penalty); this counts the same ops without them.
    """

    def __enter__(self):
        from torch.utils._python_dispatch import TorchDispatchMode
        from torch.utils.flop_counter import flop_registry

        counter = self

        class Mode(TorchDispatchMode):
            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
                kwargs = kwargs or {}
                out = func(*args, **kwargs)
                formula = flop_registry.get(func._overloadpacket)
                if formula is not None:
                    counter.total += formula(*args, **kwargs, out_val=out)
                return out

        self.total = 0
        self._mode = Mode()
        self._mode.__enter__()
        return self

    def __exit__(self, *exc):
        self._mode.__exit__(*exc)

    def get_total_flops(self) -> int:
        return self.total


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
    from gamegan.runtime import Distributed
    from gamegan.train.gan import GANTrainer
    from gamegan.train.run import decide_precision

    resolved, images = preset_data(preset, overrides)
    device = torch.device("cpu")
    resolved, _ = decide_precision(resolved, device)  # a preset's auto, as `gamegan train` does
    trainer = GANTrainer(resolved, images, device=device, dist_info=Distributed())
    precision = resolved.cfg.train.precision
    return {**time_trainer(trainer, iterations, repeats), "precision": precision}


def preset_data(preset: str, overrides=()):
    """(resolved config, training data) of a preset: random images of the right shape, or the
    bundled chorales for a music preset."""
    from gamegan.build import resolve
    from gamegan.presets import build_config

    if preset.startswith("chorale"):
        from gamegan.data.run_data import load_run_data

        resolved = resolve(build_config(preset, overrides=overrides, device="cpu"))
        return resolved, load_run_data(resolved).images
    resolved = resolve(build_config(preset, data="synthetic", overrides=overrides, device="cpu"))
    m = resolved.model_cfg
    shape = (2048, m.channels, m.resolution, m.resolution)
    return resolved, torch.randint(
        0, 256, shape, dtype=torch.uint8, generator=torch.Generator().manual_seed(0)
    )


def side_by_side(preset: str, iterations: int, repeats: int, precisions=("fp32", "bf16")) -> dict:
    """it/s of gamegan's step and of the plain port (benchmarks/plain_ports.py), per precision.

    The contenders take turns: each repeat times ``iterations`` steps of every one of them in
    the same order, so a change in the machine's speed during the run reaches all of them.
    Returns {(who, precision): median it/s}.
    """
    from plain_ports import plain_port

    from gamegan.runtime import Distributed
    from gamegan.train.gan import GANTrainer

    contenders = {}
    for precision in precisions:
        resolved, images = preset_data(preset, [f"train.precision={precision}"])
        contenders[("gamegan", precision)] = GANTrainer(
            resolved, images, device=torch.device("cpu"), dist_info=Distributed()
        ).step
        torch.manual_seed(0)
        contenders[("plain", precision)] = plain_port(preset, images, bf16=precision == "bf16").step
    times = {key: [] for key in contenders}
    for step in contenders.values():  # warm-up: oneDNN picks its kernels on first use
        step()
        step()
    for _ in range(repeats):
        for key, step in contenders.items():
            start = time.perf_counter()
            for _ in range(iterations):
                step()
            times[key].append((time.perf_counter() - start) / iterations)
    return {key: 1.0 / statistics.median(t) for key, t in times.items()}


def time_trainer(trainer, iterations: int, repeats: int, extra_flops: int = 0) -> dict:
    """Rates of one trainer's iterations; FLOPs counted on one iteration (plus uncounted ones),
    or averaged over a whole cycle of ``train.penalty_every`` iterations where the penalty
    comes on some of them only."""
    cycle = trainer.cfg.train.penalty_every  # every trainer's config has it (1 by default)
    with CountFlops() as counter:
        for _ in range(cycle):
            trainer.step()
    flops = counter.get_total_flops() / cycle + extra_flops

    def run():
        for _ in range(iterations):
            trainer.step()

    seconds = median_seconds(run, repeats) / iterations
    return {
        "iterations/s": 1.0 / seconds,
        "examples/s": trainer.images_per_iteration / seconds,
        "GFLOP/iteration": flops / 1e9,
        "GFLOP/s": flops / seconds / 1e9,
    }


def lstm_flops(module: torch.nn.Module, batch: int, steps: int) -> int:
    """Forward FLOPs of every nn.LSTM inside ``module`` for a batch of sequences."""
    total = 0
    for lstm in (m for m in module.modules() if isinstance(m, torch.nn.LSTM)):
        dirs = 2 if lstm.bidirectional else 1
        for layer in range(lstm.num_layers):
            inputs = lstm.input_size if layer == 0 else lstm.hidden_size * dirs
            gates = 4 * lstm.hidden_size
            total += dirs * 2 * gates * (inputs + lstm.hidden_size) * batch * steps
    return total


def music_train_row(preset: str, iterations: int, repeats: int) -> dict:
    """Training throughput of a music preset on the bundled chorales."""
    from gamegan.build import resolve
    from gamegan.data.run_data import load_run_data
    from gamegan.presets import build_config
    from gamegan.runtime import Distributed

    resolved = resolve(build_config(preset, device="cpu"))
    data = load_run_data(resolved)
    cpu, single = torch.device("cpu"), Distributed()
    if resolved.spec.family.sequential:
        from gamegan.train.sequence import SequenceTrainer

        trainer = SequenceTrainer(resolved, data, device=cpu, dist_info=single)
        # Training = forward + backward, about 3x the forward arithmetic.
        extra = 3 * lstm_flops(
            trainer.model, resolved.cfg.train.batch_size, resolved.model_cfg.seq_len
        )
    else:
        from gamegan.train.gan import GANTrainer

        trainer = GANTrainer(resolved, data.images, device=cpu, dist_info=single)
        extra = 0
    return time_trainer(trainer, iterations, repeats, extra)


def music_generation_rows(repeats: int) -> list[tuple[str, float, float]]:
    """(model, seconds of music made, seconds of compute per minute of music)."""
    from gamegan import generate

    rows = []
    for name in ("chorale", "chorale-lstm", "chorale-vae"):
        try:
            loaded = generate.load_generator(name)
        except Exception as err:  # not bundled in this checkout
            print(f"music generation: {name} skipped ({err})")
            continue
        made = []

        def make(loaded=loaded, made=made):
            made[:] = generate.music(loaded, seed=0, n_bars=24)

        seconds = median_seconds(make, repeats)
        music_seconds = sum(score.seconds for score in made)
        rows.append((name, music_seconds, seconds * 60.0 / max(music_seconds, 1e-9)))
    return rows


def texture_rows(repeats: int) -> list[tuple[str, float]]:
    """Seconds per seamless texture: the bundled brick model and the default texture model.

    The default model (the ``texture-brick`` preset's ``deep_spatial_gan``) is timed with
    freshly initialised weights, which cost the same arithmetic as trained ones.
    """
    from pathlib import Path

    from gamegan.build import resolve
    from gamegan.generate import PRETRAINED, LoadedGenerator, load_generator, texture
    from gamegan.presets import build_config

    resolved = resolve(build_config("texture-brick"))
    torch.manual_seed(0)
    G = resolved.spec.generator(resolved.model_cfg).eval()
    models = [
        (
            f"{resolved.cfg.model.name} (texture-brick)",
            LoadedGenerator(G, {"kind": "texture_gan"}, Path("untrained")),
        )
    ]
    try:
        models.append((f"bundled {PRETRAINED[0]}", load_generator(PRETRAINED[0])))
    except Exception as err:  # no bundled model in this checkout
        print(f"texture: bundled model skipped ({err})")
    rows = []
    for name, loaded in models:
        for precision in ("fp32", "bf16"):
            for side in (1024, 4096):

                def make(side=side, loaded=loaded, precision=precision):
                    texture(loaded, width=side, height=side, seed=0, precision=precision)

                seconds = median_seconds(make, repeats if side <= 1024 else max(1, repeats // 2))
                rows.append((f"{name} {side}x{side} tileable, {precision}", seconds))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=10, help="per timed training run")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--only", choices=("train", "texture", "peak", "music"), default=None)
    parser.add_argument(
        "--side-by-side",
        nargs="*",
        metavar="PRESET",
        default=None,
        help="gamegan's step against a plain eager PyTorch port, float32 and bf16, taking "
        f"turns in one run (default presets: {', '.join(SIDE_BY_SIDE)})",
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, repeats {args.repeats}")

    if args.side_by_side is not None:
        print(
            "\n| training | precision | gamegan it/s | plain port it/s | gamegan / plain "
            "| gamegan / plain float32 |\n| --- | --- | --- | --- | --- | --- |"
        )
        for preset in args.side_by_side or SIDE_BY_SIDE:
            rates = side_by_side(preset, args.iterations, args.repeats)
            for precision in ("fp32", "bf16"):
                ours, plain = rates[("gamegan", precision)], rates[("plain", precision)]
                print(
                    f"| {preset} | {precision} | {ours:.2f} | {plain:.2f} | {ours / plain:.2f}x "
                    f"| {ours / rates[('plain', 'fp32')]:.2f}x |",
                    flush=True,
                )
        return

    peak = None
    if args.only in (None, "peak", "train", "music"):
        peak = peak_gflops(args.repeats)
        print("\n| peak | GFLOP/s (float32, 2048x2048 product) |\n| --- | --- |")
        print(f"| MKL torch.matmul | {peak['mkl']:.0f} |")
        print(f"| oneDNN mkldnn Linear | {peak['onednn']:.0f} |")
    if args.only in (None, "train"):
        print(
            "\n| training | precision | batch | it/s | img/s | GFLOP/it | GFLOP/s "
            "| of float32 oneDNN peak |\n| --- | --- | --- | --- | --- | --- | --- | --- |"
        )
        for preset, overrides in TRAIN_ROWS:
            from gamegan.presets import get_preset

            row = train_row(preset, args.iterations, args.repeats, overrides)
            batch = get_preset(preset).train.batch_size
            name = " ".join((preset, *overrides))
            print(
                f"| {name} | {row['precision']} | {batch} | {row['iterations/s']:.2f} | "
                f"{row['examples/s']:.0f} | "
                f"{row['GFLOP/iteration']:.2f} | {row['GFLOP/s']:.0f} | "
                f"{row['GFLOP/s'] / peak['onednn']:.0%} |"
            )
    if args.only in (None, "texture"):
        rows = texture_rows(args.repeats)
        if rows:
            print("\n| generation | seconds |\n| --- | --- |")
            for name, seconds in rows:
                print(f"| {name} | {seconds:.2f} |")

    if args.only in (None, "music"):
        print(
            "\n| music training | batch | it/s | examples/s | GFLOP/it | GFLOP/s | of oneDNN peak |"
            "\n| --- | --- | --- | --- | --- | --- | --- |"
        )
        for preset in ("note-lstm", "note-vae", "chorale-gan"):
            from gamegan.presets import get_preset

            iterations = max(1, args.iterations // (5 if preset == "note-lstm" else 1))
            row = music_train_row(preset, iterations, args.repeats)
            batch = get_preset(preset).train.batch_size
            print(
                f"| {preset} | {batch} | {row['iterations/s']:.2f} | {row['examples/s']:.0f} | "
                f"{row['GFLOP/iteration']:.1f} | {row['GFLOP/s']:.0f} | "
                f"{row['GFLOP/s'] / peak['onednn']:.0%} |"
            )
        rows = music_generation_rows(args.repeats)
        if rows:
            print("\n| music generation | seconds of music | seconds per minute of music |")
            print("| --- | --- | --- |")
            for name, music_seconds, per_minute in rows:
                print(f"| {name} | {music_seconds:.0f} | {per_minute:.3f} |")


if __name__ == "__main__":
    main()
