"""A static HTTP server on loopback for task pages, shared by the envs of one process.

Serves rewardgym's own pages under ``/rg/`` (``assets/browser``), MiniWoB++'s pages from the
installed ``miniwob`` package under ``/miniwob/`` (never copied into this repository), and any
user task folder under ``/user/<n>/``.
"""
from __future__ import annotations

import functools
import http.server
import os
import threading
from importlib import resources
from pathlib import Path


class _Handler(http.server.SimpleHTTPRequestHandler):
    roots: dict[str, Path] = {}

    def translate_path(self, path: str) -> str:
        path = path.split("?", 1)[0].split("#", 1)[0]
        for prefix, root in self.roots.items():
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
    """``start()`` binds 127.0.0.1 on a free port; ``origin`` is ``http://127.0.0.1:<port>``."""

    def __init__(self):
        self.roots: dict[str, Path] = {"/rg/": Path(str(resources.files("rewardgym.assets") / "browser"))}
        try:
            self.roots["/miniwob/"] = miniwob_html_dir()
        except ImportError:
            pass
        handler = type("Handler", (_Handler,), {"roots": self.roots})
        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True, name="rewardgym-task-server")
        self._thread.start()
        self.origin = f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def add_root(self, folder: str | Path) -> str:
        """Serves a user's task folder; returns its URL prefix."""
        prefix = f"/user/{len(self.roots)}/"
        self.roots[prefix] = Path(folder).resolve()
        return prefix

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@functools.lru_cache(maxsize=1)
def shared_server() -> TaskServer:
    """One server per process, shared by every browser env in it."""
    return TaskServer()
