"""The Hydra training app end to end, through its console entry point (subprocesses)."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

TRAIN = [sys.executable, "-m", "rewardgym.agents.train"]
FAST = ["env=cartpole", "agent.total_timesteps=512", "agent.n_envs=2", "agent.ppo.n_steps=128",
        "agent.ppo.batch_size=64", "agent.ppo.n_epochs=1", "eval.episodes=2", "checkpoint_freq=256"]


def _run(args, cwd, check=True):
    out = subprocess.run(TRAIN + args, cwd=cwd, capture_output=True, text=True, timeout=300)
    if check and out.returncode != 0:
        raise AssertionError(f"exit {out.returncode}\n{out.stdout}\n{out.stderr}")
    return out


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """One tiny CartPole run through the app, shared read-only by the tests below."""
    run_dir = tmp_path_factory.mktemp("finished") / "run"
    out = _run(FAST + [f"hydra.run.dir={run_dir}"], run_dir.parent)
    assert "it/s" not in out.stdout + out.stderr, "no progress bar when stdout is not a terminal"
    return run_dir


def test_run_writes_outputs(finished_run):
    run_dir = finished_run
    for name in ("final_model.zip", "metrics.json", "learning_curve.png", ".hydra/config.yaml",
                 "monitor/env0.monitor.csv", "monitor/env1.monitor.csv"):
        assert (run_dir / name).exists(), name
    assert list((run_dir / "tb").glob("PPO_*/events.out.tfevents.*")), "TensorBoard events"
    m = json.loads((run_dir / "metrics.json").read_text())
    assert m["total_timesteps"] >= 512 and m["steps_per_second"] > 0 and m["wall_time_s"] > 0
    assert {"success_rate", "return_mean"} <= set(m["eval"]) and "random_policy" in m
    assert m["train_last100"]["episodes"] > 0 and m["resumed_from_steps"] == 0
    state = json.loads((run_dir / "checkpoints" / "state.json").read_text())
    assert state["num_timesteps"] == m["total_timesteps"] and (run_dir / "checkpoints" / state["model"]).exists()


def test_resume_continues_step_count(finished_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(finished_run, run_dir)
    first = json.loads((run_dir / "checkpoints" / "state.json").read_text())["num_timesteps"]
    out = _run(FAST + ["agent.total_timesteps=1024", f"hydra.run.dir={run_dir}", "resume=true"], tmp_path)
    assert f"resumed from ckpt_{first}_steps.zip at {first} steps" in out.stdout
    m2 = json.loads((run_dir / "metrics.json").read_text())
    assert m2["total_timesteps"] >= 1024 and m2["resumed_from_steps"] == first
    assert m2["total_timesteps"] - first < 1024, "a resumed run continues the step count instead of restarting"
    assert m2["train_last100"]["episodes"] > json.loads((finished_run / "metrics.json").read_text())[
        "train_last100"]["episodes"], "the resumed run appends to the Monitor files"


def test_a_run_from_scratch_in_a_used_dir_keeps_only_its_own_episodes(finished_run, tmp_path):
    """Run again in a finished run's dir without resume=true (or with it and no checkpoint): the new
    run's Monitor files, learning curve and train_last100 are its own, not appended to the old run's."""
    from rewardgym.agents.monitor_data import load_episodes

    run_dir = tmp_path / "run"
    shutil.copytree(finished_run, run_dir)
    shutil.rmtree(run_dir / "checkpoints")
    before = len(load_episodes(finished_run)["r"])
    stale = (run_dir / "monitor" / "env0.monitor.csv").read_text()
    out = _run(FAST + ["agent.total_timesteps=256", f"hydra.run.dir={run_dir}", "resume=true"], tmp_path)
    assert "no checkpoint" in out.stdout and "removed the 2 Monitor file(s) of an earlier run" in out.stdout
    text = (run_dir / "monitor" / "env0.monitor.csv").read_text()
    assert text.count("t_start") == 1 and text.splitlines()[0] != stale.splitlines()[0], "one fresh header"
    now = len(load_episodes(run_dir)["r"])
    assert 0 < now < before, (now, before)  # 256 steps of CartPole are fewer episodes than 512
    m = json.loads((run_dir / "metrics.json").read_text())
    assert m["resumed_from_steps"] == 0 and m["train_last100"]["episodes"] == min(now, 100)


@pytest.mark.parametrize("args, needle", [
    (["env=nope"], "unknown env 'nope'. Valid choices: browser, browser_click_button,"),
    (["reward=magic"], "unknown reward 'magic'. Valid choices: auto, clip, constant, gaussian,"),
    (["hydra/launcher=nope"], "unknown hydra/launcher 'nope'. Valid choices: basic, joblib, joblib_2cores"),
    (["agent.not_a_key=1"], "unknown key 'agent.not_a_key'. Valid keys under 'agent': algo, bc, demos, n_envs, normalize,"),
    (["-m", "seed=0,x"], "seed must be an integer in [0, 4294967295], got 'x'"),
    (["agent.n_envs=-1"], "agent.n_envs must be an integer >= 1, got -1"),
    (["-m", "agent.ppo.gamma=0.9,1.5"], "agent.ppo.gamma must be a finite number in [0, 1], got 1.5"),
    (["env=cartpole", "reward=keypoint"], "keypoint reward needs waypoints and tracked: CartPole-v1 has no keypoint_plan"),
    (["reward._target_=no.such.Wrapper"], "reward._target_ 'no.such.Wrapper' cannot be imported"),
    (["resume=maybe"], "resume must be true or false, got 'maybe'"),
    (["agent.reward_thread=maybe"], "agent.reward_thread must be true or false, got 'maybe'"),
    # the envs' first reset runs in the config check: a GUI reward on a MuJoCo task is bad input
    (["reward=gaussian", "agent.total_timesteps=64", "eval.episodes=0"],
     "GaussianGroundingReward needs info['target_boxes'] from the env"),
    # passes the checks before Hydra; the wrapper's own __init__ refuses the value during the run
    (["reward=keypoint", "reward.radius=-1", "agent.total_timesteps=64", "eval.episodes=0"],
     "ValueError: radius must be > 0 metres, got -1"),
])
def test_bad_input_one_line_exit_2(tmp_path, args, needle):
    out = _run(args + [f"hydra.run.dir={tmp_path / 'bad'}"], tmp_path, check=False)
    assert out.returncode == 2, out.stderr
    assert needle in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def _docs_wrapper_module() -> str:
    """The custom wrapper example of docs/training.md, verbatim (so the docs stay true)."""
    text = (Path(__file__).parents[2] / "docs" / "training.md").read_text()
    block = text.split("```python\n# my_rewards.py\n", 1)[1].split("```", 1)[0]
    assert "class AliveBonus" in block
    return block


def test_custom_wrapper_by_target_and_sweep_summary(tmp_path):
    (tmp_path / "my_rewards.py").write_text(_docs_wrapper_module())
    sweep = tmp_path / "sweep"
    args = ["-m", "seed=0,1", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", f"hydra.sweep.dir={sweep}",
            "hydra.sweep.subdir=${hydra.job.num}__seed_${seed}",  # every override in the name would pass 255 bytes
            "reward=none", "+reward._target_=my_rewards.AliveBonus", "+reward._partial_=true", "+reward.bonus=0.5"] + FAST
    out = subprocess.run(TRAIN + args, cwd=tmp_path, capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "PYTHONPATH": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    rows = [line for line in (sweep / "summary.md").read_text().splitlines() if line.startswith("| ") and "__" in line]
    assert len(rows) == 2 and any("seed_0" in r for r in rows) and any("seed_1" in r for r in rows)
    metrics = [json.loads(p.read_text()) for p in sweep.glob("*/metrics.json")]
    assert len(metrics) == 2 and all(m["reward"] == "my_rewards.AliveBonus" for m in metrics)
    # Monitor sits below the custom wrapper: logged returns are CartPole's ground truth (1 per
    # step), not the shaped 1.5 per step that PPO trained on.
    from rewardgym.agents.monitor_data import load_episodes

    for run in {p.parent for p in sweep.glob("*/metrics.json")}:
        ep = load_episodes(run)
        assert len(ep["r"]) > 0 and np.array_equal(ep["r"], ep["l"].astype(float))
    # ...while TensorBoard shows the shaped reward and the wrapper's own term.
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(next(sweep.glob("*/tb/PPO_*")))).Reload()
    scalars = {tag: events.Scalars(tag)[-1].value for tag in events.Tags()["scalars"]}
    assert scalars["shaped/bonus"] == pytest.approx(0.5) and scalars["reward/shaped_mean"] == pytest.approx(1.5)
    assert scalars["reward/env_mean"] == pytest.approx(1.0) and "rollout/success_rate" in scalars


def test_eval_app(finished_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(finished_run, run_dir)
    out = subprocess.run([sys.executable, "-m", "rewardgym.agents.evaluate", str(run_dir), "--episodes", "2",
                          "--video"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    stats = json.loads((run_dir / "eval.json").read_text())
    assert stats["episodes"] == 2 and 0 <= stats["success_rate"] <= 1
    assert (run_dir / "eval.mp4").stat().st_size > 1000
    again = subprocess.run([sys.executable, "-m", "rewardgym.agents.evaluate", str(run_dir), "--episodes", "3",
                            "--final-frames"], capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "final frames:" in again.stdout and (run_dir / "final_frames.png").stat().st_size > 3000
    bad = subprocess.run([sys.executable, "-m", "rewardgym.agents.evaluate", str(tmp_path / "nope")],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "not a rewardgym run dir" in bad.stderr


def test_browser_alias_trains_and_names_its_run_dir(tmp_path):
    """``env=browser_click_red`` (an alias of ``env=browser env.kwargs.task=click-red``) runs and
    keeps its name in the default output dir."""
    pytest.importorskip("playwright")
    tiny = ["agent.total_timesteps=16", "agent.n_envs=1", "agent.ppo.n_steps=16", "agent.ppo.batch_size=16",
            "agent.ppo.n_epochs=1", "eval.episodes=1", "checkpoint_freq=1000"]
    _run(["env=browser_click_red", *tiny], tmp_path)
    (run,) = (tmp_path / "outputs" / "browser_click_red__auto__0").iterdir()
    m = json.loads((run / "metrics.json").read_text())
    assert m["env"] == "rewardgym/Browser-v0" and m["env_kwargs"]["task"] == "click-red"
    assert m["reward"] == "ground_truth", "reward=auto: the browser has no keypoint plan"


def test_nan_action_is_an_error():
    import gymnasium as gym
    import numpy as np
    from omegaconf import OmegaConf

    from rewardgym.agents.env_factory import make_env

    env = make_env(OmegaConf.create({"id": "MountainCar-v0", "success": "terminated"}), None, 0)()
    env.reset(seed=0)
    cont = make_env(OmegaConf.create({"id": "Pendulum-v1"}), None, 0)()
    cont.reset(seed=0)
    with pytest.raises(ValueError, match="finite"):
        cont.step(np.array([np.nan], dtype=np.float32))
    assert isinstance(env, gym.Env)


def test_killed_run_resumes_from_its_last_checkpoint(tmp_path):
    """SIGKILL after the first checkpoint; ``resume=true`` continues from it, losing < one interval."""
    import os
    import signal
    import time

    run_dir = tmp_path / "run"
    state = run_dir / "checkpoints" / "state.json"
    proc = subprocess.Popen(TRAIN + FAST + ["agent.total_timesteps=1000000", f"hydra.run.dir={run_dir}"],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 120
        while not state.exists() and proc.poll() is None and time.time() < deadline:
            time.sleep(0.2)
        assert state.exists(), f"no checkpoint written: {proc.stderr.read() if proc.poll() is not None else 'timeout'}"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    saved = json.loads(state.read_text())["num_timesteps"]
    assert not (run_dir / "final_model.zip").exists() and saved < 1000000
    out = _run(FAST + [f"agent.total_timesteps={saved + 256}", f"hydra.run.dir={run_dir}", "resume=true"], tmp_path)
    assert f"at {saved} steps" in out.stdout
    m = json.loads((run_dir / "metrics.json").read_text())
    assert m["resumed_from_steps"] == saved and saved + 256 <= m["total_timesteps"] < saved + 256 + 2 * 256


BUGGY_WRAPPER = '''
import gymnasium as gym

class FailsMidRun(gym.Wrapper):
    """Builds fine, then raises the kind of error an argument check would raise: a bug, not input."""
    def __init__(self, env, after: int = 50):
        super().__init__(env)
        self.after, self.t = after, 0

    def step(self, action):
        self.t += 1
        if self.t > self.after:
            raise ValueError("an internal bug deep in a step")
        return self.env.step(action)
'''


def test_an_error_during_training_keeps_its_traceback_and_is_not_exit_2(tmp_path):
    (tmp_path / "buggy.py").write_text(BUGGY_WRAPPER)
    args = ["reward=none", "+reward._target_=buggy.FailsMidRun", "+reward._partial_=true", f"hydra.run.dir={tmp_path / 'run'}"]
    out = subprocess.run(TRAIN + args + FAST, cwd=tmp_path, capture_output=True, text=True, timeout=300,
                         env={**__import__("os").environ, "PYTHONPATH": str(tmp_path)})
    assert out.returncode not in (0, 2), out.stderr
    assert "Traceback" in out.stderr and "an internal bug deep in a step" in out.stderr


def test_sac_through_the_same_app_and_rewardgym_eval(tmp_path):
    run_dir = tmp_path / "sac"
    _run(["env=manip_reach", "agent=sac", "agent.total_timesteps=300", "agent.sac.learning_starts=100",
          "agent.sac.batch_size=32", "eval.episodes=2", "checkpoint_freq=200", f"hydra.run.dir={run_dir}"], tmp_path)
    m = json.loads((run_dir / "metrics.json").read_text())
    assert m["total_timesteps"] >= 300 and "success_rate" in m["eval"]
    assert list((run_dir / "tb").glob("SAC_*/events.out.tfevents.*"))
    out = subprocess.run([sys.executable, "-m", "rewardgym.agents.evaluate", str(run_dir), "--episodes", "2"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and json.loads(out.stdout)["episodes"] == 2, out.stderr


@pytest.mark.parametrize("args, needle", [
    (["env=cartpole", "agent=sac"], "agent=sac needs a continuous (Box) action space"),
    (["reward=clip", "agent.reward_scoring=rollout", "agent.reward_chunk=100000"],
     "agent.reward_chunk=100000 is larger than the rollout (agent.ppo.n_steps="),
    (["reward=clip", "agent.reward_scoring=rollout", "agent.normalize.reward=true"],
     "agent.reward_scoring=rollout cannot be used with agent.normalize.reward=true"),
])
def test_bad_agent_combinations_one_line_exit_2(tmp_path, args, needle):
    out = _run(args + ["env=cartpole", f"hydra.run.dir={tmp_path / 'bad'}"] if "env=cartpole" not in args
               else args + [f"hydra.run.dir={tmp_path / 'bad'}"], tmp_path, check=False)
    assert out.returncode == 2 and needle in out.stderr, out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_clip_reward_scored_per_rollout_through_the_app(tmp_path):
    run_dir = tmp_path / "roll"
    _run(["env=cartpole", "reward=clip", "agent.reward_scoring=rollout", "agent.reward_chunk=32",
          "agent.total_timesteps=256", "agent.n_envs=2", "agent.ppo.n_steps=64", "agent.ppo.batch_size=64",
          "agent.ppo.n_epochs=1", "eval.episodes=2", f"hydra.run.dir={run_dir}"], tmp_path)
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(next((run_dir / "tb").glob("PPO_*")))).Reload()
    shaped = events.Scalars("reward/shaped_mean")[-1].value
    assert "shaped/clip" in events.Tags()["scalars"] and shaped != 0.0, "the scored rewards, not the placeholders"


def test_ground_truth_evaluation_during_training_with_video(tmp_path):
    run_dir = tmp_path / "evals"
    _run(FAST + ["eval.every=256", "eval.every_episodes=2", "eval.every_video=true", f"hydra.run.dir={run_dir}"],
         tmp_path)
    videos = sorted((run_dir / "videos").glob("eval_*_steps.mp4"))
    assert len(videos) >= 1 and all(v.stat().st_size > 0 for v in videos)
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(next((run_dir / "tb").glob("PPO_*"))), size_guidance={"images": 0}).Reload()
    assert "eval/success_rate" in events.Tags()["scalars"] and len(events.Scalars("eval/return_mean")) >= 1
    gif = events.Images("eval/video")[-1].encoded_image_string
    assert gif[:6] in (b"GIF87a", b"GIF89a")
