"""BrowserVectorEnv: pages of one Chromium per worker process, workers in parallel."""
import os
import time

import numpy as np
import pytest

pytest.importorskip("playwright")
if not os.path.exists(os.environ.get("REWARDGYM_CHROMIUM", "/usr/bin/chromium")):
    pytest.skip("Debian's chromium is not installed (scripts/setup.sh installs it)", allow_module_level=True)

from rewardgym.envs.browser.vector import (  # noqa: E402
    BrowserVectorEnv,
    default_num_processes,
    make_browser_vec_env,
)


def _descendants(pid: int) -> set[int]:
    kids: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                kids.setdefault(int(fields[1]), []).append(int(name))
    out, todo = set(), [pid]
    while todo:
        for child in kids.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _centres(boxes) -> np.ndarray:
    return np.array([[(b[0][0] + b[0][2]) / 2, (b[0][1] + b[0][3]) / 2] for b in boxes], dtype=np.float32)


def test_four_envs_in_two_processes():
    before = _descendants(os.getpid())
    venv = make_browser_vec_env(4, num_processes=2, task="click-button", obs_type="pixels")
    try:
        assert isinstance(venv, BrowserVectorEnv) and len(venv.worker_pids) == 2
        assert venv.observation_space.shape == (4, 210, 160, 3)
        obs, infos = venv.reset(seed=3)
        again, infos2 = venv.reset(seed=3)
        np.testing.assert_array_equal(obs, again)  # seeded layouts, across processes too
        assert not np.array_equal(obs[0], obs[1])  # each env its own seed
        obs, reward, terminated, truncated, infos = venv.step(_centres(infos2["target_boxes"]))
        assert infos["success"].all() and (reward == 1.0).all() and terminated.all()
        assert list(infos["click"]["tag"]) == ["button"] * 4
        _, reward, terminated, _, infos = venv.step(venv.action_space.sample())  # NEXT_STEP autoreset
        assert (reward == 0.0).all() and not terminated.any() and infos["target_boxes"].shape[0] == 4
        with pytest.raises(ValueError, match="seeds"):
            venv.reset(seed=[1, 2])
        pids = venv.worker_pids
    finally:
        venv.close()
    time.sleep(0.5)
    assert not any(os.path.exists(f"/proc/{p}/stat") and open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[0]
                   != "Z" for p in pids)
    leftover = [_cmdline(p) for p in _descendants(os.getpid()) - before]
    browsers = [c for c in leftover if "chrom" in c or "playwright" in c]  # not multiprocessing's forkserver
    assert not browsers, f"browser processes left after close(): {browsers}"


def test_one_process_is_a_sync_vector_env_and_arguments_are_checked():
    import gymnasium as gym

    assert default_num_processes(1) == 1 and default_num_processes(64) == max(1, min(64, os.cpu_count() or 1))
    with pytest.raises(ValueError, match="num_processes"):
        BrowserVectorEnv(2, num_processes=3)
    with pytest.raises(ValueError, match="num_envs"):
        BrowserVectorEnv(0)
    venv = make_browser_vec_env(2, num_processes=1, task="click-red", obs_type="pixels")
    try:
        assert isinstance(venv, gym.vector.SyncVectorEnv)
        _, infos = venv.reset(seed=0)
        _, reward, _, _, infos = venv.step(_centres(infos["target_boxes"]))
        assert infos["success"].all()
    finally:
        venv.close()


@pytest.mark.parametrize("how", ["sync", "async", "BrowserVectorEnv"])
def test_one_env_ending_its_episode_beside_one_that_goes_on(how):
    """A MiniWoB++ page hides its target once the episode is won: the step that ends an episode
    has no target boxes (the others keep theirs), and every vectorizer batches that step."""
    import gymnasium as gym

    env_id = "rewardgym/BrowserMiniwobClickTest2-v0"
    venv = (BrowserVectorEnv(2, env_id=env_id, obs_type="pixels") if how == "BrowserVectorEnv"
            else gym.make_vec(env_id, 2, vectorization_mode=how, obs_type="pixels"))
    try:
        _, infos = venv.reset(seed=0)
        miss = [0.05, 0.02]  # the instruction's text: no button
        actions = np.array([_centres(infos["target_boxes"])[0], miss], np.float32)
        _, reward, terminated, _, infos = venv.step(actions)
        assert list(terminated) == [True, False] and reward[0] > 0 and reward[1] == 0
        assert list(infos["_target_boxes"]) == [False, True] and infos["target_boxes"][1].shape == (1, 4)
        _, _, terminated, _, infos = venv.step(actions)  # NEXT_STEP: env 0 resets, env 1 goes on
        assert list(infos["_target_boxes"]) == [True, True]
    finally:
        venv.close()


def test_browser_vector_env_batches_infos_of_different_shapes():
    venv = BrowserVectorEnv.__new__(BrowserVectorEnv)
    venv.num_envs = 3
    infos = {}
    for i, k in enumerate([1, 2, 0]):
        infos = venv._add_info(infos, {"target_boxes": np.full((k, 4), i, np.float32), "success": False}, i)
    assert infos["target_boxes"].dtype == object and [b.shape for b in infos["target_boxes"]] == [(1, 4), (2, 4), (0, 4)]
    assert infos["success"].shape == (3,) and infos["_target_boxes"].all()
