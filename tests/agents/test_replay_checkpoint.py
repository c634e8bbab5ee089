"""SAC's replay buffer in the checkpoints: saved trimmed, restored whole, kept through a SIGKILL,
and a buffer that cannot be written costs one line, never the checkpoint."""
import errno
import json
import os
import signal
import subprocess
import sys
import time

import gymnasium as gym
import numpy as np
import pytest

from rewardgym.agents import replay_checkpoint as rc
from rewardgym.agents.callbacks import ResumableCheckpoint, latest_checkpoint, latest_replay_buffer

TRAIN = [sys.executable, "-m", "rewardgym.agents.train"]


def _sac(buffer_size=500, **kwargs):
    from stable_baselines3 import SAC

    return SAC("MlpPolicy", gym.make("Pendulum-v1"), buffer_size=buffer_size, learning_starts=50, batch_size=16,
               seed=0, verbose=0, **kwargs)


@pytest.mark.parametrize("kwargs", [{}, {"optimize_memory_usage": True, "replay_buffer_kwargs":
                                         {"handle_timeout_termination": False}}])
def test_round_trip_trimmed_then_full(tmp_path, kwargs):
    model = _sac(**kwargs)
    model.learn(120)
    buf = model.replay_buffer
    path = tmp_path / "rb.pkl"
    size = rc.save_replay_buffer(model, path)
    # 121 of 500 rows written: the file holds the filled part, not the preallocated buffer
    import pickle

    assert size < 0.5 * len(pickle.dumps(buf))
    fresh = _sac(**kwargs)
    assert rc.load_replay_buffer(fresh, path) == 120 == rc.transitions(buf)
    got = fresh.replay_buffer
    assert got.observations.shape == buf.observations.shape and got.pos == buf.pos and not got.full
    for name in ("observations", "actions", "rewards", "dones"):
        assert np.array_equal(getattr(got, name), getattr(buf, name)), name
    if not buf.optimize_memory_usage:
        assert np.array_equal(got.next_observations, buf.next_observations)
    assert not hasattr(got, rc.TRIMMED)
    fresh.learn(10, reset_num_timesteps=False)  # it trains on the restored buffer
    model.learn(500, reset_num_timesteps=False)  # now full (and wrapped): saved whole
    assert model.replay_buffer.full
    rc.save_replay_buffer(model, path)
    again = _sac(**kwargs)
    assert rc.load_replay_buffer(again, path) == 500
    assert np.array_equal(again.replay_buffer.observations, model.replay_buffer.observations)


def _checkpointer(model, tmp_path, **kwargs):
    cb = ResumableCheckpoint(tmp_path / "ckpt", save_freq=10**9, **kwargs)
    cb.init_callback(model)
    return cb


def test_checkpoint_keeps_only_the_newest_buffer_and_names_it(tmp_path):
    model = _sac()
    cb = _checkpointer(model, tmp_path)
    model.learn(60)
    cb.save()
    model.learn(40, reset_num_timesteps=False)
    cb.save()
    state = json.loads((tmp_path / "ckpt" / "state.json").read_text())
    assert state == {"num_timesteps": 100, "model": "ckpt_100_steps.zip", "replay_buffer": "replay_buffer_100_steps.pkl"}
    assert [p.name for p in (tmp_path / "ckpt").glob("replay_buffer_*")] == ["replay_buffer_100_steps.pkl"]
    assert latest_replay_buffer(tmp_path / "ckpt") == tmp_path / "ckpt" / "replay_buffer_100_steps.pkl"
    off = _checkpointer(_sac(), tmp_path / "off", replay_buffer=False)
    off.model.learn(10)
    off.save()
    assert "replay_buffer" not in json.loads((tmp_path / "off" / "ckpt" / "state.json").read_text())


def test_a_full_disk_costs_one_line_and_keeps_the_checkpoint(tmp_path, monkeypatch, capsys):
    model = _sac()
    cb = _checkpointer(model, tmp_path)
    model.learn(60)
    cb.save()
    before = (tmp_path / "ckpt" / "replay_buffer_60_steps.pkl").read_bytes()

    def full_disk(obj, f):
        f.write(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(rc, "_dump", full_disk)
    capsys.readouterr()
    for extra in (30, 30):
        model.learn(extra, reset_num_timesteps=False)
        cb.save()
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "replay buffer not saved: cannot write" in out[0] and "No space left on device" in out[0]
    assert cb.replay_failures == 2
    ckpt = tmp_path / "ckpt"
    state = json.loads((ckpt / "state.json").read_text())
    assert state == {"num_timesteps": 120, "model": "ckpt_120_steps.zip"}, "the model checkpoint, without a buffer"
    assert not list(ckpt.glob("*.tmp")), "no half-written buffer left behind"
    assert (ckpt / "replay_buffer_60_steps.pkl").read_bytes() == before
    assert latest_replay_buffer(ckpt) is None
    from stable_baselines3 import SAC

    assert SAC.load(latest_checkpoint(ckpt)[0]).num_timesteps == 120


def test_sac_killed_resumes_with_its_replay_buffer(tmp_path):
    """SIGKILL after the second checkpoint: resume=true loads the buffer saved with the last one (its
    transitions are the first rows of the resumed run's buffer) and loses at most one interval."""
    run_dir, freq = tmp_path / "run", 300
    args = ["env=manip_reach", "agent=sac", "agent.sac.learning_starts=100", "agent.sac.batch_size=32",
            "eval.episodes=1", f"checkpoint_freq={freq}", f"hydra.run.dir={run_dir}"]
    state_path = run_dir / "checkpoints" / "state.json"
    proc = subprocess.Popen(TRAIN + args + ["agent.total_timesteps=1000000"], cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 300
        while time.time() < deadline and proc.poll() is None:
            if state_path.exists() and json.loads(state_path.read_text())["num_timesteps"] >= 2 * freq:
                break
            time.sleep(0.2)
        time.sleep(1.0)  # killed somewhere after that checkpoint
        assert proc.poll() is None, proc.stderr.read()[-2000:]
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    state = json.loads(state_path.read_text())
    saved = state["num_timesteps"]
    buffer_file = run_dir / "checkpoints" / state["replay_buffer"]
    # every finished episode (50 steps each) is in the Monitor file: the steps done before the kill
    done_before_kill = 50 * (len((run_dir / "monitor" / "env0.monitor.csv").read_text().splitlines()) - 2)
    assert saved >= done_before_kill - freq, "a kill loses at most one checkpoint interval"
    from stable_baselines3 import SAC

    at_kill = SAC.load(run_dir / "checkpoints" / state["model"], env=gym.make("rewardgym/Manipulation-v0", task="reach"))
    assert rc.load_replay_buffer(at_kill, buffer_file) == saved
    before = at_kill.replay_buffer

    out = subprocess.run(TRAIN + args + [f"agent.total_timesteps={saved + 100}", "resume=true"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    assert f"replay buffer restored: {saved} transitions" in out.stdout
    final = json.loads(state_path.read_text())
    assert final["num_timesteps"] == saved + 100
    after = SAC.load(run_dir / "checkpoints" / final["model"])
    assert rc.load_replay_buffer(after, run_dir / "checkpoints" / final["replay_buffer"]) == saved + 100
    rows = slice(0, saved)
    assert np.array_equal(after.replay_buffer.observations[rows], before.observations[rows])
    assert np.array_equal(after.replay_buffer.actions[rows], before.actions[rows])
    assert not buffer_file.exists(), "the older buffer is removed once a newer one is saved"


def test_replay_dir_that_cannot_be_written_one_line_run_goes_on(tmp_path):
    """``agent.replay_buffer.dir`` under a file (no folder can be made there): one line, the run ends
    normally and its checkpoint resumes (with an empty buffer, as it says)."""
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file")
    run_dir = tmp_path / "run"
    args = ["env=manip_reach", "agent=sac", "agent.sac.learning_starts=50", "agent.sac.batch_size=16",
            "eval.episodes=1", "checkpoint_freq=100", f"agent.replay_buffer.dir={blocker}/buffers",
            f"hydra.run.dir={run_dir}"]
    out = subprocess.run(TRAIN + args + ["agent.total_timesteps=200"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = [line for line in out.stdout.splitlines() if "replay buffer not saved" in line]
    assert len(lines) == 1 and str(blocker) in lines[0], out.stdout
    state = json.loads((run_dir / "checkpoints" / "state.json").read_text())
    assert state["num_timesteps"] == 200 and "replay_buffer" not in state
    again = subprocess.run(TRAIN + args + ["agent.total_timesteps=300", "resume=true"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "resumed from ckpt_200_steps.zip at 200 steps" in again.stdout
    assert "no replay buffer was saved with that checkpoint" in again.stdout
