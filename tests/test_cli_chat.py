"""`newsqa chat` as a conversation: follow-ups read against earlier turns, in the terminal and as JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.helpers import REPO, run_newsqa
from tests.test_cli import CITATION_KEYS, CONTRACT_KEYS

# The rule reader, so that the answers are the same on every machine (the conversation layer rewrites
# questions, whichever reader answers them).
RULES = {"NEWSQA_READER": "rules"}


def test_chat_json_keeps_the_conversation_and_says_how_each_question_was_read() -> None:
    lines = [
        "Who is the Kremlin spokesman?",
        "What did he call the reports?",
        ":new",
        "What did he call the reports?",
        "",
        "When did Putin last speak to Biden?",
        "In which month?",
        "And Trump?",
    ]
    result = run_newsqa("chat", "--json", stdin="\n".join(lines) + "\n", env=RULES)
    assert result.returncode == 0, result.stderr
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    # One object per line that is not ':new', in order, each question as it was typed.
    assert [o["question"] for o in objects] == [q for q in lines if q != ":new"]
    assert [o["resolved_question"] for o in objects] == [
        "Who is the Kremlin spokesman?",
        "What did Dmitry Peskov call the reports?",
        "What did he call the reports?",  # a new conversation: nothing to refer to, asked as it stands
        "",
        "When did Putin last speak to Biden?",
        "In which month did Putin last speak to Biden?",
        "In which month did Putin last speak to Trump?",  # built on how the question before was read
    ]
    first, follow_up = objects[0], objects[1]
    assert CONTRACT_KEYS <= set(first) and first["answer"] == "Dmitry Peskov"
    assert follow_up["answer"].startswith("the most remarkable example of the quality of the information")
    citation = follow_up["citations"][0]
    assert CITATION_KEYS <= set(citation)
    assert citation["passage_text"][citation["start"] : citation["end"]] == follow_up["answer"]
    assert objects[3]["answer"] is None and objects[3]["note"] == "The question is empty."


def test_chat_json_first_questions_are_answered_exactly_as_ask_answers_them() -> None:
    questions = ["Who is Bob Woodward?", "Where did Putin and Trump meet in July 2018?"]
    chat = run_newsqa("chat", "--json", stdin=f"{questions[0]}\n:new\n{questions[1]}\n", env=RULES)
    ask = run_newsqa("ask", "--json", "-", stdin="\n".join(questions) + "\n", env=RULES)
    assert chat.returncode == ask.returncode == 0
    chatted = [json.loads(line) for line in chat.stdout.splitlines()]
    asked = [json.loads(line) for line in ask.stdout.splitlines()]
    for c, a in zip(chatted, asked, strict=True):
        assert c.pop("resolved_question") == c["question"]
        assert c == a


def test_chat_shows_read_as_and_the_history_and_starts_over_on_new() -> None:
    stdin = "Who is the Kremlin spokesman?\nWhat did he call the reports?\n:history\n:new\n:history\n"
    result = run_newsqa("chat", stdin=stdin, env=RULES)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "(read as: What did Dmitry Peskov call the reports?)" in out
    assert out.count("(read as:") == 2  # once with the answer, once in :history
    assert "1. Who is the Kremlin spokesman?\n   -> Dmitry Peskov\n2. What did he call the reports?\n" in out
    assert "New conversation." in out
    assert "New conversation.\nnewsqa> No questions yet in this conversation.\n" in out


def test_chat_help_names_new_and_history() -> None:
    result = run_newsqa("chat", stdin=":help\n", env=RULES)
    assert ":new" in result.stdout and ":history" in result.stdout and "Ctrl-C clears the line" in result.stdout


def test_on_a_terminal_ctrl_c_clears_the_line_and_ctrl_d_leaves() -> None:
    """The real chat on a pseudo-terminal (its controlling terminal, so Ctrl-C is a SIGINT, as for a user)."""
    import fcntl
    import pty
    import select
    import termios
    import time

    master, slave = pty.openpty()

    def controlling_terminal() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSQA_")} | {"NEWSQA_READER": "rules", "TERM": "dumb"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "retrieval.cli", "chat"], stdin=slave, stdout=slave, stderr=slave, cwd=REPO, env=env,
        preexec_fn=controlling_terminal, close_fds=True,
    )
    os.close(slave)
    seen = b""

    def read_until(marker: bytes, count: int = 1, timeout: float = 30) -> None:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while seen.count(marker) < count:
            left = deadline - time.monotonic()
            assert left > 0, f"timed out waiting for {marker!r}; got {seen!r}"
            if select.select([master], [], [], left)[0]:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # the other end closed
                    chunk = b""
                if not chunk:
                    break
                seen += chunk
        assert seen.count(marker) >= count, f"the chat ended before {marker!r}; got {seen!r}"

    try:
        read_until(b"newsqa> ")
        os.write(master, b"Who is Bob Wood")
        time.sleep(0.2)
        os.write(master, b"\x03")  # Ctrl-C: the half-typed line is dropped, the chat goes on
        read_until(b"newsqa> ", count=2)  # a fresh prompt
        os.write(master, b"Who is the Kremlin spokesman?\r")
        read_until(b"Dmitry Peskov")
        read_until(b"newsqa> ", count=3)
        os.write(master, b"\x04")  # Ctrl-D on an empty line: leave
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    assert b"Washington Post" not in seen  # the cleared question was never asked
    assert b"Traceback" not in seen
