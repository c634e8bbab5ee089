"""A network namespace of the env's own, below the page: Chromium and the task server live in it.

:class:`NetSandbox` starts a small helper process in a fresh network namespace (``unshare -n``
as root, ``unshare -r -n`` otherwise: a user namespace that maps this user to root in it).
The helper brings the namespace's loopback up and hands this process listening TCP sockets
bound inside the namespace (over a socket pair, ``SCM_RIGHTS``); this process serves them from
its own threads (a socket keeps the namespace it was made in). Chromium is started inside the
same namespace through a wrapper (``nsenter``) given to Playwright as the executable.

Inside the namespace there is nothing but the env's own listening sockets: the host's
loopback servers, other machines and DNS are unreachable whatever a page, worker, worklet or
WebRTC stack tries. Playwright talks to Chromium over a pipe, not the network.

Each process has its own namespace: a process forked from one that already has a namespace
(Gymnasium's ``AsyncVectorEnv`` and SB3's ``SubprocVecEnv`` with the ``fork`` start method)
forgets the inherited one in the child (closing only the child's copies of its descriptors; the
parent's helper runs on) and makes its own on first use.

Where the namespace cannot be had (no ``unshare``/``nsenter``, user namespaces disabled), the
env warns once and runs Chromium in the host's network namespace: the proxy and request
routing layers (``server.py``, ``session.py``) remain.
"""
from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import warnings

# Runs in the namespace: loopback up (SIOCGIFFLAGS / SIOCSIFFLAGS, no iproute2 needed), then one
# listening socket on 127.0.0.1 per request byte, sent back; exits when this process goes away.
_HELPER = r"""
import fcntl, socket, struct, sys
ctl = socket.socket(fileno=int(sys.argv[1]))
probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
flags = struct.unpack("16sH", fcntl.ioctl(probe, 0x8913, struct.pack("16sH14x", b"lo", 0))[:18])[1]
fcntl.ioctl(probe, 0x8914, struct.pack("16sH14x", b"lo", flags | 1))
ctl.sendall(b"U")
while True:
    req = ctl.recv(1)
    if not req:
        break
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    socket.send_fds(ctl, [b"L"], [listener.fileno()])
    listener.close()
"""


class SandboxUnavailable(RuntimeError):
    """The network namespace could not be made on this machine."""


class NetSandbox:
    """A network namespace held by a helper process; see the module docstring."""

    def __init__(self, user_namespace: bool | None = None):
        """``user_namespace``: also make a user namespace (``unshare -r``); ``None``: only when not root."""
        unshare, nsenter = shutil.which("unshare"), shutil.which("nsenter")
        if not unshare or not nsenter:
            raise SandboxUnavailable("`unshare`/`nsenter` (util-linux) not found")
        self.rootless = os.geteuid() != 0 if user_namespace is None else bool(user_namespace)
        ours, theirs = socket.socketpair()
        cmd = [unshare] + (["-r", "-n"] if self.rootless else ["-n"]) + \
              [sys.executable, "-I", "-c", _HELPER, str(theirs.fileno())]
        try:
            self._proc = subprocess.Popen(cmd, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        finally:
            theirs.close()
        self._ctl, self._lock, self._owner = ours, threading.Lock(), os.getpid()
        ours.settimeout(10)
        try:
            ready = ours.recv(1)
        except OSError:
            ready = b""
        if ready != b"U":
            err = self._proc.communicate(timeout=5)[1].decode(errors="replace").strip() if self._proc.poll() is not None \
                else "no answer"
            self.close()
            raise SandboxUnavailable(f"`{' '.join(cmd[:3 if self.rootless else 2])}` failed: {err or 'no answer'}")
        self.pid = self._proc.pid

    def listen(self) -> socket.socket:
        """A new TCP socket listening on 127.0.0.1 (a free port) inside the namespace."""
        with self._lock:
            self._ctl.sendall(b"L")
            _, fds, _, _ = socket.recv_fds(self._ctl, 1, 1)
        if not fds:
            raise SandboxUnavailable("the namespace helper sent no socket")
        return socket.socket(fileno=fds[0])

    def wrap(self, executable: str) -> str:
        """Path of a new wrapper that runs ``executable`` (with its arguments) inside the namespace;
        :meth:`unwrap` removes it once the program started (nothing is left behind by worker
        processes that end without running ``atexit``)."""
        if self._owner != os.getpid():
            raise SandboxUnavailable("this namespace belongs to another process (a fork's parent); "
                                     "use shared_sandbox() in this one")
        if self._proc.poll() is not None:  # nsenter -t would name a dead (or reused) process id
            raise SandboxUnavailable(f"the network namespace helper (pid {self.pid}) exited with code "
                                     f"{self._proc.returncode}; restart the Python process")
        fd, path = tempfile.mkstemp(prefix="rewardgym-netns-")
        enter = f"-t {self.pid} " + ("-U -n --preserve-credentials" if self.rootless else "-n")
        with os.fdopen(fd, "w") as f:
            f.write(f'#!/bin/sh\nexec {shutil.which("nsenter")} {enter} -- "{executable}" "$@"\n')
        os.chmod(path, 0o700)
        return path

    @staticmethod
    def unwrap(path: str) -> None:
        """Removes a wrapper made by :meth:`wrap`."""
        try:
            os.unlink(path)
        except OSError:
            pass

    def close(self) -> None:
        """Ends the helper (and so the namespace). In a forked child this closes only the child's
        copies of the descriptors: the helper belongs to the parent and runs on."""
        for f in (self._ctl, self._proc.stderr):
            try:
                if f is not None:
                    f.close()
            except OSError:
                pass
        if self._owner != os.getpid():
            return
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=5)


_SHARED: dict[str, NetSandbox | None] = {}   # "box": this process's namespace once asked for
_SHARED_LOCK = threading.Lock()


def shared_sandbox() -> NetSandbox | None:
    """This process's namespace, or ``None`` (with one warning) where none can be made.

    ``REWARDGYM_BROWSER_NETNS=0`` turns the namespace off (for tests of the other layers);
    ``=user`` makes it with a user namespace even as root (the unprivileged way, for tests)."""
    with _SHARED_LOCK:
        if "box" not in _SHARED:
            _SHARED["box"] = new_sandbox()
        return _SHARED["box"]


def new_sandbox() -> NetSandbox | None:
    """A namespace that no one else shares (ended at exit), or ``None`` with the warning of
    :func:`shared_sandbox`."""
    mode = os.environ.get("REWARDGYM_BROWSER_NETNS", "1")
    if mode == "0":
        return None
    try:
        box = NetSandbox(user_namespace=True if mode == "user" else None)
    except (SandboxUnavailable, OSError) as err:
        warnings.warn(
            f"rewardgym browser envs: no network namespace for Chromium ({err}). Chromium runs in the host's "
            "network namespace; pages stay confined by the env's proxy (every HTTP/WebSocket request, workers "
            "included) and request routing, and WebRTC's non-proxied UDP is off, but traffic that bypasses the "
            "proxy could reach other local servers. See docs/browser.md, 'Threat model'.", RuntimeWarning,
            stacklevel=3)
        return None
    atexit.register(box.close)
    return box


def _forget_after_fork() -> None:
    """In a forked child: drop the parent's namespace (the child makes its own when asked)."""
    global _SHARED_LOCK
    _SHARED_LOCK = threading.Lock()  # another thread may have held it at the fork
    box = _SHARED.pop("box", None)
    if box is not None:
        box.close()  # only the child's copies of its descriptors: see NetSandbox.close


os.register_at_fork(after_in_child=_forget_after_fork)
