"""What an exported graph's inputs and outputs mean, for a game engine: the ONNX file's
``gamegan.*`` metadata, its doc string, and the one-line summaries ``gamegan export`` prints.

One layout per thing a family makes: textures (a latent field of any size, the periodic
features, tiling), images and piano rolls (one latent per sample, conditions beside it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import torch

from gamegan import __version__
from gamegan.generate import LoadedGenerator


def shape_text(shape: Sequence[Any]) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def describe(
    loaded: LoadedGenerator, G: torch.nn.Module, tileable: bool | None
) -> tuple[dict[str, str], str, list[str], list[str]]:
    """Metadata (``gamegan.*`` keys), the doc string, and one-line input/output summaries."""
    kind, meta = loaded.kind, loaded.metadata
    model = str(meta.get("model"))
    if loaded.family.makes == "textures":
        latent, output, text = _texture_layout(G, tileable)
    elif loaded.family.makes == "translations":
        latent, output, text = _translation_layout(G, tileable)
    elif loaded.family.makes == "music":
        latent, output, text = _music_layout(G, meta.get("model_params", {}))
    else:
        latent, output, text = _image_layout(G)
    metadata = {
        "gamegan.version": __version__,
        "gamegan.kind": kind,
        "gamegan.model": model,
        "gamegan.model_params": json.dumps(meta.get("model_params", {}), sort_keys=True),
        "gamegan.source": loaded.path.name,
        "gamegan.iteration": str(meta.get("iteration", "")),
        "gamegan.latent": json.dumps(latent),
        "gamegan.output": json.dumps(output),
    }
    if tileable is not None:
        metadata["gamegan.tileable"] = "true" if tileable else "false"
    head = f"gamegan {__version__} {kind} '{model}' from {loaded.path.name}"
    doc = "\n".join([head, *text])
    inputs = [
        f"{latent['name']} {latent['dtype']} {shape_text(latent['shape'])}: {latent['summary']}"
    ]
    names = meta.get("class_names") or []
    if n_classes(G):
        # A conditional generator's second input: one class per latent, by index.
        listed = ", ".join(f"{i} {name}" for i, name in enumerate(names))
        inputs.append(f"labels int64 [batch]: the class of each latent ({listed})")
        metadata["gamegan.classes"] = json.dumps(names)
        doc += f"\nInput labels: int64 [batch], the class of each latent: {listed}."
    steps = context_steps(G)
    if steps:
        # A generator that continues what came before: its third input.
        shape = f"[batch, {G.cfg.channels}, {steps}, {G.cfg.n_pitches}]"
        context_doc = (
            f"the {G.cfg.context_bars} bar(s) before the phrase, 1 where a note sounds (or "
            "starts), -1 elsewhere: -1 everywhere before a piece's first phrase, then the last "
            "bars of the phrase before; the output starts with them"
        )
        inputs.append(f"context float32 {shape}: {context_doc}")
        metadata["gamegan.context"] = json.dumps({"shape": shape, "summary": context_doc})
        doc += f"\nInput context: float32 {shape}, {context_doc}."
    outputs = [
        f"{output['name']} {output['dtype']} {shape_text(output['shape'])}: {output['summary']}"
    ]
    return metadata, doc, inputs, outputs


def _texture_layout(G: torch.nn.Module, tileable: bool | None):
    cfg = G.cfg
    zl, zg, p, u = cfg.z_local, cfg.z_global, cfg.n_periodic, G.upsampling
    noise = getattr(G, "noise_channels", 0)
    channels = [
        {
            "first": 0,
            "count": zl,
            "what": "local noise",
            "values": "N(0, 1), drawn anew at every cell",
        },
        {
            "first": zl,
            "count": zg,
            "what": "global vector",
            "values": "N(0, 1), one vector per texture, the same at every cell",
        },
        {
            "first": zl + zg,
            "count": p,
            "what": "phase cosines",
            "values": "cos(a) of one angle a ~ U(0, 2 pi) per channel, the same at every cell",
        },
        {
            "first": zl + zg + p,
            "count": p,
            "what": "phase sines",
            "values": "sin(a) of the same angles, the same at every cell",
        },
        {
            "first": zl + zg + 2 * p,
            "count": noise,
            "what": "noise maps of the upsampling stages, 4^k channels for stage k (a cell's "
            "2^k x 2^k patch, unfolded by a pixel shuffle)",
            "values": "N(0, 1), drawn anew at every cell",
        },
    ]
    channels = [c for c in channels if c["count"]]
    extra = f"; noise = torch.randn(1, {noise}, h, w, generator=g)" if noise else ""
    seed_recipe = (
        f"gamegan's seed s: g = torch.Generator().manual_seed(s); local = torch.randn(1, {zl}, "
        f"h, w, generator=g); glob = torch.randn(1, {zg}, 1, 1, generator=g); a = torch.rand(1, "
        f"{p}, 1, 1, generator=g) * 2 * pi{extra}; z = cat([local, cat([glob, cos(a), sin(a)], "
        "1) expanded to h x w" + (", noise" if noise else "") + "], 1)"
    )
    latent = {
        "name": "z",
        "dtype": "float32",
        "shape": ["batch", G.z_dim, "h", "w"],
        "summary": f"h x w latent cells; a WIDTHxHEIGHT texture takes h = HEIGHT/{u}, "
        f"w = WIDTH/{u} (layout: metadata)",
        "z_local": zl,
        "z_global": zg,
        "n_periodic": p,
        "noise_channels": noise,
        "upsampling": u,
        # latent cells that can reach a pixel: a texture that need not tile is best the
        # middle of a tileable one this many cells larger on each side (no zero padding)
        "margin_cells": G.margin_cells,
        "channels": channels,
        "read_at_origin": "the global and phase channels are read at cell (0, 0) only",
        "gamegan_seed": seed_recipe,
    }
    wraps = (
        "wraps seamlessly at its borders (circular padding; waves snapped to whole periods)"
        if tileable
        else "does not wrap (zero padding, which can draw a frame at the borders; free wave "
        "numbers). A texture that need not tile is better cut from the middle of a tileable "
        f"graph's output for a field {G.margin_cells} cells larger on each side"
    )
    output = {
        "name": "texture",
        "dtype": "float32",
        "shape": ["batch", cfg.channels, f"{u}*h", f"{u}*w"],
        "layout": "NCHW",
        "range": [-1, 1],
        "to_unit_range": "(x + 1) / 2",
        "tileable": bool(tileable),
        "summary": f"NCHW in [-1, 1] ({'gray' if cfg.channels == 1 else 'RGB'}); "
        f"(x + 1) / 2 maps it to [0, 1]; {'tileable' if tileable else 'not tileable'}",
    }
    text = [
        f"Input z: float32 [batch, {G.z_dim}, h, w], a latent field of h x w cells. A "
        f"WIDTH x HEIGHT texture (multiples of {u} pixels) takes h = HEIGHT / {u}, "
        f"w = WIDTH / {u}.",
        *(
            f"  channels {c['first']}-{c['first'] + c['count'] - 1}: {c['what']}, {c['values']}."
            for c in channels
        ),
        "  The graph reads the global and phase channels at cell (0, 0) only.",
        f"Output texture: float32 [batch, {cfg.channels}, {u}*h, {u}*w], NCHW, in [-1, 1]; "
        "(x + 1) / 2 maps it to [0, 1].",
        f"Tileable: {'yes' if tileable else 'no'}; the output {wraps}.",
        seed_recipe + ".",
    ]
    return latent, output, text


def _translation_layout(G: torch.nn.Module, tileable: bool | None):
    cfg, m = G.cfg, G.multiple
    latent = {
        "name": "condition",
        "dtype": "float32",
        "shape": ["batch", cfg.condition_channels, "h", "w"],
        "values": "the input image, NCHW in [-1, 1] (x / 127.5 - 1 from 8-bit)",
        "side_multiple": m,
        "summary": f"the input image, NCHW in [-1, 1]; h and w multiples of {m}",
    }
    output = {
        "name": "image",
        "dtype": "float32",
        "shape": ["batch", cfg.channels, "h", "w"],
        "layout": "NCHW",
        "range": [-1, 1],
        "to_unit_range": "(x + 1) / 2",
        "summary": "NCHW in [-1, 1], the input's size; (x + 1) / 2 maps it to [0, 1]",
    }
    wraps = "tiles when the input tiles" if tileable else "is made with zero padding"
    text = [
        f"Input condition: float32 [batch, {cfg.condition_channels}, h, w], the input image "
        f"(a sketch, label map or heightmap like the training inputs) in [-1, 1]; h and w "
        f"must be multiples of {m}.",
        f"Output image: float32 [batch, {cfg.channels}, h, w] in [-1, 1]; (x + 1) / 2 maps it "
        "to [0, 1].",
        f"Tileable: {'yes' if tileable else 'no'}; the output {wraps}.",
    ]
    return latent, output, text


def _image_layout(G: torch.nn.Module):
    cfg = G.cfg
    shape = ["batch", *cfg.image_shape]  # [C, H, W]
    # A generator whose latent holds more than noise (InfoGAN's codes) describes it.
    values = getattr(G, "latent_summary", "N(0, 1), independent")
    seeded = f"torch.randn(1, {G.z_dim}, generator=torch.Generator().manual_seed(s + i))"
    if hasattr(G, "latent_summary"):
        seeded = "gamegan's G.sample_z(1, torch.Generator().manual_seed(s + i))"
    latent = {
        "name": "z",
        "dtype": "float32",
        "shape": ["batch", G.z_dim],
        "values": values,
        "summary": values,
        "gamegan_seed": f"image i from seed s: {seeded}",
    }
    output = {
        "name": "image",
        "dtype": "float32",
        "shape": shape,
        "layout": "NCHW",
        "range": [-1, 1],
        "to_unit_range": "(x + 1) / 2",
        "summary": "NCHW in [-1, 1]; (x + 1) / 2 maps it to [0, 1]",
    }
    text = [
        f"Input z: float32 [batch, {G.z_dim}], {values}.",
        f"Output image: float32 {shape_text(shape)}, NCHW, in [-1, 1]; (x + 1) / 2 maps it to "
        "[0, 1].",
        latent["gamegan_seed"] + ".",
    ]
    return latent, output, text


def _music_layout(G: torch.nn.Module, params: dict):
    latent, output, _ = _image_layout(G)
    cfg = G.cfg
    shape = ["batch", *cfg.image_shape]
    layout = "[batch, tracks, steps, pitches]"
    if getattr(cfg, "onsets", False):
        layout = (
            "[batch, 2 * tracks, steps, pitches] (channel 2t: where track t sounds, 2t + 1: "
            "where it starts a note)"
        )
    output.update(
        name="pianoroll",
        shape=shape,
        layout=layout,
        to_unit_range=None,
        on="a step is on where the value > 0",
        lowest_pitch=params.get("lowest_pitch"),
        resolution=params.get("resolution"),
        summary=f"{layout} in [-1, 1]; a step is on where > 0 "
        f"(row 0 is MIDI pitch {params.get('lowest_pitch')}, {params.get('resolution')} "
        "steps per quarter note)",
    )
    latent["gamegan_seed"] = latent["gamegan_seed"].replace("image i", "phrase i")
    text = [
        f"Input z: float32 [batch, {G.z_dim}], N(0, 1) independent.",
        f"Output pianoroll: float32 {shape_text(shape)} in [-1, 1]; {output['summary']}.",
        latent["gamegan_seed"] + ".",
    ]
    return latent, output, text


def n_classes(G: torch.nn.Module) -> int:
    return int(getattr(G, "n_classes", 0) or 0)


def context_steps(G: torch.nn.Module) -> int:
    return int(getattr(G, "context_steps", 0) or 0)
