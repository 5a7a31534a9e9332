"""Image quilting vs the bundled texture GANs on scikit-image's brick, grass and gravel photos.

    python benchmarks/compare_quilting.py [--size 1024] [--repeats 3] [--markdown PATH]

For each photo this synthesizes a ``size x size`` texture by image quilting (plain and
tileable, ``gamegan.baselines.quilting``) and, where ``gamegan/pretrained/<name>.safetensors`` is
installed, by the bundled GAN (``gamegan.generate.texture``, tileable), and prints:

- seconds per texture: median over ``--repeats`` runs (seeds 0, 1, ...); for the GAN the
  one-time model load is excluded and reported in the notes;
- SWD: ``gamegan.metrics.swd.sliced_wasserstein`` (``swd/avg``) between 256 random 64x64
  crops of the photo and 256 random 64x64 crops of the seed-0 texture. Two reference rows:
  ``left/right half`` compares crops of the photo's left half with crops of its right half
  (two disjoint samples of the same texture), ``whole, 2 crop sets`` two independent crop sets
  of the whole photo (the sampling-noise floor: crops may overlap);
- seam score and edge error: ``gamegan.metrics.tiling`` on the seed-0 texture (wrap-around
  seams: only the tileable methods try to avoid them);
- continued %: for quilting, the share of blocks pasted exactly where they continue a
  neighbouring block's source window, i.e. verbatim copies of larger source regions;
- overlap RMS: for quilting, the mean RMS pixel difference (0-255) over the overlap of each
  chosen block, before the cut; for tileable quilting ``interior / wrap-closing`` separates the
  blocks of the last row and column, which must also match the first ones across the wrap.

The photos are read as PNG files from the installed scikit-image package (located without
importing it, which is slow).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from gamegan.baselines.quilting import Placement, quilt_with_placements

PHOTOS = ("brick", "grass", "gravel")
CROP = 64
N_CROPS = 256
BLOCK = 48


def photo_path(name: str) -> Path:
    """``<site-packages>/skimage/data/<name>.png``, found without importing skimage."""
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("scikit-image is not installed: its bundled photos are needed")
    for root in spec.submodule_search_locations:
        path = Path(root) / "data" / f"{name}.png"
        if path.is_file():
            return path
    raise SystemExit(f"{name}.png is missing from scikit-image's data folder")


def load_photo(name: str) -> np.ndarray:
    """uint8 ``[H, W, C]`` (gray photos get C = 1)."""
    image = np.asarray(Image.open(photo_path(name)))
    return image[..., None] if image.ndim == 2 else image[..., :3]


def random_crops(image: np.ndarray, n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` random ``size x size`` crops ``[n, size, size, C]`` fully inside ``image``."""
    h, w = image.shape[:2]
    ys = rng.integers(0, h - size + 1, n)
    xs = rng.integers(0, w - size + 1, n)
    return np.stack([image[y : y + size, x : x + size] for y, x in zip(ys, xs, strict=True)])


def swd(real: np.ndarray, fake: np.ndarray) -> float:
    from gamegan.metrics.swd import sliced_wasserstein

    return float(sliced_wasserstein(real, fake, seed=0)["swd/avg"])


def tiling_scores(image: np.ndarray) -> tuple[float, float]:
    """(seam score, edge error) of a uint8 ``[H, W, C]`` texture; NaN if the metric is absent."""
    try:
        from gamegan.metrics.tiling import edge_error, seam_score
    except ImportError:
        return float("nan"), float("nan")
    return float(seam_score(image)), float(edge_error(image))


def continued_share(placements: list[Placement]) -> float:
    """Share of blocks (with a left or top neighbour) that continue a neighbour's source."""
    by_corner = {(p.y, p.x): p for p in placements}
    ys = sorted({p.y for p in placements})
    xs = sorted({p.x for p in placements})
    n = hits = 0
    for p in placements:
        i, j = ys.index(p.y), xs.index(p.x)
        neighbours = []
        if j > 0:
            neighbours.append(by_corner[(p.y, xs[j - 1])])
        if i > 0:
            neighbours.append(by_corner[(ys[i - 1], p.x)])
        if not neighbours:
            continue
        n += 1
        hits += any(
            p.src_y - q.src_y == p.y - q.y and p.src_x - q.src_x == p.x - q.x for q in neighbours
        )
    return hits / max(n, 1)


def overlap_rms(placements: list[Placement]) -> str:
    """Mean overlap RMS of the matched blocks; ``interior / wrap-closing`` when tileable."""
    inner = [p.overlap_rms for p in placements if not p.closes_wrap and np.isfinite(p.overlap_rms)]
    closing = [p.overlap_rms for p in placements if p.closes_wrap]
    text = f"{np.mean(inner):.1f}"
    return f"{text} / {np.mean(closing):.1f}" if closing else text


def to_uint8(image: np.ndarray) -> np.ndarray:
    """GAN float ``[H, W, C]`` in [0, 1] -> uint8."""
    return np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)


def match_channels(texture: np.ndarray, photo: np.ndarray) -> np.ndarray:
    """Make the texture's channel count the photo's (gray by mean, or gray repeated)."""
    c, want = texture.shape[-1], photo.shape[-1]
    if c == want:
        return texture
    gray = texture.mean(axis=-1, keepdims=True) if c > 1 else texture
    return np.repeat(gray, want, axis=-1).astype(np.uint8) if want > 1 else gray.astype(np.uint8)


def gan_loader(name: str, notes: list[str]):
    """A callable ``seed -> uint8 texture`` for the bundled GAN, or None (with a note)."""
    try:
        import gamegan
        from gamegan import generate
    except Exception as error:  # the package itself is broken: say so, keep the quilting rows
        notes.append(f"{name}: GAN rows skipped, gamegan.generate failed to import ({error})")
        return None
    snapshot = Path(gamegan.__file__).parent / "pretrained" / f"{name}.safetensors"
    if not snapshot.is_file():
        notes.append(f"{name}: GAN row skipped, the bundled model {snapshot.name} is absent")
        return None
    model = name
    if hasattr(generate, "load_generator"):
        start = time.perf_counter()
        model = generate.load_generator(name)
        notes.append(f"{name}: GAN model load {time.perf_counter() - start:.2f} s (not timed)")

    def make(size: int, seed: int) -> np.ndarray:
        return to_uint8(generate.texture(model, width=size, height=size, tileable=True, seed=seed))

    return make


def median_time(make, repeats: int) -> tuple[float, object]:
    """Median seconds over ``repeats`` calls ``make(seed)``; also the seed-0 result."""
    times, first = [], None
    for seed in range(repeats):
        start = time.perf_counter()
        result = make(seed)
        times.append(time.perf_counter() - start)
        if seed == 0:
            first = result
    return statistics.median(times), first


def run(size: int, repeats: int, photos: tuple[str, ...], save_dir: Path | None) -> tuple:
    rows: list[dict] = []
    notes: list[str] = []
    for name in photos:
        photo = load_photo(name)
        h, w = photo.shape[:2]
        rng = np.random.default_rng(0)
        real = random_crops(photo, N_CROPS, CROP, rng)
        left = random_crops(photo[:, : w // 2], N_CROPS, CROP, rng)
        right = random_crops(photo[:, w // 2 :], N_CROPS, CROP, rng)
        again = random_crops(photo, N_CROPS, CROP, rng)
        seam, edge = tiling_scores(photo)
        rows.append(dict(photo=name, method="real vs real (left/right half)", swd=swd(left, right)))
        rows[-1].update(seam=seam, edge=edge)
        rows.append(
            dict(photo=name, method="real vs real (whole, 2 crop sets)", swd=swd(real, again))
        )

        methods = [
            (
                f"quilting (block {BLOCK})",
                lambda seed, photo=photo: quilt_with_placements(
                    photo, size, size, block=BLOCK, seed=seed
                ),
            ),
            (
                f"quilting tileable (block {BLOCK})",
                lambda seed, photo=photo: quilt_with_placements(
                    photo, size, size, block=BLOCK, seed=seed, tileable=True
                ),
            ),
        ]
        gan = gan_loader(name, notes)
        if gan is not None:
            methods.append(
                ("GAN tileable (bundled)", lambda seed, gan=gan: (gan(size, seed), None))
            )

        for method, make in methods:
            seconds, (texture, placements) = median_time(make, repeats)
            texture = texture[..., None] if texture.ndim == 2 else texture
            texture = match_channels(texture, photo)
            fake = random_crops(texture, N_CROPS, CROP, np.random.default_rng(1))
            seam, edge = tiling_scores(texture)
            row = dict(photo=name, method=method, seconds=seconds, swd=swd(real, fake))
            row.update(seam=seam, edge=edge)
            if placements is not None:
                row["continued"] = continued_share(placements)
                row["rms"] = overlap_rms(placements)
            rows.append(row)
            if save_dir is not None:
                save_dir.mkdir(parents=True, exist_ok=True)
                slug = method.split(" (")[0].replace(" ", "_")
                Image.fromarray(texture.squeeze(-1) if texture.shape[-1] == 1 else texture).save(
                    save_dir / f"{name}_{slug}.png"
                )
            print(f"  {name:7s} {method:34s} {seconds:8.2f} s", file=sys.stderr, flush=True)
    return rows, notes


def fmt(value, spec: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and not np.isfinite(value):
        return "n/a"
    return format(value, spec)


HEADER = ("photo", "method", "s / texture", "SWD vs photo", "seam score", "edge error")


def table_lines(rows: list[dict], markdown: bool) -> list[str]:
    header = (*HEADER, "continued %", "overlap RMS")
    cells = [
        (
            r["photo"],
            r["method"],
            fmt(r.get("seconds"), ".2f"),
            fmt(r.get("swd"), ".2f"),
            fmt(r.get("seam"), ".4g"),
            fmt(r.get("edge"), ".4g"),
            fmt(100 * r["continued"] if "continued" in r else None, ".0f"),
            r.get("rms", "-"),
        )
        for r in rows
    ]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        return lines + ["| " + " | ".join(c) + " |" for c in cells]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *cells, strict=True)]
    line = lambda c: "  ".join(str(x).ljust(w) for x, w in zip(c, widths, strict=True))  # noqa: E731
    return [line(header), line(["-" * w for w in widths])] + [line(c) for c in cells]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024, help="texture side in pixels")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per method")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument("--photos", nargs="+", default=list(PHOTOS), choices=PHOTOS)
    parser.add_argument("--save", type=Path, help="folder for the seed-0 textures (PNG)")
    args = parser.parse_args(argv)
    if args.size < CROP:
        parser.error(f"--size must be at least the {CROP}-pixel SWD crop")

    rows, notes = run(args.size, max(1, args.repeats), tuple(args.photos), args.save)
    command = "python benchmarks/compare_quilting.py " + " ".join(
        sys.argv[1:] if argv is None else argv
    )
    about = (
        f"{datetime.date.today().isoformat()}, {platform.machine()} {os.cpu_count()} CPU cores, "
        f"`{command.strip()}`: {args.size}x{args.size} textures, seconds = median of "
        f"{args.repeats}, SWD on {N_CROPS} random {CROP}x{CROP} crops"
    )
    print("\n".join(table_lines(rows, markdown=False)))
    for note in notes:
        print(f"note: {note}")
    if args.markdown:
        text = [about, "", *table_lines(rows, markdown=True), ""]
        text += [f"- {note}" for note in notes]
        args.markdown.write_text("\n".join(text).rstrip() + "\n")


if __name__ == "__main__":
    main()
