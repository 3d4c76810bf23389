"""error_excerpt keeps pip's and uv's connection errors once and names the unreachable index."""

from __future__ import annotations

from ivpm.pyenv.output import error_excerpt, index_unreachable

RETRY = (
    "WARNING: Retrying (Retry(total={n}, connect=None, read=None, redirect=None, status=None)) "
    "after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection."
    "HTTPConnection object at 0x7f{n}c813004d10>: Failed to establish a new connection: "
    "[Errno 111] Connection refused')': /simple/foo/"
)
PIP_REFUSED = "\n".join(
    [
        "Looking in indexes: http://127.0.0.1:4242/simple, https://mirror.example/simple",
        *(RETRY.format(n=n) for n in (4, 3, 2, 1, 0)),
        "ERROR: Could not find a version that satisfies the requirement foo (from versions: none)",
        "ERROR: No matching distribution found for foo",
    ]
)
UV_TIMEOUT = """\
Using Python 3.11.7 environment at: packages/python
error: Request failed after 3 retries in 9.1s
  cause: Failed to fetch: `http://127.0.0.1:4242/simple/foo/`
  cause: error sending request for url (http://127.0.0.1:4242/simple/foo/)
  cause: operation timed out
"""


def test_pips_repeated_retry_lines_are_kept_once_before_its_errors() -> None:
    lines = error_excerpt(PIP_REFUSED).splitlines()
    assert lines[0] == RETRY.format(n=4) + "  [5 times]"
    assert lines[1:3] == [
        "ERROR: Could not find a version that satisfies the requirement foo (from versions: none)",
        "ERROR: No matching distribution found for foo",
    ]
    assert len(lines) == 4


def test_the_unreachable_index_is_named() -> None:
    note = error_excerpt(PIP_REFUSED).splitlines()[-1]
    assert note.startswith(
        "ivpm: the package index http://127.0.0.1:4242/simple, https://mirror.example/simple "
        "was unreachable"
    )
    assert index_unreachable(PIP_REFUSED)


def test_pips_error_naming_the_host_picks_that_index() -> None:
    timeout = (
        "WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) "
        "after connection broken by 'ReadTimeoutError(\"HTTPConnectionPool(host='127.0.0.1', "
        "port=4242): Read timed out. (read timeout=1.0)\")': /simple/foo/"
    )
    output = PIP_REFUSED.splitlines()[0] + "\n" + timeout + "\nERROR: No matching distribution"
    assert "index http://127.0.0.1:4242/simple was unreachable" in error_excerpt(output)


def test_pip_with_the_default_index_names_pypi() -> None:
    output = RETRY.format(n=0) + "\nERROR: No matching distribution found for foo"
    assert "index https://pypi.org/simple was unreachable" in error_excerpt(output)


def test_uvs_failed_fetch_names_the_index() -> None:
    excerpt = error_excerpt(UV_TIMEOUT)
    assert excerpt.splitlines()[:2] == [
        "error: Request failed after 3 retries in 9.1s",
        "  cause: Failed to fetch: `http://127.0.0.1:4242/simple/foo/`",
    ]
    assert "the package index http://127.0.0.1:4242/simple was unreachable" in excerpt


def test_a_missing_file_is_no_unreachable_index() -> None:
    output = (
        "error: Failed to fetch: `http://127.0.0.1:4242/foo-1.0-py3-none-any.whl`\n"
        "  Caused by: HTTP status client error (404 Not Found)\n"
    )
    assert "unreachable" not in error_excerpt(output)
    assert not index_unreachable(output)


def test_connection_errors_long_before_the_error_are_still_shown() -> None:
    output = "\n".join([RETRY.format(n=0), *(f"progress {i}" for i in range(100)), "ERROR: boom"])
    lines = error_excerpt(output, max_lines=10).splitlines()
    assert len(lines) <= 10
    assert lines[0] == RETRY.format(n=0)
    assert lines[-2] == "ERROR: boom"


def test_output_without_connection_errors_is_excerpted_as_before() -> None:
    assert error_excerpt("noise\nERROR: Could not find x\nERROR: No matching") == (
        "ERROR: Could not find x\nERROR: No matching"
    )
