"""run_command: output captured as before, and a silent command stopped with its children."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from ivpm.proc import CommandFailed, CommandStalled, run_command

PYTHON_NAME = Path(sys.executable).name  # how the stall note names the program


def _running(marker: str) -> list[str]:
    """Live processes whose command line contains ``marker``."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes() if entry.isdigit() else b""
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[-1].split()[0]
        except (OSError, IndexError):
            continue
        if marker.encode() in cmdline and state != "Z":
            found.append(entry)
    return found


def test_output_is_combined_text_with_universal_newlines() -> None:
    result = run_command(["sh", "-c", "printf 'a\\r\\nb\\rc\\n'; printf '\\377\\n' >&2"])
    assert result.returncode == 0
    assert result.output == "a\nb\nc\n\ufffd\n"


def test_a_failure_carries_the_output() -> None:
    with pytest.raises(CommandFailed) as caught:
        run_command(["sh", "-c", "echo boom; exit 3"])
    assert caught.value.returncode == 3
    assert caught.value.output == "boom\n"
    assert run_command(["sh", "-c", "exit 3"], check=False).returncode == 3


def test_a_missing_program_is_status_127() -> None:
    with pytest.raises(CommandFailed) as caught:
        run_command(["/nonexistent/ivpm-no-such-tool"])
    assert caught.value.returncode == 127


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="descendants are found through /proc")
def test_a_silent_command_is_stopped_with_its_children() -> None:
    marker = f"ivpm-silent-{os.getpid()}"
    code = (
        "import subprocess, sys, time; print('started', flush=True); "
        f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(1000)', '{marker}']); "
        "time.sleep(1000)"
    )
    with pytest.raises(CommandStalled) as caught:
        run_command([sys.executable, "-c", code, marker], silence_timeout=1)
    assert caught.value.output.startswith("started\n")
    assert f"ivpm: {PYTHON_NAME} printed nothing for 1 s and was stopped" in caught.value.output
    assert "IVPM_SILENCE_TIMEOUT" in caught.value.output
    assert isinstance(caught.value, CommandFailed)
    assert _running(marker) == []


def test_silence_after_the_command_exited_is_no_stall() -> None:
    marker = f"ivpm-leftover-{os.getpid()}"
    code = (
        "import subprocess, sys; "
        f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(1000)', '{marker}']); "
        "print('done')"
    )
    try:
        result = run_command([sys.executable, "-c", code], silence_timeout=1)
        assert result.output == "done\n"
        assert result.returncode == 0
    finally:
        for pid in _running(marker):
            os.kill(int(pid), 9)


def test_the_limit_comes_from_ivpm_silence_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVPM_SILENCE_TIMEOUT", "1")
    with pytest.raises(CommandStalled) as caught:
        run_command([sys.executable, "-c", "import time; time.sleep(1000)"])
    assert caught.value.silence == 1
    assert f"{PYTHON_NAME} printed nothing for 1 s" in caught.value.output
