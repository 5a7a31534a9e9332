"""Music from a next-event model: sample its events and decode them with its codec.

The models (``gamegan.models.lstm_lm``, ``lstm_vae``) draw one event at a time
(``Network.sample``); this turns a seed and a few choices into scores, for generation and for
the pictures training writes.
"""

from __future__ import annotations

import numpy as np
import torch

from gamegan.runtime import make_generator


def generate_events(
    model,
    codec,
    *,
    n_steps: int,
    seed: int = 0,
    temperature: float = 1.0,
    top_k: int = 0,
    prompt: np.ndarray | None = None,
    tempo: float | None = None,
    program: int | None = None,
    keep_prompt: bool = False,
    one_piece: bool = False,
    label: int | None = None,
):
    """Sample ``n_steps`` events from scratch (or after ``prompt``) and decode them to scores.

    With ``keep_prompt`` the prompt's events are decoded too, so a continued theme comes out
    with its continuation. With ``one_piece`` the end event is never drawn, so the events are
    one piece however long (the model would otherwise close pieces and start new ones, each
    after its own fashion). ``label`` is a conditioned model's class (the mode). The same
    seed, temperature and top-k always give the same music.
    """
    device = next(model.parameters()).device
    start = codec.start_event()[None] if prompt is None else prompt
    tokens = torch.as_tensor(np.asarray(start, dtype=np.int64), device=device)[None]
    was_training = model.training
    model.eval()
    generator = make_generator(seed, torch.device("cpu"))
    with torch.no_grad():
        end = int(codec.start_event()[0]) if one_piece else None  # the end event's first token
        options = {} if label is None else {"labels": torch.tensor([label], device=device)}
        events = model.sample(
            tokens, n_steps, temperature=temperature, top_k=top_k, generator=generator,
            exclude=end, **options,
        )  # fmt: skip
    model.train(was_training)
    options = {}
    if tempo is not None:
        options["tempo"] = tempo
    if program is not None:
        options["program"] = program
    rows = events[0].cpu().numpy()
    if keep_prompt:
        rows = np.concatenate([tokens[0].cpu().numpy(), rows])
    return codec.decode(rows, **options)
