"""Does a latent render alike in training and in inference? Per-field brightness, both ways.

    python docs/textures/norm_gap.py RUN/state-001600.safetensors [--fields 16]

Loads the live generator of a training state and renders the same training latents (fields
of ``context`` times the crop) twice: as a training step does (a crop-sized window, with
BatchNorm's batch statistics, batches of the preset's 8) and as a snapshot does (the whole
field, inference mode). Prints each field's mean pixel in both, and the training crops'
mean. With ``model.g_norm=batch`` on the Hubble photo some latents render as dark, sparse
fields in training and as bright, dense blob fields in inference, which the critic never
sees; with ``g_norm=pixel`` the two agree.
"""

from __future__ import annotations

import argparse
import json

import torch
from safetensors import safe_open
from safetensors.torch import load_file

from gamegan.data.textures import load_texture_crops, texture_source
from gamegan.models.deep_spatial_gan import Config, Generator


def live_generator(state: str) -> tuple[Generator, dict]:
    """The generator of a training state as training left it (not the weight average that
    snapshots hold), and the run's config."""
    with safe_open(state, "pt") as f:
        config = json.loads(f.metadata()["config"])
    G = Generator(Config(**config["model"]["params"]))
    tensors = load_file(state)
    G.load_state_dict({k[2:]: v for k, v in tensors.items() if k.startswith("G.")})
    return G, config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("state")
    parser.add_argument("--fields", type=int, default=16)
    parser.add_argument("--batch", type=int, default=8)
    args = parser.parse_args()
    G, config = live_generator(args.state)
    cfg = G.cfg
    torch.manual_seed(0)
    batches = -(-args.fields // args.batch)
    z = torch.cat([G.sample_training_z(args.batch) for _ in range(batches)])[: args.fields]
    with torch.no_grad():
        G.train()  # the step's path: a window, batch statistics (running ones not updated)
        for m in G.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.momentum = 0.0
        training = torch.cat([G(b).flatten(1).mean(1) for b in z.split(args.batch)])
        G.eval()
        inference = torch.cat([G(b).flatten(1).mean(1) for b in z.split(args.batch)])
    data = config["data"]
    crops = load_texture_crops(
        texture_source(data["source"]), cfg.resolution, cfg.channels, 256, 0, data["holdout"]
    )
    real = crops.images.float() / 127.5 - 1
    print(f"g_norm={cfg.g_norm}  training crops' mean pixel {real.mean():.2f}")
    print("field  training window  inference")
    for i, (a, b) in enumerate(zip(training.tolist(), inference.tolist(), strict=True)):
        print(f"{i:5d}  {a:15.2f}  {b:9.2f}")
    gap = (training - inference).abs()
    print(f"mean |difference| {gap.mean():.3f}, largest {gap.max():.3f}")


if __name__ == "__main__":
    main()
