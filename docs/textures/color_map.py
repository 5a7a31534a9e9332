"""Score held-out texture runs with and without a fitted colour map, on the same weights.

    python docs/textures/color_map.py RUN [RUN ...] [--steps 1]
    python docs/textures/color_map.py RUN --snapshot FILE --fit-only   # e.g. a bundled model

A run's colour map (``model.color_steps``, :mod:`gamegan.nn.color`) is fitted when its
snapshots are written. To measure what the map alone does, without a second training's
run-to-run variation, this script gives a finished held-out run's newest snapshot a map
fitted as training would have fitted it (:func:`gamegan.train.gan.fit_color_maps`: the
generator's own training-sized fields against the run's training crops), writes it beside the
original as ``snapshot-color<STEPS>.safetensors``, and runs

    gamegan eval RUN --metrics heldout --snapshot SNAPSHOT

for the original and for the new file, then prints both rows. ``--snapshot FILE`` gives the
map to another snapshot of the run's model (a bundled one, with a run folder of the whole
photo made by ``gamegan train PRESET --iterations 0``), and ``--fit-only`` only writes it.
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


def with_color_map(run: Path, steps: int, snapshot: Path | None = None) -> Path:
    """The run's newest snapshot (or ``snapshot``) with a fitted ``steps``-step colour map,
    as a new file in the run folder."""
    cfg = load_run_config(run)
    resolved = resolve(cfg)
    loaded = load_generator(snapshot or run)
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
    if "config" in meta:  # the informational copy of the run's config says so too
        model = meta["config"]["model"]
        meta["config"] = {
            **meta["config"],
            "model": {**model, "params": {**model["params"], "color_steps": steps}},
        }
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
    parser.add_argument("--snapshot", type=Path, help="map this snapshot, not the newest")
    parser.add_argument("--fit-only", action="store_true", help="write it, do not score")
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    for run in args.runs:
        if args.fit_only:
            print(with_color_map(run, args.steps, args.snapshot))
            continue
        original = args.snapshot or load_generator(run).path
        rows = {
            "without": heldout_row(run, original),
            "with": heldout_row(run, with_color_map(run, args.steps, args.snapshot)),
        }
        for name, m in rows.items():
            cells = " | ".join(
                f"{m[k]['value']:.3g} / {m[k]['quilting']:.3g} / {m[k]['baseline']:.3g}"
                for k in KEYS
            )
            print(f"| {run.name} | {name} | {cells} |", flush=True)


if __name__ == "__main__":
    main()
