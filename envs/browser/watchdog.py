"""A deadline for blocking browser calls, kept by one thread per env.

``threading.Timer`` starts a new thread per call, and starting a thread waits until it runs:
measured 0.5 ms a call on a quiet moment and about 3.5 ms on the loaded 2-core machine, three
times a step. :class:`Watchdog` keeps one daemon thread that sleeps until the armed deadline.
In a forked child (whose copy has no thread, and whose lock another thread may have held at the
fork) it starts over with a lock and a thread of its own.
"""
from __future__ import annotations

import os
import threading
import time
from typing import Callable


class Watchdog:
    """Calls ``on_timeout()`` (from its own thread) when an armed deadline passes.

    Example:
        >>> fired = []
        >>> dog = Watchdog(lambda: fired.append(1))
        >>> dog.arm(5.0); dog.disarm(); fired
        []
        >>> dog.arm(0.01); time.sleep(0.2); fired
        [1]
        >>> dog.stop()
    """

    def __init__(self, on_timeout: Callable[[], None]):
        self._on_timeout = on_timeout
        self._start_over()

    def _start_over(self) -> None:
        self._cond = threading.Condition()
        self._deadline: float | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._pid = os.getpid()

    def _here(self) -> threading.Condition:
        """The lock of this process (a forked copy starts over)."""
        if self._pid != os.getpid():
            self._start_over()
        return self._cond

    def arm(self, seconds: float) -> None:
        """Fires after ``seconds`` unless :meth:`disarm` comes first."""
        with self._here():
            self._deadline = time.monotonic() + seconds
            self._stopping = False
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True, name="rewardgym-browser-watchdog")
                self._thread.start()
            self._cond.notify()

    def disarm(self) -> None:
        with self._here():
            self._deadline = None

    def stop(self) -> None:
        """Ends the thread (a later :meth:`arm` starts a new one)."""
        with self._here():
            self._deadline, self._stopping = None, True
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (self._deadline is None or self._deadline > time.monotonic()):
                    self._cond.wait(None if self._deadline is None else self._deadline - time.monotonic())
                if self._stopping:
                    return
                self._deadline = None
            self._on_timeout()
