"""Music statistics with known answers on scores built by hand."""

import json
import math
import warnings

import numpy as np
import pytest

from gamegan import metrics
from gamegan.errors import DataError
from gamegan.metrics import music_reference as mr
from gamegan.metrics import music_stats as ms
from gamegan.music.score import Note, Part, Score

C_MAJOR = (60, 62, 64, 65, 67, 69, 71, 72)  # C4 .. C5


def melody(pitches, duration=1.0, start=0.0):
    return tuple(Note(start + i * duration, p, duration) for i, p in enumerate(pitches))


def score(*parts, time_signature=(4, 4)):
    return Score(parts=tuple(Part(notes=notes) for notes in parts), time_signature=time_signature)


SCALE = score(melody(C_MAJOR))  # 8 quarter notes: 2 bars of 4/4
ONE_NOTE = score(melody([67] * 16, duration=0.5))
EMPTY = Score()


def test_c_major_scale():
    hist = ms.pitch_class_histogram(SCALE)
    assert hist.shape == (12,) and hist.sum() == pytest.approx(1.0)
    assert hist[0] == pytest.approx(2 / 8)  # C4 and C5: counts, octaves folded
    assert np.count_nonzero(hist) == 7
    assert ms.in_scale_rate(SCALE) == 1.0
    assert ms.pitch_range(SCALE) == 12.0
    assert ms.used_pitch_classes_per_bar(SCALE) == 4.0  # C D E F, then G A B C
    assert ms.polyphony(SCALE) == 1.0
    assert ms.empty_bar_rate(SCALE) == 0.0
    assert ms.repeated_note_ratio(SCALE) == 0.0
    assert ms.qualified_note_rate(SCALE) == 1.0
    lengths = ms.note_length_histogram(SCALE)
    assert lengths[ms.NOTE_LENGTH_BINS.index("1")] == 1.0


def test_chromatic_notes_lower_the_in_scale_rate():
    chromatic = score(melody(range(60, 72)))
    assert ms.in_scale_rate(chromatic) == pytest.approx(7 / 12)  # the lowest possible
    assert ms.in_scale_rate(score(melody([60, 62, 64, 66]))) == 1.0  # in G major
    assert ms.in_scale_rate(score(melody([60, 61, 62, 63]))) == 0.75


def test_one_note_collapse_gives_repeated_ratio_one():
    assert ms.repeated_note_ratio(ONE_NOTE) == 1.0
    assert ms.pitch_range(ONE_NOTE) == 0.0
    assert ms.used_pitch_classes_per_bar(ONE_NOTE) == 1.0
    assert ms.note_length_histogram(ONE_NOTE)[ms.NOTE_LENGTH_BINS.index("1/2")] == 1.0


def test_repeated_ratio_reads_chords_by_their_top_note_and_averages_parts():
    # Onsets 0, 1, 2 with top notes 72, 72, 74 -> one repeat in two pairs.
    chords = (Note(0, 60, 1), Note(0, 72, 1), Note(1, 64, 1), Note(1, 72, 1), Note(2, 74, 1))
    assert ms.repeated_note_ratio(score(chords)) == 0.5
    assert ms.repeated_note_ratio(score(chords, melody([50] * 3))) == 0.75
    assert math.isnan(ms.repeated_note_ratio(score((Note(0, 60, 1),))))  # no pair


def test_empty_bar_in_the_middle():
    notes = melody([60] * 4) + melody([62] * 4, start=8.0)  # bars 1 and 3 of 3
    piece = score(notes)
    assert piece.n_bars == 3
    assert ms.empty_bar_rate(piece) == pytest.approx(1 / 3)
    assert ms.used_pitch_classes_per_bar(piece) == 1.0  # the empty bar does not count
    # A second part playing through all three bars halves the mean over parts.
    two = score(notes, (Note(0, 48, 12),))
    assert ms.part_empty_bar_rates(two).tolist() == pytest.approx([1 / 3, 0.0])
    assert ms.empty_bar_rate(two) == pytest.approx(1 / 6)
    # A note held over a bar line sounds in both bars.
    assert ms.empty_bar_rate(score((Note(2, 60, 4),))) == 0.0


def test_a_silent_track_and_drums():
    silent = Score(parts=(Part(notes=melody(C_MAJOR)), Part(notes=())))
    assert ms.part_empty_bar_rates(silent).tolist() == [0.0, 1.0]
    drums = Score(parts=(Part(notes=melody(C_MAJOR)), Part(notes=melody([36] * 8), is_drum=True)))
    assert ms.empty_bar_rate(drums) == 0.0
    assert ms.pitch_range(drums) == 12.0  # the kick drum's "pitch" 36 is not a pitch


def test_chord_polyphony_and_unison():
    triad = score((Note(0, 60, 4), Note(0, 64, 4), Note(0, 67, 4)))
    assert ms.polyphony(triad) == 3.0
    assert ms.used_pitch_classes_per_bar(triad) == 3.0
    # Two parts doubling one pitch count once; a rest does not lower the mean.
    unison = score((Note(0, 60, 1), Note(2, 62, 1)), (Note(0, 60, 1), Note(2, 65, 1)))
    assert ms.polyphony(unison) == 1.5
    # A note shorter than a grid step still occupies one step.
    assert ms.polyphony(score((Note(0, 60, 1), Note(0, 64, 0.01)))) == pytest.approx(4 / 4 + 1 / 4)


def test_voice_crossing_rate_counts_the_time_a_lower_part_sounds_above():
    def part(*notes):
        return Part(tuple(Note(o, p, d) for o, p, d in notes))

    upper = part((0.0, 72, 1.0), (1.0, 60, 1.0))  # drops below the lower part for a beat
    lower = part((0.0, 64, 2.0))
    assert ms.voice_crossing_rate(Score((upper, lower))) == pytest.approx(0.5)
    unison = Score((part((0.0, 64, 1.0)), part((0.0, 64, 1.0))))
    assert ms.voice_crossing_rate(unison) == 0.0
    apart = Score((part((0.0, 72, 1.0)), part((1.0, 80, 1.0))))  # never together
    assert math.isnan(ms.voice_crossing_rate(apart))
    assert math.isnan(ms.voice_crossing_rate(Score((upper,))))


def test_qualified_note_rate_counts_32nd_notes_and_longer():
    notes = (Note(0, 60, 0.125), Note(1, 60, 0.1), Note(2, 60, 1 / 24), Note(3, 60, 2))
    assert ms.qualified_note_rate(score(notes)) == 0.5
    assert ms.qualified_note_rate(score(notes), min_beats=1.0) == 0.25


def test_note_length_bins():
    durations = [0.05, 0.25, 1 / 3, 0.5, 0.75, 2 / 3, 1, 1.5, 2, 3, 4, 8]
    piece = score(tuple(Note(i * 8, 60, d) for i, d in enumerate(durations)))
    hist = ms.note_length_histogram(piece) * len(durations)
    counts = dict(zip(ms.NOTE_LENGTH_BINS, np.round(hist).astype(int).tolist(), strict=True))
    assert counts == {
        "<=1/8": 1, "1/4": 2, "1/2": 1, "3/4": 2, "1": 1, "3/2": 1, "2": 1, "3": 1, ">=4": 2
    }  # fmt: skip


def test_tonal_distance_identical_parts_zero_tritone_apart_positive():
    line = melody([60, 64, 67, 72, 67, 64, 60, 62])
    same = score(line, line)
    octave = score(line, tuple(Note(n.onset, n.pitch - 12, n.duration) for n in line))
    tritone = score(line, tuple(Note(n.onset, n.pitch + 6, n.duration) for n in line))
    assert ms.tonal_distance(same) == pytest.approx(0.0, abs=1e-12)
    assert ms.tonal_distance(octave) == pytest.approx(0.0, abs=1e-12)
    assert ms.tonal_distance(tritone) > 1.0
    # Single C against a single F#: opposite on the fifths and minor-thirds circles, equal on
    # the major-thirds circle -> |(0, 2, 0, 2, 0, 0)| = 2 sqrt(2).
    c_fsharp = score((Note(0, 60, 4),), (Note(0, 66, 4),))
    assert ms.tonal_distance(c_fsharp) == pytest.approx(2 * math.sqrt(2))
    # Only bars where both sound count: a second part resting in bar 2 changes nothing.
    partial = score(melody([60] * 8), (Note(0, 66, 4),))
    assert ms.tonal_distance(partial) == pytest.approx(2 * math.sqrt(2))
    assert math.isnan(ms.tonal_distance(SCALE))  # one part


def test_tonal_distance_weights_chroma_by_duration():
    # Part 2 holds C for 3 beats and F# for 1: its centroid is 3/4 of the way to C's.
    mixed = score((Note(0, 60, 4),), (Note(0, 60, 3), Note(3, 66, 1)))
    assert ms.tonal_distance(mixed) == pytest.approx(2 * math.sqrt(2) / 4)


def test_histogram_overlap():
    p = ms.pitch_class_histogram(SCALE)
    assert ms.histogram_overlap(p, p) == pytest.approx(1.0)
    q = ms.pitch_class_histogram(score(melody([61, 63, 66])))
    assert ms.histogram_overlap(p, q) == 0.0
    assert ms.histogram_overlap([0.5, 0.5], [1.0, 0.0]) == 0.5
    assert math.isnan(ms.histogram_overlap(p, ms.pitch_class_histogram(EMPTY)))
    with pytest.raises(ValueError, match="different shapes"):
        ms.histogram_overlap(p, [1.0])


def test_empty_score_gives_nan_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ms.SCALARS:
            assert math.isnan(getattr(ms, name)(EMPTY)), name
        for piece in (EMPTY, Score(parts=(Part(),))):
            assert np.isnan(ms.pitch_class_histogram(piece)).all()
            assert np.isnan(ms.note_length_histogram(piece)).all()
        summary = ms.describe([])
        assert summary["n_pieces"] == 0 and math.isnan(summary["mean_n_bars"])
        assert all(math.isnan(summary[name]) for name in ms.SCALARS)
        rows = ms.compare(summary, summary)
        assert all(math.isnan(r["generated"]) for r in rows if r["metric"].endswith("overlap"))


def test_describe_pools_histograms_and_skips_nan():
    pieces = [SCALE, ONE_NOTE, EMPTY]
    summary = ms.describe(pieces)
    assert set(summary) == set(ms.SCALARS) | set(ms.HISTOGRAMS) | {
        "n_pieces",
        "n_notes",
        "mean_n_bars",
    }
    assert summary["n_pieces"] == 3 and summary["n_notes"] == 24
    assert summary["mean_n_bars"] == pytest.approx((2 + 2 + 0) / 3)
    assert summary["pitch_range"] == 6.0  # (12 + 0) / 2: the empty piece is skipped
    assert summary["repeated_note_ratio"] == 0.5
    assert math.isnan(summary["tonal_distance"])  # no piece has two parts
    hist = summary["pitch_class_histogram"]
    assert isinstance(hist, list) and sum(hist) == pytest.approx(1.0)
    assert hist[7] == pytest.approx(17 / 24)  # one G in the scale + 16 in the collapse
    assert ms.describe(SCALE)["n_pieces"] == 1
    json.dumps(summary)  # plain floats


def test_compare_rows():
    gen, ref = ms.describe([ONE_NOTE]), ms.describe([SCALE])
    rows = ms.compare(gen, ref)
    by_name = {r["metric"]: r for r in rows}
    assert [r["metric"] for r in rows][: len(ms.SCALARS)] == list(ms.SCALARS)
    assert by_name["repeated_note_ratio"] == {
        "metric": "repeated_note_ratio",
        "generated": 1.0,
        "reference": 0.0,
    }
    assert by_name["pitch_class_overlap"]["generated"] == pytest.approx(1 / 8)  # only G shared
    assert by_name["pitch_class_overlap"]["reference"] == 1.0
    assert by_name["note_length_overlap"]["generated"] == 0.0  # eighths vs quarters
    assert ms.compare(ref, ref)[len(ms.SCALARS)]["generated"] == pytest.approx(1.0)


def test_registered_metric():
    assert "music_stats" in metrics.names()
    result = metrics.compute("music_stats", real=[SCALE], fake=[ONE_NOTE, SCALE])
    assert result["music_stats/repeated_note_ratio"] == 0.5
    assert result["music_stats/pitch_range"] == 6.0
    assert 0 < result["music_stats/pitch_class_overlap"] < 1
    assert len(result) == len(ms.SCALARS) + len(ms.HISTOGRAMS)


def test_reference_round_trip(tmp_path):
    path = tmp_path / "reference.json"
    assert mr.read_reference("bach", path=path) is None
    entry = mr.write_reference("bach", [SCALE, ONE_NOTE], path=path)
    mr.write_reference("collapse", [ONE_NOTE], path=path)
    mr.write_reference("bach", [SCALE, ONE_NOTE], path=path)  # replaces, keeps "collapse"
    stored = json.loads(path.read_text())
    assert set(stored) == {"bach", "collapse"}
    assert stored["bach"]["n_pieces"] == 2 and stored["bach"]["date"][:2] == "20"
    assert stored["collapse"]["tonal_distance"] is None  # nan is stored as JSON null
    assert path.read_text().startswith("{\n  ")  # pretty-printed
    back = mr.read_reference("bach", path=path)
    assert back["pitch_class_histogram"] == pytest.approx(entry["pitch_class_histogram"])
    assert math.isnan(back["tonal_distance"])
    assert mr.read_reference("mozart", path=path) is None
    assert mr.REFERENCE_PATH.name == "music_reference.json"
    assert ms.compare(ms.describe([ONE_NOTE]), mr.read_reference("collapse", path=path))[0] == {
        "metric": "pitch_range",
        "generated": 0.0,
        "reference": 0.0,
    }
    path.write_text("not json")
    with pytest.raises(DataError, match="not a readable music reference"):
        mr.read_reference("bach", path=path)


def test_minor_share_odd_lengths_and_voices():
    c_major = score(melody([60, 62, 64, 65, 67, 69, 71, 72, 67, 64, 60]))
    a_minor = score(melody([57, 59, 60, 62, 64, 65, 68, 69, 64, 60, 57]))
    assert ms.minor_share(c_major) == 0.0 and ms.minor_share(a_minor) == 1.0
    assert ms.describe([c_major, a_minor, a_minor])["minor_share"] == pytest.approx(2 / 3)
    odd = Score((Part((Note(0, 60, 1.0), Note(1, 62, 0.5), Note(1.5, 64, 0.7), Note(3, 65, 2.5))),))
    assert ms.odd_length_rate(odd) == 0.5  # 0.7 and 2.5 quarter notes are not notated lengths
    two = Score((Part((Note(0, 60, 1.0),)), Part((Note(0, 48, 1.0),)), Part()))
    assert ms.n_voices(two) == 2.0


def test_tonic_relative_histogram_puts_every_key_on_one_tonic():
    c_major = score(melody([60, 62, 64, 65, 67, 69, 71, 72, 67, 64, 60]))
    e_major = c_major.transposed(4)
    same = ms.describe([c_major, e_major])
    assert same["tonic_pitch_class_histogram"] == pytest.approx(
        ms.describe([c_major])["tonic_pitch_class_histogram"]
    )
    assert same["tonic_pitch_class_histogram"][0] > 0.2  # the tonic, where every C and E went
    rows = {r["metric"]: r for r in ms.compare(ms.describe([e_major]), ms.describe([c_major]))}
    assert rows["tonic_pitch_class_overlap"]["generated"] == pytest.approx(1.0)
    assert rows["pitch_class_overlap"]["generated"] < 1.0
