"""``gamegan eval`` for image-to-image runs: outputs against their targets.

One-way (pix2pix) runs translate inputs whose targets are known; two-way (CycleGAN) runs
translate pictures of A and are compared with pictures of B, since no pair is the answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from gamegan.errors import DataError
from gamegan.evaluate.report import Evaluation, hwc, write_side_by_side


def groups(cfg) -> list[str]:
    """One group: outputs against their targets."""
    return ["translation"]


def evaluate(ev: Evaluation) -> list[dict]:
    """Image-to-image runs: outputs against their targets, beside real against real.

    A run trained on one side of its photos (``--holdout``) is judged on the held-out halves:
    each half's input (made as in training) goes through G, and its output is compared with
    the half by patch SWD, log-spectrum and colour distance, with the training halves as the
    real-vs-real baseline; ``translation/l1`` is the mean absolute difference per pixel from
    the target (0-1 scale). Other runs are judged on their first ``n`` training pairs, with
    other training targets as the baseline. A picture of input | output | target per photo
    (or of the first pairs) goes to ``RUN_DIR/eval/translation-<snapshot>.png``.
    """
    from gamegan import generate
    from gamegan.data.pairs import derive_condition
    from gamegan.data.run_data import load_run_data

    resolved, loaded, log = ev.resolved, ev.loaded, ev.log
    cfg = resolved.cfg
    if resolved.spec.two_way:
        return _evaluate_two_way(ev)
    if cfg.data.holdout:
        from gamegan.data.textures import read_textures, split_holdout, texture_source

        photos, _, what = read_textures(
            texture_source(cfg.data.source), resolved.model_cfg.channels
        )
        targets, baseline, inputs = [], [], []
        for photo in photos:
            kept, held_out = split_holdout(photo, cfg.data.holdout)
            targets.append(hwc(held_out))
            baseline.append(hwc(kept))
            inputs.append(hwc(derive_condition(held_out[None], cfg.data.condition)[0]))
        source = f"the held-out {cfg.data.holdout} halves of {what}"
    else:
        data = load_run_data(resolved)
        k = min(ev.n, len(data) // 2)
        if k < 1:
            raise DataError(f"{cfg.data.source}: too few pairs to evaluate ({len(data)})")
        targets = [hwc(image) for image in data.images[:k]]
        baseline = [hwc(image) for image in data.images[k : 2 * k]]
        inputs = [hwc(image) for image in data.conditions[:k]]
        source = f"{k} training pairs (baseline: {k} other training targets)"
    log(f"translating {len(inputs)} inputs: {source}")
    outputs = [generate.translate(loaded, a) for a in inputs]
    rows = _translation_rows(targets, outputs, baseline, ev.seed, log)
    pairs = list(zip(inputs, outputs, targets, strict=True))
    l1 = np.mean([np.abs(o.astype(float) - t).mean() / 255 for _, o, t in pairs])
    rows.append({"metric": "translation/l1", "value": float(l1), "baseline": None})
    picture = _translation_picture(ev, pairs, "input | output | target")
    extra = {"picture": str(picture.relative_to(ev.run_dir))}
    return ev.report(rows, len(outputs), source, extra)


def _evaluate_two_way(ev: Evaluation) -> list[dict]:
    """CycleGAN runs: G_AB's outputs for pictures of A against pictures of B (no pair is the
    right answer), beside other pictures of B; with ``--holdout``, the held-out halves of A's
    photos go in and are compared with the held-out halves of B's, the training halves of B
    being the baseline."""
    from gamegan import generate
    from gamegan.data.run_data import load_run_data

    resolved, loaded, log = ev.resolved, ev.loaded, ev.log
    cfg = resolved.cfg
    if cfg.data.holdout:
        from gamegan.data.textures import read_textures, split_holdout, texture_source

        halves = {}
        for name, source, channels in (
            ("a", cfg.data.source, resolved.model_cfg.condition_channels),
            ("b", cfg.data.domain_b, resolved.model_cfg.channels),
        ):
            photos, _, _ = read_textures(texture_source(source), channels)
            halves[name] = [split_holdout(photo, cfg.data.holdout) for photo in photos]
        inputs = [hwc(held) for _, held in halves["a"]]
        targets = [hwc(held) for _, held in halves["b"]]
        baseline = [hwc(kept) for kept, _ in halves["b"]]
        what = f"the held-out {cfg.data.holdout} halves of A's and B's photos"
    else:
        data = load_run_data(resolved)
        k = min(ev.n, len(data.a), len(data.b) // 2)
        inputs = [hwc(image) for image in data.a.images[:k]]
        targets = [hwc(image) for image in data.b.images[:k]]
        baseline = [hwc(image) for image in data.b.images[k : 2 * k]]
        what = f"{k} pictures of A through G_AB against {k} of B (baseline: {k} other B)"
    log(f"translating {len(inputs)} pictures of A to B: {what}")
    outputs = [generate.translate(loaded, a) for a in inputs]
    rows = _translation_rows(targets, outputs, baseline, ev.seed, log)
    shown = list(zip(inputs, outputs, targets, strict=False))
    picture = _translation_picture(ev, shown, "A | G_AB(A) | a picture of B")
    extra = {"picture": str(picture.relative_to(ev.run_dir))}
    return ev.report(rows, len(outputs), what, extra)


def _translation_rows(targets, outputs, baseline, seed: int, log) -> list[dict[str, Any]]:
    """Patch SWD, log-spectrum and colour distance of outputs against targets, beside other
    real pictures of the target domain against them."""
    from gamegan import metrics as metric_lib

    rows: list[dict[str, Any]] = []
    for name, kwargs in (("swd_images", {"seed": seed}), ("spectrum", {}), ("color", {})):
        log(f"computing {name}")
        value = metric_lib.compute(name, real=targets, fake=outputs, **kwargs)
        base = metric_lib.compute(name, real=targets, fake=baseline, **kwargs)
        rows.extend(
            {"metric": f"translation/{key}", "value": v, "baseline": base[key]}
            for key, v in value.items()
        )
    return rows


def _translation_picture(ev: Evaluation, rows, what: str) -> Path:
    """Up to four rows of pictures side by side, gray ones shown in the widest channels."""
    channels = max(img.shape[2] for row in rows for img in row)
    shown = [
        tuple(np.broadcast_to(img, (*img.shape[:2], channels)) if img.shape[2] == 1 else img
              for img in row)
        for row in rows[:4]
    ]  # fmt: skip
    picture = ev.run_dir / "eval" / f"translation-{ev.loaded.path.stem}.png"
    write_side_by_side(shown, picture)
    ev.log(f"wrote {picture} ({what})")
    return picture
