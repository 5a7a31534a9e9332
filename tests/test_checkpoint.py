import pytest
import torch

from gamegan.errors import CheckpointError
from gamegan.io.checkpoint import (
    SNAPSHOT_FORMAT,
    load_optimizer,
    load_tensors,
    optimizer_tensors,
    read_metadata,
    save_tensors,
)


def test_round_trip_keeps_tensors_and_metadata(tmp_path):
    path = tmp_path / "x.safetensors"
    tensors = {
        "a": torch.arange(6.0).reshape(2, 3).t(),
        "b": torch.tensor([1, 2], dtype=torch.uint8),
    }
    save_tensors(path, tensors, {"format": SNAPSHOT_FORMAT, "config": {"z": [1, 2]}, "n": 3})
    loaded, meta = load_tensors(path, expected_format=SNAPSHOT_FORMAT)
    assert torch.equal(loaded["a"], tensors["a"]) and torch.equal(loaded["b"], tensors["b"])
    assert meta == {"format": SNAPSHOT_FORMAT, "config": {"z": [1, 2]}, "n": 3}
    assert not list(tmp_path.glob("*.tmp"))


def test_wrong_kind_and_garbage_are_refused(tmp_path):
    path = tmp_path / "x.safetensors"
    save_tensors(path, {"a": torch.zeros(1)}, {"format": "gamegan.state/1"})
    with pytest.raises(CheckpointError, match="expected a gamegan.snapshot/1 file"):
        load_tensors(path, expected_format=SNAPSHOT_FORMAT)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"hello world, not a checkpoint at all")
    with pytest.raises(CheckpointError, match="not a safetensors file"):
        read_metadata(junk)
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        read_metadata(tmp_path / "missing.safetensors")


def test_pickles_are_never_loaded(tmp_path):
    import pickle

    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "evil.safetensors"
    path.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(CheckpointError, match="never unpickles"):
        load_tensors(path)
    torch.save({"a": torch.zeros(1)}, tmp_path / "t.pt")
    with pytest.raises(CheckpointError, match="never unpickles"):
        load_tensors(tmp_path / "t.pt")
    assert not marker.exists()


@pytest.mark.parametrize("low_byte", [0x80, ord("P")])
def test_header_length_that_looks_like_a_pickle_still_loads(tmp_path, low_byte):
    # A safetensors file begins with its header length: a length whose first byte is 0x80
    # (a pickle's opcode) or "P" (a zip's) must not be mistaken for either.
    path = tmp_path / "x.safetensors"
    for pad in range(300):
        save_tensors(path, {"a": torch.zeros(1)}, {"format": SNAPSHOT_FORMAT, "pad": "x" * pad})
        if path.read_bytes()[0] == low_byte:
            break
    else:
        pytest.fail("no padding gave the wanted first byte")
    tensors, meta = load_tensors(path, expected_format=SNAPSHOT_FORMAT)
    assert torch.equal(tensors["a"], torch.zeros(1)) and meta["pad"] == "x" * pad


@pytest.mark.parametrize(
    "make",
    [
        lambda p: torch.optim.Adam(p, lr=1e-3, betas=(0.5, 0.9), amsgrad=True),
        lambda p: torch.optim.RMSprop(p, lr=1e-3, momentum=0.5),
        lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
        lambda p: torch.optim.Adadelta(p),
    ],
)
def test_optimizer_state_round_trip(tmp_path, make):
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 2)
    opt = make(net.parameters())
    for _ in range(2):
        opt.zero_grad()
        net(torch.randn(4, 3)).square().mean().backward()
        opt.step()
    tensors, meta = optimizer_tensors("opt", opt)
    path = tmp_path / "o.safetensors"
    save_tensors(path, tensors, {"opt": meta})
    loaded, loaded_meta = load_tensors(path)
    other = make(net.parameters())
    load_optimizer("opt", other, loaded, loaded_meta["opt"], str(path))
    a, b = opt.state_dict(), other.state_dict()
    for index, entry in a["state"].items():
        for key, value in entry.items():
            assert torch.equal(torch.as_tensor(value), torch.as_tensor(b["state"][index][key]))
