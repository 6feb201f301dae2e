"""Shared fixtures for the system tests: real chorus processes on loopback."""
import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("CHORUS_BIN", str(ROOT / "build" / "chorus"))


@pytest.fixture
def chorus_bin():
    assert os.access(BIN, os.X_OK), f"{BIN} is not built: run make first"
    return BIN
