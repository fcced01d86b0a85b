"""Imports point one way: bot -> retrieval. The engine never imports the bot or discord, and no
module of the bot hides an import of another inside a function to dodge a cycle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(module imported, whether the import sits inside a function) for every import of a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                found.extend((alias.name, inside) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module:
                found.append((child.module, inside))
            visit(child, inside)

    visit(tree, False)
    return found


def test_the_engine_imports_neither_the_bot_nor_discord() -> None:
    offending = []
    for path in sorted((REPO / "retrieval").rglob("*.py")):
        for module, inside in _imports(path):
            top = module.split(".")[0]
            # `newsqa discord` starts the bot: the one import of it, inside that command.
            allowed = path.name == "commands.py" and module == "bot.app" and inside
            if top in ("bot", "discord") and not allowed:
                offending.append(f"{path.relative_to(REPO)}: {module}")
    assert offending == []


def test_no_bot_module_imports_another_inside_a_function() -> None:
    hidden = [
        f"{path.name}: {module}"
        for path in sorted((REPO / "bot").glob("*.py"))
        for module, inside in _imports(path)
        if inside and module.startswith("bot")
    ]
    assert hidden == []


@pytest.mark.parametrize("module", sorted(p.stem for p in (REPO / "bot").glob("*.py") if p.stem != "__main__"))
def test_each_bot_module_imports_on_its_own(module: str) -> None:
    # A fresh process: the module alone, without what earlier imports in this run left in sys.modules.
    subprocess.run([sys.executable, "-c", f"import bot.{module}"], cwd=REPO, check=True, timeout=60)


# A question's way through the engine reads straight down: `answer` analyses, retrieves, reads with the
# readers and assembles; no reader and no assembly step reaches back up for it.
_NEVER_UP = {
    "retrieval/reader": ("retrieval.answer", "retrieval.assemble", "retrieval.engine", "retrieval.evaluate", "retrieval.cli"),
    "retrieval/assemble.py": ("retrieval.answer", "retrieval.reader.rules", "retrieval.reader.readings", "retrieval.reader.neural"),
    "retrieval/rerank.py": ("retrieval.answer", "retrieval.assemble", "retrieval.reader.rules", "retrieval.reader.spans"),
}


@pytest.mark.parametrize("where", sorted(_NEVER_UP))
def test_the_answer_steps_import_downwards_only(where: str) -> None:
    root = REPO / where
    paths = sorted(root.rglob("*.py")) if root.is_dir() else [root]
    upward = [
        f"{path.relative_to(REPO)}: {module}"
        for path in paths
        for module, _ in _imports(path)
        if module.startswith(_NEVER_UP[where])
    ]
    assert paths and upward == []
