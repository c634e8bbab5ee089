"""``rewardgym-train agent=rllib_ppo``: a real local Ray (2 CPUs, 2 env runners), end to end.

Every Ray here runs in a subprocess (the app, or a small script) with the default
``agent.ray.private_network=auto``: in a network namespace of its own, listening on loopback only.
"""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ray.rllib")

TRAIN = [sys.executable, "-m", "rewardgym.agents.train", "agent=rllib_ppo"]
FAST = ["env=cartpole", "reward=none", "agent.ray.num_cpus=2", "agent.env_runners.num=2",
        "agent.env_runners.envs_per_runner=2", "agent.ppo.train_batch_size_per_learner=512",
        "agent.ppo.minibatch_size=128", "agent.ppo.num_epochs=2", "checkpoint_freq=512", "eval.episodes=3"]


def _train(args, cwd, timeout=300, env=None):
    return subprocess.run(TRAIN + FAST + args, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def _state(run_dir: Path):
    path = run_dir / "checkpoints" / "state.json"
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _group(pgid: int) -> dict[str, str]:
    """{pid: command line} of the live processes of process group ``pgid``."""
    out = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                out[stat.parent.name] = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue
    return out


def _listening_outside(pgid: int) -> list[str]:
    """Listening sockets, seen from this test's network namespace, owned by the run's processes
    (its process group: driver, raylet, GCS, runners)."""
    import shutil

    group = _group(pgid)
    pids = list(group)
    assert len(pids) >= 3, "the driver, Ray's processes and the runners"
    runners = [cmd for cmd in group.values() if cmd.startswith("ray::") and "EnvRunner" in cmd]
    assert len(runners) == 2, f"both env runners are in the run's process group (a kill of it stops them): {group}"
    if shutil.which("ss") is None:
        return []
    out = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True).stdout.splitlines()
    return [line for line in out if any(f"pid={pid}," in line for pid in pids)]


@pytest.fixture(scope="module")
def killed_and_resumed(tmp_path_factory):
    """A run SIGKILLed (its whole process group: driver, raylet, runners) after its first
    checkpoint, then resumed with ``resume=true`` to a budget past the kill."""
    run_dir = tmp_path_factory.mktemp("rllib") / "run"
    proc = subprocess.Popen(TRAIN + FAST + ["agent.total_timesteps=100000", f"hydra.run.dir={run_dir}"],
                            cwd=run_dir.parent, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.monotonic() + 240
    try:
        while _state(run_dir) is None:
            assert proc.poll() is None, f"the run ended before its first checkpoint: {proc.stderr.read().decode()[-2000:]}"
            assert time.monotonic() < deadline, "no checkpoint within 240 s"
            time.sleep(0.5)
        listening = _listening_outside(proc.pid)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
    deadline = time.monotonic() + 2  # a killed process with many threads takes a moment to go
    while _group(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _group(proc.pid) == {}, "a process of the run outlived the kill of its process group"
    if os.geteuid() == 0:  # private_network=auto makes the namespace where the process may (root)
        assert listening == [], f"Ray of a local run listens outside its namespace: {listening}"
    killed_at = _state(run_dir)["num_timesteps"]
    out = _train(["agent.total_timesteps=" + str(killed_at + 1024), f"hydra.run.dir={run_dir}", "resume=true"],
                 run_dir.parent)
    assert out.returncode == 0, out.stderr[-3000:]
    return run_dir, killed_at, out


def test_resume_after_sigkill_continues_the_step_count(killed_and_resumed):
    run_dir, killed_at, out = killed_and_resumed
    assert f"resumed from rllib_{killed_at}_steps at {killed_at} steps" in out.stdout
    m = json.loads((run_dir / "metrics.json").read_text())
    assert m["resumed_from_steps"] == killed_at
    assert killed_at + 1024 <= m["total_timesteps"] < killed_at + 1024 + 512, "continues, not restarts"
    assert _state(run_dir)["num_timesteps"] == m["total_timesteps"]


def test_outputs_of_a_run(killed_and_resumed):
    run_dir, _, _ = killed_and_resumed
    m = json.loads((run_dir / "metrics.json").read_text())
    assert m["engine"] == "rllib" and m["ray"]["env_runners"] == 2 and m["ray"]["iterations"] >= 2
    assert m["steps_per_second"] > 0 and m["ray"]["learner_s_per_iteration"] > 0
    ev, rnd = m["eval"], m["random_policy"]
    assert ev["episodes"] == 3 and 1 <= ev["return_mean"] <= 500 and ev["return_mean"] == ev["length_mean"]
    assert 1 <= rnd["return_mean"] <= 500 and ev["success_rate"] in (0.0, 1 / 3, 2 / 3, 1.0)
    monitors = sorted((run_dir / "monitor").glob("runner*_env*.monitor.csv"))
    runners = {p.name.split("_")[0] for p in monitors}
    assert len(runners) >= 4, f"2 runners before the kill and 2 after, each its own files: {monitors}"
    assert m["train_last100"]["episodes"] > 10 and 1 <= m["train_last100"]["return_mean"] <= 500
    assert (run_dir / "learning_curve.png").stat().st_size > 10_000
    events = list((run_dir / "tb" / "RLLIB_PPO").glob("events.out.tfevents.*"))
    assert events, "TensorBoard events"
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run_dir / "tb" / "RLLIB_PPO"))
    acc.Reload()
    assert {"rollout/ep_rew_mean", "time/fps", "train/policy_loss"} <= set(acc.Tags()["scalars"])
    returns = [e.value for e in acc.Scalars("rollout/ep_rew_mean")]
    assert all(1 <= r <= 500 for r in returns), "CartPole ground-truth returns from the Monitor"
    state = _state(run_dir)
    assert (run_dir / "checkpoints" / state["model"] / "rllib_checkpoint.json").exists()


def test_rewardgym_eval_loads_the_final_rllib_policy(killed_and_resumed):
    from rewardgym.agents.evaluate import main

    run_dir, _, _ = killed_and_resumed
    assert main([str(run_dir), "--episodes", "3", "--seed", "10000"]) == 0  # no Ray needed
    stats = json.loads((run_dir / "eval.json").read_text())
    assert stats == json.loads((run_dir / "metrics.json").read_text())["eval"], "the same policy, episodes and seed"


@pytest.mark.parametrize("args, needle", [
    (["agent.ray.address=127.0.0.1:1", "agent.ray.connect_timeout_s=2"], "ray.address='127.0.0.1:1' is unreachable"),
    pytest.param(["agent.env_runners.gpus_per_runner=4"], "agent.env_runners.gpus_per_runner=4 ask for 8 GPU(s) in all",
                 marks=pytest.mark.slow),  # starts Ray to count its GPUs; the arithmetic is tested below without Ray
    (["+wrappers=[{_target_:rllib_unpicklable.HoldsALock}]"], "cannot be pickled to a Ray env runner: wrappers[0]"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, needle):
    (tmp_path / "rllib_unpicklable.py").write_text(textwrap.dedent("""
        import threading

        class HoldsALock:
            '''A wrapper (env -> env) holding a lock: it cannot be pickled to another process.'''
            def __init__(self):
                self.lock = threading.Lock()
            def __call__(self, env):
                return env
    """))
    started = time.monotonic()
    out = _train(args + [f"hydra.run.dir={tmp_path / 'run'}"], tmp_path, timeout=120, env={"PYTHONPATH": str(tmp_path)})
    assert out.returncode == 2, out.stderr[-3000:]
    lines = [line for line in out.stderr.splitlines() if line.startswith("rewardgym-train:")]
    assert len(lines) == 1 and needle in lines[0], out.stderr[-3000:]
    assert "Traceback" not in out.stderr
    assert time.monotonic() - started < 90


def test_resources_asked_and_checked():
    from omegaconf import OmegaConf

    from rewardgym.agents.rllib.cluster import check_resources, parse_address
    from rewardgym.agents.rllib.train import asked_resources

    agent = OmegaConf.load(Path(__file__).parents[2] / "conf" / "agent" / "rllib_ppo.yaml")
    agent.learners.gpus_per_learner = 1
    agent.shared_reward.update({"enabled": True, "actors": 2, "num_gpus": 0.5, "num_cpus": 0})
    asked = asked_resources(agent)
    assert asked["CPU"][0] == 2 and asked["GPU"][0] == 2
    assert "agent.learners.gpus_per_learner=1 (driver)" in asked["GPU"][1]
    check_resources(asked, {"CPU": 2.0, "GPU": 2.0})
    with pytest.raises(ValueError, match=r"agent.shared_reward.num_gpus=0.5, agent.learners.gpus_per_learner=1 "
                                         r"\(driver\) ask for 2 GPU\(s\) in all, but the Ray cluster has 1"):
        check_resources(asked, {"CPU": 2.0, "GPU": 1.0})
    assert parse_address("ray://head") == ("head", 10001, True) and parse_address("10.1.2.3:6380")[:2] == ("10.1.2.3", 6380)
    with pytest.raises(ValueError, match="got 'head:port'"):
        parse_address("head:port")


def test_every_numeric_key_of_the_agent_config_has_a_range():
    from hydra import compose, initialize_config_module
    from omegaconf import OmegaConf

    from rewardgym.cli import RANGES, range_problem

    with initialize_config_module(config_module="rewardgym.conf", version_base=None):
        cfg = compose(config_name="config", overrides=["agent=rllib_ppo"])

    def numeric(node, prefix):
        for key, value in node.items():
            if OmegaConf.is_dict(value):
                yield from numeric(value, f"{prefix}{key}.")
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                yield f"{prefix}{key}"

    keys = set(numeric(cfg.agent, "agent."))
    assert keys <= set(RANGES), sorted(keys - set(RANGES))
    assert range_problem(cfg) is None


SHARED_SCRIPT = """
import json, sys
import numpy as np
from omegaconf import OmegaConf
from rewardgym.agents.rllib.cluster import connect
from rewardgym.agents.rllib.shared_reward import RemoteScorer, start_scorers
from rewardgym.reward_wrappers.batched import ModelRequest, RewardBatcher
from rewardgym.reward_wrappers.clip import CLIPReward

config, ckpt = sys.argv[1], sys.argv[2]
reward = CLIPReward(goal_prompts=["a red square"], baseline_prompts=["a square"], model=config,
                    pretrained=ckpt, device="cpu", alpha=0.5, reward_every=2)
rng = np.random.default_rng(0)
steps = [[ModelRequest(rng.integers(0, 255, (32, 32, 3), dtype=np.uint8) if (t + i) % 2 == 0 else None)
          for i in range(3)] for t in range(6)]
local = RewardBatcher(reward.make_scorer())
want = [local(reqs) for reqs in steps]
connect(OmegaConf.create({"num_cpus": 2, "namespace": "rg-test"}))
import ray
actors, names = start_scorers(reward, {}, 1, "rg-test", max_batch=64, wait_ms=50)
shared = RewardBatcher(RemoteScorer(names, "rg-test"))
got = [shared(reqs) for reqs in steps]
# two runners' calls at once (submitted together): the actor scores them in one batch
frames = [s.input for reqs in steps for s in reqs if s.input is not None]
equality_stats = ray.get(actors[0].stats.remote())
ray.get(actors[0].set_batching.remote(len(frames), 5000))  # flush when both calls are in, or after 5 s
both = ray.get([actors[0].score.remote(frames[:4]), actors[0].score.remote(frames[4:])])
stats = ray.get(actors[0].stats.remote())
stats = {"scorer_calls": stats["scorer_calls"] - equality_stats["scorer_calls"], "batch_max": stats["last_batch"],
         "runner_calls_per_batch": stats["last_batch_runner_calls"]}
print(json.dumps({
    "same": all(np.allclose(w[0], g[0], atol=1e-5) and w[1].keys() == g[1].keys() and
                all(np.allclose(w[1][k], g[1][k], atol=1e-5) for k in w[1]) for w, g in zip(want, got)),
    "rewards": [g[0].tolist() for g in got],
    "both_match": bool(np.allclose(np.concatenate([both[0][0], both[1][0]]), local.score(frames)[0], atol=1e-5)),
    "calls_for_two_runners": stats["scorer_calls"], "stats": stats, "equality_stats": equality_stats}))
"""


@pytest.fixture(scope="module")
def tiny_clip_config(tmp_path_factory):
    """A tiny random open_clip model: (its config .json, its weights), loadable in any process."""
    torch = pytest.importorskip("torch")
    import open_clip

    from rewardgym.reward_wrappers.clip_models import register_config

    folder = tmp_path_factory.mktemp("tiny_clip_rllib")
    config = folder / "rg-tiny-rllib.json"
    config.write_text(json.dumps({"embed_dim": 16, "vision_cfg": {"image_size": 32, "layers": 1, "width": 16,
                                                                  "head_width": 8, "patch_size": 16},
                                  "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 16,
                                               "heads": 2, "layers": 1}}))
    register_config(config)
    torch.manual_seed(0)
    torch.save(open_clip.create_model("rg-tiny-rllib").state_dict(), folder / "rg-tiny-rllib.pt")
    return str(config), str(folder / "rg-tiny-rllib.pt")


def test_shared_reward_model_scores_like_local_scoring(tiny_clip_config, tmp_path):
    """The same frames (with reward_every holds) give the same rewards through a shared scorer
    actor as through a local scorer; calls from two runners at once are scored in one batch."""
    config, ckpt = tiny_clip_config
    script = tmp_path / "shared.py"
    script.write_text(SHARED_SCRIPT)
    out = subprocess.run([sys.executable, str(script), config, ckpt], capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["same"], result
    assert any(r != 0 for step in result["rewards"] for r in step)
    assert result["both_match"] and result["calls_for_two_runners"] == 1, result
    frames = len([1 for t in range(6) for i in range(3) if (t + i) % 2 == 0])
    assert result["stats"]["batch_max"] == frames and result["stats"]["runner_calls_per_batch"] == 2
    assert result["equality_stats"]["inputs"] == frames
