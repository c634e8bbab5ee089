"""``rewardgym-train``: vectorized PPO or SAC (stable-baselines3) on a rewardgym task, configured by Hydra.

Examples::

    rewardgym-train                                   # the default: manip_reach on the keypoint reward
    rewardgym-train env=humanoid_kneel reward=clip agent.n_envs=8
    rewardgym-train hydra.run.dir=runs/a resume=true  # continue a killed run
    rewardgym-train -m seed=0,1,2 hydra/launcher=joblib   # a sweep, in parallel

A run writes into Hydra's output dir: ``tb/`` (TensorBoard), ``checkpoints/``,
``final_model.zip``, ``vecnormalize.pkl``, ``monitor/`` (ground-truth episodes),
``metrics.json`` and ``learning_curve.png``.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import hydra
from omegaconf import DictConfig

from rewardgym.cli import exit_on_bad_overrides
from rewardgym.errors import run_app, user_input
from rewardgym.reward_wrappers.batched import BatchedReward


def choose_policy(observation_space, requested: str = "auto") -> str:
    """MlpPolicy for vectors, CnnPolicy for images, MultiInputPolicy for dicts; a dotted
    ``requested`` (``rewardgym.agents.policies.GroundingPolicy``) is imported as a policy class."""
    if requested != "auto":
        if "." in requested:
            from hydra.utils import get_class

            return get_class(requested)
        return requested
    from gymnasium import spaces
    from stable_baselines3.common.preprocessing import is_image_space

    if isinstance(observation_space, spaces.Dict):
        return "MultiInputPolicy"
    if isinstance(observation_space, spaces.Box) and is_image_space(observation_space, check_channels=False):
        return "CnnPolicy"
    return "MlpPolicy"


def _show_progress() -> bool:
    return sys.stdout.isatty() and not os.environ.get("CI")


def run(cfg: DictConfig, run_dir: Path, on_eval=None) -> dict:
    """Trains, evaluates and writes every output of one run; returns the metrics. ``on_eval``
    (``(num_timesteps, stats) -> bool``) sees each ``eval.every`` evaluation and stops training
    by returning False (``rewardgym-tune``'s pruning)."""
    import torch
    from stable_baselines3.common.callbacks import CallbackList, ProgressBarCallback
    from stable_baselines3.common.vec_env import VecNormalize

    from .algorithms import algo_kwargs, algo_name, algorithm_class, check_agent, scoring
    from .callbacks import InfoLoggerCallback, ResumableCheckpoint, latest_checkpoint, latest_replay_buffer
    from .env_factory import build_vec_env, clear_monitors, reward_factory, reward_name
    from .run_outputs import write_run_outputs

    if cfg.get("torch_threads"):
        torch.set_num_threads(int(cfg.torch_threads))
    agent = cfg.agent
    if agent.get("algo") == "rllib_ppo":  # Ray RLlib on the same envs and rewards: agents/rllib/
        from .rllib.train import run as run_rllib

        return run_rllib(cfg, run_dir)
    ckpt_dir = run_dir / "checkpoints"
    resumed = latest_checkpoint(ckpt_dir) if cfg.resume else None
    if cfg.resume and resumed is None:
        print(f"[rewardgym] resume=true but no checkpoint in {ckpt_dir}: starting from scratch")
    if resumed is None:
        clear_monitors(run_dir)

    with user_input("config"):
        algo, algo_args = algo_name(agent), algo_kwargs(agent)
        factory = reward_factory(cfg.reward)
        venv = build_vec_env(cfg, factory, run_dir, int(cfg.seed))
        trained_on = reward_name(cfg.reward, venv)
        batched = isinstance(factory, BatchedReward)
        check_agent(agent, venv.action_space, batched, venv.observation_space)
        # the first reset runs here: a reward that cannot read this env's infos (reward=gaussian on a
        # MuJoCo task) is bad input; seeding again gives learn() the same first episodes
        venv.reset()
        venv.seed(int(cfg.seed))
        Algo = algorithm_class(agent, rollout_scored=batched and scoring(agent)[0] == "rollout")
        norm = agent.get("normalize") or {}
        if norm.get("obs") or norm.get("reward"):
            if resumed is not None and resumed[1] is not None:
                venv = VecNormalize.load(str(resumed[1]), venv)
            else:
                venv = VecNormalize(venv, norm_obs=bool(norm.get("obs")), norm_reward=bool(norm.get("reward")),
                                    gamma=float(algo_args.get("gamma", 0.99)))

        if resumed is not None:
            model = Algo.load(resumed[0], env=venv, device=cfg.device, tensorboard_log=str(run_dir / "tb"))
            print(f"[rewardgym] resumed from {resumed[0].name} at {model.num_timesteps} steps")
            if getattr(model, "replay_buffer", None) is not None:  # SAC: its past transitions too
                from .replay_checkpoint import resume_replay_buffer

                resume_replay_buffer(model, latest_replay_buffer(ckpt_dir))
        else:
            policy = choose_policy(venv.observation_space, agent.get("policy", "auto"))
            model = Algo(policy, venv, seed=int(cfg.seed), device=cfg.device,
                         tensorboard_log=str(run_dir / "tb"), verbose=0, **algo_args)
            if agent.get("demos"):  # KAGI recipe: behaviour cloning of expert demos first (agents/demos.py)
                from .demos import pretrain

                pretrain(model, cfg, factory, run_dir)
            if (agent.get("warm_start") or {}).get("epochs"):  # GUI grounding: supervised on recorded boxes
                from .gui_pretrain import warm_start

                warm_start(model, cfg, run_dir)

    replay = agent.get("replay_buffer") or {}
    checkpoint = ResumableCheckpoint(ckpt_dir, int(cfg.checkpoint_freq), replay_buffer=bool(replay.get("checkpoint", True)),
                                     replay_dir=replay.get("dir"))
    callbacks = [InfoLoggerCallback(), checkpoint]
    if int(cfg.eval.get("every") or 0) > 0:
        from .eval_callback import GroundTruthEval

        with user_input("eval"):
            callbacks.append(GroundTruthEval(cfg, run_dir, int(cfg.eval.every), int(cfg.eval.get("every_episodes", 10)),
                                             bool(cfg.eval.get("every_video", False)), on_eval=on_eval))
    if _show_progress():
        callbacks.append(ProgressBarCallback())
    total = int(agent.total_timesteps)
    start_steps, t0, cpu0 = model.num_timesteps, time.perf_counter(), time.process_time()
    model.learn(max(total - start_steps, 0), callback=CallbackList(callbacks),
                reset_num_timesteps=resumed is None, tb_log_name=algo.upper())
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    checkpoint.save()
    model.save(run_dir / "final_model.zip")
    vecnorm_path = None
    if model.get_vec_normalize_env() is not None:
        vecnorm_path = run_dir / "vecnormalize.pkl"
        model.get_vec_normalize_env().save(str(vecnorm_path))
    venv.close()

    metrics = {"total_timesteps": int(model.num_timesteps),
               "steps_per_second": (model.num_timesteps - start_steps) / max(wall, 1e-9),
               "wall_time_s": wall, "cpu_time_s": cpu, "resumed_from_steps": start_steps}
    return write_run_outputs(cfg, run_dir, metrics, model, vecnorm_path, reward=trained_on)


@hydra.main(config_path="pkg://rewardgym.conf", config_name="config", version_base=None)
def _hydra_main(cfg: DictConfig) -> float:
    from hydra.core.hydra_config import HydraConfig

    run_dir = Path(HydraConfig.get().runtime.output_dir)
    metrics = run_app("rewardgym-train", lambda: run(cfg, run_dir), debug=bool(cfg.get("debug")))
    ev = metrics.get("eval") or metrics["train_last100"]
    rnd = metrics.get("random_policy")
    beside = f" (random policy: {rnd['success_rate']}, {rnd['return_mean']:.4g})" if rnd else ""
    print(f"[rewardgym] {run_dir}: reward={metrics['reward'].rsplit('.', 1)[-1]} ground-truth "
          f"success_rate={ev.get('success_rate')} return={ev.get('return_mean'):.4g}{beside} "
          f"steps/s={metrics['steps_per_second']:.0f}")
    return float(ev.get("success_rate") or 0.0)


def main() -> None:
    """Console entry: checks the overrides first (exit 2 with one line), then runs Hydra."""
    exit_on_bad_overrides("rewardgym-train", "config")
    _hydra_main()


if __name__ == "__main__":
    main()
