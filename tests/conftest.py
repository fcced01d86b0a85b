"""Shared fixtures and pytest hooks: an isolated environment and small corpora written to temporary
folders. What tests import (paths, `write_article`, `run_newsqa`) is in `tests/helpers.py`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import SEEDS


_TEST_CACHE = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """Before any fixture of any scope runs: saved indexes go to a temporary cache, never the user's."""
    import os
    import tempfile

    config.stash[_TEST_CACHE] = os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="newsqa-test-cache-")


def pytest_unconfigure(config: pytest.Config) -> None:
    """The temporary cache goes with the session that made it (each xdist worker made its own)."""
    import shutil

    if _TEST_CACHE in config.stash:
        shutil.rmtree(config.stash[_TEST_CACHE], ignore_errors=True)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test reads a developer's settings or writes into their cache."""
    for key in list(__import__("os").environ):
        if key.startswith(("NEWSQA_", "DISCORD_")):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def seed_corpus(tmp_path: Path) -> Path:
    """A copy of the bundled two-article corpus that a test may change."""
    folder = tmp_path / "corpus"
    shutil.copytree(SEEDS, folder)
    return folder


@pytest.fixture
def rules_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    """Answer with the rule reader: for the tests of the span rules themselves."""
    monkeypatch.setenv("NEWSQA_READER", "rules")


@pytest.fixture(params=["both", "neural", "rules"])
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """A test of what a user sees that must hold with either reader: it runs once with each."""
    monkeypatch.setenv("NEWSQA_READER", request.param)
    return request.param
