"""rewardgym-eval-reward: rollouts, report files, sweep comparison and the hacking check."""
import json
import subprocess
import sys

import numpy as np
import pytest

from rewardgym.reward_quality import hacking, sweep

try:  # import before any test renders with EGL: torch's triton import can crash after MuJoCo's EGL context
    import open_clip  # noqa: F401
except ImportError:
    open_clip = None
from rewardgym.envs.experts import expert_for
from rewardgym.reward_quality.rollouts import make_policies

WRAPPERS = '''
import gymnasium as gym
class Affine(gym.Wrapper):
    """reward = scale * ground truth + shift (EPIC 0 for scale > 0, 1 for scale < 0)."""
    def __init__(self, env, scale=1.0, shift=0.0):
        super().__init__(env); self.scale, self.shift = scale, shift
    def step(self, action):
        obs, r, term, trunc, info = self.env.step(action)
        info = dict(info); info["env_reward"] = float(r)
        return obs, self.scale * r + self.shift, term, trunc, info
'''


def _run(overrides, out_dir, tmp_path, monkeypatch):
    from hydra import compose, initialize_config_module
    from hydra.core.global_hydra import GlobalHydra

    from rewardgym.reward_quality.app import run

    (tmp_path / "rq_wrappers.py").write_text(WRAPPERS)
    monkeypatch.syspath_prepend(str(tmp_path))
    GlobalHydra.instance().clear()
    with initialize_config_module(config_module="rewardgym.conf", version_base=None):
        cfg = compose(config_name="eval_reward", overrides=overrides)
    GlobalHydra.instance().clear()
    return run(cfg, out_dir)


FAST = ["env=manip_reach", "rollouts.episodes=1", "rollouts.noise=[0.5]", "rollouts.episodes_with_frames=1",
        "progress=false"]


@pytest.mark.parametrize("scale, epic", [(3.0, 0.0), (-2.0, 1.0)])
def test_affine_of_ground_truth(tmp_path, monkeypatch, scale, epic):
    out = tmp_path / "rep"
    payload = _run(FAST + ["reward=none", "+reward._target_=rq_wrappers.Affine", "+reward._partial_=true",
                           f"+reward.scale={scale}", "+reward.shift=1.0"], out, tmp_path, monkeypatch)
    m = payload["metrics"]["all"]
    assert m["epic"] == pytest.approx(epic, abs=1e-6)
    assert m["pearson"] == pytest.approx(np.sign(scale))
    assert m["episodes"] == 3 and m["steps"] > 0  # random, expert, expert+noise0.5
    assert set(payload["metrics"]["per_policy"]) == {"random", "expert", "expert+noise0.5"}
    assert payload["metrics"]["per_policy"]["expert"]["success_rate_final"] == 1.0


def test_keypoint_report_files(tmp_path, monkeypatch):
    out = tmp_path / "rep"
    _run(FAST + ["reward=keypoint"], out, tmp_path, monkeypatch)
    for name in ("report.json", "report.md", "reward_curves.png", "scatter.png", "keypoints.png"):
        assert (out / name).stat().st_size > 0, name
    data = json.loads((out / "report.json").read_text())
    m = data["metrics"]["all"]
    assert {"pearson", "spearman", "epic", "auc_success", "best_threshold", "steps", "episodes"} <= set(m)
    assert m["pearson"] > 0.3 and m["auc_success"] > 0.8  # KAGI progress tracks the reach task
    md = (out / "report.md").read_text()
    assert "| **all** |" in md and "![keypoints](keypoints.png)" in md


def test_policies_and_experts():
    import gymnasium as gym

    env = gym.make("CartPole-v1")
    pol, opts = expert_for(env)
    assert pol is not None and opts is None
    names = make_policies(env, "auto", [0.2], None)
    assert list(names) == ["random", "expert", "expert+noise0.2"]
    with pytest.raises(ValueError, match="unknown policy 'ppo'.*ppo_run"):
        make_policies(env, ["ppo"], [], None)
    with pytest.raises(ValueError, match=r"noise level must be in \[0, 1\], got 2"):
        make_policies(env, ["expert+noise2"], [], None)
    assert expert_for(gym.make("Pendulum-v1")) == (None, None)


def _fake_report(folder, overrides, epic):
    (folder / ".hydra").mkdir(parents=True)
    (folder / ".hydra" / "overrides.yaml").write_text("".join(f"- {o}\n" for o in overrides))
    m = {"pearson": 1 - 2 * epic ** 2, "spearman": 0.5, "epic": epic, "auc_success": 0.9,
         "best_threshold": {"threshold": 0.3}, "steps": 10, "episodes": 2}
    (folder / "report.json").write_text(json.dumps({"metrics": {"all": m}}))


def test_sweep_comparison(tmp_path):
    for i, alpha in enumerate([0.0, 0.5, 1.0]):
        _fake_report(tmp_path / f"{i}__reward.alpha={alpha}", ["env=humanoid_kneel", f"reward.alpha={alpha}"],
                     0.2 + 0.1 * i)
    md = sweep.summarize(tmp_path)
    text = md.read_text()
    assert "| reward.alpha | pearson |" in text and "env" not in text.split("\n")[2]  # only the varying key
    assert "| 1.0 | 0.680 | 0.500 | 0.400 |" in text
    assert (tmp_path / "comparison.png").stat().st_size > 0 and (tmp_path / "comparison.csv").exists()


def _write_tb(run_dir, shaped, success):
    from torch.utils.tensorboard import SummaryWriter

    w = SummaryWriter(str(run_dir / "tb" / "PPO_1"))
    for i, (r, s) in enumerate(zip(shaped, success)):
        w.add_scalar("reward/shaped_mean", r, (i + 1) * 1000)
        w.add_scalar("rollout/success_rate", s, (i + 1) * 1000)
    w.close()


@pytest.mark.parametrize("success, flagged", [(np.zeros(20), True), (np.linspace(0, 0.9, 20), False)])
def test_hacking_flag(tmp_path, success, flagged):
    _write_tb(tmp_path, np.linspace(0.1, 0.9, 20), success)
    result = hacking.check(tmp_path, tmp_path / "h.png")
    assert result["flagged"] is flagged and result["points"] == 20
    assert (tmp_path / "h.png").stat().st_size > 0


def test_hacking_needs_logs(tmp_path):
    assert hacking.check(tmp_path)["flagged"] is None
    with pytest.raises(FileNotFoundError, match="not a directory"):
        hacking.check(tmp_path / "missing")


@pytest.mark.parametrize("args, needle", [
    (["reward=magic"], "unknown reward 'magic'"),
    # the reward is built for the env before any rollout: a reward that does not fit it is bad input
    (["env=cartpole", "reward=keypoint"],
     "keypoint reward needs waypoints and tracked: CartPole-v1 has no keypoint_plan"),
    (["env=manip_reach", "reward=gaussian"], "GaussianGroundingReward needs info['target_boxes'] from the env"),
    (["progress=maybe"], "progress must be true or false, got 'maybe'"),
])
def test_cli_bad_input_exit_2(tmp_path, args, needle):
    out = subprocess.run([sys.executable, "-m", "rewardgym.reward_quality.app", *args, f"hydra.run.dir={tmp_path}/o"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and needle in out.stderr, out.stderr[-2000:]
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr[-2000:]


def test_clip_batched_scorer_on_humanoid(tmp_path, monkeypatch):
    """The batched (CLIP) path: a tiny random open_clip model built here, two envs in lockstep."""
    torch = pytest.importorskip("torch")
    if open_clip is None:
        pytest.skip("open_clip not installed")

    from rewardgym.reward_wrappers.clip_models import register_config

    tiny = {"embed_dim": 32,
            "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "head_width": 16, "patch_size": 16},
            "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1}}
    (tmp_path / "rg-tiny-rq.json").write_text(json.dumps(tiny))
    register_config(tmp_path / "rg-tiny-rq.json")
    torch.manual_seed(0)
    torch.save(open_clip.create_model("rg-tiny-rq").state_dict(), tmp_path / "tiny.pt")
    out = tmp_path / "rep"
    payload = _run(["env=humanoid_kneel", "reward=clip", "reward.model=rg-tiny-rq", f"reward.pretrained={tmp_path}/tiny.pt",
                    "reward.device=cpu", "rollouts.policies=[random,expert]", "rollouts.episodes=1",
                    "rollouts.frames_per_episode=3", "env.max_episode_steps=20", "progress=false"],
                   out, tmp_path, monkeypatch)
    m = payload["metrics"]["all"]
    assert m["steps"] == 40 and m["episodes"] == 2
    assert np.isfinite(m["pearson"]) and m["pearson"] < 0.999  # scored by the model, not the GT placeholder
    assert payload["metrics"]["per_policy"]["expert"]["success_rate_steps"] > 0  # starts in the kneel pose
    assert (out / "reward_curves.png").stat().st_size > 0


@pytest.fixture(scope="module")
def trained_cartpole_run(tmp_path_factory):
    """A tiny PPO run of the training app, with ground-truth evaluations (and so the hacking signal)."""
    run_dir = tmp_path_factory.mktemp("trained") / "run"
    out = subprocess.run([sys.executable, "-m", "rewardgym.agents.train", "env=cartpole", "agent.total_timesteps=512",
                          "agent.n_envs=2", "agent.ppo.n_steps=128", "agent.ppo.batch_size=64", "agent.ppo.n_epochs=1",
                          "eval.episodes=1", "eval.every=256", "eval.every_episodes=1", f"hydra.run.dir={run_dir}"],
                         cwd=run_dir.parent, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return run_dir


def test_trained_policy_frames_scored_by_the_clip_reward(trained_cartpole_run, tmp_path, monkeypatch):
    """``rollouts.ppo_run``: the trained policy's own states, rendered and scored by the batched CLIP
    reward beside a random policy's; ``hacking.run`` reports the run's in-training signal too."""
    run = trained_cartpole_run
    payload = _run(["env=cartpole", "reward=clip", f"rollouts.ppo_run={run}", "rollouts.policies=[random,ppo]",
                    "rollouts.episodes=1", "rollouts.episodes_with_frames=1", "progress=false", f"hacking.run={run}"],
                   tmp_path / "rep", tmp_path, monkeypatch)
    ppo = payload["metrics"]["per_policy"]["ppo"]
    assert ppo["steps"] > 0 and ppo["episodes"] == 1
    # CartPole's ground truth is 1 a step: a model return of exactly the length would be the placeholder
    assert ppo["model_return_mean"] != pytest.approx(ppo["gt_return_mean"]) and 0 < ppo["model_return_mean"]
    assert payload["hacking"]["training_signal"]["evaluations"] == 2
    assert any(n.startswith("Hacking signal of that run during training") for n in payload["notes"])


def test_trained_policy_on_other_observations_is_refused(trained_cartpole_run, tmp_path, monkeypatch):
    from rewardgym.errors import BadInput

    with pytest.raises(BadInput, match=r"was trained on CartPole-v1 \{\} \(observations \(4,\)\); this report's env "
                                         r"rewardgym/Manipulation-v0 has observations \(17,\)"):
        _run(["env=manip_reach", "reward=none", f"rollouts.ppo_run={trained_cartpole_run}", "progress=false"],
             tmp_path / "rep", tmp_path, monkeypatch)
