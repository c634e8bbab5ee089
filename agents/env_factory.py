"""Builds the wrapper stack of a training or evaluation run, visible in one place.

Per env: ``gym.make(id, **kwargs)`` -> :class:`FiniteActionCheck` -> (a Gymnasium classic-control
task: :class:`~rewardgym.envs.classic.ClassicTask`, its prompts and success) -> ``Monitor`` (ground-truth
returns and ``success`` per episode) -> the reward wrapper -> the config's extra ``wrappers``
(observation/action wrappers, in order). Monitor sits *below* the reward wrapper, so
``rollout/ep_rew_mean`` stays the true task return whatever reward PPO trains on. Then a
stable-baselines3 VecEnv, the vector half of a batched reward, and VecNormalize.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable, Sequence

import gymnasium as gym
import numpy as np
from omegaconf import DictConfig, OmegaConf

import rewardgym  # noqa: F401  (registers the envs)
from rewardgym.envs.classic import TASKS as CLASSIC_TASKS
from rewardgym.envs.classic import ClassicTask
from rewardgym.reward_wrappers.batched import as_reward, needs_frames

from .algorithms import scoring
from .vec_reward import wrap_vec_env


class FiniteActionCheck(gym.ActionWrapper):
    """Raises ``ValueError`` naming the action when it holds NaN or infinite values.

    Gymnasium's own envs clip or propagate such actions silently; rewardgym refuses them.
    """

    def action(self, action):
        arr = np.asarray(action)
        # a finite sum means every entry is finite (a huge sum that overflows is checked exactly):
        # about 0.5 us a step, where np.all(np.isfinite(arr)) took 5-10 (1.5% of a manip_reach PPO run)
        if arr.dtype.kind == "f" and not math.isfinite(sum(arr.ravel().tolist())) and not np.isfinite(arr).all():
            raise ValueError(f"action must be finite, got {action!r} in env {self.env.spec.id if self.env.spec else self.env}")
        return action


def reward_factory(reward_cfg: DictConfig | None) -> Callable[[gym.Env], gym.Env] | None:
    """Instantiates the reward config: None for ground truth, else a callable ``env -> env``
    (a per-env wrapper, or a :class:`~rewardgym.reward_wrappers.batched.BatchedReward`)."""
    if reward_cfg is None or reward_cfg.get("_target_") is None:
        return None
    from hydra.utils import instantiate

    factory = as_reward(instantiate(reward_cfg))
    if not callable(factory):
        raise TypeError(f"reward config {reward_cfg.get('_target_')} did not give a callable (env -> env)")
    return factory


def reward_name(reward_cfg: DictConfig | None, venv) -> str:
    """What a run trained on, for ``metrics.json``: ``"ground_truth"`` or the reward's ``_target_``;
    ``reward=auto`` is resolved by asking ``venv`` whether its envs got a keypoint reward."""
    target = None if reward_cfg is None else reward_cfg.get("_target_")
    if target is None:
        return "ground_truth"
    if target == "rewardgym.reward_wrappers.keypoint.keypoint_or_ground_truth":
        from rewardgym.reward_wrappers.keypoint import KeypointReward

        return "rewardgym.reward_wrappers.keypoint.KeypointReward" if all(venv.env_is_wrapped(KeypointReward)) \
            else "ground_truth"
    return str(target)


def extra_wrappers(wrappers_cfg: Sequence | None) -> list[Callable[[gym.Env], gym.Env]]:
    """The config's ``wrappers`` list (``_target_`` entries, usually with ``_partial_: true``),
    instantiated: each a callable ``env -> env`` applied above the reward wrapper, in order."""
    if not wrappers_cfg:
        return []
    from hydra.utils import instantiate

    out = []
    for i, entry in enumerate(wrappers_cfg):
        if entry is None or entry.get("_target_") is None:
            raise ValueError(f"wrappers[{i}] needs a _target_ (a wrapper class or callable env -> env), got {entry}")
        wrapper = instantiate(entry)
        if not callable(wrapper):
            raise ValueError(f"wrappers[{i}] ({entry.get('_target_')}) did not give a callable (env -> env)")
        out.append(wrapper)
    return out


def env_kwargs(env_cfg: DictConfig) -> dict[str, Any]:
    """The env config's ``kwargs`` as a plain dict (empty when absent)."""
    kwargs = env_cfg.get("kwargs")
    return {} if kwargs is None else dict(OmegaConf.to_container(kwargs, resolve=True))


def make_env(
    env_cfg: DictConfig,
    factory: Callable | None,
    seed: int,
    monitor_path: str | None = None,
    render_mode: str | None = None,
    wrappers: Sequence[Callable[[gym.Env], gym.Env]] = (),
) -> Callable[[], gym.Env]:
    """Returns a thunk creating one wrapped env (picklable for SubprocVecEnv)."""
    kwargs = env_kwargs(env_cfg)
    max_steps = env_cfg.get("max_episode_steps")
    success_rule = env_cfg.get("success")  # Gymnasium envs that have no info["success"]; see envs.classic

    def _thunk() -> gym.Env:
        from stable_baselines3.common.monitor import Monitor

        make_kwargs: dict[str, Any] = dict(kwargs)
        if render_mode is not None:
            make_kwargs["render_mode"] = render_mode
        if max_steps is not None:
            make_kwargs["max_episode_steps"] = int(max_steps)
        env = gym.make(env_cfg.id, **make_kwargs)
        env = FiniteActionCheck(env)
        if success_rule is not None or env_cfg.id in CLASSIC_TASKS:
            env = ClassicTask(env, success_rule)
        # A resumed run appends to its Monitor files; a new one writes the header first (a run
        # starting from scratch in a used run dir has had the old files removed: clear_monitors).
        fresh = monitor_path is None or not Path(monitor_path + ".monitor.csv").exists()
        env = Monitor(env, filename=monitor_path, info_keywords=("success",), override_existing=fresh)
        if factory is not None:
            env = factory(env)
        for wrapper in wrappers:
            env = wrapper(env)
        env.action_space.seed(seed)
        return env

    return _thunk


def clear_monitors(run_dir: Path) -> int:
    """Removes the Monitor files an earlier run left in ``run_dir/monitor/`` (called when a run
    starts from scratch there), so that its episodes, learning curve and ``train_last100`` are its
    own rather than appended to a killed or finished run's. Returns how many were removed."""
    old = sorted((Path(run_dir) / "monitor").glob("*.monitor.csv"))
    for path in old:
        path.unlink()
    if old:
        print(f"[rewardgym] starting from scratch in {run_dir}: removed the {len(old)} Monitor file(s) of an earlier run")
    return len(old)


def env_thunks(env_cfg: DictConfig, factory: Callable | None, wrappers: Sequence[Callable[[gym.Env], gym.Env]],
               seed: int, n: int, run_dir: Path | None, monitor_prefix: str = "env") -> list[Callable[[], gym.Env]]:
    """``n`` thunks of the run's env stack, seeded ``seed + i``, each with its Monitor file
    ``run_dir/monitor/<monitor_prefix><i>`` (none without ``run_dir``); rendering frames when the
    reward looks at them or the env config asks (``render: true``). Every engine builds its envs here."""
    render_mode = "rgb_array" if (needs_frames(factory) or env_cfg.get("render", False)) else None
    mon_dir = None
    if run_dir is not None:
        mon_dir = Path(run_dir) / "monitor"
        mon_dir.mkdir(parents=True, exist_ok=True)
    return [make_env(env_cfg, factory, seed + i, str(mon_dir / f"{monitor_prefix}{i}") if mon_dir else None,
                     render_mode, wrappers) for i in range(n)]


VEC_ENVS = ("auto", "dummy", "subproc")


def vec_env_kind(kind: str, factory: Callable | None) -> str:
    """``agent.vec_env`` resolved: ``auto`` is ``subproc`` for a batched model reward (CLIP: every env
    renders a frame a step, so the envs step and render in worker processes while the learner's
    process scores the frames) and ``dummy`` otherwise (fast envs, where the pipes cost more
    than they save)."""
    from rewardgym.reward_wrappers.batched import BatchedReward

    if kind not in VEC_ENVS:
        raise ValueError(f"agent.vec_env must be one of {', '.join(VEC_ENVS)}, got {kind!r}")
    if kind == "auto":
        return "subproc" if isinstance(factory, BatchedReward) else "dummy"
    return kind


def build_vec_env(cfg: DictConfig, factory: Callable | None, run_dir: Path | None, seed: int, n_envs: int | None = None):
    """The SB3 VecEnv of a run: ``agent.n_envs`` envs, ``agent.vec_env`` dummy|subproc|auto (see
    :func:`vec_env_kind`)."""
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

    n = int(n_envs or cfg.agent.n_envs)
    kind = vec_env_kind(cfg.agent.get("vec_env", "dummy"), factory)
    thunks = env_thunks(cfg.env, factory, extra_wrappers(cfg.get("wrappers")), seed, n, run_dir)
    venv = DummyVecEnv(thunks) if kind == "dummy" or n == 1 else SubprocVecEnv(thunks, start_method="forkserver")
    venv.seed(seed)
    mode, chunk = scoring(cfg.agent)
    return wrap_vec_env(venv, factory, scoring=mode, chunk=chunk, thread=bool(cfg.agent.get("reward_thread", False)))
