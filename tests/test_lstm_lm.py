"""LSTM composer: ChordCodec round trips and rare chords, the network's loss and sampling."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from gamegan.errors import ConfigError
from gamegan.models import MODELS, SequenceSpec, lstm_lm
from gamegan.music.score import Key, Note, Part, Score
from gamegan.music.tokens import ChordCodec

TINY = dict(seq_len=16, hidden=16, n_layers=1, dense=16, embed_dims=(8, 4, 4), min_count=1)


def piece() -> Score:
    """A chord with octaves (C3 G3 E4), varied durations, a rest and a ringing note."""
    notes = [
        Note(0.0, 48, 1.0),
        Note(0.0, 55, 1.0),
        Note(0.0, 64, 1.0),  # chord 48.55.64, one quarter
        Note(1.0, 67, 0.5),
        Note(1.5, 69, 0.25),  # then a rest: next onset 3.0
        Note(3.0, 72, 1 / 3),  # triplet eighth
        Note(3 + 1 / 3, 71, 2.0),  # rings under the next two events
        Note(4.0, 60, 1.5),
        Note(4.0, 67, 1.5),
        Note(6.0, 60, 4.0),
    ]
    return Score(parts=(Part(notes=tuple(notes), name="piano"),), tempo=100.0)


def options(**kwargs) -> lstm_lm.Config:
    return lstm_lm.Config(**{**TINY, **kwargs})


def test_registered():
    spec = MODELS.get("lstm_lm")
    assert isinstance(spec, SequenceSpec)
    assert spec.codec is ChordCodec and spec.network is lstm_lm.Network
    assert spec.config().seq_len == 100


def test_round_trip_keeps_octaves_rests_and_durations():
    score = piece()
    codec = ChordCodec.fit([score], options())
    tokens = codec.encode(score)
    assert tokens.dtype == np.int64 and tokens.shape == (8, 3)
    assert tokens[-1].tolist() == codec.start_event().tolist() == [0, 0, 0]
    vocab = codec.vocab
    words = [
        [vocab[s][i] for s, i in zip(ChordCodec.streams, row, strict=True)]
        for row in tokens.tolist()
    ]
    assert words[0] == ["48.55.64", "1", "1"]
    assert words[2] == ["69", "0.25", "1.5"]  # 0.25 sounding + 1.25 rest
    assert words[3] == ["72", "0.3333", "0.3333"]
    assert words[4] == ["71", "2", "0.6667"]  # rings under the next event
    assert words[6] == ["60", "4", "4"]  # last step = its duration
    [decoded] = codec.decode(tokens)
    assert decoded.parts[0].notes == score.parts[0].notes
    assert decoded.tempo == 100.0 and decoded.parts[0].program == 0


def test_decode_splits_at_end_events_and_drops_empty_pieces():
    score = piece()
    codec = ChordCodec.fit([score], options())
    tokens = codec.encode(score)
    start = codec.start_event()[None]
    both = np.concatenate([start, tokens, start, tokens[:3]])  # the second piece never ends
    scores = codec.decode(both, tempo=90.0, program=5)
    assert len(scores) == 2
    assert scores[0].parts[0].notes == score.parts[0].notes
    assert scores[1].parts[0].notes == score.parts[0].notes[:5]
    assert scores[1].tempo == 90.0 and scores[1].parts[0].program == 5
    assert codec.decode(np.zeros((3, 3), dtype=np.int64)) == []
    with pytest.raises(ValueError, match="element tokens"):
        codec.decode(np.array([[999, 0, 0]]))


def test_decode_cuts_a_restruck_note_and_fills_zero_durations():
    codec = ChordCodec(["end", "60"], ["0", "2"], ["0", "1"])
    [score] = codec.decode(np.array([[1, 1, 1], [1, 0, 1]]))
    assert score.parts[0].notes == (Note(0.0, 60, 1.0), Note(1.0, 60, 1.0))


def test_rare_chords_map_to_closest_kept_chord():
    common = [Note(0.0, 48, 1.0), Note(0.0, 60, 1.0), Note(0.0, 67, 1.0)]  # 48.60.67
    dyad = [Note(1.0, 50, 1.0), Note(1.0, 65, 1.0)]  # 50.65
    train = Score(parts=(Part(notes=tuple(common + dyad)),))
    once = Score(parts=(Part(notes=(Note(0.0, 52, 1.0), Note(0.0, 72, 1.0))),))  # 52.72 once
    codec = ChordCodec.fit([train, train, once], options(min_count=2))
    assert "52.72" not in codec.vocab["element"]

    def name(pitches):
        return codec.vocab["element"][codec.element_index(pitches)]

    assert name([48, 60, 67]) == "48.60.67"
    assert name([48, 52, 60, 67]) == "48.60.67"  # inner E dropped
    assert name([48, 55, 60, 64, 67]) == "48.60.67"  # two inner notes dropped
    assert name([52, 72]) == "72"  # a chord seen once: its top note
    assert name([48, 64, 72]) == "72"  # no kept reduction: the top note
    assert name([50, 58, 65]) == "50.65"  # bass and top kept
    assert name([48, 67]) == "67"  # an unknown dyad: its top note
    assert name([90]) == "72"  # an unseen pitch: the nearest seen one
    assert name([61]) == "60"
    # every pitch of a kept or rare chord stays as a single note, so the fallback exists
    assert {"48", "50", "52", "60", "65", "67", "72"} <= set(codec.vocab["element"])


def test_min_count_drops_rare_chords_and_durations():
    score = piece()
    twice = Score(parts=(Part(notes=score.parts[0].notes[:3]),))  # the chord again
    codec = ChordCodec.fit([score, twice], options(min_count=2))
    assert codec.vocab["element"][:2] == ["end", "48"]
    assert "48.55.64" in codec.vocab["element"] and "60.67" not in codec.vocab["element"]
    assert codec.vocab["duration"] == ["0", "1"]  # only the chord's duration is seen twice
    tokens = codec.encode(score)
    assert (tokens[:-1, 1] == 1).all()  # every duration maps to the nearest kept one
    with pytest.raises(ValueError, match="at least one score"):
        ChordCodec.fit([], options())


def test_to_dict_round_trip_is_json():
    score = piece()
    codec = ChordCodec.fit([score], options())
    data = json.loads(json.dumps(codec.to_dict()))
    again = ChordCodec.from_dict(data)
    assert again.vocab == codec.vocab and again.resolution == codec.resolution
    sizes = tuple(len(codec.vocab[s]) for s in ChordCodec.streams)
    assert again.vocab_sizes == codec.vocab_sizes == sizes
    np.testing.assert_array_equal(again.encode(score), codec.encode(score))
    with pytest.raises(ValueError, match="ChordCodec"):
        ChordCodec.from_dict({"codec": "other"})


def test_prepare_merges_parts_and_transposes_to_c():
    soprano = Part(notes=(Note(0.0, 69, 1.0), Note(1.0, 71, 1.0)), name="S", program=52)
    bass = Part(notes=(Note(0.0, 50, 2.0),), name="B", program=32)
    drums = Part(notes=(Note(0.0, 36, 0.5),), is_drum=True)
    score = Score(parts=(soprano, bass, drums), key=Key(2, "major"), title="t")  # D major
    as_is = ChordCodec.prepare(score, options(transpose_to_c=False))
    [part] = as_is.parts
    assert part.program == 0 and not part.is_drum
    assert [n.pitch for n in part.notes] == [50, 69, 71]
    assert as_is.title == "t"
    moved = ChordCodec.prepare(score, options())
    assert [n.pitch for n in moved.parts[0].notes] == [48, 67, 69]
    assert moved.key == Key(0, "major")
    minor = replace(score, key=Key(4, "minor"))  # E minor -> A minor: 5 semitones up
    assert [n.pitch for n in ChordCodec.prepare(minor, options()).parts[0].notes] == [55, 74, 76]
    no_key = replace(score, key=None)
    assert ChordCodec.prepare(no_key, options()).parts == as_is.parts
    assert ChordCodec.prepare(Score(parts=(drums,)), options()) is None


def test_config_validation():
    assert lstm_lm.Config(embed_dims=[8, 4, 4]).embed_dims == (8, 4, 4)
    for bad in (
        dict(embed_dims=(8, 4)),
        dict(hidden=0),
        dict(dropout=1.0),
        dict(transpose_to_c="yes"),
        dict(min_count=0),
        dict(init="he"),
    ):
        with pytest.raises(ConfigError):
            lstm_lm.Config(**bad)
    with pytest.raises(ConfigError):
        lstm_lm.Network(options(), (5, 3))


def corpus_tokens(codec: ChordCodec, score: Score, n: int, length: int) -> torch.Tensor:
    """n windows [n, length, 3] cut from a long repetition of ``score``'s encoding."""
    stream = np.tile(codec.encode(score), (12, 1))
    starts = np.arange(n) % (len(stream) - length)
    return torch.from_numpy(np.stack([stream[s : s + length] for s in starts]))


@pytest.fixture
def trained():
    torch.manual_seed(0)
    cfg = options()
    codec = ChordCodec.fit([piece()], cfg)
    net = lstm_lm.Network(cfg, codec.vocab_sizes)
    tokens = corpus_tokens(codec, piece(), 16, cfg.seq_len + 1)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    losses = []
    for _ in range(30):
        loss, stats = net.loss(tokens)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return cfg, codec, net, losses, stats


def test_loss_falls_on_a_repetitive_corpus(trained):
    _, _, _, losses, stats = trained
    assert all(np.isfinite(losses))
    assert losses[-1] < 0.5 * losses[0]
    assert set(stats) == {"Loss/element", "Loss/duration", "Loss/step", "Accuracy/element"}
    assert all(not v.requires_grad and v.ndim == 0 for v in stats.values())
    assert stats["Accuracy/element"] > 0.5


def test_sample_shape_range_and_determinism(trained):
    _, codec, net, _, _ = trained
    net.train()
    prompt = torch.from_numpy(codec.start_event()).expand(3, 1, 3).contiguous()
    a = net.sample(prompt, 20, temperature=1.0, top_k=4, generator=torch.Generator().manual_seed(1))
    assert net.training  # the mode is restored
    b = net.sample(prompt, 20, temperature=1.0, top_k=4, generator=torch.Generator().manual_seed(1))
    assert a.shape == (3, 20, 3) and a.dtype == torch.long
    assert torch.equal(a, b)
    for s, size in enumerate(codec.vocab_sizes):
        assert 0 <= a[..., s].min() and a[..., s].max() < size
    greedy = net.sample(prompt[:1], 12, temperature=0.0)
    assert greedy.shape == (1, 12, 3)
    assert torch.equal(greedy, net.sample(prompt[:1], 12, temperature=0.0))
    assert net.sample(prompt, 0).shape == (3, 0, 3)
    assert isinstance(codec.decode(a[0].numpy()), list)


def test_sample_continues_the_learnt_piece(trained):
    """After training on one repeated piece, greedy sampling carries the LSTM state and
    replays it: the state is not lost between steps."""
    _, codec, net, _, _ = trained
    tokens = torch.from_numpy(codec.encode(piece()))
    prompt = torch.cat([tokens[-1:], tokens[:4]])[None]  # end event + first 4 events
    out = net.sample(prompt, 4, temperature=0.0)[0]
    assert torch.equal(out, tokens[4:8])


def test_shapes_are_checked():
    cfg = options()
    net = lstm_lm.Network(cfg, (5, 3, 3))
    with pytest.raises(ValueError, match="expected shape"):
        net.loss(torch.zeros(2, 1, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="int64"):
        net.sample(torch.zeros(1, 1, 3), 2)


def test_conditioned_model_writes_the_piece_of_its_class():
    """Told the class at every step, a model trained on two pieces, one per class, writes
    each class's piece from the same prompt; labels per row equal one label per window."""
    torch.manual_seed(0)
    cfg = options(n_classes=2, class_dim=4)
    second = Score(
        parts=(Part(notes=tuple(Note(0.5 * i, 72 - 2 * i, 0.5) for i in range(8)), name="p"),),
        tempo=100.0,
    )
    codec = ChordCodec.fit([piece(), second], cfg)
    net = lstm_lm.Network(cfg, codec.vocab_sizes)
    tokens = torch.cat([corpus_tokens(codec, s, 16, cfg.seq_len + 1) for s in (piece(), second)])
    labels = torch.tensor([0] * 16 + [1] * 16)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(40):
        loss, _ = net.loss(tokens, labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    per_row = labels[:, None].expand(-1, cfg.seq_len + 1)
    assert torch.allclose(net.loss(tokens, labels)[0], net.loss(tokens, per_row)[0])
    prompt = torch.from_numpy(codec.start_event()).expand(2, 1, 3).contiguous()
    out = net.sample(prompt, 4, temperature=0.0, labels=torch.tensor([0, 1]))
    for row, score in zip(out, (piece(), second), strict=True):
        assert torch.equal(row, torch.from_numpy(codec.encode(score))[:4])
    with pytest.raises(ValueError, match="give labels"):
        net.sample(prompt, 2)
    with pytest.raises(ValueError, match=r"in \[0, 2\)"):
        net.sample(prompt, 2, labels=torch.tensor([0, 2]))
    with pytest.raises(ValueError, match="without model.n_classes"):
        lstm_lm.Network(options(), codec.vocab_sizes).sample(prompt, 2, labels=torch.tensor([0, 1]))
    with pytest.raises(ConfigError, match="n_classes"):
        options(n_classes=1)
