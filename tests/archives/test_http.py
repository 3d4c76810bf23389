"""The low-level HTTP layer against a real local server: JSON, errors, headers, aborting."""

from __future__ import annotations

import threading

import pytest

from ivpm.fetch.http import HttpError, abort_requests, allow_requests, get_json, open_url
from tests.helpers.httpserver import FileServer


def test_get_json_sends_headers(server: FileServer) -> None:
    url = server.add_json("/api", {"tag": "v1"})
    assert get_json(url, headers={"Authorization": "token T"}) == {"tag": "v1"}
    ((path, headers),) = server.requests
    assert path == "/api" and headers["authorization"] == "token T"
    assert headers["User-Agent"].startswith("ivpm/")


def test_authorization_is_not_sent_across_a_redirect(server: FileServer) -> None:
    server.add_json("/target", [1])
    url = server.redirect("/start", "/target")
    assert get_json(url, headers={"Authorization": "token T"}) == [1]
    sent = dict(server.requests)
    assert "authorization" in sent["/start"] and "authorization" not in sent["/target"]


def test_error_answer_keeps_status_headers_and_body(server: FileServer) -> None:
    url = server.add_json(
        "/limited",
        {"message": "API rate limit exceeded"},
        status=403,
        headers={"X-RateLimit-Remaining": "0"},
    )
    with pytest.raises(HttpError) as caught:
        get_json(url)
    error = caught.value
    assert error.status == 403 and url in error.reason
    assert error.headers["x-ratelimit-remaining"] == "0"
    assert b"rate limit" in error.body


def test_connection_refused_names_the_url() -> None:
    with FileServer() as gone:
        url = gone.url + "/x"
    with pytest.raises(HttpError) as caught:
        get_json(url, retries=0)
    assert url in caught.value.reason and caught.value.status is None


def test_not_json(server: FileServer) -> None:
    url = server.add("/html", b"<html>")
    with pytest.raises(HttpError) as caught:
        get_json(url)
    assert "not JSON" in caught.value.reason


def test_short_body_is_an_error(server: FileServer) -> None:
    url = server.truncate("/t", b"x" * 100, 10)
    with pytest.raises(HttpError) as caught, open_url(url) as response:
        while response.read(7):
            pass
    assert "10 of 100 bytes" in caught.value.reason


@pytest.mark.timeout(60)
def test_abort_unblocks_a_waiting_request(server: FileServer) -> None:
    url = server.hang("/never")
    errors: list[HttpError] = []

    def wait() -> None:
        try:
            get_json(url, timeout=120, retries=3)
        except HttpError as exc:
            errors.append(exc)

    worker = threading.Thread(target=wait, daemon=True)
    worker.start()
    try:
        assert server.wait_for_request("/never")
        abort_requests()
        worker.join(30)
    finally:
        allow_requests()
    assert not worker.is_alive()
    assert len(errors) == 1 and "interrupted" in errors[0].reason
    assert server.count("/never") == 1
