"""The chapter's comparison experiments: one preset trained once per setting of one knob.

A sweep is a list of named settings, each a tuple of ``--set`` overrides. Every setting trains an
ordinary run folder ``OUT/<setting>/`` (inspectable with ``gamegan eval``, resumable with
``gamegan train --resume``), and the sweep ends with a loss plot (``OUT/losses.png``) and a
table of final numbers (``OUT/results.md``, ``OUT/results.json``). Re-running the same sweep
skips finished settings and resumes unfinished ones, so an interrupted sweep costs nothing.

>>> from gamegan.experiment import run_sweep  # doctest: +SKIP
>>> result = run_sweep("bn-momentum", "dcgan-mnist", iterations=300)  # doctest: +SKIP
>>> print(result.table)  # doctest: +SKIP
"""

from gamegan.experiment.report import format_table, plot_losses, summarize_run
from gamegan.experiment.runner import SweepResult, run_sweep
from gamegan.experiment.sweeps import SWEEPS, Setting, Sweep, get_sweep

__all__ = [
    "SWEEPS",
    "Setting",
    "Sweep",
    "SweepResult",
    "format_table",
    "get_sweep",
    "plot_losses",
    "run_sweep",
    "summarize_run",
]
