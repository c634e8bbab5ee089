"""The instruction-conditioned grounding policy, its supervised warm start and the dataset-vs-live evaluation."""
import json

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium import spaces

import rewardgym  # noqa: F401
from rewardgym.agents.policies import GroundingPolicy, InstructionFiLMExtractor

pytest.importorskip("datasets")


@pytest.fixture(autouse=True)
def one_torch_thread():
    """As the train app does (torch_threads=1): on 2 shared cores, more threads only contend."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _space(h=105, w=80):
    return spaces.Dict({"screenshot": spaces.Box(0, 255, (3, h, w), np.uint8),
                        "instruction": spaces.Box(0, 4095, (32,), np.int64)})


def test_extractor_clicks_where_its_heatmap_points():
    f = InstructionFiLMExtractor(_space())
    obs = {"screenshot": torch.rand(2, 3, 105, 80), "instruction": torch.randint(0, 4096, (2, 32)).float()}
    feats, logits = f.features_and_logits(obs)
    assert feats.shape == (2, f.features_dim) and logits.shape == (2, len(f.cell_x))
    np.testing.assert_allclose(feats[:, :2].detach(), [[f.cell_x.mean(), f.cell_y.mean()]] * 2, atol=1e-5)  # flat
    with torch.no_grad():  # a heatmap peaked on one cell puts the click on that cell's centre
        f.heat.bias.fill_(0.0)
        cell = 123
        bump = torch.full_like(logits, -50.0)
        bump[:, cell] = 50.0
        p = torch.softmax(bump, -1)
        assert float((p * f.cell_x).sum(-1)[0]) == pytest.approx(float(f.cell_x[cell]), abs=1e-4)
    centres = f._centres(80)
    np.testing.assert_allclose(centres, (4 * np.arange(20) + 2) / 80, atol=1e-6)  # 4x4 patches: centre 4j + 1.5 px


def test_instruction_changes_the_features():
    f = InstructionFiLMExtractor(_space())
    torch.nn.init.normal_(f.film3.weight, std=0.5)
    img = torch.rand(1, 3, 105, 80)
    a = f({"screenshot": img, "instruction": torch.tensor([[5.0, 9.0] + [0.0] * 30])})
    b = f({"screenshot": img, "instruction": torch.tensor([[7.0, 9.0] + [0.0] * 30])})
    assert not torch.allclose(a[:, 4:], b[:, 4:])


def test_missing_key_is_named():
    with pytest.raises(ValueError, match="needs observation key 'instruction'"):
        InstructionFiLMExtractor(spaces.Dict({"screenshot": spaces.Box(0, 255, (3, 8, 8), np.uint8)}))


@pytest.mark.parametrize("n", [2, 4])
def test_policy_mean_starts_as_the_click_readout(n):
    from stable_baselines3.common.utils import ConstantSchedule

    policy = GroundingPolicy(_space(), spaces.Box(0, 1, (n,), np.float32), ConstantSchedule(1e-3))
    obs = {"screenshot": torch.rand(3, 3, 105, 80), "instruction": torch.randint(0, 4096, (3, 32)).float()}
    feats = policy.extract_features(obs)
    mean = policy.action_net(policy.mlp_extractor(feats)[0])
    x, y, w, h = feats[:, 0], feats[:, 1], feats[:, 2], feats[:, 3]
    expect = torch.stack([x, y], 1) if n == 2 else torch.stack([x - w / 2, y - h / 2, x + w / 2, y + h / 2], 1)
    torch.testing.assert_close(mean, expect)


def test_grid_policy_is_the_heatmap():
    from stable_baselines3.common.utils import ConstantSchedule

    for action_space in (spaces.Discrete(520), spaces.MultiDiscrete([520, 8, 8])):
        policy = GroundingPolicy(_space(), action_space, ConstantSchedule(1e-3))
        torch.nn.init.normal_(policy.features_extractor.heat.weight, std=1.0)  # a heatmap that is not flat
        obs = {"screenshot": torch.rand(2, 3, 105, 80), "instruction": torch.randint(0, 4096, (2, 32)).float()}
        feats, logits = policy.features_extractor.features_and_logits(obs)
        out = policy.action_net(policy.mlp_extractor(feats)[0])
        torch.testing.assert_close(out[:, :520], logits)
        if isinstance(action_space, spaces.MultiDiscrete):
            assert torch.all(out[:, 520:] == 0)  # box sizes start uniform
    with pytest.raises(ValueError, match="grid actions over 100 cells, but the extractor's heatmap has 520"):
        GroundingPolicy(_space(), spaces.Discrete(100), ConstantSchedule(1e-3))


def _cfg(tmp_path, *overrides, experiment="gui_grounding"):
    from hydra import compose, initialize_config_module

    with initialize_config_module("rewardgym.conf", version_base=None):
        return compose("config", overrides=[f"+experiment={experiment}", "agent.n_envs=2", "agent.ppo.n_steps=8",
                                            "agent.ppo.batch_size=16", "agent.ppo.n_epochs=1",
                                            f"agent.warm_start.cache_dir={tmp_path / 'cache'}", *overrides])


def test_warm_start_learns_the_boxes_and_is_shared_through_its_cache(tmp_path):
    from stable_baselines3 import PPO

    from rewardgym.agents.algorithms import algo_kwargs
    from rewardgym.agents.env_factory import build_vec_env, reward_factory
    from rewardgym.agents.gui_pretrain import warm_start

    torch.manual_seed(0)
    cfg = _cfg(tmp_path, "agent.warm_start.epochs=100", "agent.warm_start.learning_rate=3e-3",
               "agent.warm_start.batch_size=8", "env.kwargs.tasks=[click-red,click-button]",
               experiment="gui_grounding_continuous")
    venv = build_vec_env(cfg, reward_factory(cfg.reward), None, 0)
    model = PPO(GroundingPolicy, venv, seed=0, device="cpu", **algo_kwargs(cfg.agent))
    stats = warm_start(model, cfg, tmp_path)
    assert stats["rows"] == 24 and stats["final_hit_rate"] >= 0.75  # random clicks hit ~3% of these boxes
    assert float(model.policy.log_std.exp().mean()) == pytest.approx(0.05)
    assert json.loads((tmp_path / "warm_start.json").read_text())["final_hit_rate"] == stats["final_hit_rate"]
    other = PPO(GroundingPolicy, venv, seed=1, device="cpu", **algo_kwargs(cfg.agent))
    again = warm_start(other, cfg, None)
    assert "cached" in again
    for (k, a), b in zip(model.policy.state_dict().items(), other.policy.state_dict().values()):
        torch.testing.assert_close(a, b, msg=k)
    venv.close()


@pytest.mark.parametrize("action_type", ["point", "box"])
def test_grid_warm_start_trains_the_policys_own_cells(tmp_path, action_type):
    from stable_baselines3 import PPO

    from rewardgym.agents.algorithms import algo_kwargs
    from rewardgym.agents.env_factory import build_vec_env, reward_factory
    from rewardgym.agents.gui_pretrain import warm_start

    torch.manual_seed(0)
    cfg = _cfg(tmp_path, "agent.warm_start.epochs=40", "agent.warm_start.learning_rate=3e-3",
               "agent.warm_start.batch_size=8", "env.kwargs.tasks=[click-red,click-button]",
               f"env.kwargs.action_type={action_type}")
    venv = build_vec_env(cfg, reward_factory(cfg.reward), None, 0)
    model = PPO(GroundingPolicy, venv, seed=0, device="cpu", **algo_kwargs(cfg.agent))
    stats = warm_start(model, cfg, None)
    assert stats["grid"] and stats["final_hit_rate"] >= 0.7  # random clicks hit ~3% of these boxes
    obs = venv.reset()
    action, _ = model.predict(obs, deterministic=True)
    assert action.shape == ((2,) if action_type == "point" else (2, 3))
    venv.close()


def test_train_app_on_the_dataset_and_live_eval_on_the_same_episodes(tmp_path):
    from rewardgym.agents.evaluate import load_run
    from rewardgym.agents.gui_eval import evaluate_rows
    from rewardgym.agents.train import run

    cfg = _cfg(tmp_path, "agent.total_timesteps=32", "eval.episodes=2", "env.kwargs.tasks=[click-red]",
               "eval.env={id:rewardgym/Browser-v0,kwargs:{task:click-red,obs_type:default},max_episode_steps:1}",
               "checkpoint_freq=1000")
    metrics = run(cfg, tmp_path)
    assert metrics["eval_env"]["id"] == "rewardgym/Browser-v0" and metrics["eval"]["episodes"] == 2
    from omegaconf import OmegaConf

    OmegaConf.save(cfg, tmp_path / "config.yaml")
    (tmp_path / ".hydra").mkdir()
    OmegaConf.save(cfg, tmp_path / ".hydra" / "config.yaml")
    _, model, _ = load_run(tmp_path)
    result = evaluate_rows(model, cfg, None, "test", tasks=["click-red"], per_task=3)
    entry = result["tasks"]["click-red"]
    assert entry["rows"] == 3 and 0 <= entry["live_success"] <= 1 and 0 <= entry["dataset_success"] <= 1
    from rewardgym.envs.gui.grid import GridClick

    grid = GridClick(gym.make("rewardgym/Grounding-v0"), cell=8)

    def centre(obs, info):  # an oracle: the cell of the recorded box's centre, on the replay and on the live page
        x1, y1, x2, y2 = info["target_boxes"][0]
        return grid.index_of((x1 + x2) / 2, (y1 + y2) / 2)

    oracle = evaluate_rows(centre, cfg, None, "test", per_task=2)
    assert len(oracle["tasks"]) == 8 and oracle["dataset_success"] == 1.0 and oracle["live_success"] == 1.0
