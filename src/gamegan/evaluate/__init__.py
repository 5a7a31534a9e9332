"""Offline evaluation of a run: its snapshot's output against the run's real data.

Every number comes with a real-vs-real baseline: the same metric between two disjoint sets
of real data of the same size as the generated set. Metrics like SWD and FID depend on the
sample size and on the data, so "3.1 against a baseline of 2.9" says far more than "3.1".

One module per kind of output a model family makes, each with ``groups(cfg)`` (the metric
groups that apply) and ``evaluate(Evaluation)`` (the rows): :mod:`~gamegan.evaluate.images`,
:mod:`~gamegan.evaluate.texture` (with the held-out comparison against image quilting),
:mod:`~gamegan.evaluate.terrain`, :mod:`~gamegan.evaluate.music` and
:mod:`~gamegan.evaluate.translation`; :mod:`~gamegan.evaluate.run` picks one.

>>> from gamegan.evaluate import evaluate_run  # doctest: +SKIP
>>> for row in evaluate_run("runs/00003-dcgan-mnist", n=2000):  # doctest: +SKIP
...     print(row["metric"], row["value"], row["baseline"])
"""

from gamegan.evaluate.music import freeze_music_reference, music_reference
from gamegan.evaluate.report import METRICS_FILE
from gamegan.evaluate.run import applicable_metrics, evaluate_run, load_run_config
from gamegan.evaluate.texture import heldout_sets

__all__ = [
    "METRICS_FILE",
    "applicable_metrics",
    "evaluate_run",
    "freeze_music_reference",
    "heldout_sets",
    "load_run_config",
    "music_reference",
]
