"""``rewardgym-train agent=rllib_ppo``: Ray RLlib's PPO (new API stack) on a rewardgym task.

The envs, the reward and the run folder are the stable-baselines3 path's: the env stack of
:func:`rewardgym.agents.env_factory.env_thunks` in every env runner (a Ray actor), Monitor files
in ``monitor/``, TensorBoard in ``tb/``, checkpoints in ``checkpoints/`` (``state.json`` names
the newest; ``resume=true`` continues from it after a kill; see :func:`checkpoint_due` for when
they are saved), the final policy's ground-truth
evaluation beside a random policy's, ``metrics.json`` and ``learning_curve.png``
(:func:`rewardgym.agents.run_outputs.write_run_outputs`).

Config: ``conf/agent/rllib_ppo.yaml``. Checks that fail before any training, each one line and
exit 2: an unreachable ``agent.ray.address`` (TCP connect under ``connect_timeout_s``), more
GPUs or CPUs asked for than the cluster has, an env creator that cannot be pickled to a runner.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from rewardgym.errors import user_input

from ..callbacks import read_state, write_state
from ..env_factory import clear_monitors, env_thunks, extra_wrappers, reward_factory, reward_name
from .envs import GT_LENGTH, GT_RETURN, GT_SUCCESS, EnvSpec, check_picklable

CKPT_PREFIX = "rllib_"
KEEP_CHECKPOINTS = 3


def _plain(node: Any) -> Any:
    return OmegaConf.to_container(node, resolve=True) if isinstance(node, DictConfig) else node


def asked_resources(agent: DictConfig) -> dict[str, tuple[float, str]]:
    """``{"CPU"|"GPU": (total asked, "the config keys asking")}`` of the runners, learners and
    shared reward actors (the driver's own learner, ``learners.num=0``, asks for none)."""
    r, lrn, sh = agent.env_runners, agent.learners, agent.shared_reward
    shared = int(sh.actors) if sh.enabled else 0
    out = {}
    for res, key in (("CPU", "cpus"), ("GPU", "gpus")):
        parts = [(int(r.num) * float(r[f"{key}_per_runner"]), f"agent.env_runners.{key}_per_runner={r[f'{key}_per_runner']}"),
                 (int(lrn.num) * float(lrn[f"{key}_per_learner"]), f"agent.learners.{key}_per_learner={lrn[f'{key}_per_learner']}"),
                 (shared * float(sh[f"num_{key}"]), f"agent.shared_reward.num_{key}={sh[f'num_{key}']}")]
        if res == "GPU" and int(lrn.num) == 0:
            parts.append((float(lrn.gpus_per_learner), f"agent.learners.gpus_per_learner={lrn.gpus_per_learner} (driver)"))
        asking = [k for n, k in parts if n > 0]
        out[res] = (sum(n for n, _ in parts), ", ".join(asking) or "nothing")
    return out


def build_config(agent: DictConfig, env_name: str, seed: int):
    """The RLlib ``PPOConfig`` from ``agent`` (``ppo:`` holds ``PPOConfig.training`` keywords)."""
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig

    from .envs import on_episode_end

    runners, learners = agent.env_runners, agent.learners
    training = dict(_plain(agent.ppo))
    frag = runners.get("rollout_fragment_length", "auto")
    return (PPOConfig()
            .environment(env=env_name)
            .env_runners(num_env_runners=int(runners.num), num_envs_per_env_runner=int(runners.envs_per_runner),
                         num_cpus_per_env_runner=float(runners.cpus_per_runner),
                         num_gpus_per_env_runner=float(runners.gpus_per_runner),
                         gym_env_vectorize_mode="vector_entry_point",
                         rollout_fragment_length=frag if frag == "auto" else int(frag),
                         sample_timeout_s=float(runners.get("sample_timeout_s", 600)))
            .learners(num_learners=int(learners.num), num_cpus_per_learner=float(learners.cpus_per_learner),
                      num_gpus_per_learner=float(learners.gpus_per_learner))
            .training(**training)
            .rl_module(model_config=DefaultModelConfig(**dict(_plain(agent.model) or {})))
            .callbacks(on_episode_end=on_episode_end)
            .reporting(metrics_num_episodes_for_smoothing=100)
            .debugging(seed=int(seed), log_level="ERROR"))


def checkpoint_due(steps: int, last_ckpt: int, freq: int, next_iteration: int) -> bool:
    """Whether to save after an iteration that ended at ``steps`` (the last checkpoint at
    ``last_ckpt``): yes when one more iteration of ``next_iteration`` env steps would leave more
    than ``freq`` steps unsaved. A kill then loses at most ``freq`` steps (one iteration where
    ``freq`` is smaller), if no iteration samples more than ``next_iteration``.

    >>> [s for s in range(1025, 12 * 1025, 1025) if checkpoint_due(s, 0, 10_000, 1025)][:1]
    [9225]
    >>> checkpoint_due(1025, 0, 1500, 1025), checkpoint_due(1025, 1025, 1500, 1025)
    (True, False)
    """
    return steps > last_ckpt and steps - last_ckpt + next_iteration > freq


def _save(algo, ckpt_dir: Path, steps: int) -> Path:
    path = ckpt_dir / f"{CKPT_PREFIX}{steps}_steps"
    algo.save_to_path(str(path))
    write_state(ckpt_dir, steps, path.name)
    for old in sorted(ckpt_dir.glob(f"{CKPT_PREFIX}*_steps"), key=lambda p: int(p.name.split("_")[1]))[:-KEEP_CHECKPOINTS]:
        shutil.rmtree(old, ignore_errors=True)
    return path


class _Board:
    """TensorBoard scalars of one training iteration, SB3-style names."""

    def __init__(self, folder: Path):
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(str(folder))

    def log(self, result: dict, steps: int, fps: float, shared: dict | None) -> None:
        runners = result.get("env_runners", {})
        learner = result.get("learners", {}).get("default_policy", {})
        timers = result.get("timers", {})
        scalars = {
            "rollout/ep_rew_mean": runners.get(GT_RETURN), "rollout/success_rate": runners.get(GT_SUCCESS),
            "rollout/ep_len_mean": runners.get(GT_LENGTH), "reward/shaped_return_mean": runners.get("episode_return_mean"),
            "train/policy_loss": learner.get("policy_loss"), "train/value_loss": learner.get("vf_loss"),
            "train/entropy": learner.get("entropy"), "train/approx_kl": learner.get("mean_kl_loss"),
            "train/explained_variance": learner.get("vf_explained_var"), "time/fps": fps,
            "time/sample_s": timers.get("env_runner_sampling_timer"), "time/learn_s": timers.get("learner_update_timer"),
        }
        if shared:
            scalars["shared_reward/batch_mean"] = shared.get("batch_mean")
        for key, value in scalars.items():
            if value is not None:
                self.writer.add_scalar(key, float(value), steps)
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()


def run(cfg: DictConfig, run_dir: Path) -> dict:
    """Trains, evaluates and writes every output of one RLlib run; returns the metrics."""
    from rewardgym.reward_wrappers.batched import BatchedReward

    from ..run_outputs import write_run_outputs
    from .cluster import check_resources, connect

    agent, seed = cfg.agent, int(cfg.seed)
    ckpt_dir = run_dir / "checkpoints"
    state = read_state(ckpt_dir) if cfg.resume else None
    if cfg.resume and state is None:
        print(f"[rewardgym] resume=true but no checkpoint in {ckpt_dir}: starting from scratch")
    if state is None:
        clear_monitors(run_dir)
    n_runners = int(agent.env_runners.num)
    with user_input("config"):
        factory = reward_factory(cfg.reward)
        shared_on = bool(agent.shared_reward.enabled) and isinstance(factory, BatchedReward)
        if agent.shared_reward.enabled and not shared_on:
            raise ValueError(f"agent.shared_reward.enabled=true needs a batched model reward (reward=clip), "
                             f"got reward {cfg.reward.get('_target_') or 'none (ground truth)'}")
        spec = EnvSpec(cfg.env, factory, extra_wrappers(cfg.get("wrappers")), seed, str(run_dir),
                       agent.get("reward_batch_size"), None, n_runners == 0)
        check_picklable(spec)  # before Ray starts: one line, no hang
    import ray

    with user_input("agent.ray"):
        resources = connect(agent.ray)
        check_resources(asked_resources(agent), resources)
    try:
        return _train(cfg, run_dir, spec, state, shared_on, write_run_outputs)
    finally:
        ray.shutdown()


def _train(cfg: DictConfig, run_dir: Path, spec: EnvSpec, state: dict | None, shared_on: bool, write_outputs) -> dict:
    import ray
    from ray.tune.registry import register_env

    from .envs import ENV_NAME
    from .policy import RLModulePolicy
    from .shared_reward import RemoteScorer, env_attrs_for, start_scorers

    agent, seed = cfg.agent, int(cfg.seed)
    ckpt_dir = run_dir / "checkpoints"
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    scorer_actors: list = []
    if shared_on:
        sh = agent.shared_reward
        with user_input("agent.shared_reward"):
            attrs = env_attrs_for(spec.factory, env_thunks(cfg.env, None, (), seed, 1, None)[0])
            scorer_actors, names = start_scorers(spec.factory, attrs, int(sh.actors), str(agent.ray.namespace),
                                                 float(sh.num_gpus), float(sh.num_cpus), int(sh.max_batch),
                                                 float(sh.wait_ms))
        spec.shared_scorer = RemoteScorer(names, str(agent.ray.namespace))
    register_env(ENV_NAME, spec)
    with user_input("agent"):
        algo = build_config(agent, ENV_NAME, seed).build_algo()
    start_steps = 0
    if state is not None:
        algo.restore_from_path(str(ckpt_dir / state["model"]))
        start_steps = int(state["num_timesteps"])
        print(f"[rewardgym] resumed from {state['model']} at {start_steps} steps")
    board = _Board(run_dir / "tb" / "RLLIB_PPO")
    total, freq = int(agent.total_timesteps), int(cfg.checkpoint_freq)
    steps, last_ckpt = start_steps, start_steps
    # env steps of the largest iteration so far (RLlib samples about the train batch, a few more
    # where episodes end inside a fragment); before the first, the configured batch
    largest = int(agent.ppo.get("train_batch_size_per_learner", 0)) * max(1, int(agent.learners.num))
    timing = {"iterations": 0, "sample_s": 0.0, "learn_s": 0.0}
    t0, cpu0 = time.perf_counter(), time.process_time()
    while steps < total:
        t_iter = time.perf_counter()
        result = algo.train()
        sampled = int(result.get("env_runners", {}).get("num_env_steps_sampled", 0))
        steps += sampled
        largest = max(largest, sampled)
        timers = result.get("timers", {})
        timing["iterations"] += 1
        timing["sample_s"] += float(timers.get("env_runner_sampling_timer", 0.0))
        timing["learn_s"] += float(timers.get("learner_update_timer", 0.0))
        shared = ray.get(scorer_actors[0].stats.remote()) if scorer_actors else None
        board.log(result, steps, sampled / max(time.perf_counter() - t_iter, 1e-9), shared)
        if steps < total and checkpoint_due(steps, last_ckpt, freq, largest):
            _save(algo, ckpt_dir, steps)
            last_ckpt = steps
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    board.close()
    if steps != last_ckpt or state is None:
        _save(algo, ckpt_dir, steps)
    trained = steps - start_steps
    metrics: dict = {"engine": "rllib", "total_timesteps": steps,
                     "steps_per_second": trained / max(wall, 1e-9), "wall_time_s": wall, "cpu_time_s": cpu,
                     "resumed_from_steps": start_steps,
                     "ray": {"env_runners": int(agent.env_runners.num), "envs_per_runner": int(agent.env_runners.envs_per_runner),
                             "learners": int(agent.learners.num), **timing,
                             "sampling_steps_per_s": trained / max(timing["sample_s"], 1e-9),
                             "learner_s_per_iteration": timing["learn_s"] / max(timing["iterations"], 1)}}
    if scorer_actors:
        metrics["shared_reward"] = [ray.get(a.stats.remote()) for a in scorer_actors]
    policy = RLModulePolicy.of(algo)
    policy.save(run_dir / "final_module")  # rewardgym-eval RUN_DIR loads it without Ray
    algo.stop()
    return write_outputs(cfg, run_dir, metrics, policy, reward=reward_name(cfg.reward, _OneEnv(spec)))


class _OneEnv:
    """What :func:`~rewardgym.agents.env_factory.reward_name` asks of a VecEnv, for one env the
    creator builds on demand (``reward=auto`` resolves to the keypoint reward or the ground truth)."""

    def __init__(self, spec: EnvSpec):
        self.spec = spec

    def env_is_wrapped(self, wrapper_class) -> list[bool]:
        env = self.spec({})
        try:
            layer = env
            while not isinstance(layer, wrapper_class) and hasattr(layer, "env"):
                layer = layer.env
            return [isinstance(layer, wrapper_class)]
        finally:
            env.close()
