"""The note generator: event codec round trips and the LSTM-VAE network on tiny melodies."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from gamegan.errors import ConfigError, DataError
from gamegan.models import MODELS, SequenceSpec, lstm_vae
from gamegan.music.events import EventCodec
from gamegan.music.score import Key, Note, Part, Score

TINY = lstm_vae.Config(
    seq_len=16,
    pitch_lstm=(16,),
    duration_lstm=(16,),
    latent_dim_p=8,
    latent_dim_d=8,
    merge_dim=16,
    final_lstm=16,
    kl_weight=0.1,  # with 8 latent units, weight 1 collapses the posterior in a 30-step test
)


def melody(notes, name="Soprano", key=None) -> Score:
    """A one-part score from (onset, pitch, duration) triples."""
    return Score(parts=(Part(tuple(Note(o, p, d) for o, p, d in notes), name),), key=key)


def triples(score: Score) -> list[tuple[float, int, float]]:
    return [(n.onset, n.pitch, n.duration) for n in score.parts[0].notes]


# a leading rest, a dotted quarter, a rest in the middle, triplets, a dotted half
TUNE = [
    (0.5, 60, 0.5),
    (1.0, 62, 1.5),
    (2.5, 64, 0.5),
    (4.0, 65, 1 / 3),
    (4 + 1 / 3, 67, 1 / 3),
    (4 + 2 / 3, 65, 1 / 3),
    (5.0, 64, 3.0),
]


# codec


def test_encode_known_tokens_and_round_trip() -> None:
    score = melody(TUNE)
    codec = EventCodec.fit([score], TINY)
    assert codec.vocab == {
        "pitch": ["60", "62", "64", "65", "67", "rest", "end"],
        "duration": ["0.0", "1/3", "0.5", "1.0", "1.5", "3.0"],
    }
    tokens = codec.encode(score)
    assert tokens.dtype == np.int64
    rest, end = 5, 6
    expected = [
        [rest, 2],  # leading half beat
        [0, 2],
        [1, 4],  # dotted quarter
        [2, 2],
        [rest, 3],  # one beat of rest
        [3, 1],
        [4, 1],
        [3, 1],
        [2, 5],
        [end, 0],
    ]
    np.testing.assert_array_equal(tokens, expected)
    (decoded,) = codec.decode(tokens)
    assert len(decoded.parts) == 1
    got, want = triples(decoded), triples(score)
    assert [p for _, p, _ in got] == [p for _, p, _ in want]
    np.testing.assert_allclose([o for o, _, _ in got], [o for o, _, _ in want], atol=1e-12)
    np.testing.assert_allclose([d for _, _, d in got], [d for _, _, d in want], atol=1e-12)


def test_float_noise_does_not_split_tokens() -> None:
    noisy = melody([(0.0, 60, 0.5000001), (0.4999999, 62, 1.0), (1.5, 64, 0.4999998)])
    codec = EventCodec.fit([noisy], TINY)
    assert codec.vocab["duration"] == ["0.0", "0.5", "1.0"]
    assert codec.encode(noisy)[:, 1].tolist() == [1, 2, 1, 0]


def test_decode_splits_at_end_events() -> None:
    a = melody([(0, 60, 1.0), (1, 62, 1.0)])
    b = melody([(0, 64, 0.5), (1, 65, 2.0)])  # a rest inside
    codec = EventCodec.fit([a, b], TINY)
    end = codec.start_event()[None]
    # an empty piece between two end events is dropped; the last piece needs no end event
    stream = np.concatenate([codec.encode(a), end, codec.encode(b)[:-1]])
    scores = codec.decode(stream, tempo=90.0, program=52)
    assert [triples(s) for s in scores] == [triples(a), triples(b)]
    assert all(s.tempo == 90.0 and s.parts[0].program == 52 for s in scores)


def test_decode_ignores_end_duration_and_zero_durations() -> None:
    codec = EventCodec(pitches=(60, 62), durations=(12, 24), resolution=24)
    rest, end = codec.rest_id, codec.end_id
    tokens = np.array([[end, 2], [0, 0], [rest, 1], [0, 2], [rest, 0], [1, 1]])
    (score,) = codec.decode(tokens)
    assert triples(score) == [(0.5, 60, 1.0), (1.5, 62, 0.5)]
    assert codec.decode(np.zeros((0, 2), dtype=np.int64)) == []
    with pytest.raises(ValueError, match="vocabulary"):
        codec.decode(np.array([[end + 1, 0]]))


def test_vocab_sizes_on_a_small_corpus() -> None:
    corpus = [
        melody([(0, 60, 1.0), (1, 64, 1.0), (2, 67, 2.0)]),
        melody([(0, 62, 0.5), (0.5, 64, 0.5), (2, 72, 1.5)]),  # a 1-beat rest
        melody([(1, 60, 0.25)]),  # a 1-beat leading rest
    ]
    codec = EventCodec.fit(corpus, TINY)
    assert codec.vocab_sizes == (5 + 2, 5 + 1)
    assert codec.vocab["duration"] == ["0.0", "0.25", "0.5", "1.0", "1.5", "2.0"]
    assert codec.streams == ("pitch", "duration")
    with pytest.raises(DataError):
        EventCodec.fit([], TINY)


def test_nearest_duration_and_unknown_pitch() -> None:
    codec = EventCodec.fit([melody([(0, 60, 1.0), (1, 62, 2.0)])], TINY)
    tokens = codec.encode(melody([(0, 62, 1.25), (1.25, 60, 4.0)]))
    assert codec.vocab["duration"][1:] == ["1.0", "2.0"]
    assert tokens[:, 1].tolist() == [1, 2, 0]
    with pytest.raises(ValueError, match="61"):
        codec.encode(melody([(0, 61, 1.0)]))


def test_to_dict_from_dict_round_trip() -> None:
    score = melody(TUNE)
    codec = EventCodec.fit([score], TINY)
    data = json.loads(json.dumps(codec.to_dict()))
    again = EventCodec.from_dict(data)
    assert again == codec
    assert again.vocab == codec.vocab and again.vocab_sizes == codec.vocab_sizes
    np.testing.assert_array_equal(again.encode(score), codec.encode(score))
    np.testing.assert_array_equal(again.start_event(), [codec.end_id, 0])


# prepare


def test_prepare_picks_soprano_and_transposes_d_major_to_c() -> None:
    soprano = Part((Note(0, 74, 1.0), Note(1, 78, 1.0)), "Soprano")
    alto = Part((Note(0, 69, 1.0), Note(1, 81, 1.0)), "Alto")  # one note above the soprano
    bass = Part((Note(0, 50, 2.0),), "Bass")
    chorale = Score(parts=(bass, alto, soprano), key=Key(2, "major"), title="x")
    prepared = EventCodec.prepare(chorale, TINY)
    assert len(prepared.parts) == 1 and prepared.parts[0].name == "Soprano"
    assert [n.pitch for n in prepared.parts[0].notes] == [72, 76]  # D5 F#5 -> C5 E5
    assert prepared.key == Key(0, "major")
    kept = EventCodec.prepare(chorale, lstm_vae.Config(transpose_to_c=False))
    assert [n.pitch for n in kept.parts[0].notes] == [74, 78]


def test_prepare_minor_unnamed_unknown_key_and_empty() -> None:
    low = Part((Note(0, 55, 1.0),), "")
    high = Part((Note(0, 64, 1.0), Note(1, 67, 1.0)), "")
    e_minor = Score(parts=(low, high), key=Key(4, "minor"))
    prepared = EventCodec.prepare(e_minor, TINY)  # highest mean pitch, E minor -> A minor
    assert [n.pitch for n in prepared.parts[0].notes] == [69, 72]
    assert prepared.key == Key(9, "minor")
    as_is = EventCodec.prepare(Score(parts=(high,)), TINY)
    assert [n.pitch for n in as_is.parts[0].notes] == [64, 67]
    assert EventCodec.prepare(Score(), TINY) is None
    assert EventCodec.prepare(Score(parts=(Part((), "Soprano"),)), TINY) is None


def test_prepare_reduces_overlaps_to_the_top_note() -> None:
    chords = Part(
        (
            Note(0, 60, 1.0),
            Note(0, 67, 1.0),  # a chord: keep 67
            Note(1, 64, 2.0),
            Note(2, 72, 1.0),  # enters over 64: 64 is cut at 2
            Note(2.5, 65, 0.25),  # under 72: dropped
        ),
        "S.",
    )
    prepared = EventCodec.prepare(Score(parts=(chords,)), TINY)
    assert triples(prepared) == [(0, 67, 1.0), (1, 64, 1.0), (2, 72, 1.0)]


# network


def corpus_tokens(codec: EventCodec, scores: list[Score]) -> torch.Tensor:
    return torch.from_numpy(np.concatenate([codec.encode(s) for s in scores]))


def test_registered_and_config_checks() -> None:
    spec = MODELS.get("lstm_vae")
    assert isinstance(spec, SequenceSpec)
    assert (spec.config, spec.codec, spec.network) == (
        lstm_vae.Config,
        EventCodec,
        lstm_vae.Network,
    )
    cfg = lstm_vae.Config(pitch_lstm=[8, 8], final_lstm=32)
    assert cfg.pitch_lstm == (8, 8) and cfg.final_lstm == (32,)
    for params, match in [
        ({"pitch_lstm": (16, 0)}, "pitch_lstm"),
        ({"latent_dim_p": 0}, "latent_dim_p"),
        ({"kl_weight": -1.0}, "kl_weight"),
        ({"dropout": 1.0}, "dropout"),
        ({"transpose_to_c": "yes"}, "transpose_to_c"),
        ({"init": "he"}, "init"),
        ({"kl_reduction": "max"}, "kl_reduction"),
        ({"resolution": 0}, "resolution"),
    ]:
        with pytest.raises(ConfigError, match=match):
            lstm_vae.Config(**params)


def test_chapter_size() -> None:
    net = lstm_vae.Network(lstm_vae.Config(), (39, 18))
    assert sum(p.numel() for p in net.parameters()) == 4_247_922


def test_loss_is_finite_and_falls() -> None:
    torch.manual_seed(0)
    tune = melody([(0, 60, 1.0), (1, 62, 0.5), (1.5, 64, 0.5), (2, 67, 1.0), (3.5, 64, 0.5)])
    codec = EventCodec.fit([tune], TINY)
    stream = corpus_tokens(codec, [tune] * 12)  # a repeating pattern
    windows = stream.unfold(0, TINY.seq_len + 1, 1).permute(0, 2, 1)  # [W, T+1, 2]
    net = lstm_vae.Network(TINY, codec.vocab_sizes)
    opt = torch.optim.RMSprop(net.parameters(), lr=0.01)
    losses = []
    for _step in range(30):
        batch = windows[torch.randint(len(windows), (8,))]
        loss, stats = net.loss(batch)
        assert torch.isfinite(loss)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert set(stats) == {
        "Loss/pitch",
        "Loss/duration",
        "Loss/KL",
        "Accuracy/pitch",
        "Accuracy/duration",
    }
    assert all(not v.requires_grad and v.ndim == 0 for v in stats.values())
    assert np.mean(losses[-5:]) < 0.6 * np.mean(losses[:5])
    assert stats["Accuracy/pitch"] > 0.5


def test_sample_shape_determinism_and_vocab() -> None:
    torch.manual_seed(0)
    net = lstm_vae.Network(TINY, (9, 5))
    prompt = torch.tensor([[[8, 0]], [[8, 0]], [[3, 2]]])  # [3, 1, 2]

    def draw(seed: int, **kw) -> torch.Tensor:
        return net.sample(prompt, 20, generator=torch.Generator().manual_seed(seed), **kw)

    tokens = draw(1)
    assert tokens.shape == (3, 20, 2) and tokens.dtype == torch.int64
    assert tokens[..., 0].max() < 9 and tokens[..., 1].max() < 5 and tokens.min() >= 0
    assert torch.equal(tokens, draw(1))
    assert not torch.equal(tokens, draw(2))
    assert net.training  # sample restored the mode
    assert net.sample(prompt, 0).shape == (3, 0, 2)


def test_sample_carries_states_like_a_full_pass() -> None:
    # Greedy decoding uses the latent means: stepping with carried LSTM states must pick what a
    # full forward pass over the generated sequence predicts at every position.
    torch.manual_seed(0)
    net = lstm_vae.Network(TINY, (9, 5)).eval()
    prompt = torch.tensor([[[8, 0], [2, 1]], [[1, 3], [4, 4]]])
    tokens = net.sample(prompt, 12, temperature=0.0)
    assert torch.equal(tokens, net.sample(prompt, 12, temperature=0.0))
    full = torch.cat([prompt, tokens], dim=1)
    out = net(full[:, :-1], noise_scale=0.0)
    T0 = prompt.shape[1]
    assert torch.equal(out.pitch_logits[:, T0 - 1 :].argmax(-1), tokens[..., 0])
    assert torch.equal(out.duration_logits[:, T0 - 1 :].argmax(-1), tokens[..., 1])
