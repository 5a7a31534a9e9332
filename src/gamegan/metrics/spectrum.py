"""Log-spectrum distance: whether two textures repeat at the same scales and orientations.

Patch statistics such as SWD compare 7x7 neighbourhoods, so they do not see arrangement: the
courses of a brick wall and long diagonal strands of brick-coloured texture can score alike.
The power spectrum of windows a few structures wide does see it: regular courses of bricks
are peaks at their period and orientation, strands are a smear in another direction.

The distance compares the mean power spectra of two image sets, in log10 units, after
removing the overall level difference (so only the spectrum's shape counts, not contrast).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from gamegan.metrics import METRICS, as_image_list

__all__ = ["log_spectrum_distance", "mean_power_spectrum", "spectrum_window"]

# ITU-R BT.601 luma weights, the ones Pillow's convert("L") uses.
LUMA = (0.299, 0.587, 0.114)


def _gray(image: torch.Tensor) -> np.ndarray:
    c = image.shape[0]
    x = image.to(torch.float64).numpy()
    if c in (1, 2):  # gray, or gray + alpha
        return x[0]
    if c in (3, 4):  # RGB, or RGBA: the alpha channel is left out
        return LUMA[0] * x[0] + LUMA[1] * x[1] + LUMA[2] * x[2]
    raise ValueError(f"expected 1-4 channels, got {c}")


def _hann(n: int) -> np.ndarray:
    """Periodic 2-D Hann window (the outer product of two 1-D ones), ``[n, n]``."""
    w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)
    return np.outer(w, w)


def spectrum_window(images: list[torch.Tensor], window: int = 128) -> int:
    """Window side used for a set of images: ``window``, or less for small images.

    Parameters
    ----------
    images : list of torch.Tensor
        ``[C, H, W]`` images (every image of both compared sets).
    window : int
        The preferred side.

    Returns
    -------
    int
        ``window`` if every image's shorter side is at least that, else the largest power of
        two that fits in the smallest image.

    Raises
    ------
    ValueError
        If an image is shorter than 4 px on a side.
    """
    shortest = min(min(x.shape[-2:]) for x in images)
    if shortest < 4:
        raise ValueError(
            f"the spectrum needs images of at least 4x4 pixels, got a side of {shortest}"
        )
    return window if shortest >= window else 2 ** int(np.log2(shortest))


def mean_power_spectrum(images: Any, *, window: int = 128, stride: int | None = None) -> np.ndarray:
    """Mean power spectrum of Hann-weighted square windows over a set of gray images.

    Parameters
    ----------
    images : list or numpy.ndarray or torch.Tensor
        Images of any sizes, as :func:`~gamegan.metrics.as_image_list` takes them. RGB(A)
        images are made gray by their luminance (BT.601 weights); alpha is left out.
    window : int
        Window side in pixels; every image must be at least this large.
    stride : int, optional
        Step between windows; ``window // 2`` by default. Windows start at ``0, stride, ...``
        and stay inside the image (a remainder narrower than a step is left out).

    Returns
    -------
    numpy.ndarray
        float64 ``[window, window]``: ``|FFT2(hann * window)|^2`` averaged over all windows of
        all images, in ``numpy.fft.fft2`` order (DC at ``[0, 0]``). The pixel scale is kept
        (0-255 images give 0-255-scale power).

    Raises
    ------
    ValueError
        If an image is smaller than the window.
    """
    stride = window // 2 if stride is None else stride
    hann = _hann(window)
    total, count = np.zeros((window, window)), 0
    for image in as_image_list(images):
        gray = _gray(image)
        h, w = gray.shape
        if min(h, w) < window:
            raise ValueError(f"an image of {w}x{h} is smaller than the {window} px window")
        tops = range(0, h - window + 1, stride)
        lefts = range(0, w - window + 1, stride)
        patches = np.stack([gray[y : y + window, x : x + window] for y in tops for x in lefts])
        power = np.abs(np.fft.fft2(patches * hann)) ** 2  # [K, window, window]
        total += power.sum(axis=0)
        count += len(patches)
    return total / count


@METRICS.register("spectrum")
def log_spectrum_distance(real: Any, fake: Any, *, window: int = 128) -> dict[str, float]:
    """RMS difference of the log mean power spectra of two image sets, level removed.

    Each set's images are made gray (luminance for RGB), cut into 2-D-Hann-weighted
    ``window`` px squares at a stride of half a window, and their power spectra
    ``|FFT|^2`` averaged over all windows of the set (:func:`mean_power_spectrum`). The
    distance is the RMS over all frequency bins but DC of ``log10 P_fake - log10 P_real``
    after subtracting that difference's mean over the bins (the overall level difference:
    contrast, or a different pixel scale). When the smallest image of either set is smaller
    than ``window``, both sets use the largest power of two that fits in it instead
    (:func:`spectrum_window`).

    Parameters
    ----------
    real, fake : list or numpy.ndarray or torch.Tensor
        Two sets of images of any sizes (at least 4x4): lists of ``[H, W]``, ``[H, W, C]`` or
        ``[C, H, W]`` images, or batches. Gray and RGB sets can be compared.
    window : int
        Window side in pixels (128: several bricks or stones per window on the bundled
        photos).

    Returns
    -------
    dict of str to float
        ``"spectrum"``: in log10 units, so 0.3 is a typical factor of 2 in power at a
        frequency, beyond the overall level. Exactly 0 for identical sets; unchanged when an
        image set is multiplied by a constant; 0.37 between the left and right halves of the
        bundled brick photo. A bin whose power is exactly zero (a flat image) is floored at
        the smallest positive float64 before the log, which gives a very large distance.

    Raises
    ------
    ValueError
        If a set is empty or an image is smaller than 4x4.
    """
    reals, fakes = as_image_list(real), as_image_list(fake)
    n = spectrum_window(reals + fakes, window)
    tiny = np.finfo(np.float64).tiny
    log_real = np.log10(np.maximum(mean_power_spectrum(reals, window=n), tiny))
    log_fake = np.log10(np.maximum(mean_power_spectrum(fakes, window=n), tiny))
    diff = (log_fake - log_real).ravel()[1:]  # [0, 0] is the DC bin
    diff -= diff.mean()
    return {"spectrum": float(np.sqrt(np.mean(diff**2)))}
