"""Piano-roll pictures of a score: the quickest way to see what a music model generated.

Time runs left to right (``resolution`` steps per quarter note), pitch bottom (low) to top
(high). The background is white; thin grey lines mark bars (from the time signature) and every
C. Each part gets one colour from :data:`PALETTE` (matplotlib's ``tab10`` without its grey, which
would vanish into the grid lines), so it is meant for a white page, not a dark one. A note's
first pixel column is drawn darker, so repeated notes of one pitch stay distinguishable.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from gamegan.music.score import Score

__all__ = ["PALETTE", "draw_pianoroll", "write_pianoroll_png"]

PALETTE = np.array(
    [
        (31, 119, 180),  # blue
        (255, 127, 14),  # orange
        (44, 160, 44),  # green
        (214, 39, 40),  # red
        (148, 103, 189),  # purple
        (140, 86, 75),  # brown
        (227, 119, 194),  # pink
        (23, 190, 207),  # cyan
    ],
    dtype=np.uint8,
)
BACKGROUND = 255
C_LINE = 225  # light grey under every C
BAR_LINE = 160  # darker grey at every bar start
ONSET_SHADE = 0.6  # a note's first column: its colour times this
EMPTY_RANGE = (60, 71)  # one octave from middle C for an empty score


def draw_pianoroll(
    score: Score,
    *,
    resolution: int = 4,
    pitch_range: tuple[int, int] | None = None,
    height_per_pitch: int = 3,
    width_per_step: int = 3,
) -> np.ndarray:
    """Draw a score as an RGB piano roll.

    Parameters
    ----------
    score : Score
        The music; part ``i`` is drawn in ``PALETTE[i % 8]``, later parts over earlier ones.
    resolution : int, optional
        Time steps per quarter note; onsets and ends are rounded to steps and every note
        covers at least one.
    pitch_range : (int, int), optional
        Lowest and highest MIDI pitch shown (inclusive); notes outside are left out. Default:
        the notes' lowest and highest pitch widened by 2 on each side (within 0-127).
    height_per_pitch, width_per_step : int, optional
        Pixels per pitch row and per time step.

    Returns
    -------
    np.ndarray
        ``uint8 [H, W, 3]`` with ``H = n_pitches * height_per_pitch`` and ``W`` covering
        whole bars (at least one). An empty score gives the grid of one bar over
        ``pitch_range`` (default C4-B4) with no notes.

    Raises
    ------
    ValueError
        For a non-positive size or an empty or out-of-range ``pitch_range``.
    """
    if min(resolution, height_per_pitch, width_per_step) < 1:
        raise ValueError(
            "draw_pianoroll: resolution, height_per_pitch and width_per_step must be >= 1, got "
            f"{resolution}, {height_per_pitch}, {width_per_step}"
        )
    notes = [(i, n) for i, part in enumerate(score.parts) for n in part.notes]
    if pitch_range is None:
        if notes:
            pitches = [n.pitch for _, n in notes]
            pitch_range = (max(min(pitches) - 2, 0), min(max(pitches) + 2, 127))
        else:
            pitch_range = EMPTY_RANGE
    low, high = int(pitch_range[0]), int(pitch_range[1])
    if not 0 <= low <= high <= 127:
        raise ValueError(
            f"draw_pianoroll: pitch_range must be 0 <= low <= high <= 127, got {pitch_range}"
        )

    spans = []  # (part index, pitch, start step, stop step)
    for i, note in notes:
        if low <= note.pitch <= high:
            start = max(0, round(note.onset * resolution))
            spans.append((i, note.pitch, start, max(start + 1, round(note.end * resolution))))
    hpp, wps = height_per_pitch, width_per_step
    steps_per_bar = score.bar_beats * resolution
    n_steps = math.ceil(max(score.n_bars, 1) * steps_per_bar - 1e-9)
    n_steps = max([n_steps, *(stop for *_, stop in spans)])
    image = np.full(((high - low + 1) * hpp, n_steps * wps, 3), BACKGROUND, dtype=np.uint8)

    def rows(pitch: int) -> slice:
        top = (high - pitch) * hpp
        return slice(top, top + hpp)

    for pitch in range(low, high + 1):
        if pitch % 12 == 0:
            image[rows(pitch).stop - 1, :] = C_LINE  # bottom edge of the C row
    for bar in range(math.ceil(n_steps / steps_per_bar - 1e-9)):
        image[:, round(bar * steps_per_bar) * wps] = BAR_LINE

    for i, pitch, start, stop in spans:
        colour = PALETTE[i % len(PALETTE)]
        image[rows(pitch), start * wps : stop * wps] = colour
        image[rows(pitch), start * wps] = (colour * ONSET_SHADE).astype(np.uint8)
    return image


def write_pianoroll_png(score: Score, path: str | os.PathLike, **kwargs) -> Path:
    """Write :func:`draw_pianoroll` of ``score`` as a PNG; ``kwargs`` go to it. Returns ``path``."""
    from gamegan.io.png import write_png

    path = Path(path)
    write_png(path, draw_pianoroll(score, **kwargs))
    return path
