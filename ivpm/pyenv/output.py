"""Cutting an installer's captured output down to the lines that explain a failure."""

from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
# Lines where pip (``ERROR:``, ``error: subprocess-exited-with-error``) and uv (``error:``, or
# a cross, U+00D7) start to report an error.
_ERROR_START = re.compile(r"^\s*(error:|\u00d7)", re.IGNORECASE)

MAX_DETAIL_LINES = 40


def error_excerpt(output: str, max_lines: int = MAX_DETAIL_LINES) -> str:
    """The meaningful tail of a failed command's output, at most ``max_lines`` lines.

    Colour codes and blank lines at either end are dropped. When the first line that starts
    an error report lies within the last ``max_lines`` lines, the excerpt starts there (the
    progress lines before it say nothing about the failure); otherwise it is the last
    ``max_lines`` lines after a note of how many were left out.
    """
    lines = [line.rstrip() for line in _ANSI.sub("", output).splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    first_error = next((i for i, line in enumerate(lines) if _ERROR_START.match(line)), None)
    if first_error is not None and len(lines) - first_error <= max_lines:
        return "\n".join(lines[first_error:])
    if len(lines) <= max_lines:
        return "\n".join(lines)
    left_out = len(lines) - max_lines + 1
    return "\n".join([f"... ({left_out} earlier lines left out)", *lines[left_out:]])
