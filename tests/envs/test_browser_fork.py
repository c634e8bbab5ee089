"""Browser envs under the standard vectorizers, forked processes included.

Linux's default start method is ``fork``: Gymnasium's ``AsyncVectorEnv`` builds a dummy env in
this process, then forks; SB3's ``SubprocVecEnv(start_method="fork")`` forks too. A child must
drop the network namespace, task server and Playwright browser it inherits (without closing the
parent's) and make its own; the parent's env must keep working, and after ``close()`` nothing
may be left running (namespace helpers, Playwright drivers, Chromium).
"""
import os
import pickle
import time

import gymnasium as gym
import numpy as np
import pytest

import rewardgym  # noqa: F401

pytest.importorskip("playwright")
if not os.path.exists(os.environ.get("REWARDGYM_CHROMIUM", "/usr/bin/chromium")):
    pytest.skip("Debian's chromium is not installed (scripts/setup.sh installs it)", allow_module_level=True)

KW = dict(task="click-button", obs_type="pixels")


def _tree(pid: int) -> dict[int, str]:
    """Live processes below ``pid``: {pid: start time} (the start time tells a reused pid apart)."""
    kids: dict[int, list[tuple[int, str]]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                kids.setdefault(int(fields[1]), []).append((int(name), fields[19]))
    out, todo = {}, [pid]
    while todo:
        for child, start in kids.get(todo.pop(), []):
            out[child] = start
            todo.append(child)
    return out


def _still_running(procs: dict[int, str], grace_s: float = 15.0) -> list[str]:
    """Those of ``procs`` still alive after ``grace_s`` (their command lines)."""
    deadline = time.monotonic() + grace_s
    while True:
        alive = []
        for pid, start in procs.items():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if fields[0] != "Z" and fields[19] == start:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        alive.append(f.read().replace(b"\0", b" ").decode(errors="replace")[:120])
            except OSError:
                pass
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


def _netns_files() -> set[str]:
    return {n for n in os.listdir("/tmp") if n.startswith("rewardgym-netns-")}


@pytest.fixture
def used_env():
    """An env created and used in this process before the fork (reset and a step)."""
    env = gym.make("rewardgym/Browser-v0", **KW)
    first, _ = env.reset(seed=3)
    env.step(env.action_space.sample())
    yield env, first
    env.close()


def _parent_still_works(env, first) -> None:
    again, _ = env.reset(seed=3)
    assert np.array_equal(again, first)
    env.step(env.action_space.sample())


def test_gymnasium_async_default_start_method_after_use(used_env):
    env, first = used_env
    before, files = _tree(os.getpid()), _netns_files()
    venv = gym.make_vec("rewardgym/Browser-v0", num_envs=2, vectorization_mode="async", **KW)
    try:
        obs, _ = venv.reset(seed=[3, 4])
        assert np.array_equal(obs[0], first) and not np.array_equal(obs[1], first)
        _, rewards, _, _, infos = venv.step(venv.action_space.sample())
        assert rewards.shape == (2,) and infos["success"].shape == (2,)
        started = {p: s for p, s in _tree(os.getpid()).items() if p not in before}
        assert len(started) > 2, "the workers' own namespace helpers, drivers and Chromium processes"
        _parent_still_works(env, first)
    finally:
        venv.close()
    assert _still_running(started) == []
    assert _netns_files() <= files, "a worker left its namespace wrapper behind"
    _parent_still_works(env, first)


@pytest.mark.parametrize("start_method", ["fork", pytest.param("forkserver", marks=pytest.mark.slow)])
def test_sb3_subproc_vec_env_after_use(used_env, start_method):
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

    env, first = used_env
    before = _tree(os.getpid())
    thunks = [lambda: gym.make("rewardgym/Browser-v0", **KW) for _ in range(2)]
    venv = SubprocVecEnv(thunks, start_method=start_method)
    try:
        venv.seed(3)
        obs = venv.reset()
        assert obs.shape == (2, *first.shape) and np.array_equal(obs[0], first)
        _, rewards, _, _ = venv.step(np.stack([venv.action_space.sample() for _ in range(2)]))
        assert rewards.shape == (2,)
        started = {p: s for p, s in _tree(os.getpid()).items() if p not in before}
        _parent_still_works(env, first)
    finally:
        venv.close()
    assert _still_running(started) == []
    dummy = DummyVecEnv(thunks)  # the same thunks in this process, beside the used env
    try:
        dummy.seed(3)
        assert np.array_equal(dummy.reset()[0], first)
        dummy.step(np.stack([dummy.action_space.sample() for _ in range(2)]))
    finally:
        dummy.close()
    _parent_still_works(env, first)


@pytest.mark.slow
@pytest.mark.parametrize("context", ["forkserver", "spawn"])
def test_gymnasium_async_other_start_methods(context):
    venv = gym.make_vec("rewardgym/Browser-v0", num_envs=2, vectorization_mode="async",
                        vector_kwargs={"context": context}, **KW)
    try:
        obs, _ = venv.reset(seed=0)
        assert obs.shape[0] == 2
        venv.step(venv.action_space.sample())
    finally:
        venv.close()


def test_a_forked_copy_of_a_used_env_works_and_the_parent_does_not_wait_for_it(used_env):
    """``os.fork`` by hand: the child's copy of the env makes its own page on reset (same seed, same
    pixels); the parent's ``close()`` does not wait for the child to exit (the child closes its
    copies of the Playwright driver's pipes, else the driver would not see them close)."""
    env, first = used_env
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then linger past the parent's close
        ok = b"?"
        try:
            obs, _ = env.reset(seed=3)
            env.step(env.action_space.sample())
            ok = b"1" if np.array_equal(obs, first) else b"0"
            env.close()
        finally:
            os.write(write_end, ok)
            time.sleep(8)
            os._exit(0)
    os.close(write_end)
    try:
        assert os.read(read_end, 1) == b"1", "the forked copy's first frame differs (or it failed)"
        _parent_still_works(env, first)
        t0 = time.monotonic()
        env.unwrapped.session.proc.shutdown()  # what the process's last close() does: browser and driver
        assert time.monotonic() - t0 < 5, "stopping the browser waited for the forked child"
        _parent_still_works(env, first)  # relaunched
    finally:
        os.close(read_end)
        os.kill(pid, 9)
        os.waitpid(pid, 0)


def test_pickled_env_in_another_process_uses_its_own_browser(used_env):
    env, first = used_env
    blob = pickle.dumps(env)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        ok = b"?"
        try:
            twin = pickle.loads(blob)
            obs, _ = twin.reset(seed=3)
            ok = b"1" if np.array_equal(obs, first) else b"0"
            twin.close()
        finally:
            os.write(write_end, ok)
            os._exit(0)
    os.close(write_end)
    try:
        assert os.read(read_end, 1) == b"1"
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)
    _parent_still_works(env, first)
