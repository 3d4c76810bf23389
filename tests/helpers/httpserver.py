"""A real HTTP server on 127.0.0.1 in a daemon thread, serving what a test puts in it.

``with FileServer() as server: url = server.add("/a.tar.gz", data)``. Besides plain answers
it can hang (accept a request and never answer), cut a body short, redirect, and fail a few
times before answering. ``requests`` records every request's path and headers (header names
looked up case-insensitively), so a test can assert that nothing was fetched or that a token
was sent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


class RequestHeaders(dict[str, str]):
    """A request's headers: keys stored lower-case, looked up case-insensitively."""

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        """The header's value, or ``default``."""
        return super().get(key.lower(), default)


@dataclass
class _Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    mode: str = "serve"  # serve | hang | truncate
    sent: int = 0
    failures: int = 0  # answer `failure_status` this many times first
    failure_status: int = 503


class FileServer:
    """A context manager running a ThreadingHTTPServer on 127.0.0.1 with a free port."""

    def __init__(self) -> None:
        self._routes: dict[str, _Route] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._arrived = threading.Condition()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> FileServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release hanging handlers and stop the server."""
        self._closing.set()
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def add(
        self,
        path: str,
        body: bytes,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> str:
        """Serve ``body`` at ``path`` with ``status``; returns the full URL."""
        return self._put(path, _Route(body, status, dict(headers or {})))

    def add_json(
        self,
        path: str,
        obj: object,
        *,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> str:
        """Serve ``obj`` as JSON at ``path`` (``status`` and ``headers`` as for :meth:`add`)."""
        merged = {"Content-Type": "application/json", **(headers or {})}
        return self.add(path, json.dumps(obj).encode(), status=status, headers=merged)

    def hang(self, path: str) -> str:
        """Accept requests for ``path`` and never answer (until the server closes)."""
        return self._put(path, _Route(mode="hang"))

    def truncate(self, path: str, body: bytes, sent: int) -> str:
        """Announce ``len(body)`` bytes at ``path`` but send only ``sent`` of them, then close."""
        return self._put(path, _Route(body, mode="truncate", sent=sent))

    def redirect(self, path: str, location: str, *, status: int = 302) -> str:
        """Redirect ``path`` to ``location`` (a full URL or a path on this server)."""
        return self._put(path, _Route(status=status, headers={"Location": location}))

    def flaky(self, path: str, body: bytes, *, failures: int, status: int = 503) -> str:
        """Answer ``status`` to the first ``failures`` requests for ``path``, then ``body``."""
        return self._put(path, _Route(body, failures=failures, failure_status=status))

    def wait_for_request(self, path: str, *, timeout: float = 60.0) -> bool:
        """Block until a request for ``path`` has arrived; False if none came in ``timeout``."""
        with self._arrived:
            return self._arrived.wait_for(lambda: self.count(path) > 0, timeout=timeout)

    def count(self, path: str) -> int:
        """How many requests for ``path`` (query string ignored) the server received."""
        return sum(1 for seen, _ in self.requests if seen.split("?", 1)[0] == path)

    def _put(self, path: str, route: _Route) -> str:
        if not path.startswith("/"):
            path = "/" + path
        with self._lock:
            self._routes[path] = route
        return self.url + path

    def _route(self, path: str) -> _Route | None:
        with self._lock:
            route = self._routes.get(path) or self._routes.get(path.split("?", 1)[0])
            if route is not None and route.failures > 0:
                route.failures -= 1
                return _Route(b"failing on purpose\n", route.failure_status)
            return route

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_HEAD(self) -> None:
                """Headers only, as real servers answer (uv asks before a download)."""
                with server._lock:
                    route = server._routes.get(self.path.split("?", 1)[0])
                if route is None or route.mode != "serve":
                    route = _Route(status=404 if route is None else 405)
                self._send_head(route)

            def do_GET(self) -> None:
                headers = RequestHeaders((k.lower(), v) for k, v in self.headers.items())
                with server._arrived:
                    server.requests.append((self.path, headers))
                    server._arrived.notify_all()
                route = server._route(self.path)
                if route is None:
                    route = _Route(b"not found\n", 404)
                if route.mode == "hang":
                    server._closing.wait()
                    self.close_connection = True
                    return
                self._send_head(route)
                if route.mode == "truncate":
                    self.wfile.write(route.body[: route.sent])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(route.body)

            def _send_head(self, route: _Route) -> None:
                self.send_response(route.status)
                for key, value in route.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
