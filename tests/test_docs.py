"""The docs say what the code does: every command and setting documented, the generated parts current,
every link alive, and every `$ newsqa ...` example run against the bundled articles with its output compared."""

from __future__ import annotations

import builtins
import re
import shlex
import shutil
import sys
from pathlib import Path

import pytest
from cogapp import Cog

from bot.settings import BotSettings, env_name
from tests.helpers import REPO, run_newsqa

sys.path.insert(0, str(REPO / "docs"))
import generate  # noqa: E402 - docs/generate.py, what cog runs

README = REPO / "README.md"
DOCS = sorted((REPO / "docs").glob("*.md"))
PAGES = [README, *DOCS]
COMMANDS = list(generate.subcommands())


def test_the_readme_stays_short() -> None:
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 200


def test_the_set_up_commands_are_what_ci_runs() -> None:
    text = README.read_text(encoding="utf-8")
    block = re.search(r"## Set up\n.*?```sh\n(.*?)```", text, re.DOTALL)
    assert block is not None
    commands = [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]
    assert len(commands) == 2
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    for command in commands:
        assert command in ci, f"{command!r} is not run by .ci/run"
    # Each in its own virtual environment: the second must not reuse what the first installed.
    venvs = [re.search(r"python3 -m venv (\S+)", command).group(1) for command in commands]
    assert len(set(venvs)) == 2, venvs


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_documented(command: str) -> None:
    assert f"\n## newsqa {command}\n" in (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert f"newsqa {command}" in README.read_text(encoding="utf-8")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_a_summary_and_an_example(command: str) -> None:
    parser = generate.subcommands()[command]
    assert parser.description and parser.epilog and "Example" in parser.epilog


def _source_env_names() -> set[str]:
    names = set()
    for path in [*(REPO / "retrieval").rglob("*.py"), *(REPO / "bot").rglob("*.py")]:
        names.update(re.findall(r"\bNEWSQA_[A-Z][A-Z0-9_]*[A-Z0-9]\b", path.read_text(encoding="utf-8")))
    return names


SETTINGS = sorted({env_name(field) for field in BotSettings.model_fields} | _source_env_names() | {"NO_COLOR", "XDG_CACHE_HOME"})


@pytest.mark.parametrize("variable", SETTINGS)
def test_every_setting_is_documented(variable: str) -> None:
    assert f"`{variable}`" in (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    if variable not in ("NO_COLOR", "XDG_CACHE_HOME"):  # read from the environment only, never from .env
        assert variable in {key for _, key, _, _ in generate.env_example()}, f"{variable} is not in .env.example"


def test_the_generated_docs_are_current() -> None:
    # What .ci/run checks with `cog --check`: run `cog -r -I docs README.md docs/*.md` to fix.
    status = Cog().main(["cog", "--check", "-I", str(REPO / "docs"), *map(str, PAGES)])
    assert status == 0, "the generated parts of the docs are stale: run cog -r -I docs README.md docs/*.md"


LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_to_a_file_points_at_one(page: Path) -> None:
    text = re.sub(r"```.*?```|`[^`\n]*`", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)  # not code
    missing = [target for target in LINK.findall(text)
               if not target.startswith(("http://", "https://")) and not (page.parent / target).exists()]
    assert not missing, missing


# --- the examples ---------------------------------------------------------------------------------

def examples(page: Path) -> list[tuple[str, list[str]]]:
    """The `$ ...` commands of a page's ```console blocks, each with the output shown under it."""
    found: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", page.read_text(encoding="utf-8"), re.DOTALL):
        for line in block.splitlines():
            if line.startswith("$ "):
                found.append((line[2:], []))
            else:
                assert found, f"{page.name}: output before any command in a console block"
                found[-1][1].append(line)
    return found


def _line_matches(shown: str, actual: str) -> bool:
    """A shown line matches an actual one exactly, where `...` inside it stands for any text."""
    return re.fullmatch(".*".join(re.escape(part) for part in shown.rstrip().split("...")), actual.rstrip()) is not None


def output_matches(shown: list[str], actual: list[str]) -> bool:
    """Every shown line in order; a line that is only `...` stands for any number of lines."""
    if not shown:
        return not actual
    if shown[0].strip() == "...":
        return any(output_matches(shown[1:], actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and _line_matches(shown[0], actual[0]) and output_matches(shown[1:], actual[1:])


@pytest.mark.parametrize(
    ("shown", "actual", "matches"),
    [
        (["a", "..."], ["a", "b", "c"], True),
        (["a", "...", "c"], ["a", "b", "c"], True),
        (["a", "c"], ["a", "b", "c"], False),
        (["confidence ... · as of 2024"], ["confidence 0.86 · as of 2024"], True),
        (["confidence ... · as of 2024"], ["confidence 0.86"], False),
        (["a"], ["a", "b"], False),
    ],
)
def test_how_shown_output_is_compared(shown: list[str], actual: list[str], matches: bool) -> None:
    assert output_matches(shown, actual) is matches


def _run(command: str, shown: list[str], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    argv = shlex.split(command)
    if argv[0] == "mkdir":
        for folder in argv[1:]:
            Path(folder).mkdir(parents=True)
        return []
    assert argv[0] == "newsqa", f"a console block may run only newsqa (and mkdir): {command}"
    if argv[1:2] == ["chat"] and "--json" not in argv:
        # The transcript's own questions, typed at the prompt as a person would.
        questions = [line.removeprefix("newsqa> ") for line in shown if line.startswith("newsqa> ")]

        def typed(prompt: str = "") -> str:
            if not questions:
                raise EOFError
            print(prompt + questions[0])
            return questions.pop(0)

        monkeypatch.setattr(builtins, "input", typed)
    result = run_newsqa(*argv[1:])
    assert result.returncode == 0, f"$ {command}\nexit status {result.returncode}\n{result.stderr}"
    return result.stdout.rstrip("\n").splitlines()


@pytest.mark.parametrize("page", [p for p in PAGES if examples(p)], ids=lambda p: p.name)
def test_the_examples_show_what_newsqa_prints(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each page's examples in order, from a fresh folder that holds docs/examples (the article the
    # README adds), over the bundled articles and an empty index cache.
    shutil.copytree(REPO / "docs" / "examples", tmp_path / "docs" / "examples")
    monkeypatch.chdir(tmp_path)
    wrong = []
    for command, shown in examples(page):
        actual = _run(command, shown, monkeypatch)
        if not output_matches(shown, actual):
            wrong.append(f"$ {command}\n--- shown:\n" + "\n".join(shown) + "\n--- printed:\n" + "\n".join(actual))
    assert not wrong, "\n\n".join(wrong)


def test_the_readme_shows_every_command_it_can_run() -> None:
    shown = {shlex.split(command)[1] for command, _ in examples(README) if command.startswith("newsqa ")}
    assert {"ask", "search", "chat", "sources", "index", "add", "cache"} <= shown
