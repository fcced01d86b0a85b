"""Where the bundled corpus is found: package data in an install, the top-level folder in a checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval import config
from tests.helpers import REPO


def test_a_checkout_uses_the_top_level_corpus_folder() -> None:
    assert config.bundled_corpus() == REPO / "corpus"
    assert sorted(p.name for p in config.bundled_corpus().iterdir()) == ["000_b25523e41b776a03.txt", "001_03d8b65938a66cc9.txt"]


def test_an_install_uses_the_corpus_shipped_as_package_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "corpus").mkdir()  # what the wheel holds: site-packages/retrieval/corpus/
    monkeypatch.setattr(config, "files", lambda package: tmp_path if package == "retrieval" else None)
    assert config.bundled_corpus() == tmp_path / "corpus"


def test_the_corpus_setting_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert config.default_corpus_dir() == config.BUNDLED_CORPUS
    monkeypatch.setenv("NEWSQA_CORPUS_DIR", str(tmp_path))
    assert config.default_corpus_dir() == tmp_path
