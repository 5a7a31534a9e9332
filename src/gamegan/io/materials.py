"""The other maps of a PBR material, made from a texture and its height field.

A game material is more than its colour: engines also take a normal map (see
:func:`gamegan.io.terrain.normal_map`), ambient occlusion (how much of the sky each point
sees: crevices are darker under ambient light) and roughness (how blurred reflections are).
All of them are computed with wrap-around neighbours when the texture tiles, so the maps
tile exactly as the texture does.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ambient_occlusion", "lit_preview", "roughness_map", "shifted"]

# Directions and distances (pixels) at which ambient occlusion looks for the horizon: eight
# directions, distances roughly doubling so that wide valleys and fine cracks both count.
AO_DIRECTIONS = 8
AO_DISTANCES = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32)


def shifted(field: np.ndarray, dy: int, dx: int, wrap: bool) -> np.ndarray:
    """``out[y, x] = field[y + dy, x + dx]``, wrapping around or clamped at the borders."""
    if wrap:
        return np.roll(field, (-dy, -dx), axis=(0, 1))
    h, w = field.shape[:2]
    ys = np.clip(np.arange(h) + dy, 0, h - 1)
    xs = np.clip(np.arange(w) + dx, 0, w - 1)
    return field[ys][:, xs]


def ambient_occlusion(
    height: np.ndarray,
    *,
    strength: float = 4.0,
    radius: int = 32,
    wrap: bool = True,
) -> np.ndarray:
    """Ambient occlusion of a height field by its horizon (horizon-based AO).

    In each of eight directions the steepest rise of the terrain within ``radius`` pixels is
    the horizon; the sky hidden below it, ``sin(horizon angle)``, averaged over the
    directions, is the occlusion. A flat surface and a peak see the whole sky (1.0); the
    bottom of a crack sees little.

    Parameters
    ----------
    height : numpy.ndarray
        Float heights ``[H, W]`` in [0, 1].
    strength : float
        How many pixels tall a height of 1.0 stands, as for the normal map: the same relief
        gives the same shading.
    radius : int
        The farthest pixel that can cast occlusion.
    wrap : bool
        Look across the borders to the other side (for seamless tiles: the map then tiles
        exactly); otherwise the border rows and columns repeat outwards.

    Returns
    -------
    numpy.ndarray
        float32 ``[H, W]`` in [0, 1], 1 for unoccluded.
    """
    h = np.asarray(height, dtype=np.float32) * np.float32(strength)
    distances = [d for d in AO_DISTANCES if d <= radius] or [1]
    hidden = np.zeros_like(h)
    for k in range(AO_DIRECTIONS):
        angle = 2.0 * np.pi * k / AO_DIRECTIONS
        steepest = np.zeros_like(h)
        for d in distances:
            dy, dx = round(d * np.sin(angle)), round(d * np.cos(angle))
            length = np.float32(np.hypot(dy, dx))
            np.maximum(steepest, (shifted(h, dy, dx, wrap) - h) / length, out=steepest)
        hidden += steepest / np.sqrt(1.0 + steepest * steepest)  # sin(atan(slope))
    return np.clip(1.0 - hidden / AO_DIRECTIONS, 0.0, 1.0).astype(np.float32)


def roughness_map(luminance: np.ndarray, occlusion: np.ndarray) -> np.ndarray:
    """A starting roughness map from the texture's brightness and occlusion (a heuristic).

    Without measured reflectance, texture tools guess: darker, occluded parts (mortar,
    soil between stones, cracks) are matte, bright raised faces a little smoother. Here
    ``roughness = 0.45 + 0.35 * (1 - b) + 0.2 * (1 - ao)``, with ``b`` the brightness
    stretched so that its 2nd and 98th percentiles map to 0 and 1, clipped to [0, 1]: every
    material comes out between fairly and fully rough (0.45-1.0), which suits stone, soil,
    bark and brick, the textures this tool learns; glossy materials need a hand-set value.

    Parameters
    ----------
    luminance : numpy.ndarray
        Gray values ``[H, W]`` in [0, 1].
    occlusion : numpy.ndarray
        Ambient occlusion ``[H, W]`` in [0, 1] (:func:`ambient_occlusion`).

    Returns
    -------
    numpy.ndarray
        float32 ``[H, W]`` in [0, 1] (1 = fully rough); per pixel, so it tiles as its inputs.
    """
    lum = np.asarray(luminance, dtype=np.float32)
    lo, hi = np.percentile(lum, [2.0, 98.0])
    bright = np.clip((lum - lo) / max(float(hi - lo), 1e-6), 0.0, 1.0)
    rough = 0.45 + 0.35 * (1.0 - bright) + 0.2 * (1.0 - np.asarray(occlusion, np.float32))
    return np.clip(rough, 0.0, 1.0).astype(np.float32)


def lit_preview(
    albedo: np.ndarray,
    normals: np.ndarray,
    occlusion: np.ndarray,
    *,
    light: tuple[float, float, float] = (-1.0, 1.0, 1.2),
    ambient: float = 0.35,
) -> np.ndarray:
    """The material under a light from the upper left: what the maps do together.

    Lambert shading of the normal map, ``albedo * (ambient * ao + (1 - ambient) * max(0,
    n . l))``, with the light's direction ``(x right, y up, z out of the surface)``, scaled
    so that a flat, unoccluded surface shows its albedo unchanged.

    Parameters
    ----------
    albedo : numpy.ndarray
        The texture ``[H, W, C]`` (or ``[H, W]``) in [0, 1].
    normals : numpy.ndarray
        uint8 ``[H, W, 3]`` normal map in the OpenGL convention (Y up).
    occlusion : numpy.ndarray
        ``[H, W]`` in [0, 1].
    light : tuple of float
        Direction towards the light.
    ambient : float
        The share of ambient (sky) light.

    Returns
    -------
    numpy.ndarray
        uint8 ``[H, W, 3]``.
    """
    albedo = np.asarray(albedo, dtype=np.float32)
    if albedo.ndim == 2:
        albedo = albedo[..., None]
    # Gray (and gray + alpha) shades as three equal channels; alpha is left out.
    albedo = albedo[..., :3] if albedo.shape[-1] >= 3 else np.repeat(albedo[..., :1], 3, axis=-1)
    n = np.asarray(normals, dtype=np.float32) / 127.5 - 1.0
    direction = np.asarray(light, dtype=np.float32)
    direction /= np.linalg.norm(direction)
    diffuse = np.clip(n @ direction, 0.0, None)
    shade = ambient * np.asarray(occlusion, np.float32) + (1.0 - ambient) * diffuse
    shade /= ambient + (1.0 - ambient) * direction[2]  # a flat surface: shade 1
    return np.round(np.clip(albedo * shade[..., None], 0.0, 1.0) * 255.0).astype(np.uint8)
