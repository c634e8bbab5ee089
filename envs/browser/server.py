"""The task pages' HTTP server, which is also every browser context's only proxy.

Serves rewardgym's own pages under ``/rg/`` (``assets/browser``), MiniWoB++'s pages from the
installed ``miniwob`` package under ``/miniwob/`` (never copied into this repository), and any
user task folder under ``/user/<n>/``. One server per process, shared by its envs: a forked
child forgets its parent's (closing only its own copies of the sockets) and starts its own.

Its sockets listen on 127.0.0.1 inside the process's network namespace (``sandbox.py``) when
one can be had, else on the host's loopback. Two kinds:

* the **origin** (``origin``, ``http://127.0.0.1:<port>``): the pages' URL. It answers only
  requests whose ``Host`` is that origin;
* one **proxy endpoint per browser context** (:meth:`TaskServer.proxy`): Chromium sends every
  HTTP request and WebSocket of that context (pages, workers, worklets, beacons; loopback
  included) through it. A request for the origin is answered from the files; anything else
  (another host or port, ``CONNECT`` tunnels for WebSockets, HTTPS and WebRTC TURN) gets 403
  and is counted by the endpoint's ``on_block``.
"""
from __future__ import annotations

import http.server
import os
import select
import socket
import threading
import urllib.parse
from importlib import resources
from pathlib import Path
from typing import Callable

from .sandbox import shared_sandbox


# Chromium's own services (e.g. autofill queries from pages with form fields, sent through the
# context's proxy at times no page controls): refused like everything else, but counted in
# ``TaskServer.blocked_unattributed`` rather than an env's ``blocked_requests`` (which must not
# change from run to run). A page's own requests to these hosts are counted by request routing.
BROWSER_SERVICE_SUFFIXES = (".googleapis.com.", ".google.com.", ".gstatic.com.", ".gvt1.com.",
                            ".googleusercontent.com.")


class _Endpoint:
    """What a handler needs from its listening socket (passed to the handler as ``server``)."""

    def __init__(self, server: "TaskServer", sock: socket.socket, on_block: Callable[[str], None] | None,
                 proxy: bool):
        self.task_server, self.socket, self.on_block, self.proxy = server, sock, on_block, proxy
        self.roots = server.roots


class _Handler(http.server.SimpleHTTPRequestHandler):
    server: _Endpoint

    def parse_request(self) -> bool:
        """Admits only requests for the task server's origin; refuses and counts the rest."""
        if not super().parse_request():
            return False
        ts = self.server.task_server
        if self.command == "CONNECT":
            return self._refuse(f"CONNECT {self.path}")
        if self.path.startswith("/"):  # origin-form: a direct connection to the origin port
            if self.server.proxy or self.headers.get("Host", "") != ts.netloc:
                return self._refuse(f"http://{self.headers.get('Host', '?')}{self.path}")
            return True
        url = urllib.parse.urlsplit(self.path)  # absolute-form: a proxied request
        if not self.server.proxy or url.scheme != "http" or url.netloc != ts.netloc:
            return self._refuse(self.path)
        self.path = urllib.parse.urlunsplit(("", "", url.path or "/", url.query, ""))
        return True

    def _refuse(self, what: str) -> bool:
        if what.startswith("CONNECT "):
            host = what[len("CONNECT "):].rsplit(":", 1)[0].strip("[]")
        else:
            host = urllib.parse.urlsplit(what).hostname
        if host and (host + ".").endswith(BROWSER_SERVICE_SUFFIXES):  # Chromium's own, not the page's
            self.server.task_server.count_unattributed(what)
        else:
            (self.server.on_block or self.server.task_server.count_unattributed)(what)
        self.close_connection = True
        try:
            self.send_error(403, "rewardgym: only the task server's origin may be reached")
        except OSError:
            pass
        return False

    def translate_path(self, path: str) -> str:
        path = urllib.parse.unquote(path.split("?", 1)[0].split("#", 1)[0])
        for prefix, root in self.server.roots.items():
            if path.startswith(prefix):
                rel = os.path.normpath(path[len(prefix):].lstrip("/"))
                if rel.startswith(".."):
                    return str(root / "__forbidden__")
                return str(root / rel)
        return str(Path("/nonexistent"))

    def log_message(self, *args):  # quiet
        pass


def miniwob_html_dir() -> Path:
    try:
        import miniwob
    except ImportError as err:
        raise ImportError("MiniWoB++ tasks need the `miniwob` package: pip install 'rewardgym[browser]'") from err
    return Path(miniwob.__file__).parent / "html"


class TaskServer:
    """Listens inside the process's network namespace (or on host loopback without one).

    ``origin`` is ``http://127.0.0.1:<port>``; ``sandbox`` the :class:`~.sandbox.NetSandbox`
    or ``None``; ``blocked_unattributed`` counts refusals at the origin port (traffic that
    bypassed a context's proxy), which no env can be named for."""

    def __init__(self):
        self.roots: dict[str, Path] = {"/rg/": Path(str(resources.files("rewardgym.assets") / "browser"))}
        try:
            self.roots["/miniwob/"] = miniwob_html_dir()
        except ImportError:
            pass
        self.sandbox = shared_sandbox()
        self.blocked_unattributed = 0
        self._endpoints: dict[int, _Endpoint] = {}
        self._lock = threading.Lock()
        self._wake_r, self._wake_w = os.pipe()
        self._closed, self._owner = False, os.getpid()
        origin = self._listen(None, proxy=False)
        self.netloc = "127.0.0.1:%d" % origin.socket.getsockname()[1]
        self.origin = f"http://{self.netloc}"
        self._thread = threading.Thread(target=self._serve, daemon=True, name="rewardgym-task-server")
        self._thread.start()

    def _socket(self) -> socket.socket:
        if self.sandbox is not None:
            return self.sandbox.listen()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        return sock

    def _listen(self, on_block, proxy: bool) -> _Endpoint:
        ep = _Endpoint(self, self._socket(), on_block, proxy)
        with self._lock:
            self._endpoints[ep.socket.fileno()] = ep
        os.write(self._wake_w, b"x")
        return ep

    def proxy(self, on_block: Callable[[str], None]) -> tuple[str, Callable[[], None]]:
        """A proxy endpoint for one browser context: ``(proxy URL, close)``; refusals call ``on_block(url)``."""
        ep = self._listen(on_block, proxy=True)
        url = "http://127.0.0.1:%d" % ep.socket.getsockname()[1]

        def close() -> None:
            with self._lock:
                self._endpoints.pop(ep.socket.fileno(), None)
            os.write(self._wake_w, b"x")
            ep.socket.close()
        return url, close

    def count_unattributed(self, what: str) -> None:
        self.blocked_unattributed += 1

    def _serve(self) -> None:
        while not self._closed:
            with self._lock:
                eps = dict(self._endpoints)
            poller = select.poll()
            for fd in (self._wake_r, *eps):
                poller.register(fd, select.POLLIN)
            for fd, _ in poller.poll():
                if fd == self._wake_r:
                    os.read(self._wake_r, 4096)
                    continue
                ep = eps.get(fd)
                if ep is None:
                    continue
                try:
                    conn, addr = ep.socket.accept()
                except OSError:
                    continue
                threading.Thread(target=self._handle, args=(conn, addr, ep), daemon=True).start()

    @staticmethod
    def _handle(conn: socket.socket, addr, ep: _Endpoint) -> None:
        try:
            conn.settimeout(30)
            _Handler(conn, addr, ep)
        except Exception:  # a client that went away
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def add_root(self, folder: str | Path) -> str:
        """Serves a user's task folder; returns its URL prefix."""
        prefix = f"/user/{len(self.roots)}/"
        self.roots[prefix] = Path(folder).resolve()
        return prefix

    def close(self) -> None:
        """Stops serving. In a forked child only the child's copies of the sockets and of the wake
        pipe are closed: the parent's server (its thread did not come along) serves on."""
        self._closed = True
        if self._owner == os.getpid():
            os.write(self._wake_w, b"x")
        with self._lock:
            for ep in self._endpoints.values():
                ep.socket.close()
            self._endpoints.clear()
        if self._owner != os.getpid():
            for fd in (self._wake_r, self._wake_w):
                try:
                    os.close(fd)
                except OSError:
                    pass


_SHARED: dict[str, TaskServer] = {}   # "server": this process's server once asked for
_SHARED_LOCK = threading.Lock()


def shared_server() -> TaskServer:
    """One server per process, shared by every browser env in it."""
    with _SHARED_LOCK:
        if "server" not in _SHARED:
            _SHARED["server"] = TaskServer()
        return _SHARED["server"]


def _forget_after_fork() -> None:
    """In a forked child: drop the parent's server (the child starts its own when asked)."""
    global _SHARED_LOCK
    _SHARED_LOCK = threading.Lock()  # another thread may have held it at the fork
    server = _SHARED.pop("server", None)
    if server is not None:
        server._lock = threading.Lock()  # its thread may have held it at the fork
        server.close()


os.register_at_fork(after_in_child=_forget_after_fork)
