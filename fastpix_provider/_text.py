"""How a message quotes what a user gave: bounded, so no input can flood an error."""

from __future__ import annotations

import reprlib
from typing import Any

ECHO_LIMIT = 80  # characters of a user's value quoted in a message

_echo_repr = reprlib.Repr()
_echo_repr.maxstring = ECHO_LIMIT + 2
_echo_repr.maxother = ECHO_LIMIT
_echo_repr.maxlong = ECHO_LIMIT
_echo_repr.maxlevel = 2
for _name in ("maxlist", "maxtuple", "maxdict", "maxset", "maxfrozenset"):
    setattr(_echo_repr, _name, 4)


def echo(value: Any, limit: int = ECHO_LIMIT) -> str:
    """A user's value as a message may quote it: its repr, at most `limit` characters, with an ellipsis."""
    return shorten(_echo_repr.repr(value), limit)


def shorten(text: str, limit: int = ECHO_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"
