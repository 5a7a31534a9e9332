"""Score -> WAV or OGG through a General MIDI soundfont.

Three synthesizers, best first. FluidSynth (the ``fluidsynth`` command, run as a subprocess on
a temporary MIDI file) is what Debian, Ubuntu and Homebrew package, and its reverb and chorus
sound best. ``midirenderer`` (a dependency: an MIT-licensed Rust wheel with no dependencies of
its own, for Linux, macOS and Windows on x86-64 and ARM) makes audio work after a plain
``pip install``, with no system package. ``tinysoundfont`` is still used where it is installed
(its wheel requires PyAudio, which has no Linux wheel, hence ``--no-deps``). All need a General
MIDI ``.sf2``; :func:`find_soundfont` says where it looks, ending with the ``TimGM6mb.sf2``
that the ``pretty_midi`` dependency carries.

:func:`synthesize` turns a score into stereo samples; :func:`write_audio` writes them as a WAV
(16-bit PCM, the standard library's ``wave``) or an OGG Vorbis file (``soundfile``, whose
wheels carry libsndfile with Vorbis and Opus on every platform); :func:`render_audio` does both.

An empty score renders as :data:`TAIL_SECONDS` of silence, without touching any synthesizer:
generated music can legitimately be empty, and a pipeline writing one WAV per sample should not
stop on it.
"""

from __future__ import annotations

import glob
import importlib.util
import io
import os
import shutil
import subprocess
import tempfile
import wave
from dataclasses import replace
from pathlib import Path

import numpy as np

from gamegan.errors import AudioError
from gamegan.music.score import Score

__all__ = [
    "AUDIO_SUFFIXES",
    "BACKENDS",
    "available_backends",
    "find_soundfont",
    "fold_loop",
    "loop_seam_jump",
    "render_audio",
    "synthesize",
    "write_audio",
]

BACKENDS = ("fluidsynth", "midirenderer", "tinysoundfont")
AUDIO_SUFFIXES = (".wav", ".ogg")
TAIL_SECONDS = 1.0  # release tail after the last note (midirenderer, tinysoundfont; empty scores)
MIDIRENDERER_RATE = 48000  # midirenderer renders at 48 kHz; other rates are resampled
MIDIRENDERER_GAIN = 3.0  # its output peaks near 0.1-0.2 for a chorale; like FluidSynth's 0.6
OGG_QUALITY = 0.6  # Vorbis quality 0-1 (libsndfile's VBR scale): about 190 kbit/s stereo
DRUM_CHANNEL = 9  # General MIDI percussion channel
FLUIDSYNTH_GAIN = 0.6  # FluidSynth's default 0.2 is quiet for 1-4 parts; 0.6 stays unclipped
SOUNDFONT_PATHS = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/default-GM.sf2",
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
)
SOUNDFONT_DIRS = ("/usr/share/soundfonts",)
INSTALL_HINT = (
    "install FluidSynth (Debian/Ubuntu: apt install fluidsynth; macOS: brew install "
    "fluid-synth) or `pip install midirenderer` (a dependency of gamegan)"
)


def available_backends() -> list[str]:
    """Backends that can run here, best first (``auto`` picks the first)."""
    found = []
    if shutil.which("fluidsynth") is not None:
        found.append("fluidsynth")
    for package in ("midirenderer", "tinysoundfont"):
        if importlib.util.find_spec(package) is not None:
            found.append(package)
    return found


def _soundfont_candidates() -> list[Path]:
    """Where :func:`find_soundfont` looks after the explicit path and ``$GAMEGAN_SOUNDFONT``."""
    paths = [Path(p) for p in SOUNDFONT_PATHS]
    for folder in SOUNDFONT_DIRS:
        paths.extend(
            Path(p) for p in sorted(glob.glob(os.path.join(folder, "**", "*.sf2"), recursive=True))
        )
    # pretty_midi's wheel ships TimGM6mb.sf2; find it without importing pretty_midi (slow).
    spec = importlib.util.find_spec("pretty_midi")
    if spec is not None and spec.submodule_search_locations:
        paths.extend(Path(p) / "TimGM6mb.sf2" for p in spec.submodule_search_locations)
    return paths


def find_soundfont(explicit: str | os.PathLike | None = None) -> Path:
    """Locate a General MIDI soundfont.

    Parameters
    ----------
    explicit : str or PathLike, optional
        A soundfont the caller chose; it must exist (no silent fallback to another sound).

    Returns
    -------
    Path
        In order: ``explicit``, ``$GAMEGAN_SOUNDFONT``, ``/usr/share/sounds/sf2/``
        ``FluidR3_GM.sf2``, ``default-GM.sf2``, ``TimGM6mb.sf2``, any ``*.sf2`` under
        ``/usr/share/soundfonts``, and the ``TimGM6mb.sf2`` inside the ``pretty_midi`` package.

    Raises
    ------
    AudioError
        If ``explicit`` or ``$GAMEGAN_SOUNDFONT`` names a missing file, or nothing is found.
    """
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise AudioError(f"soundfont {path} does not exist")
        return path
    env = os.environ.get("GAMEGAN_SOUNDFONT")
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise AudioError(f"$GAMEGAN_SOUNDFONT={env} does not exist")
        return path
    candidates = _soundfont_candidates()
    for path in candidates:
        if path.is_file():
            return path
    searched = ", ".join(
        str(p) for p in SOUNDFONT_PATHS + tuple(f"{d}/**/*.sf2" for d in SOUNDFONT_DIRS)
    )
    raise AudioError(
        "cannot write WAV: no General MIDI soundfont found; set $GAMEGAN_SOUNDFONT to an .sf2 "
        f"file or pass soundfont=... (searched {searched} and pretty_midi's TimGM6mb.sf2; "
        "Debian/Ubuntu: apt install fluid-soundfont-gm)"
    )


def _check_soundfont(path: Path) -> None:
    """Refuse a file that is not a RIFF ``sfbk``: FluidSynth would render silence and exit 0."""
    with open(path, "rb") as f:
        head = f.read(12)
    if head[:4] != b"RIFF" or head[8:12] != b"sfbk":
        raise AudioError(f"{path} is not a SoundFont 2 (.sf2/.sf3) file")


def synthesize(
    score: Score,
    *,
    sample_rate: int = 44100,
    soundfont: str | os.PathLike | None = None,
    backend: str = "auto",
) -> np.ndarray:
    """Play a score on a General MIDI soundfont.

    Parameters
    ----------
    score : Score
        The music; each part plays its General MIDI ``program`` (drum parts on channel 10).
    sample_rate : int, optional
        Samples per second, 8000-96000.
    soundfont : str or PathLike, optional
        A General MIDI ``.sf2``; default: :func:`find_soundfont`.
    backend : {"auto", "fluidsynth", "midirenderer", "tinysoundfont"}, optional
        ``auto`` takes the first of :func:`available_backends`.

    Returns
    -------
    numpy.ndarray
        ``int16 [n, 2]`` stereo frames: the music's seconds plus a release tail (FluidSynth
        renders until every voice has died away, about 1-3 s; the others add
        :data:`TAIL_SECONDS`). An empty score is :data:`TAIL_SECONDS` of silence, made without
        any synthesizer: generated music can legitimately be empty. A loop
        (``score.loop_end > 0``) is exactly the loop's length, its tail folded into its start
        (:func:`fold_loop`).

    Raises
    ------
    AudioError
        If no backend (or not the one asked for) is available, no soundfont is found, or the
        synthesizer fails.
    ValueError
        For an unknown ``backend`` or a ``sample_rate`` out of range.
    """
    if backend not in ("auto", *BACKENDS):
        raise ValueError(
            f"synthesize: backend must be 'auto' or one of {BACKENDS}, got {backend!r}"
        )
    if not 8000 <= int(sample_rate) <= 96000:
        raise ValueError(f"synthesize: sample_rate must be 8000-96000 Hz, got {sample_rate}")
    sample_rate = int(sample_rate)
    if score.loop_end > 0:
        loop_frames = round(score.loop_end * 60.0 / score.tempo * sample_rate)
        if score.n_notes == 0:
            return np.zeros((loop_frames, 2), dtype=np.int16)
        frames = synthesize(
            replace(score, loop_end=0.0), sample_rate=sample_rate, soundfont=soundfont,
            backend=backend,
        )  # fmt: skip
        return fold_loop(frames, loop_frames)
    if score.n_notes == 0:
        return np.zeros((int(TAIL_SECONDS * sample_rate), 2), dtype=np.int16)

    found = available_backends()
    if backend == "auto":
        if not found:
            raise AudioError(f"cannot write audio: {INSTALL_HINT}")
        backend = found[0]
    elif backend not in found:
        hint = (
            "the `fluidsynth` command is not on PATH (Debian/Ubuntu: apt install "
            "fluidsynth; macOS: brew install fluid-synth)"
            if backend == "fluidsynth"
            else f"the {backend} package is not installed (`pip install "
            + ("--no-deps " if backend == "tinysoundfont" else "")
            + f"{backend}`)"
        )
        raise AudioError(f"cannot write audio with {backend}: {hint}")
    sf_path = find_soundfont(soundfont)
    _check_soundfont(sf_path)
    render = {
        "fluidsynth": _render_fluidsynth,
        "midirenderer": _render_midirenderer,
        "tinysoundfont": _render_tinysoundfont,
    }[backend]
    return render(score, sample_rate, sf_path)


def write_audio(frames: np.ndarray, path: str | os.PathLike, sample_rate: int) -> Path:
    """Write ``int16 [n, 2]`` frames as a 16-bit WAV or an OGG Vorbis file, by ``path``'s suffix.

    Written atomically (a hidden temp file in the same folder, then a rename); the folder must
    exist.
    """
    from gamegan.io.rundir import replace_synced, temp_path

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in AUDIO_SUFFIXES:
        raise ValueError(f"write_audio: {path.name}: the name must end in one of {AUDIO_SUFFIXES}")
    frames = np.ascontiguousarray(frames, dtype="<i2")
    tmp = temp_path(path)
    try:
        if suffix == ".wav":
            with wave.open(str(tmp), "wb") as w:
                w.setnchannels(2)
                w.setsampwidth(2)
                w.setframerate(int(sample_rate))
                w.writeframes(frames.tobytes())
        else:
            import soundfile

            # libsndfile's compression level runs the other way: 0 is the best quality.
            soundfile.write(
                str(tmp), frames, int(sample_rate), subtype="VORBIS", format="OGG",
                compression_level=1.0 - OGG_QUALITY,
            )  # fmt: skip
        replace_synced(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def render_audio(
    score: Score,
    path: str | os.PathLike,
    *,
    sample_rate: int = 44100,
    soundfont: str | os.PathLike | None = None,
    backend: str = "auto",
) -> Path:
    """:func:`synthesize` a score and :func:`write_audio` it to ``path`` (``.wav`` or ``.ogg``)."""
    if Path(path).suffix.lower() not in AUDIO_SUFFIXES:
        raise ValueError(f"render_audio: {Path(path).name}: the name must end in {AUDIO_SUFFIXES}")
    frames = synthesize(score, sample_rate=sample_rate, soundfont=soundfont, backend=backend)
    return write_audio(frames, path, sample_rate)


# FluidSynth backend


def _render_fluidsynth(score: Score, sample_rate: int, sf_path: Path) -> np.ndarray:
    """Write a temporary MIDI file and let ``fluidsynth -F`` render it faster than real time."""
    exe = shutil.which("fluidsynth")
    with tempfile.TemporaryDirectory(prefix="gamegan-audio-") as tmp:
        midi_path = Path(tmp) / "score.mid"
        wav_path = Path(tmp) / "score.wav"
        _write_midi(score, midi_path)
        # -n no MIDI input, -i no shell, -q quiet; -F fast-renders to a file (no audio driver).
        flags = f"-n -i -q -g {FLUIDSYNTH_GAIN} -r {sample_rate} -T wav -O s16".split()
        cmd = [exe, *flags, "-F", str(wav_path), str(sf_path), str(midi_path)]
        timeout = 60.0 + 2.0 * score.seconds  # ~100x faster than real time on one core
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
            )
        except subprocess.TimeoutExpired:
            raise AudioError(f"fluidsynth did not finish within {timeout:.0f} s") from None
        except OSError as err:
            raise AudioError(f"cannot run fluidsynth ({err})") from None
        errors = "\n".join(
            line for line in (proc.stderr + proc.stdout).splitlines() if "error" in line.lower()
        )
        if proc.returncode != 0 or not wav_path.is_file():
            detail = errors or proc.stderr.strip() or f"exit status {proc.returncode}"
            raise AudioError(f"fluidsynth failed to render the score: {detail}")
        try:
            with wave.open(str(wav_path), "rb") as w:
                n_channels, n_frames = w.getnchannels(), w.getnframes()
                data = np.frombuffer(w.readframes(n_frames), dtype="<i2")
        except (wave.Error, EOFError) as err:
            raise AudioError(f"fluidsynth wrote an unreadable WAV ({err})") from None
        if n_channels != 2 or n_frames == 0 or not np.any(data):
            detail = f": {errors}" if errors else ""
            raise AudioError(f"fluidsynth rendered silence with {sf_path}{detail}")
    return data.reshape(-1, 2).copy()


def _channels(score: Score) -> list[int]:
    """A MIDI channel per part: drums on 9, pitched parts on 0-8 and 10-15 in turn.

    The policy of :func:`gamegan.io.midi.write_midi`, so both backends sound the same.
    """
    melodic = [c for c in range(16) if c != DRUM_CHANNEL]
    channels, i = [], 0
    for part in score.parts:
        if part.is_drum:
            channels.append(DRUM_CHANNEL)
        else:
            channels.append(melodic[i % len(melodic)])
            i += 1
    return channels


def _write_midi(score: Score, path: Path) -> None:
    """The score as a type-1 MIDI file, with the same channels as :func:`_channels`."""
    from gamegan.io.midi import write_midi

    write_midi(score, path, midi_type=1)


# tinysoundfont backend


def _render_tinysoundfont(score: Score, sample_rate: int, sf_path: Path) -> np.ndarray:
    """Play the notes on an offline ``tinysoundfont.Synth``, event by event, sample-accurately."""
    import tinysoundfont

    synth = tinysoundfont.Synth(gain=-3.0, samplerate=sample_rate)
    try:
        sfid = synth.sfload(str(sf_path))
    except Exception as err:  # its loader raises plain Exceptions for broken files
        raise AudioError(f"tinysoundfont cannot load {sf_path} ({err})") from None

    channels = _channels(score)
    for part, chan in zip(score.parts, channels, strict=True):
        try:
            if part.is_drum:
                # Bank 128 is the drum kits; tinysoundfont falls back to kit 0 by itself.
                synth.program_select(chan, sfid, 128, part.program, is_drums=True)
            else:
                synth.program_select(chan, sfid, 0, part.program)
        except RuntimeError:  # preset missing from this soundfont: keep bank 0, program 0
            synth.program_select(chan, sfid, 0, 0)

    # Events as (sample, order, channel, key, velocity); at one instant note-offs go first, so
    # a repeated note is released before it sounds again.
    seconds_per_beat = 60.0 / score.tempo
    events = []
    for part, chan in zip(score.parts, channels, strict=True):
        for note in part.notes:
            if not 0 <= note.pitch <= 127:
                continue
            start = round(note.onset * seconds_per_beat * sample_rate)
            stop = max(start + 1, round(note.end * seconds_per_beat * sample_rate))
            velocity = min(max(int(note.velocity), 1), 127)
            events.append((start, 1, chan, note.pitch, velocity))
            events.append((stop, 0, chan, note.pitch, 0))
    events.sort()
    n_frames = max((e[0] for e in events), default=0) + int(TAIL_SECONDS * sample_rate)

    audio = np.zeros((n_frames, 2), dtype=np.float32)
    held: dict[tuple[int, int], int] = {}  # overlapping same-pitch notes: release at the last
    pos = 0
    for sample, is_on, chan, key, velocity in events:
        if sample > pos:
            synth.generate_simple(sample - pos, buffer=memoryview(audio[pos:sample]).cast("B"))
            pos = sample
        count = held.get((chan, key), 0)
        if is_on:
            synth.noteon(chan, key, velocity)
            held[(chan, key)] = count + 1
        elif count <= 1:
            synth.noteoff(chan, key)
            held.pop((chan, key), None)
        else:
            held[(chan, key)] = count - 1
    if n_frames > pos:
        synth.generate_simple(n_frames - pos, buffer=memoryview(audio[pos:]).cast("B"))

    if not np.any(audio) and events:
        raise AudioError(f"tinysoundfont rendered silence with {sf_path}")
    return _to_int16(audio)


# midirenderer backend


def _render_midirenderer(score: Score, sample_rate: int, sf_path: Path) -> np.ndarray:
    """Render the score's MIDI file (built in memory) at 48 kHz, a silent event holding the
    release tail."""
    import midirenderer
    import mido

    from gamegan.io.midi import midi_file

    midi = midi_file(score)  # the channels of _channels, as the other backends
    # midirenderer stops at the file's last event; a text event TAIL_SECONDS later lets the
    # last notes ring out as the other backends do.
    last_tick = max(sum(msg.time for msg in track) for track in midi.tracks)
    tail_ticks = round(TAIL_SECONDS * score.tempo / 60.0 * midi.ticks_per_beat)
    midi.tracks.append(
        mido.MidiTrack([mido.MetaMessage("text", text="release tail", time=last_tick + tail_ticks)])
    )
    buffer = io.BytesIO()
    midi.save(file=buffer)
    try:
        rendered = midirenderer.render_wave_from(sf_path.read_bytes(), buffer.getvalue())
        with wave.open(io.BytesIO(rendered), "rb") as w:
            rate, n_channels = w.getframerate(), w.getnchannels()
            data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    except (ValueError, RuntimeError, wave.Error, EOFError) as err:
        raise AudioError(f"midirenderer cannot render with {sf_path} ({err})") from None
    audio = data.reshape(-1, n_channels).astype(np.float32) / 32768.0
    if n_channels == 1:
        audio = np.repeat(audio, 2, axis=1)
    if not np.any(audio):
        raise AudioError(f"midirenderer rendered silence with {sf_path}")
    if rate != sample_rate:
        from math import gcd

        from scipy.signal import resample_poly

        g = gcd(sample_rate, rate)
        audio = resample_poly(audio, sample_rate // g, rate // g, axis=0).astype(np.float32)
    return _to_int16(audio * MIDIRENDERER_GAIN)


# samples


def fold_loop(frames: np.ndarray, loop_frames: int) -> np.ndarray:
    """Audio that repeats seamlessly every ``loop_frames`` samples.

    What sounds past the loop's end (the release of its last notes) is added onto its start,
    where it would sound when the loop plays again; so sample ``loop_frames - 1`` runs into
    sample 0 as smoothly as into the next sample of the rendering. Shorter audio is padded with
    silence; the sum is scaled down rather than clipped.
    """
    if loop_frames < 1:
        raise ValueError(f"fold_loop: loop_frames must be at least 1, got {loop_frames}")
    audio = frames.astype(np.float32) / 32768.0
    out = np.zeros((loop_frames, audio.shape[1]), dtype=np.float32)
    for start in range(0, len(audio), loop_frames):
        chunk = audio[start : start + loop_frames]
        out[: len(chunk)] += chunk
    return _to_int16(out)


def loop_seam_jump(frames: np.ndarray) -> float:
    """How audible a loop's seam is: the step from the last sample to the first, over the 99th
    percentile of the sample-to-sample steps inside (the larger of the channels).

    About 1 or less: the seam is a step like the music's own; a click is many times that.
    """
    audio = frames.astype(np.float64)
    inside = np.percentile(np.abs(np.diff(audio, axis=0)), 99, axis=0)
    seam = np.abs(audio[0] - audio[-1])
    return float(np.max(seam / np.maximum(inside, 1.0)))


def _to_int16(audio: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] as int16, scaled down rather than clipped when they exceed it."""
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak > 0.99:
        audio = audio * (0.99 / peak)
    return np.round(audio * 32767.0).astype(np.int16)
