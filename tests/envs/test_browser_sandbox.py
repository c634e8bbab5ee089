"""The sandbox holds against a page that attacks a second server on the host's loopback.

A task folder's page fires every vector we know of (page requests, shared / dedicated / blob
workers' fetch, XHR, EventSource, importScripts and WebSocket, an audio worklet module,
WebRTC STUN and TURN, keepalive fetch and sendBeacon on pagehide) at a "spy" server that
listens for TCP and UDP on 127.0.0.1 and ::1, through many spellings of its address, during
reset, during a step and while ``env.close()`` runs. Pass: the spy receives nothing.
A control test fires the same page from a plain Chromium with no sandbox at the spy, so the
attacks are known to work (otherwise "nothing arrived" would prove nothing).
"""
import collections
import json
import os
import socket
import subprocess
import sys
import threading
import time

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("playwright")
if not os.path.exists(os.environ.get("REWARDGYM_CHROMIUM", "/usr/bin/chromium")):
    pytest.skip("Debian's chromium is not installed (scripts/setup.sh installs it)", allow_module_level=True)

import rewardgym  # noqa: E402,F401

SETTLE_S = 1.5  # how long the attacks get to arrive (WebRTC gathering, worker start-up)

# Runs in shared, dedicated and blob workers: every request kind a worker has, at every URL.
WORKER_JS = r"""
function hit(urls) {
  urls.forEach(function (u) {
    try { fetch(u + '/fetch').catch(function () {}); } catch (e) {}
    try { var x = new XMLHttpRequest(); x.open('GET', u + '/xhr'); x.send(); } catch (e) {}
    try { new EventSource(u + '/es'); } catch (e) {}
    try { new WebSocket(u.replace('http:', 'ws:') + '/ws'); } catch (e) {}
  });
  urls.forEach(function (u) { try { importScripts(u + '/import'); } catch (e) {} });
}
self.onmessage = function (m) { hit(m.data); };
self.onconnect = function (e) { var port = e.ports[0]; port.onmessage = function (m) { hit(m.data); }; port.start(); };
"""

PAGE_JS = r"""
var episode = {done: false, success: false};
var HOSTS = {v4: '127.0.0.1', name: 'localhost', v6: '[::1]', mapped: '[::ffff:127.0.0.1]', userinfo: 'u:p@127.0.0.1',
             short: '127.1', int: '2130706433', hex: '0x7f000001', trailing: 'localhost.'};
function urls(phase, vector) {
  var out = Object.keys(HOSTS).map(function (k) { return 'http://' + HOSTS[k] + ':' + PORT + '/' + phase + '/' + vector + '/' + k; });
  out.push('http://' + location.host + '@127.0.0.1:' + PORT + '/' + phase + '/' + vector + '/origin-userinfo');
  return out;
}
function attack(phase) {
  urls(phase, 'page').forEach(function (u) {
    fetch(u + '/fetch', {mode: 'no-cors'}).catch(function () {});
    try { new WebSocket(u.replace('http:', 'ws:') + '/ws'); } catch (e) {}
    try { new EventSource(u + '/es'); } catch (e) {}
    try { navigator.sendBeacon(u + '/beacon', 'x'); } catch (e) {}
    var img = new Image(); img.src = u + '/img';
  });
  try { var sw = new SharedWorker('worker.js?' + phase); sw.port.start(); sw.port.postMessage(urls(phase, 'shared')); } catch (e) {}
  try { new Worker('worker.js?d' + phase).postMessage(urls(phase, 'dedicated')); } catch (e) {}
  try {
    var blob = URL.createObjectURL(new Blob([WORKER_SRC], {type: 'text/javascript'}));
    new Worker(blob).postMessage(urls(phase, 'blob'));
  } catch (e) {}
  try {
    var ac = new OfflineAudioContext(1, 128, 44100);
    urls(phase, 'worklet').forEach(function (u) { ac.audioWorklet.addModule(u + '/module').catch(function () {}); });
  } catch (e) {}
  ['127.0.0.1', '[::1]', 'localhost'].forEach(function (h) {
    [{urls: 'stun:' + h + ':' + PORT},
     {urls: 'turn:' + h + ':' + PORT + '?transport=tcp', username: 'u', credential: 'p'},
     {urls: 'turn:' + h + ':' + PORT + '?transport=udp', username: 'u', credential: 'p'}].forEach(function (server) {
      try {
        var pc = new RTCPeerConnection({iceServers: [server]});
        pc.createDataChannel('x');
        pc.createOffer().then(function (o) { return pc.setLocalDescription(o); }).catch(function () {});
        (window.__pcs = window.__pcs || []).push(pc);
      } catch (e) {}
    });
  });
}
function onLeave() {
  urls('close', 'unload').forEach(function (u) {
    try { navigator.sendBeacon(u + '/beacon', 'x'); } catch (e) {}
    try { fetch(u + '/keepalive', {method: 'POST', body: 'x', keepalive: true, mode: 'no-cors'}).catch(function () {}); } catch (e) {}
  });
  attack('close');
}
addEventListener('pagehide', onLeave);
addEventListener('visibilitychange', onLeave);
document.getElementById('go').onclick = function () { attack('step'); };
"""

PAGE = """<!DOCTYPE html><html><body style="margin:0">
<button id="go" style="position:absolute;left:10px;top:10px;width:80px;height:40px">go</button>
<script>var PORT = %d; var WORKER_SRC = %s;</script><script src="attack.js"></script></body></html>"""

TASK = {"name": "attack", "page": "index.html",
        "setup": "(seed) => { attack('reset'); return 'Click go.'; }",
        "targets": "() => [document.getElementById('go')]",
        "state": "() => ({done: false, success: false, reward: 0})"}


class Spy:
    """The second server: TCP and UDP on 127.0.0.1 and ::1 (one port); records what arrives."""

    def __init__(self):
        for _ in range(50):
            tcp4 = socket.socket()
            tcp4.bind(("127.0.0.1", 0))
            self.port = tcp4.getsockname()[1]
            try:
                others = [socket.socket(socket.AF_INET6), socket.socket(socket.AF_INET, socket.SOCK_DGRAM),
                          socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)]
                for sock, host in zip(others, ("::1", "127.0.0.1", "::1")):
                    sock.bind((host, self.port))
                break
            except OSError:
                tcp4.close()
        self.hits: list[tuple[str, str]] = []
        self._stop = threading.Event()
        self._socks = [tcp4, *others]
        for sock in self._socks:
            sock.settimeout(0.1)
            if sock.type == socket.SOCK_STREAM:
                sock.listen(64)
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                if sock.type == socket.SOCK_DGRAM:
                    data, _ = sock.recvfrom(2048)
                    self.hits.append(("udp", data[:8].hex()))
                    continue
                conn, _ = sock.accept()
            except OSError:
                continue
            self.hits.append(("tcp", "<connect>"))
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn: socket.socket) -> None:
        conn.settimeout(1.0)
        try:
            data = conn.recv(512)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        except OSError:
            data = b""
        self.hits.append(("tcp", data.split(b"\r\n")[0].decode(errors="replace")))
        conn.close()

    def close(self) -> None:
        self._stop.set()
        for sock in self._socks:
            sock.close()


@pytest.fixture()
def spy():
    s = Spy()
    yield s
    s.close()


@pytest.fixture()
def attack_dir(tmp_path, spy):
    (tmp_path / "index.html").write_text(PAGE % (spy.port, json.dumps(WORKER_JS)))
    (tmp_path / "attack.js").write_text(PAGE_JS)
    (tmp_path / "worker.js").write_text(WORKER_JS)
    (tmp_path / "task.json").write_text(json.dumps(TASK))
    return tmp_path


def test_nothing_reaches_the_spy_during_reset_and_step(attack_dir, spy):
    env = gym.make("rewardgym/Browser-v0", task_dir=str(attack_dir))
    env.unwrapped.session.blocked = collections.deque(maxlen=100_000)  # keep every refused URL
    try:
        if os.environ.get("REWARDGYM_BROWSER_NETNS") == "0":  # the layers without the namespace (test below)
            assert env.unwrapped.server.sandbox is None
        _, info = env.reset(seed=0)
        time.sleep(SETTLE_S)
        assert spy.hits == [], f"reset: the second server received {spy.hits}"
        _, _, _, _, info = env.step(np.array([50 / 160, 30 / 210], np.float32))  # "go": attack again
        time.sleep(SETTLE_S)
        assert spy.hits == [], f"step: the second server received {spy.hits}"
        _, info = env.reset(seed=1)
        blocked = list(env.unwrapped.session.blocked)
        # Counted whichever layer refused it: page requests (routing) and worker requests (the proxy).
        for vector in ("page", "shared", "dedicated", "blob", "worklet"):
            assert any(f"/step/{vector}/" in u for u in blocked) or any(f"/reset/{vector}/" in u for u in blocked), \
                (vector, blocked[-20:])
        assert info["blocked_requests"] >= 3 * 2 * 10, info["blocked_requests"]
    finally:
        env.close()


def test_nothing_reaches_the_spy_while_the_env_closes(attack_dir, spy):
    env = gym.make("rewardgym/Browser-v0", task_dir=str(attack_dir))
    env.reset(seed=0)
    env.close()  # pagehide / visibilitychange: beacons, keepalive fetches and every other vector
    time.sleep(SETTLE_S)
    assert spy.hits == [], f"close: the second server received {spy.hits}"


def test_the_sandbox_runs_chromium_in_its_own_network_namespace(attack_dir):
    env = gym.make("rewardgym/Browser-v0", task="click-red")
    try:
        env.reset(seed=0)
        u = env.unwrapped
        if u.server.sandbox is None:
            pytest.skip("no network namespace on this machine (the env warned)")
        pid = u.session.proc.pid()
        assert os.readlink(f"/proc/{pid}/ns/net") != os.readlink("/proc/self/ns/net")
        assert os.readlink(f"/proc/{pid}/ns/net") == os.readlink(f"/proc/{u.server.sandbox.pid}/ns/net")
    finally:
        env.close()


def _attacks_with(netns_mode: str) -> str:
    """Runs the two attack tests and the namespace check in a fresh interpreter with
    ``REWARDGYM_BROWSER_NETNS=netns_mode``; returns pytest's output."""
    env = dict(os.environ, REWARDGYM_BROWSER_NETNS=netns_mode)
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--noconftest", __file__, "-k",
                          "reaches_the_spy or own_network_namespace"], env=env, capture_output=True, text=True,
                         timeout=180)
    return out.stdout


def test_without_the_namespace_the_proxy_and_routing_layers_still_hold():
    """The second and third layers alone (``REWARDGYM_BROWSER_NETNS=0``) also stop every attack."""
    out = _attacks_with("0")
    assert "2 passed, 1 skipped" in out, out[-3000:]


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="not root: the default tests above already take the user-namespace way")
def test_the_unprivileged_way_holds_too():
    """As root the namespace is made without a user namespace; ``=user`` takes the unprivileged
    way (``unshare -r -n``, ``nsenter -U -n``) that non-root machines use."""
    out = _attacks_with("user")
    assert "3 passed" in out, out[-3000:]


def test_no_namespace_warns_and_names_the_guarantee_that_remains(monkeypatch):
    from rewardgym.envs.browser import sandbox

    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    with pytest.warns(RuntimeWarning, match="no network namespace for Chromium .*unshare.*confined by the env's proxy"):
        assert sandbox.new_sandbox() is None


EXIT_SCRIPT = """
import gymnasium as gym, rewardgym
env = gym.make('rewardgym/Browser-v0', task='click-red')
env.reset(seed=0)
box = env.unwrapped.server.sandbox
print(box.pid if box is not None else 0, flush=True)
"""


def test_the_namespace_helper_ends_with_its_interpreter():
    out = subprocess.run([sys.executable, "-c", EXIT_SCRIPT], capture_output=True, text=True, timeout=60)
    pid = int(out.stdout.split()[0])
    if pid == 0:
        pytest.skip("no network namespace on this machine")
    deadline = time.time() + 5
    while os.path.exists(f"/proc/{pid}") and time.time() < deadline:
        time.sleep(0.1)
    assert not os.path.exists(f"/proc/{pid}"), "the namespace helper outlived its interpreter"


def test_a_forked_child_makes_its_own_namespace_and_leaves_the_parents():
    """The fork's copy of the parent's namespace is dropped in the child (only the child's copies
    of its descriptors closed): the child makes a namespace of its own, which ends with the child,
    and the parent's goes on serving."""
    from rewardgym.envs.browser.sandbox import shared_sandbox

    box = shared_sandbox()
    if box is None:
        pytest.skip("no network namespace on this machine")
    parent_ns = os.readlink(f"/proc/{box.pid}/ns/net")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        msg = "?"
        try:
            child = shared_sandbox()
            msg = "same" if child is box else f"{child.pid} {os.readlink(f'/proc/{child.pid}/ns/net')}"
            child.listen().close()
        except BaseException as err:
            msg = repr(err)
        finally:
            os.write(write_end, msg.encode())
            os._exit(0)
    os.close(write_end)
    msg = os.read(read_end, 500).decode()
    os.close(read_end)
    os.waitpid(pid, 0)
    child_pid, child_ns = msg.split()
    assert int(child_pid) != box.pid and child_ns != parent_ns, msg
    box.listen().close()  # the parent's helper still answers
    deadline = time.time() + 5
    while os.path.exists(f"/proc/{child_pid}") and time.time() < deadline:
        time.sleep(0.1)
    assert not os.path.exists(f"/proc/{child_pid}"), "the child's namespace helper outlived the child"


CONTROL = r"""
import sys, time
from playwright.sync_api import sync_playwright
from rewardgym.envs.browser.session import CHROMIUM_ARGS, DEFAULT_EXECUTABLE
with sync_playwright() as pw:
    args = [a for a in CHROMIUM_ARGS if 'webrtc' not in a]
    browser = pw.chromium.launch(executable_path=DEFAULT_EXECUTABLE, headless=True, args=args)
    page = browser.new_page()
    page.goto(sys.argv[1] + '/index.html')
    page.evaluate("attack('reset')")
    time.sleep(float(sys.argv[2]))
    page.close()
    time.sleep(float(sys.argv[2]))
    browser.close()
"""


def test_control_the_same_attacks_reach_an_unsandboxed_spy(attack_dir, spy):
    """Without rewardgym's layers (plain Chromium, page served from the host's loopback) the
    attack page does reach the spy from every vector: the tests above are not vacuous."""
    import http.server

    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(attack_dir))  # noqa: E731
    http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
    pages = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=pages.serve_forever, daemon=True).start()
    try:
        subprocess.run([sys.executable, "-c", CONTROL, f"http://127.0.0.1:{pages.server_port}", str(2 * SETTLE_S)],
                       check=True, timeout=60)
    finally:
        pages.shutdown()
    lines = [h[1] for h in spy.hits if h[0] == "tcp"]
    for vector in ("page/", "shared/", "dedicated/", "blob/", "worklet/"):
        for kind in (("fetch", "xhr", "es", "ws", "import") if vector in ("shared/", "dedicated/", "blob/") else
                     ("fetch", "es", "ws", "beacon") if vector == "page/" else ("module",)):
            assert any(vector in line and line.split()[1].endswith("/" + kind) for line in lines if " " in line), \
                f"control: {vector}{kind} never reached the spy: {lines}"
    for host in ("v4", "name", "v6", "mapped", "userinfo", "origin-userinfo", "short", "int", "hex", "trailing"):
        assert any(f"/{host}/" in line for line in lines), f"control: host spelling {host} never reached the spy"
    for kind in ("beacon", "keepalive"):
        assert any(f"/close/unload/v4/{kind}" in line for line in lines), f"control: no {kind} on pagehide"
    assert any(h[0] == "udp" for h in spy.hits), "control: no STUN datagram reached the spy"
    assert any(line.startswith("\x00\x03") for line in lines), "control: no TURN-over-TCP request reached the spy"
