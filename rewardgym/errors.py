"""The error policy of rewardgym's console apps.

* Bad user input (a config value, an argument, a file) -> one line naming the value, exit 2.
* Anything else -> the traceback and a non-zero exit: an internal bug never looks like a user's
  mistake.

What counts as input is decided by *where* an error is raised, not by its type alone: the code
that turns the user's config into objects (instantiating the reward, making the envs, building
the agent, reading a run dir the user named) runs inside :func:`user_input`, which turns the
ordinary argument-check exceptions into :class:`BadInput`. The same exception types raised later
(during training, rollouts, reporting) keep their traceback.

Example:
    >>> with user_input("reward"):
    ...     pass
    >>> try:
    ...     with user_input("reward"):
    ...         raise ValueError("alpha must be in [0, 1], got 2")
    ... except BadInput as err:
    ...     print(err)
    reward: ValueError: alpha must be in [0, 1], got 2
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

T = TypeVar("T")

# what argument checks raise (Gymnasium's and rewardgym's style); an ImportError here is a missing
# optional extra or a _target_ that cannot be imported
INPUT_ERRORS = (ValueError, TypeError, KeyError, FileNotFoundError, ImportError)


class BadInput(Exception):
    """A user's config value, argument or file is wrong; the message names it."""


def _one_line(err: BaseException) -> str:
    text = " ".join(line.strip() for line in str(err).splitlines() if line.strip())
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


@contextmanager
def user_input(what: str) -> Iterator[None]:
    """Errors raised in this block by checking the user's ``what`` (e.g. "reward") are bad input."""
    try:
        yield
    except BadInput:
        raise
    except Exception as err:
        if isinstance(err, INPUT_ERRORS) or type(err).__name__ == "InstantiationException":
            raise BadInput(f"{what}: {_one_line(err)}") from err
        raise


def run_app(prog: str, fn: Callable[[], T], debug: bool = False) -> T:
    """Runs an app's body: :class:`BadInput` -> one line on stderr and exit 2 (``debug``: raise)."""
    try:
        return fn()
    except BadInput as err:
        if debug:
            raise
        print(f"{prog}: {err} (debug=true shows the traceback)", file=sys.stderr)
        sys.exit(2)
