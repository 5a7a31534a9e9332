"""load_scores: sources, skipped-file reports, the parse cache, and the per-file time limit."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path

import pytest

from gamegan.data import music
from gamegan.data.music import MUSIC_EXTENSIONS, convert, load_scores
from gamegan.errors import ConfigError, DataError
from gamegan.music.score import Key
from musicfiles import (
    BROKEN_MIDI,
    GOOD_MIDI,
    melody_midi,
    musicxml_text,
    write_bytes,
    write_music_folder,
)

needs_fork = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(),
    reason="the test patches the parser, which only forked workers inherit",
)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    # Never touch the user's ~/.cache; every test gets its own cache folder.
    monkeypatch.setenv("GAMEGAN_CACHE", str(tmp_path / "cache"))


def cache_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "cache" / "music").rglob("*.json"))


def test_folder_with_good_and_broken_files(tmp_path):
    expected = write_music_folder(tmp_path / "songs")
    data = load_scores(str(tmp_path / "songs"), workers=2)
    assert [s.extra["source"] for s in data.scores] == [
        str(tmp_path / "songs" / "good.mid"),
        str(tmp_path / "songs" / "sub" / "melody.musicxml"),
    ]
    midi, xml = data.scores
    assert [n.pitch for n in midi.parts[0].notes] == [60, 62, 64, 65]
    assert [n.pitch for n in xml.parts[0].notes] == [60, 64, 67, 72]
    assert xml.parts[0].name == "Flute" and xml.key is not None and xml.key.mode == "major"
    assert dict(data.skipped).keys() == expected.keys()  # the .txt file is not music: ignored
    for name, reason in data.skipped:
        assert expected[name] in reason, (name, reason)
    assert "2 scores, 7 skipped" in data.source


def test_single_file(tmp_path):
    path = write_bytes(tmp_path / "one.xml", musicxml_text(("D4", "F#4", "A4", "D5"), fifths=2))
    (score,) = load_scores(str(path)).scores
    assert score.key is not None and score.key.tonic == 2  # D major, from the key signature
    assert score.time_signature == (4, 4) and score.end == 4.0


@pytest.mark.parametrize(
    ("pitches", "key"),
    [
        (("A4", "C5", "E5", "A5", "E5", "C5", "B4", "A4"), Key(9, "minor")),
        (("C4", "E4", "G4", "C5"), Key(0)),
    ],
)
def test_key_signature_without_mode_is_analyzed(tmp_path, pitches, key):
    path = write_bytes(tmp_path / "k.musicxml", musicxml_text(pitches, fifths=0))
    assert load_scores(str(path)).scores[0].key == key


def test_abc_book_gives_one_score_per_tune(tmp_path):
    book = "X:1\nT:One\nM:4/4\nL:1/4\nK:G\nGABc|d4|\n\nX:2\nT:Two\nM:3/4\nL:1/4\nK:Am\nABc|e3|\n"
    path = write_bytes(tmp_path / "book.abc", book)
    one, two = load_scores(str(tmp_path)).scores
    assert (one.title, one.key, one.extra["source"]) == ("One", Key(7), f"{path}#1")
    assert (two.title, two.key, two.time_signature) == ("Two", Key(9, "minor"), (3, 4))
    assert [n.duration for n in two.parts[0].notes] == [1.0, 1.0, 1.0, 3.0]


def test_nothing_usable_lists_count_and_reasons(tmp_path):
    for name in ("drums.mid", "nonotes.mid"):
        write_bytes(tmp_path / "bad" / name, BROKEN_MIDI[name][0])
    with pytest.raises(DataError) as info:
        load_scores(str(tmp_path / "bad"))
    message = str(info.value)
    assert "none of the 2 files is usable" in message
    assert "drums.mid: drums only" in message and "nonotes.mid: no notes" in message


def test_empty_folder_names_the_extensions(tmp_path):
    write_bytes(tmp_path / "empty" / "readme.txt", "hello")
    with pytest.raises(DataError, match="no music files") as info:
        load_scores(str(tmp_path / "empty"))
    assert all(ext in str(info.value) for ext in MUSIC_EXTENSIONS)


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("no_such_composer", "bach, another music21 corpus composer such as"),
        ("missing/folder", "no such file or folder"),
        ("corpus:", "give a search"),
    ],
)
def test_unknown_sources(source, words):
    with pytest.raises(DataError, match=words):
        load_scores(source)


def test_bad_arguments(tmp_path):
    with pytest.raises(ConfigError, match="limit"):
        load_scores(str(tmp_path), limit=0)
    with pytest.raises(ConfigError, match="timeout"):
        load_scores(str(tmp_path), timeout=0)


def test_second_load_comes_from_the_cache(tmp_path, monkeypatch):
    expected = write_music_folder(tmp_path / "songs")
    first = load_scores(str(tmp_path / "songs"))
    files = cache_files(tmp_path)
    assert len(files) == len(expected) + 2  # the failures are cached with the successes
    mtimes = [f.stat().st_mtime_ns for f in files]

    def no_parsing(*args, **kwargs):
        raise AssertionError("the second load parsed again")

    with monkeypatch.context() as patch:
        patch.setattr(music, "parse_all", no_parsing)
        second = load_scores(str(tmp_path / "songs"))
    assert second.scores == first.scores and second.skipped == first.skipped
    assert [f.stat().st_mtime_ns for f in cache_files(tmp_path)] == mtimes

    # A changed file has other bytes, so another key: it is parsed again.
    good = tmp_path / "songs" / "good.mid"
    write_bytes(good, GOOD_MIDI[:-5])
    third = load_scores(str(tmp_path / "songs"))
    assert "truncated" in dict(third.skipped)[str(good)]
    assert len(cache_files(tmp_path)) == len(files) + 1


def _slow_or_crashing(path, number):
    name = Path(path).name
    if name == "slow.mid":
        time.sleep(60)
    if name == "crash.mid":
        os.kill(os.getpid(), signal.SIGSEGV)
    return _real_parse(path, number)


_real_parse = convert.parse_item


@needs_fork
def test_timeout_and_crash_skip_only_their_file(tmp_path, monkeypatch):
    for pitch, name in enumerate(("a.mid", "crash.mid", "slow.mid", "z.mid")):
        write_bytes(tmp_path / "songs" / name, melody_midi([60 + pitch]))
    monkeypatch.setattr(convert, "parse_item", _slow_or_crashing)
    start = time.monotonic()
    data = load_scores(str(tmp_path / "songs"), timeout=1.5, workers=2)
    assert time.monotonic() - start < 20
    assert [Path(s.extra["source"]).name for s in data.scores] == ["a.mid", "z.mid"]
    reasons = {Path(name).name: reason for name, reason in data.skipped}
    assert reasons == {
        "crash.mid": "the parser crashed (SIGSEGV)",
        "slow.mid": "took longer than 1.5 s",
    }
    assert len(cache_files(tmp_path)) == 2  # timeouts and crashes are not cached

    # So with a fast parser they load next time.
    monkeypatch.setattr(convert, "parse_item", _real_parse)
    again = load_scores(str(tmp_path / "songs"), timeout=1.5, workers=1)
    assert len(again.scores) == 4 and not again.skipped


def test_bach_chorales():
    pytest.importorskip("music21")
    data = load_scores("bach", limit=3)
    assert len(data.scores) == 3 and not data.skipped
    for score in data.scores:
        names = [p.name for p in score.parts]
        assert len(names) >= 4  # the first chorale (BWV 1.6) also has a horn part
        assert names[-4:] == ["Soprano", "Alto", "Tenor", "Bass"]
        assert score.key is not None
        assert score.n_notes > 150
        assert score.extra["source"].endswith(".mxl")


def test_corpus_search():
    pytest.importorskip("music21")
    data = load_scores("corpus:reel", limit=2)
    assert len(data.scores) == 2
    assert all("#" in s.extra["source"] for s in data.scores)  # works inside one ABC book


def test_progress_bar_rule(monkeypatch):
    assert not music._show_progress(True, 20)  # a few files parse too fast to need one
    assert music._show_progress(True, 21)
    assert not music._show_progress(False, 500)
    monkeypatch.setattr("sys.stderr.isatty", lambda: False, raising=False)
    assert not music._show_progress(None, 500)


def test_imports_stay_light():
    import subprocess
    import sys

    code = (
        "import sys, gamegan.data.music, gamegan.io.midi; "
        "print([m for m in ('music21', 'mido', 'tqdm') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
