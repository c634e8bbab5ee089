"""Which stable-baselines3 algorithm a run uses, with what keyword arguments, checked up front.

``agent.algo`` is ``ppo`` (on-policy, vectorized; ``conf/agent/ppo.yaml``) or ``sac`` (off-policy,
what VLM-RM trained its humanoid with; ``conf/agent/sac.yaml``); the algorithm's own keyword
arguments sit under its name (``agent.ppo.*``, ``agent.sac.*``), passed as they are.
``agent.reward_scoring`` says when a batched model reward scores its frames: ``step`` (every
vector step; any algorithm), ``rollout`` (the frames of a whole PPO rollout, or of every
``agent.reward_chunk`` steps, in large batches: :class:`~rewardgym.agents.vec_reward.RolloutScoredPPO`)
or ``auto`` (PPO's default: ``rollout`` for PPO without ``agent.normalize.reward``, else ``step``).
"""
from __future__ import annotations

from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

ALGOS = ("ppo", "sac")


def algo_name(agent: DictConfig) -> str:
    name = str(agent.get("algo", "ppo"))
    if name not in ALGOS:
        raise ValueError(f"agent.algo must be one of {ALGOS}, got {name!r}")
    if agent.get(name) is None:
        raise ValueError(f"agent.algo={name} needs its keyword arguments under agent.{name} (conf/agent/{name}.yaml)")
    return name


def algo_kwargs(agent: DictConfig) -> dict[str, Any]:
    """The algorithm's own keyword arguments (``agent.<algo>``), as a plain dict.

    Entries with a ``_target_`` are instantiated by Hydra, so a config can give classes and
    objects, e.g. ``policy_kwargs.features_extractor_class: {_target_: hydra.utils.get_class,
    path: rewardgym.agents.policies.InstructionFiLMExtractor}``."""
    node = agent[algo_name(agent)]
    if "_target_" in OmegaConf.to_yaml(node):
        from hydra.utils import instantiate

        return dict(instantiate(node, _convert_="all"))
    return dict(OmegaConf.to_container(node, resolve=True))


# agent.reward_chunk=auto: steps per scored chunk. With the chunks scored in a background thread
# (agent.reward_thread), CLIP PPO on 2 cores ran as fast with 32 as with 64, slower with 16 (docs/training.md)
AUTO_CHUNK = 32


def scoring(agent: DictConfig) -> tuple[str, int | None]:
    """``(agent.reward_scoring, agent.reward_chunk)``, with ``auto`` resolved: ``rollout`` for PPO
    (the model scores large batches) unless VecNormalize normalizes rewards, ``step`` otherwise;
    a chunk of ``auto`` is :data:`AUTO_CHUNK` steps (the rollout's ``n_steps`` when shorter)."""
    mode = str(agent.get("reward_scoring", "step"))
    if mode == "auto":
        normalized = bool((agent.get("normalize") or {}).get("reward"))
        mode = "rollout" if algo_name(agent) == "ppo" and not normalized else "step"
    chunk = agent.get("reward_chunk")
    if chunk == "auto":
        chunk = min(AUTO_CHUNK, int(algo_kwargs(agent).get("n_steps", 2048))) if algo_name(agent) == "ppo" else None
    return mode, chunk


def algorithm_class(agent: DictConfig, rollout_scored: bool = False):
    """The SB3 class: PPO (:class:`RolloutScoredPPO` when a batched reward scores per rollout) or SAC."""
    name = algo_name(agent)
    if name == "sac":
        from stable_baselines3 import SAC

        return SAC
    if rollout_scored:
        from .vec_reward import RolloutScoredPPO

        return RolloutScoredPPO
    from stable_baselines3 import PPO

    return PPO


def _machine_memory() -> int | None:
    """RAM + swap in bytes (what Linux's default overcommit lets one allocation reach), or None."""
    try:
        with open("/proc/meminfo") as f:
            kib = {line.split(":")[0]: int(line.split()[1]) for line in f if line.split()[1:2]}
        return (kib["MemTotal"] + kib.get("SwapTotal", 0)) * 1024
    except (OSError, KeyError, ValueError):
        return None


def replay_buffer_bytes(agent: DictConfig, observation_space) -> int:
    """Bytes of SB3's replay buffer of an off-policy agent (observations, and next observations
    unless ``optimize_memory_usage``), as ``ReplayBuffer`` allocates it up front."""
    from gymnasium import spaces

    kwargs = algo_kwargs(agent)
    subspaces = observation_space.spaces.values() if isinstance(observation_space, spaces.Dict) else [observation_space]
    per_obs = sum(int(np.prod(s.shape)) * np.dtype(s.dtype).itemsize for s in subspaces)
    copies = 1 if kwargs.get("optimize_memory_usage") else 2
    return int(kwargs.get("buffer_size", 1_000_000)) * per_obs * copies


def check_agent(agent: DictConfig, action_space, batched_reward: bool, observation_space=None) -> None:
    """Combinations that cannot work, each one clear error naming the values."""
    from gymnasium import spaces

    name = algo_name(agent)
    memory = _machine_memory()
    if name == "sac" and observation_space is not None and memory is not None:
        need = replay_buffer_bytes(agent, observation_space)
        if need > memory:
            raise ValueError(f"agent.sac.buffer_size={agent.sac.get('buffer_size')} observations of shape "
                             f"{observation_space.shape} need {need / 2**30:.1f} GiB for SB3's replay buffer, more "
                             f"than this machine's {memory / 2**30:.1f} GiB of memory and swap; lower "
                             "agent.sac.buffer_size")
    mode, chunk = scoring(agent)  # its value is checked where the VecEnv is wrapped (vec_reward.wrap_vec_env)
    if name == "sac" and not isinstance(action_space, spaces.Box):
        raise ValueError(f"agent=sac needs a continuous (Box) action space; this env's is {action_space} "
                         "(use agent=ppo)")
    if mode == "rollout" and batched_reward:
        if name != "ppo":
            raise ValueError(f"agent.reward_scoring=rollout needs agent=ppo (an on-policy rollout), got {name}")
        if (agent.get("normalize") or {}).get("reward"):
            raise ValueError("agent.reward_scoring=rollout cannot be used with agent.normalize.reward=true: "
                             "VecNormalize would see the placeholder rewards, not the scored ones")
        n_steps = int(algo_kwargs(agent).get("n_steps", 2048))
        if chunk is not None and int(chunk) > n_steps:
            raise ValueError(f"agent.reward_chunk={chunk} is larger than the rollout (agent.ppo.n_steps={n_steps})")
