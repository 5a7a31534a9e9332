"""The three music models through the shared engine: train, resume, generate, evaluate."""

from __future__ import annotations

import json
import subprocess
import sys
import wave

import pytest
import torch
from typer.testing import CliRunner

from gamegan import api
from gamegan import generate as gen
from gamegan.cli import app
from gamegan.errors import CheckpointError, ConfigError, DataError
from gamegan.generate import pieces as gen_music
from gamegan.io.checkpoint import load_tensors, save_tensors
from gamegan.io.midi import read_midi
from gamegan.io.rundir import latest_file
from musicfiles import write_chorale_folder

TINY = {
    "note-lstm": (
        "model.hidden=16",
        "model.n_layers=1",
        "model.dense=16",
        "model.embed_dims=(8, 4, 4)",
        "model.seq_len=16",
        "train.batch_size=4",
    ),
    "note-vae": (
        "model.pitch_lstm=(16,)",
        "model.duration_lstm=(8,)",
        "model.latent_dim_p=8",
        "model.latent_dim_d=4",
        "model.merge_dim=16",
        "model.final_lstm=(16,)",
        "model.seq_len=16",
        "train.batch_size=4",
    ),
    "chorale-gan": (
        "model.n_bars=2",
        "model.z_dim=8",
        "model.track_z_dim=4",
        "train.batch_size=4",
        "train.n_critic=2",
    ),
}


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GAMEGAN_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def chorales(tmp_path_factory):
    return write_chorale_folder(tmp_path_factory.mktemp("music") / "chorales", n=6, n_bars=8)


# The chorale GAN as the bundled model is made: told the mode, onsets, on the eighth grid.
CONDITIONAL = ("model.n_classes=2", "model.onsets=True", "model.resolution=2")


def _train(preset, data, out, iterations=6, extra=()):
    return api.train(
        preset,
        data=str(data),
        iterations=iterations,
        out=out,
        overrides=[*TINY[preset], "train.checkpoint_every=3", "train.sample_every=3", *extra],
        progress=False,
        quiet=True,
    )


@pytest.mark.parametrize("preset", list(TINY))
def test_train_writes_run_and_generates_music(preset, chorales, tmp_path):
    result = _train(preset, chorales, tmp_path / "run", extra=("train.val_every=3",))
    run = result.run_dir
    assert result.status == "done" and result.iteration == 6
    assert (run / "samples" / "fakes-000006.png").is_file()
    assert (run / "samples" / "reals.png").is_file()
    stats = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    assert all(torch.isfinite(torch.tensor(v)) for s in stats for k, v in s.items() if "/" in k)

    first = gen.music(run, n_bars=4, seed=3)
    again = gen.music(run, n_bars=4, seed=3)
    other = gen.music(run, n_bars=4, seed=4)
    assert first == again, "the same seed must give the same music"
    assert first != other
    assert len(first) == 1 and first[0].n_notes > 0
    assert first[0].end <= 4 * first[0].bar_beats + 1e-9
    for part in first[0].parts:
        assert all(0 <= n.pitch <= 127 and n.duration > 0 for n in part.notes)
    if preset == "chorale-gan":  # each voice sings one pitch at a time
        for part in first[0].parts:
            notes = sorted(part.notes)
            assert all(a.end <= b.onset + 1e-9 for a, b in zip(notes, notes[1:], strict=False))


@pytest.mark.parametrize("preset", ["note-lstm", "note-vae"])
def test_sequence_snapshot_carries_vocabulary(preset, chorales, tmp_path):
    run = _train(preset, chorales, tmp_path / "run", iterations=3).run_dir
    snapshot = latest_file(run, "snapshot")
    tensors, meta = load_tensors(snapshot)
    codec = gen.load_generator(snapshot).codec
    assert meta["codec"] == codec.to_dict(), "the vocabulary lives in the checkpoint"
    assert all(len(tokens) > 1 for tokens in codec.vocab.values())
    # The snapshot alone generates: copy it away from its run folder and its data.
    (tmp_path / "alone").mkdir()
    alone = tmp_path / "alone" / "model.safetensors"
    alone.write_bytes(snapshot.read_bytes())
    chorales_gone = gen.music(alone, n_steps=40, seed=0)
    assert chorales_gone == gen.music(run, n_steps=40, seed=0)
    # A snapshot without its vocabulary is refused with a clear error.
    del meta["codec"]
    broken = tmp_path / "broken.safetensors"
    save_tensors(broken, tensors, meta)
    with pytest.raises(CheckpointError, match="vocabulary"):
        gen.load_generator(broken)


@pytest.mark.parametrize(
    ("preset", "extra"),
    [*((preset, ()) for preset in TINY), ("chorale-gan", CONDITIONAL)],
)
def test_resume_continues_exactly(preset, extra, chorales, tmp_path):
    straight = _train(preset, chorales, tmp_path / "straight", iterations=6, extra=extra).run_dir
    _train(preset, chorales, tmp_path / "resumed", iterations=3, extra=extra)
    resumed = api.resume(tmp_path / "resumed", iterations=6, progress=False, quiet=True).run_dir
    a, _ = load_tensors(latest_file(straight, "state"))
    b, _ = load_tensors(latest_file(resumed, "state"))
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_gan_conditioned_on_the_mode(tmp_path):
    """Phrases are labelled by their piece's mode; a conditional GAN keeps the classes and
    their shares in its snapshot, writes a piece in the mode asked for, and exports with a
    labels input."""
    from gamegan.export.onnx import export_onnx
    from gamegan.train.gan import _checked_labels

    both = write_chorale_folder(tmp_path / "both", n=6, n_bars=6, modes=("major", "minor"))
    run = _train("chorale-gan", both, tmp_path / "run", extra=CONDITIONAL).run_dir
    assert "(15 major, 15 minor)" in (run / "log.txt").read_text()
    loaded = gen.load_generator(latest_file(run, "snapshot"))
    assert loaded.class_names == ["major", "minor"]
    assert loaded.metadata["class_prior"] == [0.5, 0.5]
    major = gen_music._gan_music(loaded, seed=3, n_bars=4, n_steps=None, mode="major")
    minor = gen_music._gan_music(loaded, seed=3, n_bars=4, n_steps=None, mode="minor")
    assert major.parts != minor.parts, "the mode is the generator's input"
    assert major == gen_music._gan_music(loaded, seed=3, n_bars=4, n_steps=None, mode="major")
    drawn = {gen_music._gan_music(loaded, seed=s, n_bars=4, n_steps=None).parts for s in range(8)}
    assert drawn <= {gen_music._gan_music(loaded, seed=s, n_bars=4, n_steps=None, mode=m).parts
                     for s in range(8) for m in ("major", "minor")}  # fmt: skip
    report = export_onnx(run, tmp_path / "roll.onnx")
    assert report.max_abs_diff < 1e-4 and report.inputs[1].startswith("labels int64")
    assert json.loads(report.metadata["gamegan.classes"]) == ["major", "minor"]
    # Data without labels, or with another number of classes: a clear error.
    with pytest.raises(ConfigError, match="n_classes=0"):
        _checked_labels(None, None, 4, 2)
    with pytest.raises(ConfigError, match="n_classes=3"):
        _checked_labels(torch.tensor([0, 1, 2, 0]), ["a", "b", "c"], 4, 2)


def test_sequence_model_conditioned_on_the_mode(tmp_path):
    """Every row of the training stream carries its piece's mode (the end event before a
    piece, that piece's); a conditioned LSTM keeps the modes and their shares in its
    snapshot, writes in the mode asked for, and resumes exactly."""
    from gamegan.data.sequences import encode_corpus
    from gamegan.models import MODELS
    from musicfiles import chorale_score

    spec, cfg = MODELS.get("lstm_lm"), MODELS.get("lstm_lm").config(min_count=1)
    scores = [chorale_score(i, 2, mode) for i, mode in enumerate(("major", "minor", "minor"))]
    data = encode_corpus(spec, cfg, scores, seed=0, val_fraction=0.0)
    ends = (data.train == 0).all(dim=1).nonzero().flatten().tolist()
    assert len(ends) == 4 and data.class_names == ["major", "minor"]
    pieces = [range(a + 1, b) for a, b in zip(ends[:-1], ends[1:], strict=True)]
    modes = [int(data.train_labels[r[0]]) for r in pieces]
    assert sorted(modes) == [0, 1, 1] and data.class_prior == [1 / 3, 2 / 3]
    for k, rows in enumerate(pieces):
        assert (data.train_labels[rows.start : rows.stop] == modes[k]).all()
        assert data.train_labels[rows.start - 1] == modes[k], "the end event leads into it"

    both = write_chorale_folder(tmp_path / "both", n=4, n_bars=6, modes=("major", "minor"))
    extra = ("model.n_classes=2",)
    run = _train("note-lstm", both, tmp_path / "run", extra=extra).run_dir
    assert "3 pieces (131 events, 67% minor) for training" in (run / "log.txt").read_text()
    loaded = gen.load_generator(latest_file(run, "snapshot"))
    assert loaded.class_names == ["major", "minor"]
    assert sum(loaded.metadata["class_prior"]) == pytest.approx(1.0)

    def piece(seed, mode=None):
        return gen_music._sequence_music(
            loaded, seed=seed, n_bars=2, n_steps=None, temperature=1.0, top_k=0, mode=mode
        )[0]

    assert piece(3, "major").parts != piece(3, "minor").parts, "the mode is the model's input"
    assert piece(3, "minor") == piece(3, "minor")
    drawn = {piece(s).parts for s in range(4)}
    assert drawn <= {piece(s, m).parts for s in range(4) for m in ("major", "minor")}
    _train("note-lstm", both, tmp_path / "resumed", iterations=3, extra=extra)
    resumed = api.resume(tmp_path / "resumed", iterations=6, progress=False, quiet=True).run_dir
    a, _ = load_tensors(latest_file(run, "state"))
    b, _ = load_tensors(latest_file(resumed, "state"))
    assert all(torch.equal(a[key], b[key]) for key in a)


def test_sequence_validation_and_plateau(chorales, tmp_path):
    run = _train(
        "note-lstm",
        chorales,
        tmp_path / "run",
        iterations=8,
        extra=("train.val_every=2", "train.plateau_patience=1", "train.log_every=1"),
    ).run_dir
    stats = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    val = [s["Loss/val"] for s in stats if "Loss/val" in s]
    assert len(val) == 4 and all(v > 0 for v in val)
    lrs = [s["Progress/lr"] for s in stats if "Loss/val" in s]
    # Halved after every validation that did not improve on the best so far.
    expected, best, lr = [], float("inf"), 1e-3
    for v in val:
        if v < best:
            best = v
        else:
            lr /= 2
        expected.append(lr)
    assert lrs == pytest.approx(expected)
    # The weights of the best validation loss are kept, as the chapter kept its best weights.
    best_iteration = min((s["Loss/val"], s["iteration"]) for s in stats if "Loss/val" in s)[1]
    _, meta = load_tensors(run / "snapshot-best.safetensors")
    assert meta["iteration"] == best_iteration and meta["best"] is True
    assert gen.music(run / "snapshot-best.safetensors", n_bars=2, seed=0)


def test_generate_cli_writes_midi_picture_wav_and_ogg(chorales, tmp_path):
    import soundfile

    run = _train("note-lstm", chorales, tmp_path / "run", iterations=3).run_dir
    out = tmp_path / "song.mid"
    args = ["generate", str(run), "--bars", "4", "--seed", "2", "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--wav", "--ogg"])
    assert result.exit_code == 0, result.output
    assert "repeated-note ratio" in result.output
    score = read_midi(out)
    assert score.n_notes > 0 and score.n_bars <= 4
    assert out.with_suffix(".png").stat().st_size > 0
    with wave.open(str(out.with_suffix(".wav"))) as w:
        assert w.getnframes() > w.getframerate()  # longer than a second
        n_frames = w.getnframes()
    assert soundfile.info(str(out.with_suffix(".ogg"))).frames == n_frames


def test_generate_cli_rejects_bad_music_flags(chorales, tmp_path):
    run = _train("note-lstm", chorales, tmp_path / "run", iterations=3).run_dir
    runner = CliRunner()
    both = runner.invoke(app, ["generate", str(run), "--bars", "2", "--steps", "9"])
    assert both.exit_code == 2 and "not both" in both.output
    png = runner.invoke(app, ["generate", str(run), "--out", str(tmp_path / "x.png")])
    assert png.exit_code == 2 and ".mid" in png.output
    with pytest.raises(ConfigError, match="images"):
        gen.images(run)


def test_eval_compares_with_corpus(chorales, tmp_path):
    run = _train(
        "chorale-gan", chorales, tmp_path / "run", iterations=3, extra=("train.checkpoint_every=2",)
    ).run_dir
    result = CliRunner().invoke(app, ["eval", str(run), "--count", "4"])
    assert result.exit_code == 0, result.output
    for metric in ("repeated_note_ratio", "pitch_class_overlap", "tonal_distance", "corpus"):
        assert metric in result.output
    record = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])
    rows = {row["metric"]: row for row in record["results"]}
    assert rows["pitch_class_overlap"]["baseline"] == 1.0
    assert 0.0 <= rows["pitch_class_overlap"]["value"] <= 1.0
    assert record["snapshot"] == "snapshot-000003.safetensors"
    older = ["eval", str(run), "--count", "2", "--snapshot", "snapshot-000002.safetensors"]
    result = CliRunner().invoke(app, older)
    assert result.exit_code == 0, result.output
    record = json.loads((run / "metrics.jsonl").read_text().splitlines()[-1])
    assert record["snapshot"] == "snapshot-000002.safetensors" and record["iteration"] == 2


def test_bad_music_data_fails_before_a_run_folder(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError):
        api.train("note-lstm", data=str(empty), out=tmp_path / "run", iterations=2)
    assert not (tmp_path / "run").exists()
    result = subprocess.run(
        [sys.executable, "-m", "gamegan", "train", "note-vae", "--data", str(empty)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 2, result.stderr
    assert "no music files" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "runs").exists()


def test_sequence_models_refuse_gan_losses():
    with pytest.raises(ConfigError, match="likelihood"):
        api.train("note-lstm", overrides=["loss.name=wgan_gp"], dry_run=True)
    with pytest.raises(ConfigError, match="GAN"):
        api.train("chorale-gan", overrides=["loss.name=likelihood"], dry_run=True)


@pytest.mark.parametrize(
    "name, kind",
    [("chorale", "music_gan"), ("chorale-lstm", "note_sequence"), ("chorale-vae", "note_sequence")],
)
def test_bundled_music_models_generate_at_once(name, kind):
    loaded = gen.load_generator(name)
    assert loaded.kind == kind
    first = gen.music(loaded, n_bars=4, seed=5)
    assert first == gen.music(loaded, n_bars=4, seed=5)
    (score,) = first
    assert score.n_notes > 8 and score.n_bars == 4
    from gamegan.metrics.music_stats import repeated_note_ratio

    assert repeated_note_ratio(score) < 0.5  # no one-note collapse


@pytest.mark.parametrize("name", ["chorale-lstm", "chorale-vae"])
def test_bars_ask_a_sequence_model_for_one_piece(name):
    """Left alone, the bundled sequence models close a piece every few bars and start another
    (in another mode, maybe); asked for bars, they write one piece: the end is never drawn."""
    from gamegan.models.base import sample_logits
    from gamegan.music.sampling import generate_events

    loaded = gen.load_generator(gen.pretrained_path(name))
    label = 0 if loaded.class_names else None  # the bundled LSTM is told the mode
    free = generate_events(loaded.G, loaded.codec, n_steps=300, seed=3, label=label)
    one = generate_events(loaded.G, loaded.codec, n_steps=300, seed=3, one_piece=True, label=label)
    assert len(free) > 1 and len(one) == 1
    (piece,) = gen.music(name, n_bars=24, seed=3)
    assert piece.end <= 24 * piece.bar_beats + 1e-9 and piece.end > 22 * piece.bar_beats
    logits = torch.zeros(1000, 3)
    logits[:, 0] = 5.0  # token 0 is all but certain, yet never drawn
    g = torch.Generator().manual_seed(0)
    assert (sample_logits(logits, exclude=0, generator=g) != 0).all()
    assert (sample_logits(logits, temperature=0, exclude=0) == 1).all()


def test_tempo_and_programs_change_only_the_arrangement():
    from gamegan import generate as gen

    plain = gen.music("chorale", n_bars=2, seed=4)[0]
    arranged = gen.music("chorale", n_bars=2, seed=4, tempo=100, programs=[48, 48, 48, 32])[0]
    assert arranged.tempo == 100 and plain.tempo != 100
    assert [p.program for p in arranged.parts] == [48, 48, 48, 32]
    assert [p.notes for p in arranged.parts] == [p.notes for p in plain.parts]
    assert arranged.seconds == pytest.approx(plain.end * 60 / 100)
    organ = gen.music("chorale", n_bars=2, seed=4, programs=[19])[0]
    assert {p.program for p in organ.parts} == {19}
    with pytest.raises(ConfigError, match="one per voice"):
        gen.music("chorale", n_bars=2, programs=[1, 2])
    with pytest.raises(ConfigError, match="--tempo"):
        gen.music("chorale", n_bars=2, tempo=5)
    with pytest.raises(ConfigError, match="0-127"):
        gen.music("chorale", n_bars=2, programs=[128])


def test_loop_is_whole_bars_and_needs_bars():
    from gamegan import generate as gen

    (loop,) = gen.music("chorale", n_bars=3, seed=1, loop=True)
    assert loop.loop_end == 3 * loop.bar_beats and loop.end <= loop.loop_end
    with pytest.raises(ConfigError, match="--bars"):
        gen.music("chorale", n_steps=64, loop=True)


def test_key_and_mode_choose_and_move_the_piece(tmp_path):
    from gamegan import generate as gen
    from gamegan.io.midi import read_midi, write_midi
    from gamegan.music.keys import estimate_key

    for mode in ("major", "minor"):
        (piece,) = gen.music("chorale", n_bars=4, seed=2, mode=mode, key="F#")
        assert piece.key.mode == mode and piece.key.tonic == 6
        assert estimate_key(piece) == piece.key  # the notes are in it, not just the label
        assert read_midi(write_midi(piece, tmp_path / f"{mode}.mid")).key == piece.key
    plain = gen.music("chorale", n_bars=4, seed=2)[0]
    moved = gen.music("chorale", n_bars=4, seed=2, key="Bb")[0]
    shift = estimate_key(plain).semitones_to(10)
    assert -5 <= shift <= 6
    expected = [n.pitch + shift for n in plain.parts[0].notes]
    assert [n.pitch for n in moved.parts[0].notes] == expected
    with pytest.raises(ConfigError, match="--key H"):
        gen.music("chorale", n_bars=4, key="H")
    with pytest.raises(ConfigError, match="--mode dorian"):
        gen.music("chorale", n_bars=4, mode="dorian")


@pytest.mark.parametrize("model", ["chorale-lstm", "chorale-vae"])
def test_primer_is_continued_in_its_key(tmp_path, model):
    from gamegan import generate as gen
    from gamegan.io.midi import write_midi
    from gamegan.music.score import Key, Note, Part, Score

    pitches = [62, 64, 66, 62, 62, 64, 66, 62, 66, 67, 69]  # Frere Jacques in D major
    lengths = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]
    onsets = [float(sum(lengths[:i])) for i in range(len(pitches))]
    notes = tuple(Note(o, p, d, 80) for o, p, d in zip(onsets, pitches, lengths, strict=True))
    theme = write_midi(Score((Part(notes),), tempo=100), tmp_path / "theme.mid")
    (piece,) = gen.music(model, n_bars=6, seed=1, primer=theme)
    played = sorted(n for part in piece.parts for n in part.notes)
    start = [(n.onset, n.pitch) for n in played[: len(pitches)]]
    assert start == list(zip(onsets, pitches, strict=True))
    assert piece.key == Key(2, "major") and piece.n_bars == 6
    assert any(n.onset >= 12.0 for n in played)  # and the model went on after the theme
    with pytest.raises(ConfigError, match="cannot continue"):
        gen.music("chorale", n_bars=2, primer=theme)
    with pytest.raises(ConfigError, match="no such file"):
        gen.music(model, n_bars=2, primer=tmp_path / "gone.mid")
