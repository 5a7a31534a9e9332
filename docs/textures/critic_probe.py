"""Can a critic tell this generator's textures from the photo? A fresh one, trained alone.

    python docs/textures/critic_probe.py RUN/state-001600.safetensors [--gamma G] [--steps N]

Loads the live generator of a training state, freezes it, and trains a fresh critic of the
run's design against it on the run's training crops for N steps (default 300) with the
run's objective (non-saturating loss, R1 weight ``--gamma``, default the run's), batches of
the preset's 8. Every 100 steps it prints the critic's mean logit on 256 real crops and 128
generated ones, its accuracy at logit 0 and at the best threshold. On grass with the
presets' ``loss.gamma`` 0.05 the critic barely learns (logits within a few hundredths of
zero) although the textures look nothing alike; without R1 it is right on every crop within
200 steps: the penalty, summed over a patch critic's 64 logits and 16384 pixels, is what
holds it at chance.
"""

from __future__ import annotations

import argparse

import torch
from norm_gap import live_generator  # this folder's script

from gamegan.data.textures import load_texture_crops, texture_source
from gamegan.gan.r1 import R1
from gamegan.models.deep_spatial_gan import Discriminator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("state")
    parser.add_argument("--gamma", type=float, default=None)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch", type=int, default=8)
    args = parser.parse_args()
    G, config = live_generator(args.state)
    cfg = G.cfg
    G.train().requires_grad_(False)  # what the critic judges in a training step
    data = config["data"]
    crops = load_texture_crops(
        texture_source(data["source"]), cfg.resolution, cfg.channels, 1024, 0, data["holdout"]
    )
    real = crops.images.float() / 127.5 - 1
    gamma = config["loss"]["params"].get("gamma", 0.0) if args.gamma is None else args.gamma
    objective = R1(gamma=gamma)
    torch.manual_seed(1)
    D = Discriminator(cfg)
    optimizer = torch.optim.Adam(
        [p for p in D.parameters() if p.requires_grad],
        config["optim_d"]["lr"],
        betas=(config["optim_d"]["beta1"], config["optim_d"]["beta2"]),
    )

    def fakes(n: int) -> torch.Tensor:
        with torch.no_grad():
            return G(G.sample_training_z(n))

    def report(step: int) -> None:
        with torch.no_grad():
            r = torch.cat([D(b).flatten(1).mean(1) for b in real[:256].split(64)])
            f = torch.cat([D(fakes(32)).flatten(1).mean(1) for _ in range(4)])
        at_zero = ((r > 0).float().mean() + (f < 0).float().mean()) / 2
        best = max(
            ((r > t).float().mean() + (f <= t).float().mean()).item() / 2 for t in torch.cat([r, f])
        )
        print(
            f"{step:5d}  real {r.mean():+.3f}  fake {f.mean():+.3f}  "
            f"accuracy {at_zero:.2f}  at the best threshold {best:.2f}",
            flush=True,
        )

    print(f"{data['source']}: fresh critic against the frozen generator, R1 gamma {gamma}")
    for step in range(1, args.steps + 1):
        x_real = real[torch.randint(len(real), (args.batch,))]
        loss = objective.d_loss(D(x_real), D(fakes(args.batch)))
        loss = loss + objective.penalty(D, x_real, None)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 100 == 0:
            report(step)


if __name__ == "__main__":
    main()
