"""``gamegan eval`` for music runs: statistics of generated pieces beside the corpus's.

The corpus is seen as the model sees it (:func:`reference_pieces`); for the bundled Bach
chorales its statistics are frozen in ``gamegan/metrics/music_reference.json``
(:func:`freeze_music_reference`), so every evaluation compares with the same numbers.
"""

from __future__ import annotations

from gamegan.errors import DataError
from gamegan.evaluate.report import Evaluation

MUSIC_PIECES = 50  # generated pieces per music evaluation
# Phrases per piece the GAN's evaluation generates (the first one starts from silence where
# the model continues phrases, the others continue it).
GAN_EVAL_PHRASES = 4


def groups(cfg) -> list[str]:
    """One group: statistics of generated pieces beside the corpus's."""
    return ["music"]


def reference_pieces(resolved, scores: list) -> list:
    """The corpus as the model sees it: what its generated pieces should resemble.

    A sequence model's prepared pieces (the VAE's soprano lines in C, the LSTM's merged
    piano part); the GAN's training phrases decoded from their piano rolls.
    """
    from gamegan.data.run_data import model_phrases
    from gamegan.music import pianoroll

    cfg = resolved.model_cfg
    if resolved.spec.family.sequential:
        return [p for p in (resolved.spec.codec.prepare(s, cfg) for s in scores) if p is not None]
    pieces = []
    grid = {"resolution": cfg.resolution, "lowest_pitch": cfg.lowest_pitch}
    for score in scores:
        for roll in model_phrases(score, cfg):
            pieces.append(pianoroll.decode(roll, **grid, onsets=cfg.onsets))
    return pieces


def reference_key(resolved) -> str:
    """Name of a frozen corpus reference: the data source and the model's representation."""
    return f"{resolved.cfg.data.source}:{resolved.cfg.model.name}"


def reference_settings(resolved) -> dict:
    """The model parameters that shape its view of the corpus (its Config's REPRESENTATION)."""
    keys = getattr(type(resolved.model_cfg), "REPRESENTATION", None)
    params = resolved.cfg.model.params
    settings = params if keys is None else {k: params[k] for k in keys}
    return {**settings, "max_files": resolved.cfg.data.max_files}


def _corpus_pieces(resolved) -> tuple[list, str]:
    """The run's corpus, loaded as its data settings say, as the model sees it; and its source."""
    from gamegan.data.music import load_scores

    data = resolved.cfg.data
    music = load_scores(data.source, limit=data.max_files or None, timeout=data.parse_timeout)
    return reference_pieces(resolved, music.scores), music.source


def freeze_music_reference(resolved, log=None) -> dict:
    """Compute and store a run config's corpus statistics in the frozen reference file."""
    from gamegan.metrics.music_reference import write_reference

    pieces, source = _corpus_pieces(resolved)
    if log is not None:
        log(f"{reference_key(resolved)}: {len(pieces)} pieces from {source}")
    return write_reference(reference_key(resolved), pieces, settings=reference_settings(resolved))


def music_reference(resolved, log) -> tuple[dict, str]:
    """Statistics of the run's corpus, frozen for the bundled Bach chorales."""
    from gamegan.metrics import music_stats
    from gamegan.metrics.music_reference import read_reference

    key = reference_key(resolved)
    frozen = read_reference(key)
    if frozen is not None and frozen.get("settings") == reference_settings(resolved):
        return frozen, f"{key} (frozen on {frozen['date'][:10]}, {frozen['n_pieces']} pieces)"
    log(f"computing corpus statistics: {resolved.cfg.data.source}")
    pieces, source = _corpus_pieces(resolved)
    if not pieces:
        raise DataError(f"{resolved.cfg.data.source}: no piece of the corpus fits this model")
    stats = music_stats.describe(pieces)
    return stats, f"{source} ({len(pieces)} pieces as the model sees them)"


def evaluate(ev: Evaluation) -> list[dict]:
    """Music runs: statistics of generated pieces next to the corpus's."""
    from gamegan import generate
    from gamegan.metrics import music_stats

    resolved, loaded, n, seed, log = ev.resolved, ev.loaded, ev.n, ev.seed, ev.log
    reference, source = music_reference(resolved, log)
    phrase_bars = 0  # the GAN's pieces are cut into phrases, as its corpus is
    if not resolved.spec.family.sequential:
        phrase_bars = int(resolved.model_cfg.n_bars)
        bars = GAN_EVAL_PHRASES * phrase_bars  # beginnings and continuations alike
    else:
        bars = max(1, round(float(reference.get("mean_n_bars") or 16)))
    log(f"generating {n} pieces of {bars} bars, seeds {seed}-{seed + n - 1}")
    pieces = []
    for i in range(n):
        for piece in generate.music(loaded, seed=seed + i, n_bars=bars):
            if not phrase_bars:
                pieces.append(piece)
                continue
            length = phrase_bars * piece.bar_beats
            starts = [k * length for k in range(GAN_EVAL_PHRASES)]
            pieces.extend(piece.sliced(start, start + length) for start in starts)
    generated = music_stats.describe(pieces)
    rows = [
        {
            "metric": row["metric"],
            "value": row["generated"],
            "baseline": row["reference"],
            "against": "corpus",
        }
        for row in music_stats.compare(generated, reference)
    ]
    return ev.report(rows, n, source)
