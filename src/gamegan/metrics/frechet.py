"""Distances between two sets of feature vectors: Frechet distance and kernel distance.

With features from an Inception network these are FID (Heusel et al. 2017,
arXiv:1706.08500) and KID (Binkowski et al. 2018, arXiv:1801.01401). gamegan downloads no
network: it uses the penultimate layer of a classifier it trains itself
(:mod:`gamegan.metrics.classifier`), so values are comparable only between evaluations that
use the same classifier, never with published FIDs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gamegan.metrics import METRICS

__all__ = [
    "feature_stats",
    "frechet_distance",
    "frechet_distance_from_stats",
    "kernel_distance",
    "kernel_inception_distance",
]


def _features(feat: Any, name: str) -> np.ndarray:
    x = np.asarray(feat.detach().cpu() if hasattr(feat, "detach") else feat, dtype=np.float64)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f"{name}: expected features [N >= 2, D], got shape {x.shape}")
    return x


def feature_stats(feat: Any) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of a feature set.

    Parameters
    ----------
    feat : array_like
        ``[N, D]`` with ``N >= 2``.

    Returns
    -------
    tuple of numpy.ndarray
        ``mu [D]`` and the unbiased covariance ``sigma [D, D]`` (float64).
    """
    x = _features(feat, "feat")
    return x.mean(axis=0), np.cov(x, rowvar=False).reshape(x.shape[1], x.shape[1])


def _trace_sqrt_product_eigh(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
    # sigma1 @ sigma2 has the eigenvalues of the symmetric PSD matrix s @ sigma2 @ s with
    # s = sqrt(sigma1), so the trace of its square root is the sum of their square roots.
    w, v = np.linalg.eigh(sigma1)
    s = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    eig = np.linalg.eigvalsh(s @ sigma2 @ s)
    return float(np.sqrt(np.clip(eig, 0, None)).sum())


def _trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
    """``Tr(sqrtm(sigma1 @ sigma2))`` for symmetric positive semi-definite inputs."""
    try:
        from scipy import linalg
    except ImportError:
        return _trace_sqrt_product_eigh(sigma1, sigma2)
    import warnings

    with warnings.catch_warnings():
        # Covariances of ReLU features are singular (dead units never fire); sqrtm warns
        # about that but its trace stays accurate, and a bad result is caught below.
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(sigma1 @ sigma2)
    trace = np.trace(covmean)
    if not np.isfinite(trace) or abs(np.imag(trace)) > 1e-3 * max(abs(np.real(trace)), 1.0):
        return _trace_sqrt_product_eigh(sigma1, sigma2)
    return float(np.real(trace))


def frechet_distance_from_stats(mu1: Any, sigma1: Any, mu2: Any, sigma2: Any) -> float:
    """Frechet distance between two Gaussians.

    Parameters
    ----------
    mu1, mu2 : array_like
        Means ``[D]``.
    sigma1, sigma2 : array_like
        Covariances ``[D, D]``, symmetric positive semi-definite.

    Returns
    -------
    float
        ``|mu1 - mu2|^2 + Tr(sigma1 + sigma2 - 2 sqrtm(sigma1 sigma2))``; 0 for equal
        Gaussians. Tiny negative values from rounding are returned as 0.
    """
    mu1, mu2 = (
        np.atleast_1d(np.asarray(mu1, np.float64)),
        np.atleast_1d(np.asarray(mu2, np.float64)),
    )
    sigma1 = np.atleast_2d(np.asarray(sigma1, np.float64))
    sigma2 = np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != mu1.shape * 2:
        raise ValueError(
            f"shapes do not match: mu {mu1.shape} / {mu2.shape}, "
            f"sigma {sigma1.shape} / {sigma2.shape}"
        )
    diff = mu1 - mu2
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2)
    value -= 2 * _trace_sqrt_product(sigma1, sigma2)
    return max(float(value), 0.0)


def frechet_distance(feat_a: Any, feat_b: Any) -> float:
    """Frechet distance between Gaussians fitted to two feature sets (FID's formula).

    Parameters
    ----------
    feat_a, feat_b : array_like
        ``[N, D]`` and ``[M, D]``, each with at least 2 rows; the counts may differ.

    Returns
    -------
    float
        0 for identical sets. Biased upwards for small sets (it shrinks as the sets grow),
        so compare values computed from equally many samples only.

    Raises
    ------
    ValueError
        If a set is not 2-D, has fewer than 2 rows, or the widths differ.
    """
    a, b = _features(feat_a, "feat_a"), _features(feat_b, "feat_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature widths differ: {a.shape[1]} vs {b.shape[1]}")
    return frechet_distance_from_stats(*feature_stats(a), *feature_stats(b))


def kernel_distance(
    feat_a: Any,
    feat_b: Any,
    *,
    subsets: int = 100,
    subset_size: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """KID with its spread: squared MMD with a cubic polynomial kernel, averaged over subsets.

    Parameters
    ----------
    feat_a, feat_b : array_like
        ``[N, D]`` and ``[M, D]``, each with at least 2 rows.
    subsets : int
        Random subsets drawn (without replacement within a subset) and averaged.
    subset_size : int
        Rows per subset; cut to ``min(N, M)`` when the sets are smaller.
    seed : int
        Seed of the subset draws.

    Returns
    -------
    tuple of float
        Mean and standard deviation over subsets of the unbiased estimate of
        ``MMD^2`` with ``k(x, y) = (x . y / D + 1) ** 3``. About 0 (either sign) for two
        samples of one distribution; unlike the Frechet distance, its mean does not depend
        on the sample size. Passing the same set twice gives a negative value (the
        estimator assumes independent samples), not 0. The scale follows the features'
        magnitude (the kernel is cubic), so compare KIDs from one feature extractor only.

    Raises
    ------
    ValueError
        If a set is not 2-D, has fewer than 2 rows, or the widths differ.
    """
    a, b = _features(feat_a, "feat_a"), _features(feat_b, "feat_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature widths differ: {a.shape[1]} vs {b.shape[1]}")
    d = a.shape[1]
    m = min(len(a), len(b), subset_size)
    if m < 2:
        raise ValueError("kernel_distance needs subsets of at least 2 rows")
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(subsets):
        x = a[rng.choice(len(a), m, replace=False)]
        y = b[rng.choice(len(b), m, replace=False)]
        k_xx = (x @ x.T / d + 1) ** 3
        k_yy = (y @ y.T / d + 1) ** 3
        k_xy = (x @ y.T / d + 1) ** 3
        within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
        values.append(within - 2 * k_xy.mean())
    return float(np.mean(values)), float(np.std(values))


def kernel_inception_distance(
    feat_a: Any, feat_b: Any, *, subsets: int = 100, subset_size: int = 1000, seed: int = 0
) -> float:
    """KID between two feature sets (mean of :func:`kernel_distance`).

    Parameters
    ----------
    feat_a, feat_b : array_like
        ``[N, D]`` and ``[M, D]``, each with at least 2 rows.
    subsets, subset_size, seed
        As for :func:`kernel_distance`.

    Returns
    -------
    float
        About 0 for two samples of one distribution (it can be slightly negative), larger
        the more the distributions differ.
    """
    mean, _ = kernel_distance(feat_a, feat_b, subsets=subsets, subset_size=subset_size, seed=seed)
    return mean


@METRICS.register("frechet")
def feature_distances(
    feat_real: Any, feat_fake: Any, *, subsets: int = 100, subset_size: int = 1000, seed: int = 0
) -> dict[str, float]:
    """Frechet and kernel distance between two feature sets.

    Parameters
    ----------
    feat_real, feat_fake : array_like
        ``[N, D]`` and ``[M, D]`` features, each with at least 2 rows.
    subsets, subset_size, seed
        KID's subsets, as for :func:`kernel_distance`.

    Returns
    -------
    dict of str to float
        ``"fid"`` (:func:`frechet_distance`) and ``"kid"`` (:func:`kernel_inception_distance`).
    """
    return {
        "fid": frechet_distance(feat_real, feat_fake),
        "kid": kernel_inception_distance(
            feat_real, feat_fake, subsets=subsets, subset_size=subset_size, seed=seed
        ),
    }
