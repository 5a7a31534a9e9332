"""Score held-out texture runs with and without a fitted colour map, on the same weights.

    python docs/textures/color_map.py RUN [RUN ...] [--steps 1]

A run's colour map (``model.color_steps``, :mod:`gamegan.nn.color`) is fitted when its
snapshots are written. To measure what the map alone does, without a second training's
run-to-run variation, this script gives a finished held-out run's newest snapshot a map
fitted as training would have fitted it (:func:`gamegan.train.gan.fit_color_maps`: the
generator's own training-sized fields against the run's training crops), writes it beside the
original as ``snapshot-color<STEPS>.safetensors``, and runs

    gamegan eval RUN --metrics heldout --snapshot SNAPSHOT

for the original and for the new file, then prints both rows.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import torch
from heldout_table import heldout_eval  # beside this script

from gamegan.build import resolve
from gamegan.data.run_data import load_run_data
from gamegan.evaluate.run import load_run_config
from gamegan.generate import load_generator
from gamegan.io.checkpoint import module_tensors, save_tensors
from gamegan.runtime import make_generator
from gamegan.train.gan import fit_color_maps

KEYS = ("swd/avg", "swd/bandpass", "spectrum", "color/hist_l1", "tiling/seam_score")


def with_color_map(run: Path, steps: int) -> Path:
    """The run's newest snapshot with a fitted ``steps``-step colour map, as a new file."""
    cfg = load_run_config(run)
    resolved = resolve(cfg)
    loaded = load_generator(run)
    model_cfg = dataclasses.replace(resolved.model_cfg, color_steps=steps)
    G = resolved.spec.generator(model_cfg)
    missing, unexpected = G.load_state_dict(loaded.G.state_dict(), strict=False)
    assert not unexpected and all(".color." in k for k in missing), (missing, unexpected)
    images = load_run_data(resolved).images
    g = make_generator(cfg.train.seed * 7919 + int(loaded.metadata["iteration"]))

    def sample_inputs():
        return G.sample_training_z(cfg.train.batch_size, g, "cpu"), {}

    G = fit_color_maps(G.eval(), sample_inputs, images, g)
    meta = dict(loaded.metadata)
    meta["model_params"] = {**meta.get("model_params", {}), "color_steps": steps}
    path = run / f"snapshot-color{steps}.safetensors"
    save_tensors(path, module_tensors("G", G), meta)
    return path


def heldout_row(run: Path, snapshot: Path) -> dict:
    """The held-out rows of ``snapshot`` by metric name, without the ``heldout/`` prefix."""
    record = heldout_eval(run, snapshot)
    return {r["metric"][len("heldout/") :]: r for r in record["results"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--steps", type=int, default=1)
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    for run in args.runs:
        original = load_generator(run).path
        rows = {
            "without": heldout_row(run, original),
            "with": heldout_row(run, with_color_map(run, args.steps)),
        }
        for name, m in rows.items():
            cells = " | ".join(
                f"{m[k]['value']:.3g} / {m[k]['quilting']:.3g} / {m[k]['baseline']:.3g}"
                for k in KEYS
            )
            print(f"| {run.name} | {name} | {cells} |", flush=True)


if __name__ == "__main__":
    main()
