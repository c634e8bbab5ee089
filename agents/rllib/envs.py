"""The one env creator RLlib's env runners use: the SB3 path's env stack, vectorized per runner.

Each env runner (a Ray actor) calls the creator once with ``num_envs`` (Gymnasium's
``vector_entry_point`` mode): it builds ``num_envs`` envs with
:func:`rewardgym.agents.env_factory.env_thunks` (the same wrappers, Monitor below the reward,
the config's extra ``wrappers``), a ``SyncVectorEnv`` of them, and the vector half of a batched
model reward (:func:`rewardgym.reward_wrappers.vector.wrap_vector_env`), or, with a shared reward
model, a :class:`~rewardgym.reward_wrappers.vector.VectorBatchedReward` whose scorer is a Ray actor.
Monitor files go to ``run_dir/monitor/runner<pid>_env<i>.monitor.csv``, read by the same learning
curve code as the SB3 path's.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import gymnasium as gym
from omegaconf import DictConfig

ENV_NAME = "rewardgym_env"
GT_RETURN, GT_SUCCESS, GT_LENGTH = "gt_return_mean", "gt_success_rate", "gt_length_mean"


@dataclass
class EnvSpec:
    """Everything a runner needs to build its envs; pickled to each runner with the creator."""

    env_cfg: DictConfig
    factory: Any                                   # None, a per-env wrapper, or a BatchedReward
    wrappers: Sequence[Callable[[gym.Env], gym.Env]] = ()
    seed: int = 0
    run_dir: str | None = None
    reward_batch_size: int | None = None
    shared_scorer: Any = None                      # a shared_reward.RemoteScorer, or None
    driver_samples: bool = False                   # agent.env_runners.num=0: the driver's envs are the sampling ones

    def __call__(self, ctx) -> gym.Env | gym.vector.VectorEnv:
        """RLlib's creator: one env (``ctx`` without ``num_envs``) or the runner's vector env."""
        from rewardgym.reward_wrappers.batched import BatchedReward, RewardBatcher
        from rewardgym.reward_wrappers.vector import VectorBatchedReward, wrap_vector_env

        from ..env_factory import env_thunks

        n = ctx.get("num_envs") if hasattr(ctx, "get") else None
        runner, in_actor = _runner_id()
        # RLlib hands the vector entry point a plain dict (no worker index): a runner's Monitor
        # files are named by its process id; the driver keeps none unless it samples itself.
        monitored = self.run_dir is not None and (in_actor or self.driver_samples)
        thunks = env_thunks(self.env_cfg, self.factory, self.wrappers, self.seed + 1000 * runner, int(n or 1),
                            Path(self.run_dir) if monitored else None, f"runner{os.getpid()}_env")
        if n is None:
            return thunks[0]()
        envs = gym.vector.SyncVectorEnv(thunks, autoreset_mode=gym.vector.AutoresetMode.NEXT_STEP)
        if isinstance(self.factory, BatchedReward) and self.shared_scorer is not None:
            return VectorBatchedReward(envs, RewardBatcher(self.shared_scorer.for_runner(runner), self.reward_batch_size))
        return wrap_vector_env(envs, self.factory, self.reward_batch_size)


def _runner_id() -> tuple[int, bool]:
    """``(a small number for this process, whether it is a Ray actor)``: seeds and picks the
    shared scorer actor of an env runner."""
    try:
        import ray

        actor = ray.get_runtime_context().get_actor_id()
    except Exception:
        actor = None
    return (os.getpid() % 997 if actor else 0), actor is not None


def check_picklable(spec: EnvSpec) -> None:
    """Raises ``ValueError`` when the env creator cannot be sent to a Ray env runner."""
    import cloudpickle

    try:
        cloudpickle.dumps(spec)
    except Exception as err:
        parts = {"the reward": spec.factory, **{f"wrappers[{i}]": w for i, w in enumerate(spec.wrappers)}}
        culprit = "the env config"
        for name, part in parts.items():
            try:
                cloudpickle.dumps(part)
            except Exception:
                culprit = name
                break
        raise ValueError(f"env {spec.env_cfg.id!r} cannot be pickled to a Ray env runner: {culprit} failed "
                         f"({type(err).__name__}: {err})") from None


def register(spec: EnvSpec) -> str:
    """Registers the creator with Ray Tune's registry under :data:`ENV_NAME`; returns the name."""
    from ray.tune.registry import register_env

    check_picklable(spec)
    register_env(ENV_NAME, spec)
    return ENV_NAME


def on_episode_end(*, episode, metrics_logger=None, **_: Any) -> None:
    """RLlib callback (runs in the env runners): the ground-truth return, length and success of
    each finished episode, from the Monitor's ``info["episode"]`` below any reward wrapper."""
    if metrics_logger is None:
        return
    info = episode.get_infos(-1) or {}
    ep = info.get("episode")
    if isinstance(ep, dict) and "r" in ep:
        metrics_logger.log_value(GT_RETURN, float(ep["r"]), reduce="mean", window=100)
        metrics_logger.log_value(GT_LENGTH, float(ep["l"]), reduce="mean", window=100)
    if "success" in info:
        metrics_logger.log_value(GT_SUCCESS, float(bool(info["success"])), reduce="mean", window=100)
