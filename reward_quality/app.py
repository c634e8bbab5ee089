"""``rewardgym-eval-reward``: measure a reward against the env's ground truth (Hydra app).

Examples::

    rewardgym-eval-reward env=manip_push reward=keypoint
    rewardgym-eval-reward env=browser_click_button reward=gaussian
    rewardgym-eval-reward env=humanoid_kneel reward=clip reward.model=ViT-B-32 reward.pretrained=/path/w.pt
    rewardgym-eval-reward -m env=humanoid_kneel reward=clip reward.alpha=0,0.25,0.5,0.75,1
    rewardgym-eval-reward env=manip_reach reward=keypoint hacking.run=outputs/<a rewardgym-train run>

Writes into Hydra's output dir ``report.json``, ``report.md`` and ``*.png`` (see
docs/reward_quality.md); a multirun adds ``comparison.md``/``.csv``/``.png`` in the sweep dir.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig, OmegaConf

from rewardgym.cli import exit_on_bad_overrides
from rewardgym.errors import run_app, user_input

CONFIG = "eval_reward"


def run(cfg: DictConfig, out_dir: Path) -> dict[str, Any]:
    """Rollouts, scoring, metrics, figures and the report files of one env x reward."""
    from rewardgym.agents.env_factory import env_kwargs, make_env, reward_factory

    from . import report as R
    from .rollouts import collect, make_policies

    out_dir.mkdir(parents=True, exist_ok=True)
    ro = cfg.rollouts
    with user_input("config"):
        if int(ro.episodes) < 1 or int(ro.n_envs) < 1:
            raise ValueError(f"rollouts.episodes and rollouts.n_envs must be >= 1, got {ro.episodes}, {ro.n_envs}")
        factory = reward_factory(cfg.reward)
        thunk = make_env(cfg.env, factory, int(cfg.seed), None, "rgb_array")
        # the reward wraps one env and sees its first reset here: a reward that does not fit the env
        # (the keypoint reward on CartPole, the Gaussian one on a MuJoCo task) is bad input
        probe = thunk()
        try:
            probe.reset(seed=int(cfg.seed))
            names = ro.policies if isinstance(ro.policies, str) else list(ro.policies)
            policies = make_policies(probe, names, [float(x) for x in ro.noise], ro.ppo_run)
        finally:
            probe.close()
    t0 = time.perf_counter()
    episodes = collect(thunk, factory, policies, int(ro.episodes), int(ro.n_envs), int(cfg.seed),
                       int(ro.frames_per_episode), int(ro.episodes_with_frames),
                       progress=bool(cfg.progress) and sys.stderr.isatty() and not os.environ.get("CI"))
    wall = time.perf_counter() - t0
    metrics = R.compute(episodes, list(policies))
    reward_name = cfg.reward.get("_target_") or "ground truth (no wrapper)"
    reward_params = {k: v for k, v in OmegaConf.to_container(cfg.reward, resolve=True).items()
                     if not k.startswith("_")}
    title = f"{cfg.env.id} {env_kwargs(cfg.env)} | {reward_name.rsplit('.', 1)[-1]}"
    figures, notes = [], []
    if cfg.get("note"):
        notes.append(str(cfg.note))
    if R.plot_curves(episodes, out_dir / "reward_curves.png"):
        figures.append("reward_curves.png")
    figures.append(R.plot_scatter(episodes, out_dir / "scatter.png", title).name)
    gui = next((e for e in episodes if "target_boxes" in e.reset_info and e.first_frame is not None
                and e.policy.startswith("expert")), None) or next(
        (e for e in episodes if "target_boxes" in e.reset_info and e.first_frame is not None), None)
    if gui is not None and R.plot_gui_heatmap(gui, float(reward_params.get("alpha", 0.5)), out_dir / "gui_heatmap.png"):
        figures.append("gui_heatmap.png")
    kp = next((e for e in episodes if e.reset_info.get("keypoints_px") is not None and e.first_frame is not None), None)
    if kp is not None and R.plot_keypoints(kp, out_dir / "keypoints.png"):
        figures.append("keypoints.png")
    hacking = None
    if cfg.hacking.get("run"):
        from .hacking import check

        with user_input("hacking.run"):
            hacking = check(cfg.hacking.run, out_dir / "hacking.png")
        if hacking.get("figure"):
            figures.append(hacking["figure"])
        verdict = {True: "FLAGGED: model reward rose while success stayed flat", False: "not flagged",
                   None: hacking.get("why")}[hacking["flagged"]]
        notes.append(f"Reward hacking check of {hacking['run']}: {verdict} "
                     f"(model rise {R._f(hacking.get('model_rise_rel'))} of its range, success rise "
                     f"{R._f(hacking.get('success_rise'))}).")
        signal = hacking.get("training_signal")
        if signal is not None:
            fired = f"FIRED at {signal['fired_at_steps']} steps" if signal["fired"] else "not fired"
            notes.append(f"Hacking signal of that run during training (ground-truth evaluations against a random "
                         f"policy, {signal['evaluations']} evaluations): {fired}"
                         + (f"; final pose: {Path(hacking['run']) / signal['final_pose']}" if signal.get("final_pose") else "")
                         + ".")
    if cfg.reward.get("_target_") is None:
        notes.append("reward=none: the 'model' reward IS the ground truth (a sanity check: Pearson 1, EPIC 0).")
    info = {"env": cfg.env.id, "env kwargs": env_kwargs(cfg.env), "reward": reward_name,
            "reward params": reward_params, "policies": list(policies), "episodes per policy": int(ro.episodes),
            "seed": int(cfg.seed), "wall time (s)": round(wall, 1),
            "coverage distribution (EPIC)": "all visited steps, uniformly (state-only canonicalisation)"}
    payload = {"info": info, "metrics": metrics, "hacking": hacking, "figures": figures, "notes": notes}
    R.write_json(out_dir / "report.json", payload)
    R.write_markdown(out_dir / "report.md", title, info, metrics, figures, notes)
    return payload


@hydra.main(config_path="pkg://rewardgym.conf", config_name=CONFIG, version_base=None)
def _hydra_main(cfg: DictConfig) -> float:
    from hydra.core.hydra_config import HydraConfig

    out_dir = Path(HydraConfig.get().runtime.output_dir)
    payload = run_app("rewardgym-eval-reward", lambda: run(cfg, out_dir), debug=bool(cfg.get("debug")))
    m = payload["metrics"]["all"]
    print(f"[rewardgym] {out_dir / 'report.md'}: pearson={m['pearson']:.3f} spearman={m['spearman']:.3f} "
          f"epic={m['epic']:.3f} auc={m.get('auc_success', float('nan')):.3f} steps={m['steps']}")
    return float(m["epic"])


def main() -> None:
    """Console entry: checks the overrides first (exit 2 with one line), then runs Hydra."""
    exit_on_bad_overrides("rewardgym-eval-reward", CONFIG)
    _hydra_main()


if __name__ == "__main__":
    main()
