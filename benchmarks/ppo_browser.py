"""PPO from pixels on an own browser click task, against a uniform-random clicker.

Trains stable-baselines3 PPO on ``rewardgym/Browser-v0`` (``obs_type="pixels"``: the screenshot
alone, since SB3 takes no ``Text`` spaces) with a small CNN on a 4x-subsampled screenshot, then
evaluates the deterministic policy and a uniform-random clicker on the same seeds and prints
both ground-truth success rates (``info["success"]`` per episode), the steps and the wall time.

Training reward: ``--reward gaussian`` (default) trains on GUI-G^2's point reward around the
target box plus the env's own reward (dense, so a small budget suffices); ``--reward env``
trains on the env's own reward only. Success is always the ground truth.

Run (about 15 minutes on 2 busy cores)::

    nice -n 10 .venv/bin/python benchmarks/ppo_browser.py --task click-red --steps 12000
"""
from __future__ import annotations

import argparse
import json
import time

import gymnasium as gym
import numpy as np

import rewardgym  # noqa: F401  (registers the envs)


class Subsample(gym.ObservationWrapper):
    """Keeps every ``k``-th pixel of an (H, W, 3) uint8 screenshot (cheap, no filtering)."""

    def __init__(self, env: gym.Env, k: int = 4):
        super().__init__(env)
        h, w, c = env.observation_space.shape
        self.k = k
        self.observation_space = gym.spaces.Box(0, 255, (len(range(0, h, k)), len(range(0, w, k)), c), np.uint8)

    def observation(self, obs):
        return np.ascontiguousarray(obs[:: self.k, :: self.k])


class EnvPlusGaussian(gym.Wrapper):
    """Training reward = env reward + GUI-G^2 point reward; ``info["env_reward"]`` keeps the truth."""

    def __init__(self, env: gym.Env, alpha: float = 0.5):
        super().__init__(env)
        from rewardgym.reward_wrappers.gaussian import point_reward

        self._point_reward, self.alpha, self._boxes = point_reward, alpha, None

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        self._boxes = np.asarray(info["target_boxes"], dtype=np.float64).reshape(-1, 4)
        return obs, info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        dense = float(np.max(self._point_reward(np.asarray(action, dtype=np.float64)[None, :2], self._boxes,
                                                self.alpha)))
        self._boxes = np.asarray(info["target_boxes"], dtype=np.float64).reshape(-1, 4)
        info = dict(info, env_reward=reward, reward_point=dense)
        return obs, reward + dense, terminated, truncated, info


def make(task: str, reward: str, seed: int, monitor: bool = True):
    def thunk():
        from stable_baselines3.common.monitor import Monitor

        env = gym.make("rewardgym/Browser-v0", task=task, obs_type="pixels", max_episode_steps=10)
        if monitor:
            env = Monitor(env, info_keywords=("success",))
        if reward == "gaussian":
            env = EnvPlusGaussian(env)
        env = Subsample(env, 4)
        env = gym.wrappers.RescaleAction(env, -1.0, 1.0)  # Gaussian policy centred at the middle
        env.action_space.seed(seed)
        return env

    return thunk


def success_rate(env: gym.Env, policy, episodes: int, seed: int) -> float:
    wins = 0
    for ep in range(episodes):
        obs, _ = env.reset(seed=seed + ep)
        done, success = False, False
        while not done:
            obs, _, terminated, truncated, info = env.step(policy(obs))
            done, success = terminated or truncated, bool(info["success"])
        wins += success
    return wins / episodes


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--task", default="click-red")
    p.add_argument("--steps", type=int, default=12000)
    p.add_argument("--n-envs", type=int, default=2)
    p.add_argument("--reward", choices=("gaussian", "env"), default="gaussian")
    p.add_argument("--eval-episodes", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="write the numbers as JSON here")
    a = p.parse_args()

    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import DummyVecEnv, VecTransposeImage

    torch.set_num_threads(1)
    # Several envs in one process share one Chromium (one page each).
    venv = VecTransposeImage(DummyVecEnv([make(a.task, a.reward, a.seed + i) for i in range(a.n_envs)]))
    model = PPO("CnnPolicy", venv, n_steps=256, batch_size=128, n_epochs=4, learning_rate=3e-4, gamma=0.5,
                ent_coef=0.0, seed=a.seed, verbose=1, device="cpu",
                policy_kwargs=dict(log_std_init=-1.0, normalize_images=True,
                                   net_arch=dict(pi=[64], vf=[64]),
                                   features_extractor_kwargs=dict(features_dim=128)))
    t0 = time.perf_counter()
    model.learn(total_timesteps=a.steps)
    train_s = time.perf_counter() - t0
    venv.close()

    env = make(a.task, "env", 10_000, monitor=False)()
    rng = np.random.default_rng(a.seed)
    random_rate = success_rate(env, lambda o: rng.uniform(-1, 1, 2).astype(np.float32), a.eval_episodes, 10_000)
    trained_rate = success_rate(env, lambda o: model.predict(o.transpose(2, 0, 1), deterministic=True)[0],
                                a.eval_episodes, 10_000)
    env.close()
    result = {"task": a.task, "train_reward": a.reward, "train_steps": int(model.num_timesteps),
              "train_wall_s": round(train_s, 1), "eval_episodes": a.eval_episodes,
              "success_random": random_rate, "success_ppo": trained_rate}
    print(json.dumps(result))
    if a.out:
        with open(a.out, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
