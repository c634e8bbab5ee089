"""The stable-baselines3 side of a batched reward.

Two ways to score, the same rewards on the same frames:

* per step (:class:`VecBatchedReward`): one scorer call per ``VecEnv`` step; works with every
  algorithm (PPO, SAC);
* per rollout (:class:`RolloutBatchedReward` with :class:`RolloutScoredPPO`): each step only
  collects the requests (the frames) and returns 0; the frames of a whole rollout, or of every
  ``chunk`` steps, are scored in large batches (what a GPU needs), and the rewards are put into
  PPO's rollout buffer before its returns and advantages are computed, as VLM-RM did.

SB3's VecEnvs give a list of info dicts and auto-reset inside ``step``; the per-env half made
its request (the frame) before that reset, so the last frame of an episode is the terminal one.
Scoring is :class:`rewardgym.reward_wrappers.batched.RewardBatcher`, as everywhere else.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper

from rewardgym.reward_wrappers.batched import BatchedReward, ModelRequest, RewardBatcher, pop_request, score_infos

SCORING = ("step", "rollout")


class VecBatchedReward(VecEnvWrapper):
    """Replaces each step's rewards by the batched reward's, scored for all envs at once."""

    def __init__(self, venv: VecEnv, batcher: RewardBatcher):
        super().__init__(venv)
        self.batcher = batcher

    def reset(self):
        return self.venv.reset()

    def step_wait(self):
        obs, _, dones, infos = self.venv.step_wait()
        infos = [dict(info) for info in infos]
        rewards = score_infos(self.batcher, infos)
        return obs, rewards, dones, infos


class RolloutBatchedReward(VecEnvWrapper):
    """Collects every step's requests and returns reward 0; :meth:`flush` scores them.

    Args:
        venv: a VecEnv whose envs were each wrapped by the reward.
        batcher: the reward's batcher.
        chunk: score every ``chunk`` steps while collecting (frames are freed once scored);
            None scores the whole rollout at :meth:`flush`.
        thread: score each full chunk in a background thread, so the model runs while the next
            steps are collected (the policy's forward passes, the envs); in order, one chunk at a
            time. :meth:`flush` waits for them. False: between ``step_async`` and ``step_wait``.
    """

    def __init__(self, venv: VecEnv, batcher: RewardBatcher, chunk: int | None = None, thread: bool = False):
        if chunk is not None and (isinstance(chunk, bool) or int(chunk) != chunk or chunk < 1):
            raise ValueError(f"chunk must be an integer >= 1 or None, got {chunk!r}")
        super().__init__(venv)
        self.batcher, self.chunk = batcher, chunk
        self._pending: list[list[ModelRequest]] = []
        self._scored: list = []  # (rewards, terms), or a Future of them with ``thread``
        # one worker thread: chunks are scored in order (the batcher holds each env's last score),
        # and the model's kernels (which release the GIL) run beside the step loop and the envs
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="reward-scoring") if thread and chunk else None

    def reset(self):
        self._drain()
        self._pending, self._scored = [], []
        return self.venv.reset()

    def step_async(self, actions):
        self.venv.step_async(actions)
        # a full chunk is scored while the envs step: with envs in worker processes
        # (SubprocVecEnv) the model and the envs' physics and rendering run side by side
        if self.chunk is not None and len(self._pending) >= self.chunk:
            self._score_pending(background=True)

    def step_wait(self):
        obs, _, dones, infos = self.venv.step_wait()
        infos = [dict(info) for info in infos]
        self._pending.append([pop_request(info) for info in infos])
        return obs, np.zeros(self.num_envs, dtype=np.float32), dones, infos

    def _score_pending(self, background: bool = False) -> None:
        if self._pending:
            pending, self._pending = self._pending, []
            if background and self._pool is not None:
                self._scored.append(self._pool.submit(self.batcher.rollout, pending))
            else:
                self._scored.append(self.batcher.rollout(pending))

    def _drain(self) -> list[tuple[np.ndarray, dict[str, np.ndarray]]]:
        """The scored chunks in order, waiting for the background thread's (its errors raise here)."""
        scored, self._scored = self._scored, []
        return [s.result() if isinstance(s, Future) else s for s in scored]

    def close(self):
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self.venv.close()

    def flush(self) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """``(rewards (T, N), {term: (T, N)})`` of every step since the last flush, in order."""
        scored = self._drain()  # the background thread's chunks first: the batcher scores in order
        if self._pending:
            scored.append(self.batcher.rollout(self._pending))
            self._pending = []
        if not scored:
            return np.zeros((0, self.num_envs), dtype=np.float32), {}
        names = set().union(*(t.keys() for _, t in scored))
        terms = {k: np.concatenate([t.get(k, np.zeros_like(r, dtype=np.float64)) for r, t in scored]) for k in names}
        return np.concatenate([r for r, _ in scored]), terms


class RolloutScoredPPO(PPO):
    """stable-baselines3 PPO whose env scores its rewards per rollout (a :class:`RolloutBatchedReward`
    in the VecEnv stack): after SB3 collects a rollout with placeholder rewards 0, the scored
    rewards are added to the rollout buffer (which already holds SB3's time-limit bootstrap
    terms) and returns and advantages are computed again from them. Logs ``shaped/<term>`` and
    ``reward/shaped_mean`` of each rollout, and keeps running totals of all the rewards it scored
    (``scored_reward_totals``: count, sum, sum of squares; read by the hacking signal's windows)."""

    scored_reward_totals: tuple[int, float, float] = (0, 0.0, 0.0)

    def collect_rollouts(self, env, callback, rollout_buffer, n_rollout_steps: int) -> bool:
        import torch as th
        from stable_baselines3.common.utils import obs_as_tensor

        scorer = _find(env, RolloutBatchedReward)
        if scorer is None:
            raise RuntimeError("RolloutScoredPPO needs a RolloutBatchedReward in its VecEnv stack")
        if not super().collect_rollouts(env, callback, rollout_buffer, n_rollout_steps):
            scorer.flush()  # a callback stopped the rollout: its requests are dropped with it
            return False
        rewards, terms = scorer.flush()
        if rewards.shape != rollout_buffer.rewards.shape:
            raise RuntimeError(f"scored {rewards.shape} rewards for a rollout buffer of {rollout_buffer.rewards.shape}")
        rollout_buffer.rewards += rewards
        with th.no_grad():
            last_values = self.policy.predict_values(obs_as_tensor(self._last_obs, self.device))
        rollout_buffer.compute_returns_and_advantage(last_values=last_values, dones=self._last_episode_starts)
        self.logger.record("reward/shaped_mean", float(rewards.mean()))
        n, total, squares = self.scored_reward_totals
        r = rewards.astype(np.float64)
        self.scored_reward_totals = (n + int(r.size), total + float(r.sum()), squares + float((r * r).sum()))
        for name, values in terms.items():
            self.logger.record(f"shaped/{name}", float(values.mean()))
        return True


def _find(venv: Any, cls: type) -> Any:
    while venv is not None:
        if isinstance(venv, cls):
            return venv
        venv = getattr(venv, "venv", None)
    return None


def wrap_vec_env(venv: VecEnv, reward: Any, batch_size: int | None = None, scoring: str = "step",
                 chunk: int | None = None, thread: bool = False) -> VecEnv:
    """Adds the vector half of a batched reward on top of a VecEnv whose envs were each wrapped
    by ``reward``; any other reward (None, a per-env wrapper) leaves ``venv`` as it is.

    ``scoring="rollout"`` gives a :class:`RolloutBatchedReward` (train it with
    :class:`RolloutScoredPPO`; ``chunk`` and ``thread``: see there). Task facts the scorer needs
    (e.g. the prompts) are read from the first env (in its worker process for a ``SubprocVecEnv``)
    when the reward config leaves them unset.
    """
    if scoring not in SCORING:
        raise ValueError(f"reward scoring must be one of {SCORING}, got {scoring!r}")
    if not isinstance(reward, BatchedReward):
        return venv

    def env_attr(name: str) -> Any:
        if not venv.has_attr(name):  # asked first: a worker process dies on a missing attribute
            raise AttributeError(name)
        return venv.get_attr(name, indices=[0])[0]

    batcher = reward.batcher(env_attr, batch_size)
    if scoring == "rollout":
        return RolloutBatchedReward(venv, batcher, chunk, thread)
    return VecBatchedReward(venv, batcher)
