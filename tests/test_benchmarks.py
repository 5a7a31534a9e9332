"""The speed peers in benchmarks/: faithful to the chapter's programs, and they train."""

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from plain_ports import ChapterDCGAN, ChapterWGAN, PlainLoop  # noqa: E402

from gamegan.build import resolve  # noqa: E402
from gamegan.presets import build_config  # noqa: E402


def _count(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize(
    "port, preset, shape",
    [(ChapterDCGAN, "dcgan-mnist", (1, 28, 28)), (ChapterWGAN, "wgan-forest", (3, 32, 32))],
)
@pytest.mark.parametrize("bf16", [False, True])
def test_chapter_ports_have_the_chapters_networks_and_train(port, preset, shape, bf16):
    """The plain ports hold as many weights as gamegan's layer-for-layer Keras ports (the
    chapter's counts), and one iteration changes both networks."""
    resolved = resolve(build_config(preset, data="synthetic", device="cpu"))
    torch.manual_seed(0)
    images = torch.randint(0, 256, (64, *shape), dtype=torch.uint8)
    plain = port(images, batch_size=8, bf16=bf16)
    assert _count(plain.G) == _count(resolved.spec.generator(resolved.model_cfg))
    assert _count(plain.D) == _count(resolved.spec.discriminator(resolved.model_cfg))
    with torch.no_grad():
        assert plain.G(torch.randn(2, 100)).shape == (2, *shape)
    before = [p.detach().clone() for p in (*plain.G.parameters(), *plain.D.parameters())]
    plain.step()
    after = [p.detach() for p in (*plain.G.parameters(), *plain.D.parameters())]
    n_g = len(list(plain.G.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(before[:n_g], after[:n_g], strict=True))
    assert any(not torch.equal(a, b) for a, b in zip(before[n_g:], after[n_g:], strict=True))
    assert all(torch.isfinite(p).all() for p in after)


def test_plain_loop_trains_gamegans_networks():
    torch.manual_seed(0)
    images = torch.randint(0, 256, (16, 1, 28, 28), dtype=torch.uint8)
    plain = PlainLoop("gan-mnist", images)
    before = [p.detach().clone() for p in plain.G.parameters()]
    plain.step()
    assert any(not torch.equal(a, p) for a, p in zip(before, plain.G.parameters(), strict=True))
