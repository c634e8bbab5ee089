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
"""
from __future__ import annotations

import atexit
import collections
import os
import threading

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
CLICK_RECORDER_JS = "window.addEventListener('mousedown', (ev) => { window.__rgHit = ev.target; }, true);"


class BrowserProcess:
    """A Playwright driver + Chromium, shared by the envs of one process (reference counted)."""

    _shared: dict[tuple, "BrowserProcess"] = {}
    _lock = threading.Lock()

    def __init__(self, executable: str, args: tuple[str, ...] = tuple(CHROMIUM_ARGS), sandbox=None):
        if not os.path.exists(executable):
            raise FileNotFoundError(
                f"Chromium not found at {executable!r}. Install Debian's chromium (scripts/setup.sh does) or pass "
                "executable_path=... / set REWARDGYM_CHROMIUM. Playwright's own browser download is not used.")
        self.executable, self.args, self.sandbox = executable, tuple(args), sandbox
        self.users = 0
        self._pw = None
        self.browser = None

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
        self.browser = self._pw.chromium.launch(executable_path=executable, headless=True, args=list(self.args))
        return self.browser

    def shutdown(self) -> None:
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

    def __init__(self, server, viewport: tuple[int, int], executable: str = DEFAULT_EXECUTABLE,
                 timeout_ms: float = 5000, frame_rate_limit: bool = True):
        self.origin, self.viewport, self.timeout_ms = server.origin, viewport, timeout_ms
        self.blocked_count = 0                           # every request or WebSocket refused so far, any layer
        self.blocked = collections.deque(maxlen=100)     # the latest refused URLs
        self._count_lock = threading.Lock()
        self._close_proxy = None
        self.context = self.page = None
        self.proc = BrowserProcess.acquire(executable, frame_rate_limit, server.sandbox)
        self.proxy_url, self._close_proxy = server.proxy(self._block)

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
        try:
            if self.context is not None:
                self.context.close()
        except Exception:
            pass
        self.context = self.page = None

    def close(self) -> None:
        self.close_page()
        if self._close_proxy is not None:
            self._close_proxy()
            self._close_proxy = None
        if self.proc is not None:
            self.proc.release()
            self.proc = None
