"""Shared fixtures. Real services come from the test script's environment variables;
without them a test is skipped with a message, or fails under DANGAN_REQUIRE_SERVICES=1."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def require_env(name: str, what: str) -> str:
    value = os.environ.get(name)
    if value:
        return value
    msg = f"{what} not available: {name} is unset (scripts/test.sh starts it)"
    if os.environ.get("DANGAN_REQUIRE_SERVICES") == "1":
        pytest.fail(msg)
    pytest.skip(msg)


@pytest.fixture(scope="session")
def rapid_engine():
    """One real RapidOCR engine (model load ~1 s) shared by the whole session."""
    from ocr.rapid import RapidOcrEngine

    return RapidOcrEngine(threads=2)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "peer-ocr").is_dir():
        pytest.skip(f"{SHARED}/peer-ocr is absent: the peer OCR regression needs ../shared")
    return SHARED
