"""gamegan.music.loops: how a loop's end leads back into its beginning."""

from __future__ import annotations

from gamegan.music.loops import chord_root, closure_score, loop_closure
from gamegan.music.score import Note, Part, Score


def chords(*voicings, beats: float = 2.0) -> Score:
    """Block chords one after another; voice i of each chord goes to part i."""
    parts = [
        Part(tuple(Note(i * beats, chord[v], beats) for i, chord in enumerate(voicings)))
        for v in range(len(voicings[0]))
    ]
    return Score(tuple(parts), loop_end=beats * len(voicings))


C, F, G, A_MINOR = (72, 67, 64, 48), (72, 69, 65, 53), (71, 67, 62, 55), (72, 69, 64, 57)


def test_chord_roots():
    assert chord_root([Note(0, p, 1) for p in C]) == 0
    assert chord_root([Note(0, p, 1) for p in G]) == 7
    assert chord_root([Note(0, p, 1) for p in (65, 71, 74, 43)]) == 7  # G7 without its fifth
    assert chord_root([Note(0, 60, 1)]) is None


def test_cadences_and_leaps():
    authentic = loop_closure(chords(C, F, C, F, C, G))  # ...G leads back to C
    assert authentic.cadence == "authentic" and authentic.last_degree == 7
    assert authentic.mean_leap == 2.5  # 71-72, 67-67, 62-64, 55-48: (1 + 0 + 2 + 7) / 4
    held = loop_closure(chords(C, F, G, C))
    assert held.cadence == "tonic"
    open_ = loop_closure(chords(C, G, C, G, C, A_MINOR))
    assert open_.cadence == "open"
    assert closure_score(authentic) > closure_score(held) > closure_score(open_)
    assert loop_closure(Score()).cadence == "open"


def test_generate_keeps_the_draw_that_closes_best():
    from gamegan import generate as gen

    plain = gen.music("chorale", n_bars=4, seed=5)[0]
    (loop,) = gen.music("chorale", n_bars=4, seed=5, loop=True)
    assert "loop: draw" in loop.title
    assert closure_score(loop_closure(loop)) >= closure_score(loop_closure(plain))
