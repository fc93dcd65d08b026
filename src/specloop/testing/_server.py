"""The HTTP plumbing: a threaded stdlib server, its handler, and the request log."""

from __future__ import annotations

import contextlib
import json
import socket
import socketserver
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from specloop.testing._app import PREFIX, App, Outgoing, parse_body
from specloop.testing._script import Script
from specloop.testing._wire import error_body, json_bytes

# Header values that are secrets; they are logged as "[redacted]".
_SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "api-key", "x-goog-api-key", "cookie"}
)
_DISCONNECTS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the server saw it; also written as one JSON line to `log_path`.

    `n` counts requests from 1 in arrival order; header names are lower-cased and secret
    values redacted; `body` is the parsed JSON, the text, or None; `step` is the 0-based
    index of the script step that answered (None when no step was used).
    """

    n: int
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    step: int | None
    status: int

    def to_json(self) -> dict[str, Any]:
        """The JSON-ready form written to the log file."""
        return asdict(self)


class _HTTPServer(ThreadingHTTPServer):
    """Tracks live connections so `stop()` can end keep-alive handlers at once."""

    daemon_threads = True  # a client that never hangs up cannot keep the process alive

    def __init__(self, address: tuple[str, int], owner: ScriptedModelServer) -> None:
        self.owner = owner
        self.connections: dict[socket.socket, threading.Thread] = {}
        self.connections_lock = threading.Lock()
        self.stopping = threading.Event()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, a DNS query; an offline test
        # double must make none (offline runs are checked for DNS traffic with strace).
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up mid-answer is normal for a test double; stay quiet about it.
        # Anything else is a bug in this server and keeps the default traceback.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, and chunked SSE as the real APIs send it
    server_version = "specloop-scripted-model"
    sys_version = ""
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections[self.connection] = threading.current_thread()
            if self.server.stopping.is_set():  # accepted just as stop() ran
                _hang_up(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            with self.server.connections_lock:
                self.server.connections.pop(self.connection, None)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: every request is logged as JSON instead (and headers redacted there)."""

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_HEAD = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _dispatch(self) -> None:
        owner = self.server.owner
        n = owner._next_number()
        body: Any = None
        try:
            body = parse_body(self._read_body())
        except ValueError:
            # Broken framing: answer, then close, since the next request cannot be found.
            answer = _failure(400, "the request body's Content-Length or chunking is malformed")
            answer = Outgoing(400, (*answer.headers, ("Connection", "close")), answer.body)
        except OSError:  # the client left mid-body: there is nobody to answer
            self.close_connection = True
            return
        else:
            try:
                answer = owner._app.handle(self.command, self.path, body, n)
            except Exception as exc:  # a server bug must still answer, never go silent
                answer = _failure(500, f"internal error: {exc!r}")
        if answer.delay:
            self.server.stopping.wait(answer.delay)  # stop() cuts a scripted delay short
        # Logged before the answer is written: a client holding the answer can trust the log.
        owner._record(
            LoggedRequest(
                n=n,
                method=self.command,
                path=self.path,
                headers=_redacted(self.headers.items()),
                body=body,
                step=answer.step,
                status=answer.status,
            )
        )
        try:
            self._write(answer)
        except _DISCONNECTS:
            self.close_connection = True

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                part = self.rfile.read(size)
                if len(part) < size:
                    raise OSError("the client closed the connection mid-body")
                parts.append(part)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError("negative Content-Length")
        data = self.rfile.read(length) if length else b""
        if len(data) < length:
            raise OSError("the client closed the connection mid-body")
        return data

    def _write(self, answer: Outgoing) -> None:
        self.send_response(answer.status)
        for name, value in answer.headers:
            self.send_header(name, value)
        if answer.events is None:
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)
            self.wfile.flush()
            return
        chunked = self.request_version == "HTTP/1.1"
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:  # an HTTP/1.0 client cannot read chunks: end the body by closing
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        for event in answer.events:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event) if chunked else event)
            self.wfile.flush()  # one event at a time, as a streaming client expects
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def _failure(status: int, problem: str) -> Outgoing:
    body = json_bytes(error_body("openai", status, f"{PREFIX}: {problem}"))
    return Outgoing(status, (("Content-Type", "application/json"),), body)


def _hang_up(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)


def _redacted(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in items:
        key = name.lower()
        shown = "[redacted]" if key in _SECRET_HEADERS else value
        headers[key] = f"{headers[key]}, {shown}" if key in headers else shown
    return headers


class ScriptedModelServer:
    """A real HTTP server on 127.0.0.1 that answers model requests from a script.

    Use as a context manager, or `start()` / `stop()`. `base_url` is for Anthropic
    clients (they add `/v1/messages`), `openai_base_url` for OpenAI clients.
    """

    def __init__(
        self,
        script: Script | Sequence[Mapping[str, Any]],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log_path: Path | None = None,
    ) -> None:
        self.script = script if isinstance(script, Script) else Script.from_steps(script)
        self.host = host
        self.port = port
        self.log_path = Path(log_path) if log_path is not None else None
        self.requests: list[LoggedRequest] = []
        self._app = App(self.script)
        self._lock = threading.Lock()
        self._count = 0
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopped = False

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT` once started."""
        if self._httpd is None:
            raise RuntimeError("the scripted model server is not started; call start() first")
        host = self.host if self.host not in ("", "0.0.0.0", "::") else "127.0.0.1"
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """`base_url + "/v1"`, the form OpenAI clients expect."""
        return self.base_url + "/v1"

    def start(self) -> ScriptedModelServer:
        """Bind and serve in a background thread; returns self. A second call does nothing."""
        if self._stopped:
            raise RuntimeError("a stopped scripted model server cannot be started again")
        if self._httpd is not None:
            return self
        if self.log_path is not None:
            # Fail here, loudly, rather than inside a request handler.
            self.log_path.open("a", encoding="utf-8").close()
        server_class = _HTTPServer6 if ":" in self.host else _HTTPServer
        self._httpd = server_class((self.host, self.port), self)
        self.port = int(self._httpd.server_address[1])
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.01},  # stop() waits up to one poll; keep tests quick
            name=f"specloop-scripted-model:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, hang up open connections and close the socket. Idempotent."""
        httpd, thread = self._httpd, self._thread
        if self._stopped or httpd is None or thread is None:
            self._stopped = True
            return
        self._stopped = True
        httpd.shutdown()
        thread.join()
        with httpd.connections_lock:
            httpd.stopping.set()
            live = dict(httpd.connections)
        for connection in live:
            _hang_up(connection)
        for handler_thread in live.values():
            handler_thread.join(timeout=5)
        httpd.server_close()

    def serve_forever(self) -> None:
        """Serve until Ctrl-C (for the shell command); then stop and return."""
        self.start()
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(timeout=0.1)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def remaining(self) -> int:
        """Steps not yet used, not counting `repeat` steps."""
        return self._app.cursor.remaining()

    def __enter__(self) -> ScriptedModelServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.base_url if self._httpd is not None else "not started"
        return f"<ScriptedModelServer {where}, {self.remaining()} steps left>"

    def _next_number(self) -> int:
        with self._lock:
            self._count += 1
            return self._count

    def _record(self, entry: LoggedRequest) -> None:
        with self._lock:
            self.requests.append(entry)
            if self.log_path is not None:
                line = json.dumps(entry.to_json(), ensure_ascii=False)
                with self.log_path.open("a", encoding="utf-8") as log:
                    log.write(line + "\n")


class ScriptedModelFactory(Protocol):
    """The `scripted_model` pytest fixture: steps (or a Script) in, a started server out."""

    def __call__(
        self, script: Script | Sequence[Mapping[str, Any]], *, log_path: Path | None = None
    ) -> ScriptedModelServer: ...
