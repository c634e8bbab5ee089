"""RLlib throughput on this machine: 1 vs 2 env runners with a render-bound reward, and the shared
reward model's batch sizes.

Each variant is one ``rewardgym-train agent=rllib_ppo`` run (``env=humanoid_kneel reward=clip`` by
default: MuJoCo rendering + the bundled CLIP model every step, no evaluation). Its
``metrics.json`` gives env steps per second of the whole training loop (sampling + learning),
the sampling rate, the learner's seconds per iteration and, with ``shared_reward``, the batch
sizes its scorer actor saw. Variants alternate over ``--repeats`` rounds; medians are printed
with their ratio to the one-runner run. The load average is printed beside them: on a shared
machine it matters as much as the code.

    .venv/bin/python benchmarks/bench_rllib.py --steps 2048 --repeats 1
    .venv/bin/python benchmarks/bench_rllib.py --env manip_reach --reward none   # a fast env
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

VARIANTS = {
    "1 runner x 2 envs": ["agent.env_runners.num=1"],
    "2 runners x 2 envs": ["agent.env_runners.num=2"],
    "2 runners x 2 envs, shared reward actor": ["agent.env_runners.num=2", "agent.shared_reward.enabled=true",
                                                "agent.shared_reward.num_cpus=0"],
}


def run_variant(args: list[str], steps: int, batch: int, env: str, reward: str, folder: Path) -> dict:
    cmd = [sys.executable, "-m", "rewardgym.agents.train", "agent=rllib_ppo", f"env={env}", f"reward={reward}",
           f"agent.total_timesteps={steps}", "agent.env_runners.envs_per_runner=2", "agent.ray.num_cpus=2",
           f"agent.ppo.train_batch_size_per_learner={batch}", "agent.ppo.minibatch_size=128", "agent.ppo.num_epochs=4",
           "eval.episodes=0", f"checkpoint_freq={10 * steps}", f"hydra.run.dir={folder}", *args]
    load = os.getloadavg()[0]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-3000:]}")
    m = json.loads((folder / "metrics.json").read_text())
    row = {"steps_per_second": m["steps_per_second"], "sampling_steps_per_s": m["ray"]["sampling_steps_per_s"],
           "learner_s_per_iteration": m["ray"]["learner_s_per_iteration"], "iterations": m["ray"]["iterations"],
           "load_before": load, "load_after": os.getloadavg()[0]}
    if m.get("shared_reward"):
        row["shared_reward"] = m["shared_reward"]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2048)
    parser.add_argument("--batch", type=int, default=512, help="agent.ppo.train_batch_size_per_learner")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--env", default="humanoid_kneel")
    parser.add_argument("--reward", default="clip")
    parser.add_argument("--only", nargs="*", help="variant names to run (default: all)")
    parser.add_argument("--json", type=Path, help="write the rows here too")
    args = parser.parse_args()
    variants = {k: v for k, v in VARIANTS.items() if not args.only or k in args.only}
    if args.reward != "clip":
        variants.pop("2 runners x 2 envs, shared reward actor", None)
    rows: dict[str, list[dict]] = {name: [] for name in variants}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeats):
            for i, (name, extra) in enumerate(variants.items()):
                row = run_variant(extra, args.steps, args.batch, args.env, args.reward, Path(tmp) / f"{r}_{i}")
                rows[name].append(row)
                print(f"[{r}] {name}: {row['steps_per_second']:.1f} steps/s (sampling {row['sampling_steps_per_s']:.1f}), "
                      f"learner {row['learner_s_per_iteration']:.2f} s/iteration, load {row['load_before']:.1f}",
                      flush=True)
    base = statistics.median(r["steps_per_second"] for r in next(iter(rows.values())))
    print(f"\nenv={args.env} reward={args.reward}, {args.steps} steps a run, batch {args.batch}, 2 envs per runner\n")
    print("| variant | env steps/s (train loop) | x 1 runner | sampling steps/s | learner s/iteration | shared scorer batch mean/max |")
    print("|---|---|---|---|---|---|")
    for name, rs in rows.items():
        sps = statistics.median(r["steps_per_second"] for r in rs)
        shared = rs[-1].get("shared_reward")
        batch = f"{shared[0]['batch_mean']:.1f} / {shared[0]['batch_max']}" if shared else ""
        print(f"| {name} | {sps:.1f} | {sps / base:.2f} | {statistics.median(r['sampling_steps_per_s'] for r in rs):.1f} "
              f"| {statistics.median(r['learner_s_per_iteration'] for r in rs):.2f} | {batch} |")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
