"""The one error type whose message is shown to the user as it is."""

from __future__ import annotations


class NewsqaError(Exception):
    """A failure the user can act on; its message is one line saying what to do. Exit status 1."""

    exit_code = 1


class UsageError(NewsqaError):
    """The command was called wrongly (empty question, missing folder). Exit status 2."""

    exit_code = 2
