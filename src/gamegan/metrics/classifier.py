"""A digit classifier that gamegan trains itself, for feature distances on MNIST-like data.

FID needs an Inception network trained on ImageNet; gamegan downloads nothing, so for
MNIST-like data (1 channel, 28x28) it trains a small LeNet-style CNN on the real training
set instead (about 40 s on one CPU core for 50000 digits and 3 epochs, >99% test accuracy on
MNIST) and uses its penultimate layer (128 ReLU units) as the feature space. The weights are
cached as safetensors under ``$GAMEGAN_CACHE`` (default ``~/.cache/gamegan``), keyed by a
fingerprint of the training data and settings, so each data set is learned once.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from gamegan.errors import CheckpointError, DataError
from gamegan.io.cache import cache_folder
from gamegan.metrics import METRICS, as_nchw

__all__ = [
    "CLASSIFIER_FORMAT",
    "DigitClassifier",
    "DigitNet",
    "class_spread",
    "classifier_metrics",
    "load_or_train_classifier",
    "resolve_cache_dir",
]

CLASSIFIER_FORMAT = "gamegan.classifier/1"
RESOLUTION = 28
N_CLASSES = 10


class DigitNet(nn.Module):
    """LeNet-style CNN: two 5x5 conv + max-pool stages, a 128-unit feature layer, 10 logits."""

    def __init__(self, channels: tuple[int, int] = (16, 32), feature_dim: int = 128) -> None:
        super().__init__()
        c1, c2 = channels
        self.body = nn.Sequential(
            nn.Conv2d(1, c1, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 14x14
            nn.Conv2d(c1, c2, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 7x7
            nn.Flatten(),
            nn.Linear(c2 * 7 * 7, feature_dim),
            nn.ReLU(),
        )
        self.head = nn.Linear(feature_dim, N_CLASSES)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate activations ``[N, feature_dim]`` of inputs ``[N, 1, 28, 28]`` in [-1, 1]."""
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits ``[N, 10]``."""
        return self.head(self.body(x))


def _prepare(images: Any) -> torch.Tensor:
    """Any image batch (0-255) -> float ``[N, 1, 28, 28]`` in [-1, 1]."""
    x = as_nchw(images)
    if x.shape[1] == 4:
        x = x[:, :3]
    if x.shape[1] == 3:
        weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)  # BT.601 luma
        x = (x * weights).sum(dim=1, keepdim=True)
    if x.shape[-2:] != (RESOLUTION, RESOLUTION):
        x = F.interpolate(x, size=(RESOLUTION, RESOLUTION), mode="bilinear", antialias=True)
    return x / 127.5 - 1


@dataclass
class DigitClassifier:
    """A trained :class:`DigitNet` in eval mode, with how well it does and where it lives.

    Attributes
    ----------
    net : DigitNet
        The network (CPU, eval mode, no gradients).
    accuracy : float
        Accuracy on the held-out images it was checked on.
    fingerprint : str
        SHA-256 of the training data and settings: the cache key.
    path : Path or None
        The cache file, or None when caching was off.
    is_from_cache : bool
        True when the weights were loaded rather than trained by this call.
    """

    net: DigitNet
    accuracy: float
    fingerprint: str
    path: Path | None
    is_from_cache: bool

    @torch.no_grad()
    def features(self, images: Any, *, batch_size: int = 1000) -> torch.Tensor:
        """Penultimate-layer features of images (any size; gray, RGB or RGBA; 0-255).

        Parameters
        ----------
        images : numpy.ndarray or torch.Tensor
            ``[N, H, W, C]`` or ``[N, C, H, W]``; resized to 28x28, colour turned to gray.
        batch_size : int
            Images per forward pass.

        Returns
        -------
        torch.Tensor
            float32 ``[N, 128]``.
        """
        x = _prepare(images)
        return torch.cat([self.net.features(chunk) for chunk in x.split(batch_size)])

    @torch.no_grad()
    def predict(self, images: Any, *, batch_size: int = 1000) -> torch.Tensor:
        """Predicted digit of each image.

        Parameters
        ----------
        images : numpy.ndarray or torch.Tensor
            As for :meth:`features`.
        batch_size : int
            Images per forward pass.

        Returns
        -------
        torch.Tensor
            int64 ``[N]`` in 0-9.
        """
        x = _prepare(images)
        return torch.cat([self.net(chunk).argmax(dim=1) for chunk in x.split(batch_size)])


def resolve_cache_dir(cache_dir: str | Path | None = None) -> Path:
    """Folder for gamegan's own trained helper networks: ``cache_dir`` if given, else gamegan's
    cache folder (:func:`gamegan.io.cache.cache_folder`)."""
    return cache_folder(cache_dir)


def _fingerprint(settings: dict, *arrays: torch.Tensor | None) -> str:
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for array in arrays:
        if array is None:
            digest.update(b"none")
            continue
        a = np.ascontiguousarray(array.numpy())
        digest.update(f"{a.dtype}{a.shape}".encode())
        digest.update(a.tobytes())
    return digest.hexdigest()


def _as_uint8(images: Any) -> torch.Tensor:
    x = as_nchw(images)
    return x.round().clamp(0, 255).to(torch.uint8)


def _labels(labels: Any, n: int, what: str) -> torch.Tensor:
    y = torch.as_tensor(np.asarray(labels)).to(torch.int64).flatten()
    if len(y) != n:
        raise DataError(f"{what}: {n} images but {len(y)} labels")
    if len(y) and (y.min() < 0 or y.max() >= N_CLASSES):
        raise DataError(f"{what}: labels must be digits 0-{N_CLASSES - 1}")
    return y


@torch.no_grad()
def _accuracy(net: DigitNet, x: torch.Tensor, y: torch.Tensor) -> float:
    if len(y) == 0:
        return float("nan")
    predicted = torch.cat([net(chunk).argmax(dim=1) for chunk in x.split(1000)])
    return float((predicted == y).to(torch.float64).mean())


def _train(
    x: torch.Tensor, y: torch.Tensor, epochs: int, batch_size: int, lr: float, seed: int, log
) -> DigitNet:
    with torch.random.fork_rng(devices=[]):  # leaves the caller's global RNG untouched
        torch.manual_seed(seed)
        net = DigitNet()
    g = torch.Generator().manual_seed(seed)
    steps_per_epoch = math.ceil(len(x) / batch_size)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=lr, total_steps=epochs * steps_per_epoch
    )
    net.train()
    for epoch in range(epochs):
        order = torch.randperm(len(x), generator=g)
        total = 0.0
        for idx in order.split(batch_size):
            loss = F.cross_entropy(net(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        log(f"classifier epoch {epoch + 1}/{epochs}: loss {total / len(x):.4f}")
    return net.eval().requires_grad_(False)


def load_or_train_classifier(
    images: Any,
    labels: Any,
    *,
    test_images: Any = None,
    test_labels: Any = None,
    n_train: int | None = None,
    epochs: int = 3,
    batch_size: int = 128,
    lr: float = 3e-3,
    seed: int = 0,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    log: Callable[[str], None] | None = None,
) -> DigitClassifier:
    """The digit classifier for a training set: loaded from the cache, or trained and cached.

    Parameters
    ----------
    images : numpy.ndarray or torch.Tensor
        Real training images ``[N, H, W, C]`` or ``[N, C, H, W]``, values 0-255; resized to
        28x28 gray.
    labels : array_like
        Their digits 0-9, ``[N]``.
    test_images, test_labels : optional
        Images to measure the accuracy on. Without them the last 10% of a seeded
        shuffle of the training set are held out for that (and not trained on).
    n_train : int, optional
        Train on a seeded random subset of this many images (default: all of them).
    epochs, batch_size, lr : int, int, float
        Adam with a one-cycle schedule peaking at ``lr``. The defaults reach >99% test
        accuracy on MNIST.
    seed : int
        Seed of the initial weights, the subset and the batch order.
    cache_dir : str or Path, optional
        See :func:`resolve_cache_dir`.
    use_cache : bool
        Look up and store the weights in the cache.
    log : callable, optional
        Receives one line per step of progress.

    Returns
    -------
    DigitClassifier
        ``is_from_cache`` tells whether training was skipped. A cache file that is
        unreadable, or holds another fingerprint, is replaced.

    Raises
    ------
    DataError
        If labels do not match the images or are not digits, or there are no images.
    """
    log = log or (lambda line: None)
    x_all = _as_uint8(images)
    y_all = _labels(labels, len(x_all), "classifier training set")
    x_test = None if test_images is None else _as_uint8(test_images)
    y_test = None if x_test is None else _labels(test_labels, len(x_test), "classifier test set")
    settings = {
        "format": CLASSIFIER_FORMAT,
        "n_train": n_train,
        "epochs": epochs,
        "batch_size": batch_size,
        "lr": lr,
        "seed": seed,
    }
    fingerprint = _fingerprint(settings, x_all, y_all, x_test, y_test)
    path = None
    if use_cache:
        path = (
            resolve_cache_dir(cache_dir) / "classifiers" / f"digits-{fingerprint[:20]}.safetensors"
        )
        if path.is_file():
            from gamegan.io.checkpoint import load_module, load_tensors

            try:
                tensors, meta = load_tensors(path, expected_format=CLASSIFIER_FORMAT)
                if meta.get("fingerprint") == fingerprint:
                    net = DigitNet()
                    load_module("net", net, tensors, str(path))
                    log(f"classifier: cached {path} (accuracy {meta['accuracy']:.4f})")
                    return DigitClassifier(
                        net.eval().requires_grad_(False),
                        float(meta["accuracy"]),
                        fingerprint,
                        path,
                        is_from_cache=True,
                    )
            except CheckpointError as err:
                log(f"classifier: ignoring unusable cache file ({err})")

    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(x_all), generator=g)
    if x_test is None:
        n_hold = max(1, len(order) // 10) if len(order) > 1 else 0
        hold, order = order[len(order) - n_hold :], order[: len(order) - n_hold]
        x_test, y_test = x_all[hold], y_all[hold]
    if n_train is not None:
        order = order[:n_train]
    if len(order) == 0:
        raise DataError("classifier training set: no images")
    x, y = _prepare(x_all[order]), y_all[order]
    log(f"classifier: training on {len(x)} images, {epochs} epochs (cached afterwards)")
    net = _train(x, y, epochs, batch_size, lr, seed, log)
    accuracy = _accuracy(net, _prepare(x_test), y_test) if len(x_test) else float("nan")
    log(f"classifier: accuracy {accuracy:.4f} on {len(x_test)} held-out images")
    if path is not None:
        from gamegan import __version__
        from gamegan.io.checkpoint import module_tensors, save_tensors

        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {
            "format": CLASSIFIER_FORMAT,
            "fingerprint": json.dumps(fingerprint),  # kept a string even if all digits
            "accuracy": accuracy,
            "n_train": len(x),
            "n_test": len(x_test),
            "settings": settings,
            "gamegan_version": __version__,
        }
        save_tensors(path, module_tensors("net", net), meta)
    return DigitClassifier(net, accuracy, fingerprint, path, is_from_cache=False)


def class_spread(
    predicted: Any, *, n_classes: int = N_CLASSES, min_share: float = 0.05
) -> dict[str, float]:
    """How evenly predicted classes spread: a mode-collapse check.

    Parameters
    ----------
    predicted : array_like
        Predicted class of each sample, ints in ``0 .. n_classes - 1``.
    n_classes : int
        Number of classes.
    min_share : float
        A class counts as covered when at least this fraction of samples falls in it.

    Returns
    -------
    dict of str to float
        ``"class_entropy"``: entropy in bits of the predicted-class histogram, from 0 (all
        one class) to ``log2(n_classes)`` (3.32 for ten evenly used digits);
        ``"class_coverage"``: fraction of classes covered, 0-1.

    Raises
    ------
    ValueError
        If there are no samples.
    """
    labels = np.asarray(predicted.cpu() if hasattr(predicted, "cpu") else predicted).ravel()
    if labels.size == 0:
        raise ValueError("class_spread needs at least one sample")
    share = np.bincount(labels.astype(np.int64), minlength=n_classes)[:n_classes] / labels.size
    used = share[share > 0]
    return {
        "class_entropy": float(-(used * np.log2(used)).sum()),
        "class_coverage": float((share >= min_share).sum() / n_classes),
    }


@METRICS.register("classifier")
def classifier_metrics(
    real: Any,
    fake: Any,
    *,
    classifier: DigitClassifier,
    subsets: int = 100,
    subset_size: int = 1000,
    seed: int = 0,
) -> dict[str, float]:
    """FID and KID in the classifier's feature space, and the class spread of ``fake``.

    Parameters
    ----------
    real, fake : numpy.ndarray or torch.Tensor
        Image batches (0-255, any size; see :meth:`DigitClassifier.features`), each with at
        least 2 images.
    classifier : DigitClassifier
        From :func:`load_or_train_classifier`.
    subsets, subset_size, seed
        KID's subsets, as for :func:`gamegan.metrics.frechet.kernel_distance`.

    Returns
    -------
    dict of str to float
        ``"classifier/fid"``, ``"classifier/kid"``, ``"classifier/class_entropy"`` and
        ``"classifier/class_coverage"`` (of ``fake``; see :func:`class_spread`). Values are
        comparable only between evaluations with the same classifier and sample size.
    """
    from gamegan.metrics.frechet import feature_distances

    distances = feature_distances(
        classifier.features(real),
        classifier.features(fake),
        subsets=subsets,
        subset_size=subset_size,
        seed=seed,
    )
    spread = class_spread(classifier.predict(fake))
    return {f"classifier/{key}": value for key, value in {**distances, **spread}.items()}
