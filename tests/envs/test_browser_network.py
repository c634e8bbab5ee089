"""Loopback-only network: WebSockets (not seen by request routing) and file:// get nothing."""
import os
import socket
import threading
import time

import gymnasium as gym
import pytest

pytest.importorskip("playwright")
if not os.path.exists(os.environ.get("REWARDGYM_CHROMIUM", "/usr/bin/chromium")):
    pytest.skip("Debian's chromium is not installed (scripts/setup.sh installs it)", allow_module_level=True)

import rewardgym  # noqa: E402,F401

WS_JS = """(port) => new Promise(done => {
  const ws = new WebSocket('ws://127.0.0.1:' + port + '/leak');
  ws.onopen = () => done('open'); ws.onclose = () => done('closed'); ws.onerror = () => done('error');
  setTimeout(() => done('pending'), 1500);
})"""


def test_websocket_and_file_urls_get_nothing():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(0.2)
    hits, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            hits.append(conn.recv(200))
            conn.close()

    threading.Thread(target=accept, daemon=True).start()
    env = gym.make("rewardgym/Browser-v0", task="click-button")
    try:
        env.reset(seed=0)
        session = env.unwrapped.session
        before = session.blocked_count
        state = session.page.evaluate(WS_JS, listener.getsockname()[1])
        text = session.page.evaluate("() => fetch('file:///etc/hostname').then(r => r.text()).catch(() => 'refused')")
        session.page.evaluate("() => { const f = document.createElement('iframe'); f.src = 'file:///etc/hostname';"
                              " document.body.appendChild(f); }")
        time.sleep(0.3)
        assert hits == [], f"a WebSocket reached another loopback port: {hits}"
        assert state in ("closed", "error") and session.blocked_count - before == 1
        assert text == "refused"  # Chromium itself refuses file:// from an http page
        frames = [f.url for f in session.page.frames]
        assert not any(
            f.startswith("file:") and session.page.frame(url=f).evaluate("document.body && document.body.innerText")
            for f in frames
        )
    finally:
        stop.set()
        env.close()
        listener.close()


def test_the_blocked_url_log_is_bounded_but_the_count_is_not():
    from rewardgym.envs.browser.session import PageSession

    from rewardgym.envs.browser.server import shared_server

    session = PageSession(shared_server(), (160, 210))
    try:
        for i in range(250):
            session._block(f"http://example.com/{i}")
        assert session.blocked_count == 250
        assert list(session.blocked) == [f"http://example.com/{i}" for i in range(150, 250)]
    finally:
        session.close()
