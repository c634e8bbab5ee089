"""The outputs every training engine (stable-baselines3, RLlib) writes after training.

The ground-truth evaluation of the final policy (deterministic, ``eval.episodes`` episodes) with
a random policy beside it, the last 100 training episodes of the Monitor files,
``metrics.json`` and ``learning_curve.png``; with ground-truth evaluations during training and the
hacking signal on (``eval.every``, ``eval.hacking``), its verdict (``hacking.json``) is copied into
``metrics.json`` under ``hacking`` and printed.
"""
from __future__ import annotations

import json
from pathlib import Path

from omegaconf import DictConfig


def write_run_outputs(cfg: DictConfig, run_dir: Path, metrics: dict, policy, vecnorm_path: Path | None = None,
                      reward: str | None = None) -> dict:
    """Evaluates ``policy`` (anything with ``predict(obs, deterministic)``, an SB3 model or
    :class:`~rewardgym.agents.rllib.policy.RLModulePolicy`), adds the run's facts to ``metrics``,
    writes ``metrics.json`` and ``learning_curve.png``; returns the metrics."""
    from .env_factory import env_kwargs
    from .evaluate import rollout_stats
    from .monitor_data import load_episodes, plot_learning_curve

    n_eval, eval_seed = int(cfg.eval.episodes), int(cfg.seed) + 10_000
    metrics = {"env": cfg.env.id, "env_kwargs": env_kwargs(cfg.env),
               "reward": reward or cfg.reward.get("_target_") or "ground_truth", "seed": int(cfg.seed), **metrics}
    if cfg.eval.get("env") is not None:  # evaluated elsewhere than trained (e.g. live pages of a dataset-trained policy)
        metrics["eval_env"] = {"id": cfg.eval.env.id, "kwargs": env_kwargs(cfg.eval.env)}
    if n_eval > 0:
        video = run_dir / "eval.mp4" if cfg.eval.get("video") else None
        metrics["eval"] = rollout_stats(policy, cfg, n_eval, eval_seed, vecnorm_path, video)
        metrics["random_policy"] = rollout_stats(None, cfg, n_eval, eval_seed)
    hacking = _hacking_summary(cfg, run_dir)
    if hacking is not None:
        metrics["hacking"] = hacking
        print(f"[rewardgym] {hacking['message']}"
              + (f" (final pose: {run_dir / hacking['final_pose']})" if hacking.get("final_pose") else ""), flush=True)
    episodes = load_episodes(run_dir)
    last = slice(-100, None)
    metrics["train_last100"] = {
        "return_mean": float(episodes["r"][last].mean()) if len(episodes["r"]) else None,
        "success_rate": float(episodes["success"][last].mean()) if len(episodes["r"]) else None,
        "episodes": int(len(episodes["r"])),
    }
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
    baseline = None
    if "random_policy" in metrics:
        baseline = {"r": metrics["random_policy"]["return_mean"], "success": metrics["random_policy"]["success_rate"]}
    title = f"{cfg.env.id} {env_kwargs(cfg.env)} reward={metrics['reward']} seed={cfg.seed}"
    algo = str(cfg.agent.get("algo"))
    algo = {"ppo": "PPO", "sac": "SAC", "rllib_ppo": "RLlib PPO"}.get(algo, algo)
    plot_learning_curve(run_dir, run_dir / "learning_curve.png", title, baseline, agent=algo)
    return metrics


def _hacking_summary(cfg: DictConfig, run_dir: Path) -> dict | None:
    """The hacking signal's summary written by the evaluations during training, or None when the
    run had none (no ``eval.every``, or ``eval.hacking.enabled=false``)."""
    from .hacking_signal import HackingDetector, rule_from_config

    path = run_dir / "hacking.json"
    rule = rule_from_config(cfg)
    if rule is None or not int(cfg.eval.get("every") or 0) or not path.exists():
        return None
    state = json.loads(path.read_text())
    detector = HackingDetector.from_state(rule, state)
    return {**detector.summary(), "message": detector.message(), "final_pose": state.get("final_pose")}
