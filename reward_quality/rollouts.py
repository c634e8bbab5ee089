"""Rollouts for reward-quality measurement: several policies, every step scored twice.

Each step records the model reward (the reward wrapper's, or for a batched reward such as CLIP
the one :class:`~rewardgym.reward_wrappers.batched.RewardBatcher` path that training uses, on the
frames of all envs at once), the env's
ground-truth reward (``info["env_reward"]``) and ``info["success"]``. The policies span failure
to success: ``random`` (uniform actions), ``expert`` (where the task has one, see
:func:`rewardgym.envs.experts.expert_for`), ``ppo`` (a saved ``rewardgym-train`` run) and noisy mixtures
``<policy>+noise<eps>`` (each step a uniform random action with probability ``eps``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from rewardgym.envs.experts import Policy, expert_for
from rewardgym.reward_wrappers.batched import BatchedReward, score_infos, env_attr_of



@dataclass
class Episode:
    """One episode's per-step arrays plus the pictures the report draws."""

    policy: str
    model: list[float] = field(default_factory=list)
    gt: list[float] = field(default_factory=list)
    success: list[bool] = field(default_factory=list)
    actions: list[np.ndarray] = field(default_factory=list)
    frames: list[tuple[int, np.ndarray]] = field(default_factory=list)  # (step index, frame)
    first_frame: np.ndarray | None = None
    reset_info: dict = field(default_factory=dict)

    @property
    def length(self) -> int:
        return len(self.model)


# ------------------------------------------------------------------ policies
def _random(env, obs, info, rng):
    return env.action_space.sample()


def ppo_policy(run_dir: str, env=None) -> Policy:
    """The deterministic policy of a ``rewardgym-train`` run dir, PPO or SAC (VecNormalize
    statistics applied): its frames are scored like any other policy's, so a trained (possibly
    reward-hacking) policy's states are measured, not only random and expert ones. With ``env``,
    a policy trained on other observations is refused with an error naming both."""
    import pickle

    from rewardgym.agents.env_factory import env_kwargs
    from rewardgym.agents.evaluate import load_run

    cfg, model, vecnorm = load_run(run_dir)
    space = getattr(model, "observation_space", None)
    if env is not None and space is not None and space.shape != env.observation_space.shape:
        raise ValueError(f"rollouts.ppo_run={str(run_dir)!r} was trained on {cfg.env.id} {env_kwargs(cfg.env)} "
                         f"(observations {space.shape}); this report's env {env.spec.id if env.spec else env} has "
                         f"observations {env.observation_space.shape}")
    obs_rms = None
    if vecnorm is not None:
        with open(vecnorm, "rb") as f:
            vn = pickle.load(f)
        if getattr(vn, "norm_obs", False):
            obs_rms = vn

    def act(env, obs, info, rng):
        o = obs
        if obs_rms is not None:
            o = obs_rms.normalize_obs(np.asarray(obs)[None])[0]
        action, _ = model.predict(o, deterministic=True)
        return action

    return act


def with_noise(policy: Policy, eps: float) -> Policy:
    """Each step: a uniform random action with probability ``eps``, else ``policy``'s."""
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"noise level must be in [0, 1], got {eps}")

    def act(env, obs, info, rng):
        return env.action_space.sample() if rng.random() < eps else policy(env, obs, info, rng)

    return act


def make_policies(env, names: list[str] | str, noise: list[float], ppo_run: str | None
                  ) -> dict[str, tuple[Policy, dict | None]]:
    """The named policies (``"auto"``: random, expert if any, ppo if a run is given, and their
    noisy mixtures) as ``{name: (policy, reset options)}``."""
    expert, expert_opts = expert_for(env)
    base: dict[str, tuple[Policy, dict | None]] = {"random": (_random, None)}
    if expert is not None:
        base["expert"] = (expert, expert_opts)
    if ppo_run:
        base["ppo"] = (ppo_policy(ppo_run, env), None)
    if names == "auto":
        out = dict(base)
        for key in [k for k in base if k != "random"]:
            for eps in noise:
                out[f"{key}+noise{eps:g}"] = (with_noise(base[key][0], float(eps)), base[key][1])
        return out
    out = {}
    for name in names:
        key, _, eps = str(name).partition("+noise")
        if key not in base:
            why = " (this task has no scripted expert)" if key == "expert" else (
                " (set rollouts.ppo_run=<run dir>)" if key == "ppo" else "")
            raise ValueError(f"unknown policy {name!r}{why}; available: {sorted(base)} and '<policy>+noise<eps>'")
        pol, opts = base[key]
        out[str(name)] = (with_noise(pol, float(eps)), opts) if eps else (pol, opts)
    return out


# ------------------------------------------------------------------ collection
def frame_steps(max_steps: int, n_frames: int) -> set[int]:
    """Step indices at which a strip of ``n_frames`` frames is rendered (ends included)."""
    return set(np.linspace(0, max(max_steps - 1, 0), max(n_frames, 1)).round().astype(int).tolist())


def collect(make_env: Callable[[], Any], factory, policies: dict[str, tuple[Policy, dict | None]],
            episodes_per_policy: int, n_envs: int = 1, seed: int = 0, frames_per_episode: int = 6,
            episodes_with_frames: int = 2, progress: bool = True) -> list[Episode]:
    """Runs ``episodes_per_policy`` episodes of each policy on ``n_envs`` envs in lockstep.

    ``make_env()`` returns one env already wrapped by the reward ``factory`` (or not wrapped
    for ground truth). For a batched reward the inputs of all envs are scored in one call per
    step. Frames for the report are rendered for the first ``episodes_with_frames``
    episodes of each policy (``frames_per_episode`` of them, spread over the episode).
    """
    envs = [make_env() for _ in range(n_envs)]
    batcher = factory.batcher(env_attr_of(envs[0])) if isinstance(factory, BatchedReward) else None
    queue = [(name, k) for k in range(episodes_per_policy) for name in policies]
    total = len(queue)
    rng = np.random.default_rng(seed)
    done_eps: list[Episode] = []
    bar = _progress(total, progress)
    state: list[dict | None] = [None] * n_envs
    next_seed = seed

    def start(i: int) -> dict | None:
        nonlocal next_seed
        if not queue:
            return None
        name, k = queue.pop(0)
        policy, options = policies[name]
        env = envs[i]
        env.action_space.seed(next_seed)
        obs, info = env.reset(seed=next_seed, options=options)
        next_seed += 1
        ep = Episode(policy=name, reset_info={k2: v for k2, v in info.items() if k2 in ("keypoints_px", "target_boxes", "instruction")})
        max_steps = getattr(env.spec, "max_episode_steps", None) or 100
        want = frame_steps(max_steps, frames_per_episode) if k < episodes_with_frames else set()
        if k < episodes_with_frames or "target_boxes" in info:
            ep.first_frame = _render(env)
        return {"ep": ep, "obs": obs, "info": info, "policy": policy, "want": want, "t": 0}

    try:
        for i in range(n_envs):
            state[i] = start(i)
        while any(s is not None for s in state):
            active = [i for i, s in enumerate(state) if s is not None]
            results = {}
            for i in active:
                s = state[i]
                action = s["policy"](envs[i], s["obs"], s["info"], rng)
                obs, reward, terminated, truncated, info = envs[i].step(action)
                results[i] = (action, obs, float(reward), terminated, truncated, dict(info))
            if batcher is not None:
                rewards = score_infos(batcher, [results[i][5] if i in results else None for i in range(n_envs)])
            for i in active:
                s, (action, obs, reward, terminated, truncated, info) = state[i], results[i]
                ep = s["ep"]
                model_r = float(rewards[i]) if batcher is not None else reward
                ep.model.append(model_r)
                ep.gt.append(float(info.get("env_reward", reward)))
                ep.success.append(bool(info.get("success", False)))
                ep.actions.append(np.asarray(action, dtype=np.float64))
                done = terminated or truncated
                if s["t"] in s["want"] or (done and s["want"]):
                    ep.frames.append((s["t"], _render(envs[i])))
                s.update(obs=obs, info=info, t=s["t"] + 1)
                if done:
                    done_eps.append(ep)
                    bar(1)
                    state[i] = start(i)
    finally:
        for env in envs:
            env.close()
        bar(None)
    return done_eps


def _render(env) -> np.ndarray | None:
    try:
        frame = env.render()
    except Exception:  # an env without rgb_array rendering: no pictures, the numbers still count
        return None
    return None if frame is None else np.asarray(frame).copy()


def _progress(total: int, enabled: bool):
    """A rich progress bar over episodes; ``advance(None)`` closes it."""
    if not enabled:
        return lambda n: None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    prog = Progress(TextColumn("rollouts + scoring"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    prog.start()
    task = prog.add_task("episodes", total=total)

    def advance(n):
        if n is None:
            prog.stop()
        else:
            prog.advance(task, n)

    return advance
