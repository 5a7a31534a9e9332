"""Music from a music snapshot: the GAN's phrases or a sequence model's events, arranged
(tempo, key, mode, instruments), looped, continued from a theme, and written as MIDI and audio.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from gamegan.errors import ConfigError
from gamegan.generate.snapshots import LoadedGenerator, _loaded
from gamegan.music.score import MODES, Key
from gamegan.runtime import make_generator


def write_music_files(
    score, base: str | Path, *, wav: bool = False, ogg: bool = False
) -> dict[str, Path]:
    """Write one score the way ``gamegan generate`` does; returns ``{role: path}``.

    ``BASE.mid`` (type 1, a track per voice), ``BASE.png`` (its piano roll), and with ``wav``
    and ``ogg`` the audio, synthesized once, as ``BASE.wav`` and ``BASE.ogg`` (raises
    :class:`gamegan.errors.AudioError` when no synthesizer is there, after the MIDI and the
    picture are written). The CLI and the web app both write through this.
    """
    from gamegan.io.midi import write_midi
    from gamegan.music.picture import write_pianoroll_png

    base = Path(base)
    files = {
        "midi": write_midi(score, base.with_name(base.name + ".mid")),
        "pianoroll": write_pianoroll_png(score, base.with_name(base.name + ".png")),
    }
    formats = [name for name, wanted in (("wav", wav), ("ogg", ogg)) if wanted]
    files.update(write_music_audio(score, base, formats))
    return files


def write_music_audio(
    score, base: str | Path, formats: list[str], sample_rate: int = 44100
) -> dict[str, Path]:
    """Synthesize a score once and write it as ``BASE.FORMAT`` for each of ``formats``
    (``wav``, ``ogg``); raises :class:`gamegan.errors.AudioError` when no synthesizer is there."""
    if not formats:
        return {}
    from gamegan.io.audio import synthesize, write_audio

    base = Path(base)
    frames = synthesize(score, sample_rate=sample_rate)
    return {
        f: write_audio(frames, base.with_name(f"{base.name}.{f}"), sample_rate) for f in formats
    }


MAX_BARS = 1000
MAX_STEPS = 100_000
MIN_TEMPO, MAX_TEMPO = 20, 400
MAX_MODE_DRAWS = 64  # pieces drawn for --mode before giving up
# Pieces drawn for --loop, the one that closes best kept: the GAN's are cheap, the sequence
# models' take a second or more each.
LOOP_DRAWS_GAN, LOOP_DRAWS = 16, 6
MODE_SEED_STRIDE = 1_000_003  # draws for --mode stay clear of --count's seed, seed + 1, ...
LEAD_IN_SEED_OFFSET = 2_000_029  # the latent of the GAN's lead-in phrase, clear of the others


def music(
    run_or_snapshot: str | Path | LoadedGenerator,
    *,
    seed: int = 0,
    n_bars: int | None = None,
    n_steps: int | None = None,
    temperature: float = 1.0,
    top_k: int = 0,
    tempo: float | None = None,
    programs: Sequence[int] | None = None,
    loop: bool = False,
    key: str | None = None,
    mode: str | None = None,
    primer: str | Path | None = None,
    device: str = "cpu",
) -> list:
    """Music from a music snapshot: a list of :class:`gamegan.music.score.Score`.

    Parameters
    ----------
    run_or_snapshot : path or LoadedGenerator
        A music run folder, snapshot file or bundled name (``chorale``, ``chorale-lstm``,
        ``chorale-vae``).
    seed : int
        The same seed and settings always give the same music.
    n_bars : int, optional
        Length in bars: one piece of exactly that many bars (a sequence model does not draw
        its end event before, so the piece keeps one key and mode; the GAN's phrases follow
        one another).
    n_steps : int, optional
        Sequence models: events to sample, split into pieces at end events (the chapter's
        mode); the GAN: time steps, rounded up to whole phrases. Default: 16 bars.
    temperature, top_k : float, int
        Sequence models: sampling temperature (0 = greedy argmax, the chapter's choice that
        collapses into one repeated note) and top-k cut (0 = off). The GAN ignores them.
    tempo : float, optional
        Quarter notes per minute, 20-400; default: the model's (the tempo of its training data
        for the GAN, 120 for the sequence models). Only the MIDI tempo and the audio change.
    programs : sequence of int, optional
        General MIDI programs (0-127): one for every voice, or one per voice in order.
    loop : bool
        A seamless loop of exactly ``n_bars`` bars, the best closing of a few drawn pieces
        (its last chord leading into its first: :mod:`gamegan.music.loops`; 16 pieces for
        the GAN, 6 for the sequence models): notes are cut at its end, the MIDI file
        carries ``loopStart``/``loopEnd`` markers and ends there, and audio made from it folds
        the release tail into the start (``Score.loop_end``). Needs ``n_bars``, not ``n_steps``.
    key : str, optional
        Tonic to transpose to (``C``, ``F#``, ``Bb``, ...), by the smallest shift from the key
        :func:`gamegan.music.keys.estimate_key` finds; the MIDI file gets the key signature.
    mode : {"major", "minor"}, optional
        A model conditioned on the mode (the bundled ``chorale`` and ``chorale-lstm``) is told
        it; without ``mode`` it draws one as often as its training pieces were in it. Every
        model then draws pieces (from seeds derived from ``seed``, in a fixed order) until one
        is in this mode by :func:`~gamegan.music.keys.estimate_key`, at most
        :data:`MAX_MODE_DRAWS`; a model that never writes in the mode gets a clear error.
        Needs ``n_bars``.
    primer : path, optional
        A MIDI or MusicXML theme for a sequence model to continue: it is prepared as the
        training data was (moved to C major / A minor by its key, estimated where the file has
        none), fed to the model, and the piece (theme, then continuation) is moved back to the
        theme's key. ``n_bars`` counts the theme's bars too.
    device : str
        Where to run the model.

    Returns
    -------
    list of Score
        One score, or with ``n_steps`` on a sequence model one per generated piece.
    """
    loaded = _loaded(run_or_snapshot, device)
    if loaded.family.makes != "music":
        raise ConfigError(f"{loaded.path}: a {loaded.kind} model makes images, not music")
    if n_bars is not None and not 1 <= n_bars <= MAX_BARS:
        raise ConfigError(f"--bars {n_bars}: choose 1 to {MAX_BARS}")
    if n_steps is not None and not 1 <= n_steps <= MAX_STEPS:
        raise ConfigError(f"--steps {n_steps}: choose 1 to {MAX_STEPS}")
    if temperature < 0:
        raise ConfigError(f"--temperature {temperature}: must be 0 (greedy) or more")
    if top_k < 0:
        raise ConfigError(f"--top-k {top_k}: must be 0 (off) or more")
    if tempo is not None and not MIN_TEMPO <= tempo <= MAX_TEMPO:
        raise ConfigError(f"--tempo {tempo:g}: choose {MIN_TEMPO} to {MAX_TEMPO} beats per minute")
    programs = None if programs is None else [int(p) for p in programs]
    if programs is not None and (not programs or not all(0 <= p <= 127 for p in programs)):
        raise ConfigError(f"--program {programs}: General MIDI programs are 0-127")
    if n_bars is None and n_steps is None:
        n_bars = 16
    if loop and n_bars is None:
        raise ConfigError("--loop makes a whole number of bars: give --bars, not --steps")
    if mode is not None and (mode not in MODES or n_bars is None):
        raise ConfigError(f"--mode {mode}: choose major or minor, with --bars (not --steps)")
    tonic = None
    if key is not None:
        from gamegan.music.keys import parse_tonic

        try:
            tonic = parse_tonic(key)
        except ValueError as err:
            raise ConfigError(f"--key {key}: {err}") from None

    theme = None
    if primer is not None:
        if not loaded.family.sequential:
            raise ConfigError(
                "--primer: the chorale GAN draws whole phrases from noise and cannot continue "
                "a theme; use a sequence model (chorale-lstm, chorale-vae or your own run)"
            )
        theme = _read_primer(primer)

    def compose(piece_seed: int) -> list:
        if not loaded.family.sequential:
            piece = _gan_music(loaded, seed=piece_seed, n_bars=n_bars, n_steps=n_steps, mode=mode)
            return [piece]
        return _sequence_music(
            loaded, seed=piece_seed, n_bars=n_bars, n_steps=n_steps, temperature=temperature,
            top_k=top_k, theme=theme, mode=mode,
        )  # fmt: skip

    if mode is None and not loop:
        scores = compose(seed)
    else:
        draws = LOOP_DRAWS if loaded.family.sequential else LOOP_DRAWS_GAN
        wanted = draws if loop else 1
        scores = [_draw(compose, seed, mode, wanted)]
    scores = [_arranged(score, tempo, programs, tonic) for score in scores]
    if loop:
        from dataclasses import replace

        scores = [replace(s, loop_end=n_bars * s.bar_beats) for s in scores]
    return scores


def _draw(compose, seed: int, mode: str | None, wanted: int):
    """Draw pieces from seeds ``seed``, ``seed + MODE_SEED_STRIDE``, ...: with ``mode`` only
    those in it count; of the first ``wanted`` that count, the one whose end leads back into
    its beginning best (:func:`gamegan.music.loops.closure_score`; the first when
    ``wanted`` is 1)."""
    from dataclasses import replace

    from gamegan.music.keys import estimate_key
    from gamegan.music.loops import closure_score, loop_closure

    kept = []
    for draw in range(MAX_MODE_DRAWS):
        piece_seed = seed + draw * MODE_SEED_STRIDE
        (score,) = compose(piece_seed)
        found = estimate_key(score)
        if mode is not None and (found is None or found.mode != mode):
            continue
        closure = closure_score(loop_closure(score)) if wanted > 1 else 0.0
        kept.append((closure, -draw, piece_seed, replace(score, key=found)))
        if len(kept) == wanted:
            break
    if not kept:
        raise ConfigError(
            f"--mode {mode}: none of {MAX_MODE_DRAWS} pieces from seed {seed} was in {mode}; "
            "this model rarely writes in that mode (see `gamegan eval` for its share of minor "
            "pieces)"
        )
    _, draw, piece_seed, score = max(kept, key=lambda k: (k[0], k[1]))
    what = " ".join(filter(None, [mode, "loop" if wanted > 1 else ""]))
    return replace(score, title=f"{score.title} ({what}: draw {1 - draw}, seed {piece_seed})")


def _arranged(score, tempo: float | None, programs: list[int] | None, tonic: int | None = None):
    """The score at another tempo, with other instruments (drum parts keep theirs), and moved
    to the key whose tonic is ``tonic``."""
    from dataclasses import replace

    if tonic is not None:
        from gamegan.music.keys import estimate_key

        found = score.key or estimate_key(score)
        if found is not None:
            score = replace(score.transposed(found.semitones_to(tonic)), key=Key(tonic, found.mode))
    if tempo is not None:
        score = replace(score, tempo=float(tempo))
    if programs is not None:
        pitched = [i for i, part in enumerate(score.parts) if not part.is_drum]
        if len(programs) not in (1, len(pitched)):
            raise ConfigError(
                f"--program {','.join(map(str, programs))}: give one program or one per voice "
                f"({len(pitched)} voices here)"
            )
        chosen = programs * len(pitched) if len(programs) == 1 else programs
        parts = list(score.parts)
        for i, program in zip(pitched, chosen, strict=True):
            parts[i] = replace(parts[i], program=program)
        score = replace(score, parts=tuple(parts))
    return score


def _gan_music(
    loaded: LoadedGenerator,
    *,
    seed: int,
    n_bars: int | None,
    n_steps: int | None,
    mode: str | None = None,
):
    """Phrases from seeds seed, seed + 1, ... placed one after another.

    A model conditioned on the mode writes every phrase in ``mode``, or in one drawn from
    ``seed`` as often as the training data held it; other models ignore ``mode`` here (the
    caller draws pieces until one is in it)."""
    from dataclasses import replace

    from gamegan.models.pianoroll_gan import hard_roll
    from gamegan.music import pianoroll

    p = loaded.metadata["model_params"]
    steps_per_bar = p["beats_per_bar"] * p["resolution"]
    phrase_bars = p["n_bars"]
    wanted_bars = n_bars if n_bars is not None else -(-n_steps // steps_per_bar)
    n_phrases = -(-wanted_bars // phrase_bars)
    G = loaded.G
    cfg = G.cfg
    dev = next(G.parameters()).device
    z = torch.cat([G.sample_z(1, make_generator(seed + i), "cpu") for i in range(n_phrases)])
    conditions = {}
    label = _label(loaded, seed, mode)
    if label is not None:
        conditions["labels"] = torch.full((1,), label, dtype=torch.int64, device=dev)
    context_steps = cfg.context_steps
    # Each phrase continues the last bars of the one before. The first continues a lead-in
    # phrase, written after silence and left out: few chorales open on a downbeat after
    # silence (most have an upbeat), so phrases written after silence are the model's
    # sparsest (50 notes in 4 bars against 60-64 for the phrases that follow).
    context = torch.full((1, cfg.channels, context_steps, cfg.n_pitches), -1.0, device=dev)
    if context_steps:
        lead_in = G.sample_z(1, make_generator(seed + LEAD_IN_SEED_OFFSET), "cpu")
        z = torch.cat([lead_in, z])
    rolls = []
    for z_phrase in z.to(dev):
        if context_steps:
            conditions["context"] = context
        with torch.no_grad():
            x = G(z_phrase[None], **conditions)[:, :, context_steps:].float()
        # As played: one pitch per track and step where the model is monophonic (the likeliest
        # sounding one, with its onset), on and off as the data is.
        x = hard_roll(x, cfg.channels_per_track, cfg.monophonic)
        if context_steps:  # what the next phrase continues
            context = x[:, :, -context_steps:]
        rolls.append(x[0].cpu())  # [channels, steps, pitches] in [-1, 1]
    if context_steps:
        rolls = rolls[1:]  # without the lead-in
    roll = torch.cat(rolls, dim=1).numpy()  # phrases one after another in time
    score = pianoroll.decode(
        roll,
        onsets=cfg.onsets,
        resolution=p["resolution"],
        lowest_pitch=p["lowest_pitch"],
        tempo=p["tempo"],
        programs=tuple(p["programs"]),
        names=tuple(p["track_names"]),
    )
    score = score.sliced(0.0, wanted_bars * p["beats_per_bar"])
    return replace(score, title=f"gamegan {loaded.metadata.get('model')} seed {seed}")


def _read_primer(path: str | Path):
    """A theme file as a score with a key (estimated from its notes where the file has none)."""
    from dataclasses import replace

    from gamegan.data.music import MUSIC_EXTENSIONS, load_scores
    from gamegan.music.keys import estimate_key

    path = Path(path)
    if path.suffix.lower() not in MUSIC_EXTENSIONS:
        raise ConfigError(f"--primer {path}: give a MIDI or MusicXML file ({MUSIC_EXTENSIONS})")
    if not path.is_file():
        raise ConfigError(f"--primer {path}: no such file")
    data = load_scores(str(path), workers=1, progress=False)
    if data.skipped and not data.scores:
        raise ConfigError(f"--primer {path}: {data.skipped[0][1]}")
    if not data.scores or data.scores[0].n_notes == 0:
        raise ConfigError(f"--primer {path}: no notes to continue")
    theme = data.scores[0]
    return theme if theme.key is not None else replace(theme, key=estimate_key(theme))


def _prompt(loaded, theme):
    """The theme as the model's events after a piece boundary, and the shift back to its key."""
    from types import SimpleNamespace

    from gamegan.music.pianoroll import TONICS  # C major / A minor, where prepare moved it

    options = SimpleNamespace(**loaded.metadata.get("model_params", {}))
    prepared = loaded.codec.prepare(theme, options)
    if prepared is None:
        raise ConfigError("--primer: the theme has no pitched notes")
    rows = loaded.codec.encode(prepared)[:-1]  # without its closing end event
    prompt = np.concatenate([loaded.codec.start_event()[None], rows])
    moved = getattr(options, "transpose_to_c", True) and theme.key is not None
    back = -theme.key.semitones_to(TONICS[theme.key.mode]) if moved else 0
    return prompt, back


def _label(loaded: LoadedGenerator, seed: int, mode: str | None) -> int | None:
    """The class a model conditioned on the mode writes in: ``mode``, or one drawn from
    ``seed`` as often as its training data held it; None for an unconditioned model."""
    classes = loaded.class_names
    if not classes:
        return None
    if mode in classes:
        return classes.index(mode)
    return loaded.class_for_seed(seed)


def _sequence_music(
    loaded, *, seed, n_bars, n_steps, temperature, top_k, theme=None, mode=None
):  # fmt: skip
    from dataclasses import replace

    from gamegan.music.sampling import generate_events
    from gamegan.music.score import concatenate
    from gamegan.music.voices import split_voices

    title = f"gamegan {loaded.metadata.get('model')} seed {seed}"
    prompt, back = (None, 0) if theme is None else _prompt(loaded, theme)
    if mode is None and theme is not None and theme.key is not None:
        mode = theme.key.mode  # a conditioned model continues a theme in its mode
    label = _label(loaded, seed, mode)
    if prompt is not None:
        title += " after a theme"

    def sample(steps: int, one_piece: bool = False) -> list:
        pieces = generate_events(
            loaded.G, loaded.codec, n_steps=steps, seed=seed, temperature=temperature,
            top_k=top_k, prompt=prompt, keep_prompt=prompt is not None, one_piece=one_piece,
            label=label,
        )  # fmt: skip
        return [p.transposed(back) if back else p for p in pieces]

    # A chord model writes one part; a track per voice is what a composer works with.
    if n_bars is None:
        pieces = [split_voices(piece) for piece in sample(n_steps)]
        return [replace(piece, title=f"{title} piece {i + 1}") for i, piece in enumerate(pieces)]
    # Sample enough events for the bars as one piece (the model does not close it early, so
    # it keeps one key and mode), more if the model writes slowly.
    steps = 16 * n_bars
    while True:
        pieces = sample(steps, one_piece=True)
        joined = concatenate(pieces)
        beats = n_bars * joined.bar_beats
        if sum(piece.end for piece in pieces) >= beats or steps >= MAX_STEPS:
            break
        steps *= 2
    key = None if theme is None else theme.key
    joined = replace(joined, title=title, key=key or joined.key).sliced(0.0, beats)
    return [split_voices(joined)]
