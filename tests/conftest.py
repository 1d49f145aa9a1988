"""Shared test set-up: Qt without a screen, small real data, temporary projects."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
RESOURCES = ROOT / "resources"
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def kidiq_csv() -> Path:
    return RESOURCES / "data" / "kidiq.csv"


@pytest.fixture
def example_project() -> Path:
    return RESOURCES / "examples" / "kidiq.wbproj"
