"""Snapshots back into models: a run folder, a snapshot file or a bundled name.

A snapshot file carries the model's name and parameters in its metadata, so loading it needs
no run folder and no pickled code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from gamegan.errors import CheckpointError, ConfigError
from gamegan.io.checkpoint import SNAPSHOT_FORMAT, load_module, load_tensors
from gamegan.io.rundir import BEST_SNAPSHOT, latest_file
from gamegan.models.base import UNNAMED_KIND, Family, family_of
from gamegan.runtime import make_generator, pick_device

# A conditional model's class for a seed is drawn from seed + this: clear of the latents of
# seed, seed + 1, ... (images, --count) and of the music GAN's phrase seeds.
CLASS_SEED_OFFSET = 1_000_003


@dataclass
class LoadedGenerator:
    """A generator rebuilt from a snapshot, in eval mode, with its metadata.

    For a sequence music model ``G`` is the next-event network and ``codec`` its vocabulary.
    """

    G: torch.nn.Module
    metadata: dict[str, Any]
    path: Path
    codec: Any = None
    # Networks the snapshot keeps beside G (a discriminator, an encoder, a reverse
    # generator), built on first use: see load_discriminator and its siblings.
    parts: dict[str, torch.nn.Module] = field(default_factory=dict, repr=False)

    @property
    def kind(self) -> str:
        return str(self.metadata.get("kind", UNNAMED_KIND))

    @property
    def family(self) -> Family:
        """What the snapshot makes and how (:class:`gamegan.models.base.Family`)."""
        return family_of(self.kind)

    @property
    def z_dim(self) -> int:
        return int(self.G.z_dim)

    @property
    def class_names(self) -> list[str]:
        """The classes a conditional generator takes (its training data's); [] when none."""
        return list(self.metadata.get("class_names") or [])

    def class_index(self, value: int | str) -> int:
        """A class given by name or index (``--class knight``, ``--class 7``), checked."""
        names = self.class_names
        if not names:
            raise ConfigError(
                f"--class {value}: {self.path.name} was not trained on classes (a conditional "
                "model, such as the cgan presets, on labelled data is)"
            )
        text = str(value).strip()
        if text in names:
            return names.index(text)
        if text.lstrip("-").isdigit() and 0 <= int(text) < len(names):
            return int(text)
        shown = ", ".join(names[:20]) + (", ..." if len(names) > 20 else "")
        raise ConfigError(
            f"--class {value}: not one of this model's {len(names)} classes ({shown}) nor an "
            f"index 0-{len(names) - 1}"
        )

    @property
    def code_names(self) -> tuple[str, ...]:
        """The latent codes a generator exposes (InfoGAN's ``category``, ``c1``...); ()."""
        return tuple(getattr(self.G, "code_names", ()))

    def checked_codes(self, codes: dict[str, float]) -> dict[str, float]:
        """``codes`` if this generator has them all, with values it takes; else a clear error."""
        names = self.code_names
        if not names:
            raise ConfigError(
                f"--code: {self.path.name} has no latent codes (an InfoGAN, such as the infogan "
                "presets, has)"
            )
        for name, value in codes.items():
            if name not in names:
                raise ConfigError(
                    f"--code {name}: not one of this model's codes ({', '.join(names)})"
                )
            if name == "category":
                n = int(self.G.cfg.n_categorical)
                if value != int(value) or not 0 <= value < n:
                    raise ConfigError(f"--code category={value:g}: give a category 0-{n - 1}")
        return codes

    def class_for_seed(self, seed: int) -> int:
        """The class drawn for ``seed`` (from its own stream, clear of the seed's latents)."""
        return self.draw_class(make_generator(seed + CLASS_SEED_OFFSET))

    def draw_class(self, generator: torch.Generator) -> int:
        """A class drawn as often as the training data held it."""
        prior = torch.tensor(self.metadata.get("class_prior") or [1.0] * len(self.class_names))
        return int(torch.multinomial(prior.double(), 1, generator=generator))


# Snapshots shipped in gamegan/pretrained/: textures, and music models on the Bach chorales.
PRETRAINED = (
    "brick",
    "grass",
    "gravel",
    "ihc",
    "hubble",
    "terrain",
    "chorale",
    "chorale-lstm",
    "chorale-vae",
)


def pretrained_path(name: str) -> Path:
    """The shipped snapshot of a bundled model name."""
    path = Path(__file__).parents[1] / "pretrained" / f"{name}.safetensors"
    if not path.is_file():
        raise CheckpointError(f"the bundled model {name!r} is missing from this install ({path})")
    return path


def resolve_snapshot(run_or_snapshot: str | Path) -> Path:
    """A snapshot file, a run folder's own (:func:`run_snapshot`), or a bundled model's."""
    path = Path(run_or_snapshot)
    if path.is_dir():
        return run_snapshot(path)
    if not path.exists():
        if str(run_or_snapshot) in PRETRAINED:
            return pretrained_path(str(run_or_snapshot))
        raise CheckpointError(
            f"{path}: no such run folder or snapshot file (bundled models: {', '.join(PRETRAINED)})"
        )
    return path


def run_snapshot(run_dir: str | Path) -> Path:
    """The snapshot of a run folder that holds the run's own model: its best, or its newest.

    A run trained with ``train.val_every`` keeps the weights with the best validation score
    as ``snapshot-best.safetensors`` (texture models can get worse late in a run, sequence
    models overfit): that one is the run's. A snapshot of another model copied into the
    folder is never taken for the run's, even when it is the newest file there. A folder
    without ``config.json`` (a folder of snapshots) gives its newest snapshot.

    Parameters
    ----------
    run_dir : path
        A run folder.

    Returns
    -------
    Path
        The snapshot file.

    Raises
    ------
    CheckpointError
        If the folder holds no snapshot of the run's model.
    """
    from gamegan.io.checkpoint import read_metadata
    from gamegan.io.rundir import numbered_files, read_config_json

    run_dir = Path(run_dir)
    newest = latest_file(run_dir, "snapshot")
    if not (run_dir / "config.json").is_file():
        return newest
    model = (read_config_json(run_dir).get("model") or {}).get("name")
    if model is None:
        return newest
    best = run_dir / BEST_SNAPSHOT
    if best.is_file() and read_metadata(best).get("model") == model:
        return best
    others = []
    for _, path in reversed(numbered_files(run_dir, "snapshot")):
        found = read_metadata(path).get("model")
        if found == model:
            return path
        others.append(f"{path.name} holds {found!r}")
    raise CheckpointError(
        f"{run_dir}: no snapshot of the run's model {model!r} ({'; '.join(others[:3])}); "
        "give the snapshot file itself to use another model's"
    )


def _loaded(source: str | Path | LoadedGenerator, device: str) -> LoadedGenerator:
    return source if isinstance(source, LoadedGenerator) else load_generator(source, device=device)


def load_generator(run_or_snapshot: str | Path, *, device: str = "cpu") -> LoadedGenerator:
    """Rebuild the generator of a run folder or snapshot file.

    Parameters
    ----------
    run_or_snapshot : path
        A run folder (its best snapshot, else its newest) or a ``snapshot-*.safetensors`` file.
    device : str
        ``cpu``, ``cuda`` or ``auto``.

    Returns
    -------
    LoadedGenerator
        The generator in eval mode, its metadata and the file it came from.
    """
    from gamegan.build import build_dataclass

    path = resolve_snapshot(run_or_snapshot)
    tensors, meta = load_tensors(path, expected_format=SNAPSHOT_FORMAT)
    from gamegan.models import MODELS

    if meta.get("model") not in MODELS:
        raise CheckpointError(f"{path}: unknown model {meta.get('model')!r} in its metadata")
    spec = MODELS.get(meta["model"])
    model_cfg = build_dataclass(spec.config, meta.get("model_params", {}), "model")
    if spec.family.sequential:
        if not isinstance(meta.get("codec"), dict):
            raise CheckpointError(f"{path}: the snapshot lacks its vocabulary ('codec')")
        try:
            codec = spec.codec.from_dict(meta["codec"])
        except (KeyError, TypeError, ValueError) as err:
            raise CheckpointError(f"{path}: unreadable vocabulary: {err}") from None
        network = spec.network(model_cfg, tuple(codec.vocab_sizes))
        load_module("model", network, tensors, str(path))
        network = network.to(pick_device(device)).eval().requires_grad_(False)
        return LoadedGenerator(network, meta, path, codec)
    G = spec.generator(model_cfg)
    load_module("G", G, tensors, str(path))
    G = G.to(pick_device(device)).eval().requires_grad_(False)
    return LoadedGenerator(G, meta, path)


def _snapshot_part(loaded: LoadedGenerator, prefix: str, build, missing: Exception):
    """A network that a snapshot keeps beside G (under ``prefix``), built by ``build(spec,
    model config)``, in eval mode on G's device; read once per loaded snapshot and kept
    there, so a folder of inputs does not reread the file per image. ``missing`` is raised
    when the snapshot has none."""
    if prefix in loaded.parts:
        return loaded.parts[prefix]
    from gamegan.build import build_dataclass
    from gamegan.models import MODELS

    spec = MODELS.get(loaded.metadata["model"])
    tensors, _ = load_tensors(loaded.path, expected_format=SNAPSHOT_FORMAT)
    if not any(key.startswith(prefix + ".") for key in tensors):
        raise missing
    cfg = build_dataclass(spec.config, loaded.metadata.get("model_params", {}), "model")
    module = build(spec, cfg)
    load_module(prefix, module, tensors, str(loaded.path))
    module = module.to(next(loaded.G.parameters()).device).eval().requires_grad_(False)
    loaded.parts[prefix] = module
    return module


def load_discriminator(loaded: LoadedGenerator) -> torch.nn.Module:
    """The discriminator a snapshot keeps (the semi-supervised GAN's classifier); a clear
    error for snapshots that hold only G."""
    missing = CheckpointError(f"{loaded.path}: this snapshot holds no discriminator")
    return _snapshot_part(loaded, "D", lambda spec, cfg: spec.discriminator(cfg), missing)


def load_reverse_generator(loaded: LoadedGenerator) -> torch.nn.Module:
    """A two-way model's other generator (CycleGAN's B to A); a clear error for snapshots
    that hold one direction only."""
    missing = ConfigError(
        f"--reverse: {loaded.path.name} holds one direction only (a CycleGAN has two)"
    )
    build = lambda spec, cfg: spec.generator(cfg.reversed())  # noqa: E731
    return _snapshot_part(loaded, "G_reverse", build, missing)


def load_encoder(loaded: LoadedGenerator) -> torch.nn.Module:
    """An autoencoder's encoder (images -> codes); a clear error for snapshots without one."""
    missing = ConfigError(f"{loaded.path.name} has no encoder (an adversarial autoencoder has)")
    return _snapshot_part(loaded, "E", lambda spec, cfg: spec.encoder(cfg), missing)
