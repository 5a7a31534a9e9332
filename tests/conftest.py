"""Shared fixtures: tiny data sets in official formats, written fresh for each session."""

from __future__ import annotations

import os

import pytest

# Tiny tensors gain nothing from a second thread, and two threads fighting another busy process
# for two cores run many times slower: tests (and the subprocesses they start) use one.
os.environ.setdefault("OMP_NUM_THREADS", "1")

# Small networks so a training test takes a second or two on 2 cores.
TINY_DCGAN = (
    "model.g_channels=(16, 8)",
    "model.d_channels=(8, 8, 8, 8)",
    "model.z_dim=8",
)


@pytest.fixture(scope="session")
def mnist_dir(tmp_path_factory):
    from datafiles import write_mnist_idx

    path = tmp_path_factory.mktemp("mnist")
    write_mnist_idx(path, n=64)
    return path


@pytest.fixture(scope="session")
def cifar_dir(tmp_path_factory):
    from datafiles import write_cifar100_binary

    path = tmp_path_factory.mktemp("cifar")
    write_cifar100_binary(path, n_per_class=6, classes=(33, 5))
    return path


@pytest.fixture(autouse=True)
def _no_tensorboard_env(monkeypatch):
    # Keep tests independent of a user's data folder.
    monkeypatch.delenv("GAMEGAN_DATA", raising=False)
