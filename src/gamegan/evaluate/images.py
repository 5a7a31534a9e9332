"""``gamegan eval`` for image runs: generated images against the run's real data.

The baseline is a second real set of the same size: MNIST's other split where there is one,
else the other half of the training data. MNIST runs are also scored in a digit classifier's
features, class-conditional ones class by class, and the semi-supervised GAN's critic as the
classifier it is.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import torch

from gamegan.config import RunConfig
from gamegan.errors import DataError
from gamegan.evaluate.report import Evaluation


def is_digits(cfg: RunConfig) -> bool:
    return cfg.data.source.strip().lower() == "mnist"


def groups(cfg: RunConfig) -> list[str]:
    """SWD and colour; the digit classifier's scores on MNIST; the semi-supervised GAN's."""
    from gamegan.models import MODELS

    names = ["swd", "color"]
    if is_digits(cfg):
        names.append("classifier")
    if cfg.model.name in MODELS and MODELS.get(cfg.model.name).keeps_discriminator:
        names.append("semi_supervised")
    return names


def _load_real(resolved, log) -> tuple[Any, Any, str]:
    """The run's real data, plus a second disjoint real set when the data set has one."""
    from gamegan.data.run_data import load_run_data

    cfg = resolved.cfg
    real = load_run_data(resolved)  # the very loader training used
    if not is_digits(cfg):
        return real, None, "two disjoint halves of the training data"
    other = "test" if cfg.data.split != "test" else "train"
    try:
        held_out = load_run_data(
            replace(resolved, cfg=replace(cfg, data=replace(cfg.data, split=other)))
        )
    except DataError as err:
        log(f"note: no MNIST {other} split ({err}); the baseline uses halves of the training data")
        return real, None, "two disjoint halves of the training data"
    return real, held_out, f"the MNIST {other} split"


def _classifier(resolved, real, held_out, options: dict, log):
    from gamegan.data import load_images
    from gamegan.metrics.classifier import load_or_train_classifier

    # Always all ten digits of the train split at 28x28 gray, whatever classes or size the run
    # used, so the classifier (and its cache entry) is shared by every run on these files.
    cfg = resolved.cfg
    is_plain = (
        not cfg.data.classes
        and resolved.model_cfg.resolution == 28
        and resolved.model_cfg.channels == 1
    )

    def digits(split: str):
        if is_plain and cfg.data.split == split:
            return real
        if is_plain and held_out is not None and cfg.data.split != split and split == "test":
            return held_out
        return load_images(
            "mnist", data_dir=cfg.data.data_dir, resolution=28, channels=1, split=split
        )

    train = digits("train")
    try:
        test = digits("test")
    except DataError:
        test = None
    return load_or_train_classifier(
        train.images,
        train.labels,
        test_images=None if test is None else test.images,
        test_labels=None if test is None else test.labels,
        log=log,
        **options,
    )


def evaluate(ev: Evaluation) -> list[dict]:
    """Image runs: ``n`` generated images against ``n`` real ones, beside a second real set."""
    from gamegan import generate
    from gamegan import metrics as metric_lib

    resolved, loaded, n, seed, log = ev.resolved, ev.loaded, ev.n, ev.seed, ev.log
    cfg = resolved.cfg
    log(f"loading real data: {cfg.data.source}")
    real_data, held_out_data, baseline_source = _load_real(resolved, log)
    real = real_data.images
    held_out = None if held_out_data is None else held_out_data.images
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(real), generator=g)
    if held_out is None:
        m = min(n, len(real) // 2)
        reference, baseline = real[order[:m]], real[order[m : 2 * m]]
        baseline_from, baseline_pick = real_data, order[m : 2 * m]
    else:
        m = min(n, len(real), len(held_out))
        reference = real[order[:m]]
        baseline_pick = torch.randperm(len(held_out), generator=g)[:m]
        baseline, baseline_from = held_out[baseline_pick], held_out_data
    if m < 2:
        raise DataError(f"{cfg.data.source}: too few real images to evaluate ({len(real)})")
    if m < n:
        log(f"note: only enough real images for sets of {m}; comparing {m} vs {m}")
    log(
        f"generating {m} images from {loaded.path.name} "
        f"(iteration {loaded.metadata.get('iteration')}), "
        f"seeds {seed}-{seed + m - 1}"
    )
    fake = torch.from_numpy(generate.images(loaded, n=m, seed=seed)).permute(0, 3, 1, 2)

    rows: list[dict[str, Any]] = []

    def add(name: str, **kwargs: Any) -> None:
        log(f"computing {name}")
        value = metric_lib.compute(name, real=reference, fake=fake, **kwargs)
        base = metric_lib.compute(name, real=reference, fake=baseline, **kwargs)
        rows.extend({"metric": k, "value": v, "baseline": base[k]} for k, v in value.items())

    for group in ev.groups:
        if group == "swd":
            add("swd", seed=seed)
        elif group == "color":
            add("color")
        elif group == "classifier":
            options = dict(ev.classifier_options)
            clf = _classifier(resolved, real_data, held_out_data, options, log)
            add("classifier", classifier=clf, seed=seed)
            rows.append({"metric": "classifier/accuracy", "value": clf.accuracy, "baseline": None})
            if loaded.class_names and real_data.labels is not None:
                reference_labels = real_data.labels[order[:m]]
                baseline_labels = baseline_from.labels[baseline_pick]
                rows.extend(
                    _per_class_rows(
                        loaded, clf, (reference, reference_labels), (baseline, baseline_labels),
                        m, seed, log,
                    )
                )  # fmt: skip
        elif group == "semi_supervised":
            rows.extend(_semi_supervised_rows(resolved, loaded, real_data, held_out_data, log))

    return ev.report(rows, m, baseline_source)


def _per_class_rows(loaded, clf, reference, baseline, m: int, seed: int, log) -> list[dict]:
    """A class-conditional digit model asked for each class in turn: how often the digit
    classifier names the class asked for (baseline: how often it names real digits of that
    class), and the FID of those digits against real ones of the class (baseline: real
    against real). Rows ``classifier/class_accuracy/<class>``, ``classifier/class_fid/<class>``
    and their means over the classes."""
    from gamegan import generate
    from gamegan.metrics.frechet import frechet_distance

    names = loaded.class_names
    if not all(name.isdigit() for name in names):
        log("note: no per-class scores (the classes are not digits)")
        return []
    per_class = max(2, m // len(names))
    log(f"generating {per_class} digits of each of the {len(names)} classes")
    rows, means = [], {"class_accuracy": [], "class_fid": []}
    for index, name in enumerate(names):
        digit = int(name)
        fake = generate.images(loaded, n=per_class, seed=seed, label=index)
        fake = torch.from_numpy(fake).permute(0, 3, 1, 2)
        real = reference[0][reference[1] == index]
        other = baseline[0][baseline[1] == index]
        accuracy = float((clf.predict(fake) == digit).float().mean())
        base_accuracy = float((clf.predict(other) == digit).float().mean()) if len(other) else None
        fid = base_fid = None
        if len(real) >= 2:
            features = clf.features(real)
            fid = frechet_distance(features, clf.features(fake))
            if len(other) >= 2:
                base_fid = frechet_distance(features, clf.features(other))
        for metric, value, base in (
            ("class_accuracy", accuracy, base_accuracy),
            ("class_fid", fid, base_fid),
        ):
            if value is None:
                continue
            rows.append({"metric": f"classifier/{metric}/{name}", "value": value, "baseline": base})
            means[metric].append((value, base))
    for metric, pairs in means.items():
        if pairs:
            bases = [b for _, b in pairs if b is not None]
            rows.append({
                "metric": f"classifier/{metric}",
                "value": float(np.mean([v for v, _ in pairs])),
                "baseline": float(np.mean(bases)) if len(bases) == len(pairs) else None,
            })  # fmt: skip
    return rows


def _semi_supervised_rows(resolved, loaded, real_data, held_out_data, log) -> list[dict]:
    """The semi-supervised GAN's classifier (its D): accuracy on the training examples whose
    labels training hid, and on the held-out split (MNIST's test set) when there is one."""
    from gamegan import generate
    from gamegan.models.sgan import labelled_mask

    if real_data.labels is None:
        raise DataError(f"{resolved.cfg.data.source}: no labels to score the classifier with")
    D = generate.load_discriminator(loaded)
    device = next(D.parameters()).device

    def accuracy(images: torch.Tensor, labels: torch.Tensor) -> float:
        hits = 0
        for start in range(0, len(images), 256):
            x = images[start : start + 256].to(device).float().div(127.5).sub(1.0)
            hits += int((D.predict(x).cpu() == labels[start : start + 256]).sum())
        return hits / len(images)

    labels = real_data.labels.to(torch.int64)
    known = labelled_mask(labels, resolved.model_cfg.labelled_per_class)
    rows = []

    def add(name: str, value: float) -> None:
        rows.append({"metric": f"semi_supervised/{name}", "value": value, "baseline": None})

    add("labels_used", float(known.sum()))
    if (~known).any():
        log(f"scoring D's classes on the {int((~known).sum())} examples whose labels it never saw")
        add("accuracy_unlabelled", accuracy(real_data.images[~known], labels[~known]))
    if held_out_data is not None and held_out_data.labels is not None:
        held = held_out_data.labels.to(torch.int64)
        add("accuracy_test", accuracy(held_out_data.images, held))
    return rows
