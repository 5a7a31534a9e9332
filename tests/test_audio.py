"""gamegan.io.audio (Score -> WAV, OGG) and gamegan.music.picture (Score -> piano-roll image)."""

from __future__ import annotations

import importlib.util
import shutil
import wave
from dataclasses import replace

import numpy as np
import pytest

from gamegan.errors import AudioError
from gamegan.io import audio
from gamegan.io.audio import available_backends, find_soundfont, render_audio
from gamegan.io.png import read_png
from gamegan.music.picture import PALETTE, draw_pianoroll, write_pianoroll_png
from gamegan.music.score import Note, Part, Score

HAS_FLUIDSYNTH = shutil.which("fluidsynth") is not None
HAS_TINYSOUNDFONT = importlib.util.find_spec("tinysoundfont") is not None
SYNTHESIZER_PACKAGES = ("midirenderer", "tinysoundfont")


def two_part_score(tempo: float = 120.0) -> Score:
    """Two bars of melody over a bass line: 4 s at 120 quarter notes per minute."""
    melody = Part(tuple(Note(i * 0.5, 72 + (i % 5), 0.5, 90) for i in range(16)), program=0)
    bass = Part(tuple(Note(i * 2.0, 43 + i, 2.0, 80) for i in range(4)), program=32)
    return Score((melody, bass), tempo=tempo)


def read_wav(path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        assert w.getnchannels() == 2 and w.getsampwidth() == 2
        frames = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, 2)
        return frames, w.getframerate()


@pytest.fixture
def soundfont():
    try:
        return find_soundfont()
    except AudioError as err:
        pytest.skip(str(err))


@pytest.fixture
def nothing_installed(monkeypatch):
    """Neither the fluidsynth command nor a synthesizer package can be found."""
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a, **k: None if name in SYNTHESIZER_PACKAGES else find_spec(name, *a, **k),
    )


@pytest.fixture
def no_soundfont(monkeypatch, tmp_path):
    """None of the places find_soundfont searches holds a soundfont."""
    monkeypatch.delenv("GAMEGAN_SOUNDFONT", raising=False)
    monkeypatch.setattr(audio, "SOUNDFONT_PATHS", (str(tmp_path / "none.sf2"),))
    monkeypatch.setattr(audio, "SOUNDFONT_DIRS", (str(tmp_path),))
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a, **k: None if name == "pretty_midi" else find_spec(name, *a, **k),
    )


# rendering


@pytest.mark.skipif(not HAS_FLUIDSYNTH, reason="the fluidsynth command is not on PATH")
def test_fluidsynth_writes_a_wav_of_the_music_length(tmp_path, soundfont):
    score = two_part_score()
    out = render_audio(score, tmp_path / "a.wav", sample_rate=22050, backend="fluidsynth")
    assert out == tmp_path / "a.wav"
    frames, rate = read_wav(out)
    assert rate == 22050
    seconds = len(frames) / rate
    assert score.seconds <= seconds <= score.seconds + 5.0  # FluidSynth renders the release
    assert np.abs(frames[: int(score.seconds * rate)]).max() > 1000
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.skipif(not HAS_TINYSOUNDFONT, reason="tinysoundfont is not installed")
def test_tinysoundfont_writes_a_wav_of_the_music_length_plus_tail(tmp_path, soundfont):
    score = two_part_score(tempo=90.0)
    out = render_audio(score, tmp_path / "a.wav", sample_rate=22050, backend="tinysoundfont")
    frames, rate = read_wav(out)
    assert rate == 22050
    assert len(frames) == pytest.approx((score.seconds + audio.TAIL_SECONDS) * rate, abs=2)
    # Sound starts at the first onset, is there all along, and the tail fades.
    quarter = int(60.0 / score.tempo * rate)
    assert np.abs(frames[:quarter]).max() > 1000
    assert np.abs(frames[-quarter:]).max() < np.abs(frames[:quarter]).max()
    # Sample-accurate onsets: nothing sounds before a note that starts late.
    late = Score((Part((Note(2.0, 60, 1.0, 100),)),), tempo=120.0)  # onset at 1 s
    frames, rate = read_wav(render_audio(late, tmp_path / "b.wav", backend="tinysoundfont"))
    assert not frames[: rate - 10].any()
    assert frames[rate : rate + rate // 10].any()


@pytest.mark.skipif(not HAS_TINYSOUNDFONT, reason="tinysoundfont is not installed")
def test_tinysoundfont_plays_drums(tmp_path, soundfont):
    kit = Part(tuple(Note(i * 0.5, 36 + 2 * (i % 3), 0.25, 100) for i in range(8)), is_drum=True)
    frames, _ = read_wav(render_audio(Score((kit,)), tmp_path / "d.wav", backend="tinysoundfont"))
    assert np.abs(frames).max() > 1000


def test_audio_needs_nothing_but_the_pip_dependencies(tmp_path):
    """midirenderer and soundfile are requirements of the package and pretty_midi carries the
    soundfont, so a plain ``pip install gamegan`` renders WAV and OGG: no system package."""
    from importlib.metadata import requires

    declared = {r.split(">")[0].split("=")[0].split("[")[0].strip() for r in requires("gamegan")}
    assert {"midirenderer", "soundfile", "pretty_midi"} <= declared
    assert "midirenderer" in available_backends()
    assert find_soundfont().is_file()  # pretty_midi's TimGM6mb.sf2 where nothing else is
    score = two_part_score(tempo=90.0)
    frames, rate = read_wav(
        render_audio(score, tmp_path / "a.wav", sample_rate=22050, backend="midirenderer")
    )
    assert rate == 22050
    assert len(frames) == pytest.approx((score.seconds + audio.TAIL_SECONDS) * rate, abs=3)
    quarter = int(60.0 / score.tempo * rate)
    assert np.abs(frames[:quarter]).max() > 3000  # the gain brings it near FluidSynth's level
    assert np.abs(frames[-quarter // 4 :]).max() < np.abs(frames[:quarter]).max() / 4  # release
    # A note that starts late is silent before its onset (the resampler's ringing aside).
    late = Score((Part((Note(2.0, 60, 1.0, 100),)),), tempo=120.0)  # onset at 1 s
    frames, rate = read_wav(render_audio(late, tmp_path / "b.wav", backend="midirenderer"))
    assert np.abs(frames[: rate - 200]).max() < 10
    assert np.abs(frames[rate : rate + rate // 10]).max() > 1000


def test_ogg_is_the_same_music_compressed(tmp_path):
    import soundfile

    score = two_part_score()
    frames = audio.synthesize(score, sample_rate=44100)
    wav = audio.write_audio(frames, tmp_path / "a.wav", 44100)
    ogg = audio.write_audio(frames, tmp_path / "a.ogg", 44100)
    info = soundfile.info(str(ogg))
    assert (info.format, info.subtype) == ("OGG", "VORBIS")
    assert (info.samplerate, info.channels) == (44100, 2)
    decoded, _ = soundfile.read(str(ogg), dtype="float32")
    assert len(decoded) == len(frames)  # sample-exact length: loops stay in time
    original = frames.astype(np.float32) / 32768.0
    error = np.sqrt(np.mean((decoded - original) ** 2)) / np.sqrt(np.mean(original**2))
    assert error < 0.1, error  # lossy, but the same music
    assert ogg.stat().st_size < wav.stat().st_size / 4
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left
    with pytest.raises(ValueError, match="must end"):
        audio.write_audio(frames, tmp_path / "a.mp3", 44100)


def test_a_loop_is_its_exact_length_and_its_seam_does_not_click(tmp_path):
    import soundfile

    # Ocarina (nearly a sine) holding a low fifth through the loop's end: cut there, the
    # waveform jumps; folded, the seam is like any other step.
    # On the pip path (midirenderer with pretty_midi's TimGM6mb), whatever else is installed.
    sf2 = next(p for p in audio._soundfont_candidates() if "pretty_midi" in str(p))
    synth = {"sample_rate": 22050, "backend": "midirenderer", "soundfont": sf2}
    fifth = Part(tuple(Note(0.0, p, 8.0, 90) for p in (48, 55)), program=79)
    loop = Score((fifth,), tempo=120.0, loop_end=8.0)  # 4 s
    frames = audio.synthesize(loop, **synth)
    assert len(frames) == 4 * 22050
    assert audio.loop_seam_jump(frames) < 1.0
    plain = audio.synthesize(replace(loop, loop_end=0.0), **synth)
    assert len(plain) > len(frames)  # the release tail that was folded in
    assert audio.loop_seam_jump(plain[: len(frames)]) > 5.0
    ogg = audio.write_audio(frames, tmp_path / "loop.ogg", 22050)
    assert soundfile.info(str(ogg)).frames == len(frames)
    # An empty loop is silence of the loop's length; fold_loop pads short audio.
    assert len(audio.synthesize(Score(loop_end=8.0), sample_rate=8000)) == 4 * 8000
    assert audio.fold_loop(np.ones((3, 2), np.int16), 5).shape == (5, 2)


def test_empty_score_is_a_short_silence_even_without_a_synthesizer(tmp_path, nothing_installed):
    frames, rate = read_wav(render_audio(Score(), tmp_path / "e.wav", sample_rate=8000))
    assert rate == 8000 and len(frames) == 8000 * audio.TAIL_SECONDS
    assert not frames.any()


# errors


def test_no_backend_gives_the_install_hint(tmp_path, nothing_installed):
    assert available_backends() == []
    with pytest.raises(AudioError, match="apt install fluidsynth") as err:
        render_audio(two_part_score(), tmp_path / "a.wav")
    assert "brew install fluid-synth" in str(err.value)
    assert "pip install midirenderer" in str(err.value)
    assert not (tmp_path / "a.wav").exists()


@pytest.mark.parametrize("backend", audio.BACKENDS)
def test_forced_backend_that_is_missing(tmp_path, nothing_installed, backend):
    with pytest.raises(AudioError, match=f"with {backend}"):
        render_audio(two_part_score(), tmp_path / "a.wav", backend=backend)


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="backend"):
        render_audio(two_part_score(), tmp_path / "a.wav", backend="timidity")
    with pytest.raises(ValueError, match="sample_rate"):
        render_audio(two_part_score(), tmp_path / "a.wav", sample_rate=100)


def test_missing_soundfont_names_the_variable_and_the_paths(no_soundfont, tmp_path):
    with pytest.raises(AudioError, match=r"\$GAMEGAN_SOUNDFONT") as err:
        find_soundfont()
    assert str(tmp_path / "none.sf2") in str(err.value)
    assert "pretty_midi" in str(err.value)


def test_missing_soundfont_stops_rendering(no_soundfont, tmp_path):
    with pytest.raises(AudioError, match="no General MIDI soundfont"):
        render_audio(two_part_score(), tmp_path / "a.wav")


def test_soundfont_search_order(no_soundfont, monkeypatch, tmp_path):
    first, second, third = (tmp_path / f"{n}.sf2" for n in ("first", "second", "third"))
    for path in (first, second, third):
        path.write_bytes(b"RIFF\0\0\0\0sfbk")
    monkeypatch.setattr(audio, "SOUNDFONT_PATHS", (str(tmp_path / "none.sf2"), str(third)))
    assert find_soundfont() == third
    monkeypatch.setenv("GAMEGAN_SOUNDFONT", str(second))
    assert find_soundfont() == second
    assert find_soundfont(first) == first
    with pytest.raises(AudioError, match="does not exist"):
        find_soundfont(tmp_path / "gone.sf2")
    monkeypatch.setenv("GAMEGAN_SOUNDFONT", str(tmp_path / "gone.sf2"))
    with pytest.raises(AudioError, match=r"\$GAMEGAN_SOUNDFONT=.*does not exist"):
        find_soundfont()


def test_a_file_that_is_not_a_soundfont(tmp_path):
    fake = tmp_path / "fake.sf2"
    fake.write_bytes(b"not a soundfont at all")
    with pytest.raises(AudioError, match="not a SoundFont"):
        render_audio(two_part_score(), tmp_path / "a.wav", soundfont=fake)


# pictures


def colours_of(image: np.ndarray) -> set[tuple[int, ...]]:
    return {tuple(c) for c in image.reshape(-1, 3)}


def test_pianoroll_shape_and_part_colours():
    score = two_part_score()
    image = draw_pianoroll(score, resolution=4, height_per_pitch=3, width_per_step=2)
    low, high = 43 - 2, 76 + 2
    assert image.dtype == np.uint8
    assert image.shape == ((high - low + 1) * 3, score.n_bars * 16 * 2, 3)
    present = colours_of(image)
    assert tuple(PALETTE[0]) in present and tuple(PALETTE[1]) in present
    assert tuple(PALETTE[2]) not in present


def test_pianoroll_higher_notes_are_higher_up():
    score = Score((Part((Note(0.0, 50, 1.0), Note(1.0, 70, 1.0))),))
    image = draw_pianoroll(score, resolution=1, height_per_pitch=2, width_per_step=4)
    blue = np.all(image == PALETTE[0], axis=-1)
    rows_low = np.nonzero(blue[:, :4].any(axis=1))[0]  # first beat: pitch 50
    rows_high = np.nonzero(blue[:, 4:8].any(axis=1))[0]  # second beat: pitch 70
    assert rows_high.max() < rows_low.min()
    assert rows_high.min() == 2 * 2  # margin of 2 pitches above the highest note


def test_pianoroll_marks_onsets_of_repeated_notes():
    score = Score((Part((Note(0.0, 60, 1.0), Note(1.0, 60, 1.0))),))
    image = draw_pianoroll(score, resolution=1, height_per_pitch=1, width_per_step=4)
    row = image[62 - 60]  # highest pitch 62 is row 0
    dark = tuple((PALETTE[0] * 0.6).astype(np.uint8))
    assert [tuple(row[x]) for x in (0, 4)] == [dark, dark]
    assert all(tuple(row[x]) == tuple(PALETTE[0]) for x in (1, 2, 3, 5, 6, 7))


def test_pianoroll_grid_and_range():
    score = Score((Part((Note(0.0, 60, 6.0),)),), time_signature=(3, 4))
    image = draw_pianoroll(score, resolution=2, pitch_range=(48, 72), height_per_pitch=1)
    assert image.shape == (25, 2 * 3 * 2 * 3, 3)  # two 3/4 bars of 6 steps, 3 px each
    rule = image[72 - 71]  # pitch 71: no note, no C; only the bar lines at steps 0 and 6
    assert set(np.nonzero(rule[:, 0] < 255)[0]) == {0, 18}
    assert (rule[:, 0] < 255).sum() == 2
    # C rows (48, 60, 72) are light lines; the note on C4 covers its row.
    c3 = image[72 - 48, :, 0]
    assert (c3[[0, 18]] == 160).all() and (np.delete(c3, [0, 18]) == 225).all()
    assert (image[72 - 60] == PALETTE[0]).all(axis=-1)[1:].all()


def test_pianoroll_of_an_empty_score_and_png(tmp_path):
    image = draw_pianoroll(Score())
    assert image.shape == (12 * 3, 16 * 3, 3)
    assert colours_of(image) <= {(255,) * 3, (225,) * 3, (160,) * 3}
    path = write_pianoroll_png(two_part_score(), tmp_path / "roll.png", resolution=2)
    np.testing.assert_array_equal(read_png(path), draw_pianoroll(two_part_score(), resolution=2))
    with pytest.raises(ValueError, match="pitch_range"):
        draw_pianoroll(Score(), pitch_range=(70, 60))
