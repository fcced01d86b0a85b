"""The bot's deployment files (deploy/) run the installed `newsqa discord` with settings newsqa knows.

Neither systemd nor docker is needed: the unit is parsed as the INI file it is, and the Dockerfile's
instructions are read one by one and checked against the repository.
"""

from __future__ import annotations

import configparser
import json
import re
import shlex
import sys

from tests.helpers import REPO

sys.path.insert(0, str(REPO / "docs"))
import generate  # noqa: E402 - docs/generate.py: the subcommands and .env.example's keys

DEPLOY = REPO / "deploy"
KNOWN_SETTINGS = {key for _, key, _, _ in generate.env_example()} | {"NO_COLOR", "PYTHONUNBUFFERED"}


def _environment(value: str) -> dict[str, str]:
    """systemd's `Environment=` value: space-separated, optionally quoted, KEY=value assignments."""
    return dict(item.split("=", 1) for item in shlex.split(value))


def test_the_systemd_unit_runs_the_installed_bot() -> None:
    unit = configparser.ConfigParser(interpolation=None)  # strict: a key given twice is an error
    unit.optionxform = str  # systemd's keys are case-sensitive
    unit.read(DEPLOY / "newsqa-bot.service", encoding="utf-8")
    assert unit.sections() == ["Unit", "Service", "Install"]
    service = unit["Service"]
    program, *arguments = shlex.split(service["ExecStart"])
    assert program.startswith("/") and program.endswith("/bin/newsqa")  # the venv's console script
    assert arguments == ["discord"] and "discord" in generate.subcommands()
    assert service["User"] not in ("", "root")
    assert service["Restart"] == "on-failure"
    assert service["RestartPreventExitStatus"] == "2"  # a missing token or bad setting (UsageError)
    environment = _environment(service["Environment"])
    assert set(environment) <= KNOWN_SETTINGS, set(environment) - KNOWN_SETTINGS
    assert environment["NO_COLOR"] == "1"
    # The index goes to the cache folder systemd makes for the service, which the sandbox leaves writable.
    assert environment["NEWSQA_INDEX_DIR"] == f"/var/cache/{service['CacheDirectory']}"
    assert environment["NEWSQA_CORPUS_DIR"] in service["ReadWritePaths"].split()  # /add-article writes there
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (DEPLOY / "Dockerfile").read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def test_the_dockerfile_builds_the_package_and_runs_the_bot_unprivileged() -> None:
    steps = _instructions()
    assert steps[0][0] == "FROM"
    version = re.search(r"python:(\d+)\.(\d+)", steps[0][1])
    assert version and (int(version[1]), int(version[2])) >= (3, 10)  # pyproject's requires-python

    copied = [part for op, args in steps if op == "COPY" for part in shlex.split(args)[:-1]]
    for source in copied:
        assert (REPO / source).exists(), f"COPY {source}: no such file in the repository"
    # Everything the wheel is built from: the project file, its readme and licence, every package
    # folder and the bundled articles (package-dir "retrieval.corpus" = "corpus").
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    packages = json.loads(re.search(r"^packages = (\[.*\])$", pyproject, re.MULTILINE)[1])
    needed = {"pyproject.toml", "README.md", "LICENSE", "corpus"} | {name.split(".")[0] for name in packages}
    assert needed <= set(copied), needed - set(copied)
    assert any(op == "RUN" and "pip install" in args and " ." in args for op, args in steps)

    users = [args for op, args in steps if op == "USER"]
    assert users and users[-1] not in ("root", "0")
    environment = dict(pair.split("=", 1) for op, args in steps if op == "ENV" for pair in shlex.split(args))
    assert set(environment) <= KNOWN_SETTINGS, set(environment) - KNOWN_SETTINGS
    assert environment["NO_COLOR"] == "1"
    volumes = json.loads(next(args for op, args in steps if op == "VOLUME"))
    assert {environment["NEWSQA_CORPUS_DIR"], environment["NEWSQA_INDEX_DIR"]} <= set(volumes)
    entrypoint = json.loads(next(args for op, args in steps if op == "ENTRYPOINT"))  # exec form: signals reach newsqa
    assert entrypoint == ["newsqa", "discord"]


def test_docker_leaves_secrets_and_environments_out_of_the_build() -> None:
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".env", ".git", ".venv"} <= set(ignored)
