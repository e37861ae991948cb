"""``WorkbenchError``: the one root of every error the workbench raises on purpose.

Every exception class in the package derives from it, so ``except WorkbenchError``
catches what the workbench refused or could not do, and nothing else: a bug
stays a traceback. The command line prints such an error's message as one
line, ``workbench: error: <message>``, and exits with status 2, so a message
says what was wrong, names the offending input and says what to do.

Each class also keeps the builtin base callers already catch: ``InputError``
is a ``ValueError`` and ``MissingInputError`` a ``FileNotFoundError``.
"""

from __future__ import annotations


class WorkbenchError(Exception):
    """An error the workbench raises on purpose; its message names the input and the fix.

    The command line prints the message as one line (``workbench: error: <message>``) and exits with status 2.
    """


class InputError(WorkbenchError, ValueError):
    """Bad user input: an unknown name or option, or a malformed file or spec; the message names it and the fix."""


class MissingInputError(WorkbenchError, FileNotFoundError):
    """A file or folder the user named does not exist; the message names the path and what to pass instead."""
