"""Music as the next-event models read it: each split one stream of encoded events.

:func:`encode_corpus` prepares, fits and encodes scores with a model's codec
(:mod:`gamegan.music.tokens`, :mod:`gamegan.music.events`); the trainer cuts its windows from
the streams, and evaluation reads the same data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from gamegan.errors import DataError


@dataclass(frozen=True)
class SequenceData:
    """Encoded corpus: one stream of events per split, pieces closed by the end event.

    Each row also carries the class (the mode) of the piece it leads into: a piece's rows
    carry its own, the end event that closes it the next piece's, since from there the
    model writes that piece's first event. Only a model with ``n_classes`` is told them.
    """

    codec: object  # the model's codec (gamegan.music.events / tokens), vocabulary included
    train: torch.Tensor  # int64 [L, n_streams]
    val: torch.Tensor  # int64 [L_val, n_streams]; may be empty
    train_labels: torch.Tensor  # int64 [L]: an index into class_names per row
    val_labels: torch.Tensor  # int64 [L_val]
    class_names: list[str]  # MODES
    class_prior: list[float]  # each class's share of the training pieces
    n_pieces: tuple[int, int]  # pieces in train and val
    source: str = ""
    skipped: list = field(default_factory=list)  # (name, reason)

    @property
    def images(self) -> torch.Tensor:  # the loop's data-size log line reads this
        return self.train


def encode_corpus(
    spec, model_cfg, scores, *, seed: int, val_fraction: float, codec=None
) -> SequenceData:
    """Prepare, fit (unless ``codec`` is given, as on resume) and encode a list of scores.

    Pieces, not windows, are split into train and validation, so no window of a validation
    piece was seen in training. Each piece is labelled with its mode (from its key, or
    estimated when the file has none; major when even that fails).
    """
    from gamegan.music.keys import mode_index
    from gamegan.music.score import MODES

    prepared, modes, skipped = [], [], []
    for score in scores:
        piece = spec.codec.prepare(score, model_cfg)
        if piece is None:
            skipped.append((score.extra.get("source", score.title), "nothing this model can use"))
        else:
            prepared.append(piece)
            modes.append(mode_index(score))
    if not prepared:
        raise DataError("no piece is usable by this model (see the skipped files above)")
    if codec is None:
        codec = spec.codec.fit(prepared, model_cfg)
    order = np.random.default_rng(seed).permutation(len(prepared))
    n_val = int(round(len(prepared) * val_fraction)) if len(prepared) > 1 else 0
    val_ids, train_ids = set(order[:n_val].tolist()), order[n_val:]
    start = codec.start_event()[None]

    def stream(ids) -> tuple[torch.Tensor, torch.Tensor]:
        ids = list(ids)
        if not ids:
            return torch.zeros(0, len(start[0]), dtype=torch.long), torch.zeros(0, dtype=torch.long)
        parts, labels = [start], [[modes[ids[0]]]]
        for k, i in enumerate(ids):
            try:
                rows = codec.encode(prepared[i])
            except ValueError as err:
                raise DataError(
                    f"{prepared[i].extra.get('source', 'a piece')}: {err} (did the data change "
                    "since this run started? resume needs the same corpus)"
                ) from None
            parts.append(rows)
            piece_labels = np.full(len(rows), modes[i])
            piece_labels[-1] = modes[ids[k + 1]] if k + 1 < len(ids) else modes[i]
            labels.append(piece_labels)
        return _joined(parts), _joined(labels)

    train, train_labels = stream(train_ids)
    val, val_labels = stream(sorted(val_ids))
    n_pieces = (len(train_ids), len(val_ids))
    counts = np.bincount([modes[i] for i in train_ids], minlength=len(MODES))
    prior = (counts / counts.sum()).tolist()
    return SequenceData(
        codec, train, val, train_labels, val_labels, list(MODES), prior, n_pieces, skipped=skipped
    )


def _joined(arrays: list) -> torch.Tensor:
    return torch.from_numpy(np.concatenate(arrays).astype(np.int64))
