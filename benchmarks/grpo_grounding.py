"""GRPO for GUI grounding: a vision-language model, a recorded dataset, GUI-G^2's Gaussian reward.

Runs TRL's ``GRPOTrainer`` on the rows of a dataset made by ``rewardgym-record-grounding``
(:func:`rewardgym.reward_wrappers.trl_grounding.grpo_rows`), rewarded by
:func:`rewardgym.reward_wrappers.gaussian.make_trl_reward` (point + coverage), and measures
the model on held-out rows before and after: the mean reward and the hit rate (the predicted
point, or a predicted box's centre, lies in a target box) of greedy answers. Writes
``OUT/summary.json`` (settings, every logged step, the evaluations, how much the weights moved)
and, with ``--save``, the trained model and processor in ``OUT/model``. Recipe: docs/trl_grpo.md.

Usage::

    rewardgym-record-grounding --out data/click --tasks click-button,click-link --train-seeds 0:2000 \\
        --test-seeds 100000:100200
    python benchmarks/grpo_grounding.py --model Qwen/Qwen2.5-VL-3B-Instruct --dataset data/click \\
        --out runs/grpo --max-steps 500 --dtype bfloat16 --download
    # on a CPU, the plumbing only: a tiny random model (benchmarks/tiny_vlm.py)
    python benchmarks/tiny_vlm.py --out /tmp/tiny-vlm
    python benchmarks/grpo_grounding.py --model /tmp/tiny-vlm --dataset assets/gui/sample --out /tmp/grpo \\
        --max-steps 2 --eval-rows 4

Weights are loaded from a local folder or the Hugging Face cache; ``--download`` lets
``from_pretrained`` fetch them from the hub. Bad arguments: one line on stderr, exit code 2.
"""
from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
import time
from pathlib import Path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="grpo_grounding.py", description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, help="a local model folder or a hub name (e.g. Qwen/Qwen2.5-VL-3B-Instruct)")
    p.add_argument("--dataset", required=True, help="a rewardgym-record-grounding output folder (or a saved dataset)")
    p.add_argument("--out", required=True, help="output folder (summary.json; model/ with --save)")
    p.add_argument("--split", default="train", help="training split")
    p.add_argument("--eval-split", default="test", help="held-out split measured before and after training")
    p.add_argument("--eval-rows", type=int, default=64, help="held-out rows to measure (0: no evaluation)")
    p.add_argument("--limit", type=int, default=0, help="train on the first N rows only (0: all)")
    p.add_argument("--frame", default="fraction", choices=["fraction", "pixel"],
                   help="coordinates the prompt asks for: fractions (target_boxes) or pixels (target_boxes_px)")
    p.add_argument("--pixel-size", default=None,
                   help="WxH of the pixel frame, or 'auto': the image size the processor feeds the model "
                        "(Qwen2-VL family); default: the recorded screenshot size")
    p.add_argument("--max-steps", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=8, help="completions per device per step")
    p.add_argument("--num-generations", type=int, default=8, help="completions per prompt (the GRPO group)")
    p.add_argument("--max-completion-length", type=int, default=32)
    p.add_argument("--learning-rate", type=float, default=1e-6)
    p.add_argument("--beta", type=float, default=0.0, help="KL weight (0: no reference model)")
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--alpha", type=float, default=0.5, help="Gaussian sigma = alpha * box size (GUI-G^2: 0.5)")
    p.add_argument("--w-size", type=float, default=0.0, help="weight of GUI-G1's box-size term")
    p.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16"],
                   help="weights' dtype (auto: the checkpoint's)")
    p.add_argument("--no-gradient-checkpointing", dest="checkpointing", action="store_false",
                   help="keep activations instead of recomputing them (TRL's default is to recompute: less memory)")
    p.add_argument("--freeze-vision", action="store_true", help="train the language model only")
    p.add_argument("--download", action="store_true", help="let from_pretrained fetch the model from the hub")
    p.add_argument("--save", action="store_true", help="save the trained model and processor in OUT/model")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    for name in ("max_steps", "batch_size", "num_generations", "max_completion_length"):
        if getattr(a, name) < 1:
            p.error(f"--{name.replace('_', '-')} must be >= 1, got {getattr(a, name)}")
    for name in ("eval_rows", "limit"):
        if getattr(a, name) < 0:
            p.error(f"--{name.replace('_', '-')} must be >= 0, got {getattr(a, name)}")
    if a.num_generations < 2 or a.batch_size % a.num_generations:
        p.error(f"--batch-size ({a.batch_size}) must be a multiple of --num-generations ({a.num_generations}), "
                "which must be >= 2 (GRPO compares the completions of one prompt)")
    if not (a.learning_rate > 0 and a.alpha > 0 and a.temperature > 0 and a.beta >= 0 and a.w_size >= 0):
        p.error("--learning-rate, --alpha and --temperature must be > 0, --beta and --w-size >= 0; got "
                f"{a.learning_rate}, {a.alpha}, {a.temperature}, {a.beta}, {a.w_size}")
    if a.pixel_size is not None:
        if a.frame != "pixel":
            p.error(f"--pixel-size is for --frame pixel; got --frame {a.frame}")
        if a.pixel_size != "auto":
            w, _, h = a.pixel_size.partition("x")
            if not (w.isdigit() and h.isdigit() and int(w) > 0 and int(h) > 0):
                p.error(f"--pixel-size must be WxH (e.g. 168x224) or auto, got {a.pixel_size!r}")
    return a


def load_model(name: str, dtype: str = "auto", download: bool = False):
    """``(model, processor)`` from a folder or the hub cache; one clear error when absent."""
    import torch
    from transformers import AutoModelForImageTextToText, AutoProcessor

    local = Path(name).is_dir()
    try:
        processor = AutoProcessor.from_pretrained(name, local_files_only=not download)
        dtypes = {"auto": "auto", "float32": torch.float32, "bfloat16": torch.bfloat16}
        model = AutoModelForImageTextToText.from_pretrained(name, dtype=dtypes[dtype], local_files_only=not download)
    except OSError as err:
        where = f"the folder {name!r}" if local else f"{name!r} (not a folder, not in the Hugging Face cache)"
        raise FileNotFoundError(f"cannot load the model {where}: {str(err).splitlines()[0]}; give a model folder, "
                                "run `hf download NAME` where the hub is reachable, or pass --download") from None
    if not hasattr(processor, "image_processor"):
        raise ValueError(f"--model {name!r} has no image processor: GRPO grounding needs a vision-language model")
    return model, processor


def processor_frame(processor, image) -> tuple[int, int]:
    """``(W, H)`` of ``image`` as the processor feeds it to the model (Qwen2-VL family)."""
    inputs = processor.image_processor(images=[image], return_tensors="np")
    patch = getattr(processor.image_processor, "patch_size", None)
    if "image_grid_thw" not in inputs or not patch:
        raise ValueError("--pixel-size auto needs a processor that reports image_grid_thw (Qwen2-VL family); "
                         "give --pixel-size WxH")
    _, gh, gw = (int(v) for v in inputs["image_grid_thw"][0])
    return gw * patch, gh * patch


def evaluate(model, processor, rows, reward, max_new_tokens: int, batch: int = 8) -> dict:
    """Greedy answers on ``rows``: mean reward, hit rate, parsed fraction."""
    import numpy as np
    import torch
    from trl.data_utils import prepare_multimodal_messages

    from rewardgym.envs.gui.contract import click_in_box
    from rewardgym.reward_wrappers.gaussian import parse_prediction
    from rewardgym.reward_wrappers.trl_grounding import TARGET_COLUMNS

    column = next(c for c in TARGET_COLUMNS.values() if c in rows.column_names)
    tokenizer = getattr(processor, "tokenizer", processor)
    side, tokenizer.padding_side = tokenizer.padding_side, "left"
    scores, hits, parsed = [], [], []
    # transformers >= 5 takes the processor's own arguments in processor_kwargs, 4.x as plain kwargs
    takes = "processor_kwargs" in inspect.signature(processor.apply_chat_template).parameters
    padding = {"processor_kwargs": {"padding": True}} if takes else {"padding": True}
    model.eval()
    try:
        for start in range(0, len(rows), batch):
            part = rows.select(range(start, min(start + batch, len(rows))))
            chats = [prepare_multimodal_messages(p, images=[im]) for p, im in zip(part["prompt"], part["image"])]
            inputs = processor.apply_chat_template(chats, add_generation_prompt=True, tokenize=True, return_dict=True,
                                                   return_tensors="pt", **padding).to(model.device)
            with torch.no_grad():
                out = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=False)
            texts = processor.batch_decode(out[:, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
            extra = {c: part[c] for c in ("width", "height") if c in part.column_names}
            scores += reward(texts, **{column: part[column]}, **extra)
            for text, boxes in zip(texts, part[column]):
                pred = parse_prediction(text)
                parsed.append(pred is not None)
                point = None if pred is None else (pred if len(pred) == 2 else (pred[:2] + pred[2:]) / 2)
                hits.append(point is not None and click_in_box(point, boxes))
    finally:
        tokenizer.padding_side = side
    return {"rows": len(scores), "mean_reward": float(np.mean(scores)), "hit_rate": float(np.mean(hits)),
            "parsed": float(np.mean(parsed)), "example": texts[0] if scores else None}


def prepare(a: argparse.Namespace) -> dict:
    """Loads the splits, the model and processor; maps the rows; builds the reward (user input)."""
    from rewardgym.envs.gui.dataset import load_split
    from rewardgym.reward_wrappers.trl_grounding import grpo_rows, reward_for

    train = load_split(a.dataset, a.split)
    if a.limit:
        train = train.select(range(min(a.limit, len(train))))
    held = load_split(a.dataset, a.eval_split) if a.eval_rows else None
    model, processor = load_model(a.model, a.dtype, a.download)
    pixel_size = None
    if a.pixel_size == "auto":
        pixel_size = processor_frame(processor, train[0]["image"])
    elif a.pixel_size:
        pixel_size = tuple(int(v) for v in a.pixel_size.split("x"))
    if pixel_size and len(set(zip(train["viewport_width"], train["viewport_height"]))) > 1:
        raise ValueError(f"--pixel-size needs one screenshot size; {a.dataset!r} has several viewports")
    rows = grpo_rows(train, a.frame, pixel_size=pixel_size)
    eval_rows = None if held is None else grpo_rows(held.select(range(min(a.eval_rows, len(held)))), a.frame,
                                                    pixel_size=pixel_size)
    return {"model": model, "processor": processor, "rows": rows, "eval_rows": eval_rows, "pixel_size": pixel_size,
            "reward": reward_for(a.frame, alpha=a.alpha, w_size=a.w_size)}


def run(a: argparse.Namespace, ready: dict) -> dict:
    """Measures, trains, measures again; returns (and writes) the summary."""
    import torch
    from trl import GRPOConfig, GRPOTrainer

    t0 = time.perf_counter()
    model, processor, rows, eval_rows, reward = (ready[k] for k in ("model", "processor", "rows", "eval_rows", "reward"))
    if a.freeze_vision:
        for name, param in model.named_parameters():
            if "visual" in name or "vision" in name:
                param.requires_grad_(False)
    cuda = torch.cuda.is_available()
    summary = {"model": a.model, "dataset": a.dataset, "split": a.split, "rows": len(rows), "frame": a.frame,
               "pixel_size": ready["pixel_size"], "device": torch.cuda.get_device_name() if cuda else "cpu",
               "settings": {k: v for k, v in vars(a).items() if k not in ("model", "dataset", "out")}}
    if eval_rows is not None:
        summary["eval_before"] = evaluate(model, processor, eval_rows, reward, a.max_completion_length)
    trainable = {n: p.detach().to("cpu", copy=True) for n, p in model.named_parameters() if p.requires_grad}
    # transformers 5 renamed gradient_checkpointing to activation_checkpointing (the old name warns); TRL's
    # default (gradient_checkpointing=True) applies when neither is given, so the value is always given here
    fields = getattr(GRPOConfig, "__dataclass_fields__", {})
    checkpointing = "activation_checkpointing" if "activation_checkpointing" in fields else "gradient_checkpointing"
    config = GRPOConfig(
        output_dir=str(a.out), max_steps=a.max_steps, per_device_train_batch_size=a.batch_size,
        num_generations=a.num_generations, max_completion_length=a.max_completion_length,
        learning_rate=a.learning_rate, beta=a.beta, temperature=a.temperature, seed=a.seed,
        **{checkpointing: a.checkpointing},
        bf16=cuda and a.dtype != "float32" and torch.cuda.is_bf16_supported(),
        use_cpu=not cuda, logging_steps=1, report_to="none", save_strategy="no", dataloader_num_workers=0)
    trainer = GRPOTrainer(model=model, reward_funcs=[reward], args=config, train_dataset=rows,
                          processing_class=processor)
    t1 = time.perf_counter()
    trainer.train()
    summary["train_seconds"] = round(time.perf_counter() - t1, 2)
    summary["log"] = [h for h in trainer.state.log_history if "loss" in h]
    moved = {n: float((p.detach().to("cpu") - trainable[n]).abs().max()) for n, p in model.named_parameters()
             if n in trainable}
    summary["weights"] = {"trainable_tensors": len(moved), "changed_tensors": sum(v > 0 for v in moved.values()),
                          "max_abs_change": max(moved.values(), default=0.0)}
    if eval_rows is not None:
        summary["eval_after"] = evaluate(model, processor, eval_rows, reward, a.max_completion_length)
    if a.save:
        trainer.save_model(str(Path(a.out) / "model"))
        processor.save_pretrained(str(Path(a.out) / "model"))
    summary["seconds"] = round(time.perf_counter() - t0, 2)
    Path(a.out).mkdir(parents=True, exist_ok=True)
    (Path(a.out) / "summary.json").write_text(json.dumps(summary, indent=1, default=str))
    return summary


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    from rewardgym.errors import BadInput, user_input

    try:
        with user_input("grpo_grounding"):
            if not Path(a.dataset).exists():
                raise FileNotFoundError(f"--dataset {a.dataset!r} does not exist (make one with "
                                        "rewardgym-record-grounding)")
            try:
                import trl  # noqa: F401
            except ImportError as err:
                raise ImportError(f"{err}: install the extra: pip install 'rewardgym[trl]'") from None
            ready = prepare(a)
    except BadInput as err:
        print(f"grpo_grounding.py: {err}", file=sys.stderr)
        return 2
    summary = run(a, ready)
    steps = summary["log"]
    print(f"[grpo_grounding] {len(steps)} steps, reward {steps[0]['reward']:.4f} -> {steps[-1]['reward']:.4f}, "
          f"{summary['weights']['changed_tensors']}/{summary['weights']['trainable_tensors']} weight tensors moved; "
          f"{Path(a.out) / 'summary.json'}")
    for when in ("eval_before", "eval_after"):
        if when in summary:
            e = summary[when]
            print(f"  {when}: mean reward {e['mean_reward']:.4f}, hit rate {e['hit_rate']:.3f}, parsed {e['parsed']:.3f}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
