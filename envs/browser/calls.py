"""Browser calls of ``Browser-v0`` under a watchdog, and what a failed call means.

A hung page blocks calls that have no timeout of their own (``evaluate``), so every call runs
under a :class:`~.watchdog.Watchdog` that kills this process's Chromium past ``timeout_ms``. A
failed call is then one of three things: a hang (``TimeoutError``), Chromium dying or the page
crashing (``RuntimeError``), or the page itself ending the episode while Chromium is fine
(:class:`PageFailure`: it navigated away, closed itself, or its task script threw).
"""
from __future__ import annotations

import os
import signal


class PageFailure(Exception):
    """The page itself ended the episode: it navigated away, closed itself, or its task script threw."""


class GuardedCalls:
    """Mixin of :class:`~.browser_v0.BrowserEnv`: it provides ``session``, ``task``, ``page_url``,
    ``timeout_ms``, ``_watchdog``, ``_steps``, ``_hung`` and ``_loaded``."""

    def _call(self, what: str, fn):
        """Runs one browser call under a watchdog: past ``timeout_ms`` Chromium is killed
        (a hung page blocks calls that have no timeout of their own, e.g. ``evaluate``).

        Raises ``TimeoutError`` (hung) or ``RuntimeError`` (Chromium died or the page crashed),
        both naming task and step; ``PageFailure`` when the browser is fine but the page navigated
        away, closed itself or its task script threw."""
        self._hung = False
        self._watchdog.arm(self.timeout_ms / 1000.0)
        try:
            return fn()
        except Exception as err:  # playwright's TimeoutError / Error, a crashed or killed browser
            self._loaded = False
            where = f"browser task {self.task.name!r}, step {self._steps}: {what}"
            if self._hung or type(err).__name__ == "TimeoutError":
                self.session.close_page()
                raise TimeoutError(f"{where} took longer than {self.timeout_ms:g} ms; the next reset() "
                                   "relaunches Chromium") from err
            reason = self._page_failure(err)
            if reason is not None:
                raise PageFailure(f"{what}: {reason}") from err
            self.session.close_page()
            raise RuntimeError(f"{where} failed: {str(err).splitlines()[0]}") from err
        finally:
            self._watchdog.disarm()

    def _page_failure(self, err: Exception) -> str | None:
        """Why the page failed while Chromium itself is fine; ``None`` if Chromium died or crashed."""
        s = self.session
        browser = s.proc.browser if s.proc is not None else None
        if s.page is None or browser is None or not browser.is_connected() or getattr(s, "_crashed", False) \
                or s.proc.pid() is None:
            return None
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        if not s.page.is_closed() and ("navigation" in message or "context was destroyed" in message):
            try:  # a navigation in flight: let it commit (or fail) to name where it went
                s.page.wait_for_url(lambda u: u.split("#", 1)[0] != self.page_url, wait_until="commit",
                                    timeout=min(1000.0, self.timeout_ms / 2))
            except Exception:
                pass
        if s.page.is_closed():
            return "the page was closed"
        url = s.page.url.split("#", 1)[0]
        if url != self.page_url or "navigation" in message or "context was destroyed" in message:
            return f"the page navigated away (now at {url[:200]!r})"
        return f"the task script failed: {message[:300]}"

    def _kill_hung_browser(self) -> None:
        """Watchdog thread: kill this process's Chromium so the blocked call returns."""
        self._hung = True
        proc = self.session.proc if self.session is not None else None
        pid = proc.pid() if proc is not None else None
        if pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
