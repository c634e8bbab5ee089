"""Demonstrations from the scripted experts, and behaviour cloning of them into a PPO policy.

KAGI's recipe (Lee et al. 2024): pre-train the policy on a few demonstrations, then fine-tune it
online on the keypoint reward. ``rewardgym-train agent.demos=N`` does this before ``learn()``:

1. :func:`expert_demos` runs the task's scripted expert (``rewardgym.envs.experts.expert_for``)
   for ``N`` episodes through the run's own env stack (so observations are what the policy
   sees, and rewards are the reward it will be trained on), with the fixed seeds
   ``DEMO_SEED + i`` (apart from training and evaluation seeds). The result is cached as an
   ``.npz`` under ``agent.bc.cache_dir`` (default ``$XDG_CACHE_HOME/rewardgym/demos``), keyed by
   a hash of the env, reward and wrappers configs and ``N``: the same command makes the same
   demonstrations, and a second run reads them back.
2. :func:`behaviour_clone` trains the SB3 ``ActorCriticPolicy`` on them: the policy's mean
   action by maximum likelihood of the expert's actions under a Gaussian of fixed standard
   deviation ``bc.std`` (its log-std is set to ``log(bc.std)`` and kept there, so PPO starts
   from the expert's actions with a chosen amount of exploration), and the value head by
   regression on the demonstrations' discounted returns of the training reward (so PPO's first
   advantages are not those of a random critic)::

       loss = mean_t[ |a_t - mu(o_t)|^2 / (2 std^2) ] + vf_coef * mean_t[ (V(o_t) - G_t)^2 ]
       G_t  = sum_k gamma^k r_{t+k}     (within the demonstration episode)

A small trainer of rewardgym's own: the maintained library for this (``imitation`` 1.0.1)
pins gymnasium 0.29 and stable-baselines3 2.2, older than this stack.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

DEMO_SEED = 20_000      # demonstration episodes use seeds DEMO_SEED, DEMO_SEED + 1, ... (evaluation: seed + 10_000)
MAX_DEMOS = 1000        # the most episodes one cache entry makes


def cache_dir(cfg: DictConfig) -> Path:
    given = (cfg.agent.get("bc") or {}).get("cache_dir")
    if given:
        return Path(str(given))
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "rewardgym" / "demos"


def _key(cfg: DictConfig, n: int) -> str:
    parts = {k: OmegaConf.to_container(cfg[k], resolve=True) if cfg.get(k) is not None else None
             for k in ("env", "reward", "wrappers")}
    parts["n"], parts["seed0"], parts["format"] = n, DEMO_SEED, 1
    digest = hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:12]
    task = str((parts["env"] or {}).get("kwargs", {}).get("task", "")) if isinstance(parts["env"], dict) else ""
    name = str((parts["env"] or {}).get("id", "env")).replace("/", "_")
    return f"{name}{'_' + task if task else ''}__{n}__{digest}"


def expert_demos(cfg: DictConfig, factory, n: int) -> dict[str, np.ndarray]:
    """``n`` scripted-expert episodes of the run's env stack (cached; see the module docstring).

    Returns arrays ``obs``, ``actions``, ``rewards``, ``episode`` (index per step), and per episode
    ``success`` (ground truth at the last step) and ``env_return``.

    Raises:
        ValueError: ``n`` outside ``[1, MAX_DEMOS]`` or a task without a scripted expert (the
            message names the value and the valid ones).
    """
    from rewardgym.envs.experts import expert_for

    from .env_factory import extra_wrappers, make_env

    if not 1 <= n <= MAX_DEMOS:
        raise ValueError(f"agent.demos must be in [1, {MAX_DEMOS}] (the most episodes the demo cache makes), got {n}")
    path = cache_dir(cfg) / f"{_key(cfg, n)}.npz"
    if path.exists():
        with np.load(path) as data:
            return {k: data[k] for k in data.files}
    render = "rgb_array" if cfg.env.get("render", False) else None
    env = make_env(cfg.env, factory, DEMO_SEED, None, render, extra_wrappers(cfg.get("wrappers")))()
    policy, options = expert_for(env)
    if policy is None:
        env.close()
        raise ValueError(f"agent.demos needs a scripted expert; {cfg.env.id} {dict(cfg.env.get('kwargs') or {})} has "
                         "none (experts: rewardgym/Manipulation-v0's tasks, MetaWorld-v0's, Fetch-v0's reach, push and "
                         "pick_and_place, Browser-v0, HumanoidPose-v0, CartPole-v1, "
                         "MountainCar-v0)")
    rng = np.random.default_rng(DEMO_SEED)
    low, high = env.action_space.low, env.action_space.high
    obs_l, act_l, rew_l, ep_l, success, env_return = [], [], [], [], [], []
    for i in range(n):
        obs, info = env.reset(seed=DEMO_SEED + i, options=options)
        done, total = False, 0.0
        while not done:
            action = np.clip(np.asarray(policy(env, obs, info, rng), dtype=np.float32), low, high)
            obs_l.append(np.asarray(obs))
            act_l.append(action)
            obs, reward, terminated, truncated, info = env.step(action)
            rew_l.append(float(reward))
            ep_l.append(i)
            total += float(info.get("env_reward", reward))
            done = terminated or truncated
        success.append(bool(info.get("success", False)))
        env_return.append(total)
    env.close()
    demos = {"obs": np.asarray(obs_l), "actions": np.asarray(act_l), "rewards": np.asarray(rew_l, dtype=np.float32),
             "episode": np.asarray(ep_l), "success": np.asarray(success), "env_return": np.asarray(env_return)}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **demos)
    os.replace(tmp, path)
    return demos


def discounted_returns(rewards: np.ndarray, episode: np.ndarray, gamma: float) -> np.ndarray:
    """``G_t = r_t + gamma G_{t+1}`` within each episode (0 after its last step).

    Example:
        >>> discounted_returns(np.array([1.0, 1.0, 1.0]), np.array([0, 0, 1]), 0.5).tolist()
        [1.5, 1.0, 1.0]
    """
    out = np.zeros(len(rewards), dtype=np.float64)
    running = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        if t == len(rewards) - 1 or episode[t + 1] != episode[t]:
            running = 0.0
        running = float(rewards[t]) + gamma * running
        out[t] = running
    return out


def behaviour_clone(model, demos: dict[str, np.ndarray], epochs: int = 200, batch_size: int = 256,
                    learning_rate: float = 3e-3, std: float = 0.3, vf_coef: float = 0.5, seed: int = 0) -> dict[str, Any]:
    """Trains a PPO model's policy (mean action and value) on demonstrations; see the module docstring.

    Returns ``{"epochs", "steps", "final_action_mse", "final_value_mse"}``.
    """
    import torch
    from stable_baselines3.common.policies import ActorCriticPolicy

    policy = model.policy
    if not isinstance(policy, ActorCriticPolicy) or not hasattr(policy, "log_std"):
        raise ValueError(f"agent.demos needs agent=ppo with a continuous (Box) action space; got {type(policy).__name__}")
    if not (epochs >= 1 and batch_size >= 1 and learning_rate > 0 and std > 0):
        raise ValueError(f"agent.bc needs epochs >= 1, batch_size >= 1, learning_rate > 0 and std > 0, got "
                         f"{epochs}, {batch_size}, {learning_rate}, {std}")
    gamma = float(getattr(model, "gamma", 0.99))
    obs = policy.obs_to_tensor(demos["obs"])[0]
    actions = torch.as_tensor(demos["actions"], dtype=torch.float32, device=policy.device)
    returns = torch.as_tensor(discounted_returns(demos["rewards"], demos["episode"], gamma), dtype=torch.float32,
                              device=policy.device)
    with torch.no_grad():
        policy.log_std.fill_(float(np.log(std)))
    params = [p for name, p in policy.named_parameters() if name != "log_std"]
    opt = torch.optim.Adam(params, lr=learning_rate)
    rng = np.random.default_rng(seed)
    n = len(actions)
    policy.set_training_mode(True)
    a_mse = v_mse = float("nan")
    for _ in range(int(epochs)):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = torch.as_tensor(order[start:start + batch_size], device=policy.device)
            features = policy.extract_features(obs[idx] if not isinstance(obs, dict) else {k: v[idx] for k, v in obs.items()})
            latent_pi, latent_vf = policy.mlp_extractor(features)
            mean = policy.action_net(latent_pi)
            value = policy.value_net(latent_vf).flatten()
            action_loss = ((mean - actions[idx]) ** 2).sum(dim=1).mean() / (2 * std ** 2)
            value_loss = ((value - returns[idx]) ** 2).mean()
            loss = action_loss + vf_coef * value_loss
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            features = policy.extract_features(obs)
            latent_pi, latent_vf = policy.mlp_extractor(features)
            a_mse = float(((policy.action_net(latent_pi) - actions) ** 2).mean())
            v_mse = float(((policy.value_net(latent_vf).flatten() - returns) ** 2).mean())
    policy.set_training_mode(False)
    return {"epochs": int(epochs), "steps": int(n), "final_action_mse": a_mse, "final_value_mse": v_mse}


def pretrain(model, cfg: DictConfig, factory, run_dir: Path | None = None) -> dict[str, Any] | None:
    """``agent.demos=N`` (> 0): makes or loads N expert demonstrations and behaviour-clones them
    into ``model`` (``agent.bc.*``: epochs, batch_size, learning_rate, std, vf_coef, cache_dir).
    Writes ``bc.json`` into ``run_dir``; returns its content (None when ``agent.demos`` is 0)."""
    n = int(cfg.agent.get("demos") or 0)
    if n == 0:
        return None
    norm = cfg.agent.get("normalize") or {}
    if norm.get("obs"):
        raise ValueError("agent.demos with agent.normalize.obs=true is not supported (the clone would see raw "
                         "observations): set agent.normalize.obs=false")
    bc = dict(OmegaConf.to_container(cfg.agent.get("bc") or {}, resolve=True))
    bc.pop("cache_dir", None)
    t0 = time.perf_counter()
    demos = expert_demos(cfg, factory, n)
    t1 = time.perf_counter()
    stats = behaviour_clone(model, demos, seed=int(cfg.seed), **bc)
    stats.update({"demos": n, "demo_success_rate": float(demos["success"].mean()),
                  "demo_env_return_mean": float(demos["env_return"].mean()),
                  "demo_time_s": t1 - t0, "bc_time_s": time.perf_counter() - t1})
    if run_dir is not None:
        (Path(run_dir) / "bc.json").write_text(json.dumps(stats, indent=2))
    print(f"[rewardgym] behaviour cloning on {n} expert demos (success {stats['demo_success_rate']:.0%}): "
          f"action mse {stats['final_action_mse']:.4f}")
    return stats
