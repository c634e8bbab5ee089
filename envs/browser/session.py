"""Headless Chromium through Playwright: one browser per process, one context + page per env.

Three layers keep a page to the task server's own origin (see docs/browser.md, "Threat model"):

1. Chromium runs in the process's own network namespace (``sandbox.py``) where the task
   server's sockets are the only listeners: nothing else is reachable at all;
2. every context's traffic goes through its own proxy endpoint of the task server
   (``server.py``), which answers only the origin and refuses and counts everything else
   (workers, worklets, beacons and WebRTC's TCP included; WebRTC's non-proxied UDP is off);
3. Playwright routing aborts and counts a page's requests that are not to the origin, and
   closes page WebSockets unconnected.

A crashed or hung browser is relaunched by the next ``reset()``.

Everything here belongs to the process that made it. A child forked from a process with a live
browser (Gymnasium's ``AsyncVectorEnv`` and SB3's ``SubprocVecEnv`` fork by default on Linux)
drops the inherited Playwright driver and browser without driving them: it closes its own
copies of the driver's pipes and event-loop descriptors (else the parent's driver would not see
its pipe close, and the parent's ``close()`` would wait for the child to exit) and launches its
own browser when an env of its own needs one.
"""
from __future__ import annotations

import atexit
import collections
import os
import threading
import weakref

DEFAULT_EXECUTABLE = os.environ.get("REWARDGYM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage",
                 # a changed tile is re-rastered whole: a repeated seed gives the same pixels (no
                 # antialiasing left over from the previous episode at rounded corners)
                 "--disable-partial-raster",
                 # WebRTC may use only the proxy (TURN over TCP, which the proxy refuses): no UDP, no STUN
                 # (measured: a page's STUN/TURN-UDP datagrams to a local port, 48 without it, 0 with it).
                 "--webrtc-ip-handling-policy=disable_non_proxied_udp",
                 # Element.computedRole / computedName: Chromium's own accessible role and name, read in
                 # the page (info["target_elements"], grounding names); the same as its CDP AX tree (tested)
                 "--enable-blink-features=ComputedAccessibilityInfo"]
# Without these, headless Chromium draws at most 60 frames/s and a screenshot waits for the next
# frame tick (about 16.7 ms of a 33 ms step, measured). With them a frame is drawn on demand; the
# price is that a page animating with requestAnimationFrame redraws as fast as a core allows.
UNLIMITED_FRAME_RATE_ARGS = ["--disable-frame-rate-limit", "--disable-gpu-vsync"]
# Records what a click hit: the mousedown target, kept even if a page handler then replaces it;
# the env describes it and clears it in the same call that reads the task state.
# Stops every timer and animation-frame callback a document scheduled (a window numbers each kind
# from 1 up), before the env loads the page again: a navigation that a timer would start then
# cannot race the env's own load.
STOP_TIMERS_JS = """() => { const last = setTimeout(() => 0, 0), frame = requestAnimationFrame(() => 0);
  for (let i = 1; i <= last; i++) { clearTimeout(i); clearInterval(i); }
  for (let i = 1; i <= frame; i++) cancelAnimationFrame(i); }"""
CLICK_RECORDER_JS = "window.addEventListener('mousedown', (ev) => { window.__rgHit = ev.target; }, true);"


class BrowserProcess:
    """A Playwright driver + Chromium, shared by the envs of one process (reference counted)."""

    _shared: dict[tuple, "BrowserProcess"] = {}
    _lock = threading.Lock()
    _inherited: list["BrowserProcess"] = []  # a forked child's copies of its parent's: kept, never driven

    def __init__(self, executable: str, args: tuple[str, ...] = tuple(CHROMIUM_ARGS), sandbox=None):
        if not os.path.exists(executable):
            raise FileNotFoundError(
                f"Chromium not found at {executable!r}. Install Debian's chromium (scripts/setup.sh does) or pass "
                "executable_path=... / set REWARDGYM_CHROMIUM. Playwright's own browser download is not used.")
        self.executable, self.args, self.sandbox = executable, tuple(args), sandbox
        self.users = 0
        self._pw = None
        self.browser = None
        self.owner = os.getpid()

    @classmethod
    def acquire(cls, executable: str = DEFAULT_EXECUTABLE, frame_rate_limit: bool = True,
                sandbox=None) -> "BrowserProcess":
        """The process's shared browser for this executable and frame-rate setting, run inside
        ``sandbox`` (a :class:`~.sandbox.NetSandbox`) when given."""
        args = tuple(CHROMIUM_ARGS + ([] if frame_rate_limit else UNLIMITED_FRAME_RATE_ARGS))
        with cls._lock:
            proc = cls._shared.get((executable, args))
            if proc is None:
                proc = cls._shared[(executable, args)] = BrowserProcess(executable, args, sandbox)
            proc.users += 1
            return proc

    def release(self) -> None:
        if self.owner != os.getpid():  # a forked child's copy of its parent's browser
            return
        with self._lock:
            self.users -= 1
            if self.users <= 0:
                self._shared.pop((self.executable, self.args), None)
                self.shutdown()

    def ensure(self):
        """The live browser, (re)launched when needed."""
        if self.browser is not None and self.browser.is_connected():
            return self.browser
        self.shutdown()
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        executable = self.sandbox.wrap(self.executable) if self.sandbox is not None else self.executable
        try:
            self.browser = self._pw.chromium.launch(executable_path=executable, headless=True, args=list(self.args))
        finally:
            if self.sandbox is not None:
                self.sandbox.unwrap(executable)
        return self.browser

    def shutdown(self) -> None:
        if self.owner != os.getpid():
            return
        for closer in (lambda: self.browser and self.browser.close(), lambda: self._pw and self._pw.stop()):
            try:
                closer()
            except Exception:  # already gone (crashed or killed)
                pass
        self.browser, self._pw = None, None

    def pid(self) -> int | None:
        """Process id of this process's Chromium (the browser process, not its renderers)."""
        if self.browser is None:
            return None
        for pid in descendants(os.getpid()):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            if b"chrom" in os.path.basename(argv[0]) and not any(a.startswith(b"--type=") for a in argv):
                return pid
        return None


    def _drop_in_fork(self) -> None:
        """In a forked child: close the child's copies of the driver's pipes and of its event
        loop's epoll and wake-up sockets, and never touch the objects again (their finalizers
        would unregister descriptors from the epoll instance the child shares with the parent)."""
        BrowserProcess._inherited.append(self)
        manager = getattr(getattr(self._pw, "stop", None), "__self__", None)  # the sync_playwright() object
        if manager is None:
            return
        closers = []
        try:
            popen = manager._client._transport._proc._transport._proc
            closers += [popen.stdin.close, popen.stdout.close]
        except AttributeError:
            pass
        loop = getattr(manager, "_loop", None)
        for name in ("_ssock", "_csock"):
            if getattr(loop, name, None) is not None:
                closers.append(getattr(loop, name).close)
        selector = getattr(getattr(loop, "_selector", None), "_selector", None)
        if selector is not None:
            closers.append(selector.close)
        for close in closers:
            try:
                close()
            except (OSError, ValueError):
                pass


def _forget_after_fork() -> None:
    """In a forked child: drop the parent's browsers (see the module docstring)."""
    BrowserProcess._lock = threading.Lock()  # another thread may have held it at the fork
    for proc in BrowserProcess._shared.values():
        proc._drop_in_fork()
    BrowserProcess._shared = {}
    for session in list(PageSession.live):
        session.context = session.page = None  # so a forked env's step() asks for reset()


os.register_at_fork(after_in_child=_forget_after_fork)


def descendants(root: int) -> list[int]:
    """Process ids below ``root``, read from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


@atexit.register
def _close_all() -> None:
    for proc in list(BrowserProcess._shared.values()):
        proc.shutdown()


class PageSession:
    """One isolated browser context and page, locked to the origin of ``server`` (a
    :class:`~.server.TaskServer`), with its own proxy endpoint of that server."""

    live: "weakref.WeakSet[PageSession]" = weakref.WeakSet()

    def __init__(self, server, viewport: tuple[int, int], executable: str = DEFAULT_EXECUTABLE,
                 timeout_ms: float = 5000, frame_rate_limit: bool = True):
        self.origin, self.viewport, self.timeout_ms = server.origin, viewport, timeout_ms
        self.blocked_count = 0                           # every request or WebSocket refused so far, any layer
        self.blocked = collections.deque(maxlen=100)     # the latest refused URLs
        self._count_lock = threading.Lock()
        self._close_proxy = None
        self.context = self.page = None
        self.owner = os.getpid()
        self.proc = BrowserProcess.acquire(executable, frame_rate_limit, server.sandbox)
        self.proxy_url, self._close_proxy = server.proxy(self._block)
        PageSession.live.add(self)

    def _block(self, url: str) -> None:
        """Counts one refused request; called by routing (this thread) and the proxy (server threads)."""
        with self._count_lock:
            self.blocked_count += 1
            self.blocked.append(url)

    def _allow(self, route) -> None:
        url = route.request.url
        if url == self.origin or url.startswith(self.origin + "/"):
            route.continue_()
        else:
            self._block(url)
            route.abort()

    def _block_websocket(self, ws) -> None:
        """The task server speaks no WebSocket: every WebSocket is closed unconnected, and counted."""
        self._block(ws.url)
        ws.close()

    def ensure_page(self):
        if self.owner != os.getpid():
            raise RuntimeError("this page belongs to the process this one was forked from; make a new env "
                               "(or reset() the env, which makes its own page) in this process")
        if self.page is not None and not self.page.is_closed() and self.proc.browser is not None \
                and self.proc.browser.is_connected() and not getattr(self, "_crashed", False):
            return self.page
        self.close_page()
        browser = self.proc.ensure()
        self.context = browser.new_context(viewport={"width": self.viewport[0], "height": self.viewport[1]},
                                           device_scale_factor=1, java_script_enabled=True, service_workers="block",
                                           proxy={"server": self.proxy_url})  # loopback too (Playwright adds <-loopback>)
        self.context.set_default_timeout(self.timeout_ms)
        self.context.route("**/*", self._allow)
        self.context.route_web_socket("**/*", self._block_websocket)  # not seen by route()
        self.context.add_init_script(CLICK_RECORDER_JS)
        self.page = self.context.new_page()
        self._crashed = False
        self.page.on("crash", lambda *_: setattr(self, "_crashed", True))
        return self.page

    def close_page(self) -> None:
        if self.owner != os.getpid():  # a forked child's copy: the parent's page, not driven from here
            self.context = self.page = None
            return
        try:
            if self.context is not None:
                self.context.close()
        except Exception:
            pass
        self.context = self.page = None

    def close(self) -> None:
        self.close_page()
        if self.owner != os.getpid():
            self._close_proxy = self.proc = None
            return
        if self._close_proxy is not None:
            self._close_proxy()
            self._close_proxy = None
        if self.proc is not None:
            self.proc.release()
            self.proc = None
