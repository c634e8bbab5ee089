"""Keypoint proposers for the KAGI reward: where to grasp and which waypoints lead to the goal.

A proposer looks at the first frame of an episode and returns pixel keypoints
``(grasp (2,) or None, waypoints (K,2))`` plus a log string. Three are provided:

* :class:`GroundTruthProposer`: projects the env's named 3D keypoints (the oracle bound).
* :class:`FileProposer`: pixel keypoints from a JSON file, per task.
* :class:`VLMProposer`: MOKA-style visual prompting: labelled candidate points on a grid are
  drawn on the frame, a vision-language model answers with labels, parsed back to pixels.
"""
from __future__ import annotations

import base64
import io
import json
import os
import re
import string
import urllib.request
from pathlib import Path
from typing import Callable

import numpy as np


class GroundTruthProposer:
    """Projects ``grasp`` and ``waypoints`` 3D keypoints with the env's camera."""

    def __call__(self, frame, env, spec):
        names = ([spec.grasp] if spec.grasp else []) + list(spec.waypoints)
        px = spec.project(env, names)
        grasp = px[0] if spec.grasp else None
        return grasp, px[1:] if spec.grasp else px, f"ground_truth {names}"


class FileProposer:
    """``{"<task>": {"grasp": [u, v] or null, "waypoints": [[u, v], ...]}}``, pixels of the frame."""

    def __init__(self, path: str | Path, key: str):
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"keypoint file not found: {path}")
        table = json.loads(path.read_text())
        if key not in table:
            raise KeyError(f"keypoint file {path} has no entry {key!r}; it has {sorted(table)}")
        entry = table[key]
        self.grasp = None if entry.get("grasp") is None else np.asarray(entry["grasp"], dtype=np.float64)
        self.waypoints = np.asarray(entry["waypoints"], dtype=np.float64).reshape(-1, 2)

    def __call__(self, frame, env, spec):
        return self.grasp, self.waypoints, "file"


def grid_candidates(width: int, height: int, n: int = 6) -> dict[str, np.ndarray]:
    """Labelled candidate points at the centres of an ``n`` x ``n`` grid: A1 (top left) ..."""
    out = {}
    for r in range(n):
        for c in range(n):
            out[f"{string.ascii_uppercase[r]}{c + 1}"] = np.array([(c + 0.5) * width / n, (r + 0.5) * height / n])
    return out


def draw_candidates(frame: np.ndarray, candidates: dict[str, np.ndarray]) -> bytes:
    """PNG bytes of the frame with the grid lines and labelled dots drawn on it."""
    from PIL import Image, ImageDraw

    img = Image.fromarray(np.asarray(frame, dtype=np.uint8)).convert("RGB")
    draw = ImageDraw.Draw(img)
    for label, (u, v) in candidates.items():
        draw.ellipse([u - 3, v - 3, u + 3, v + 3], fill=(255, 255, 0), outline=(0, 0, 0))
        draw.text((u + 4, v - 5), label, fill=(255, 255, 255), stroke_width=1, stroke_fill=(0, 0, 0))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


PROMPT = (
    "You control a robot gripper. Task: {instruction}.\n"
    "The image has labelled points ({labels}).\n"
    "Answer with JSON only: {{\"grasp\": <label of the point the gripper should grasp, or null if "
    "nothing must be grasped>, \"waypoints\": [<labels, in order, that the grasped object (or the "
    "gripper) must pass through to finish the task>]}}"
)


def openai_chat(base_url: str, model: str, api_key: str | None = None, timeout: float = 60.0) -> Callable:
    """A query function for an OpenAI-compatible ``/chat/completions`` endpoint."""

    def query(png: bytes, prompt: str) -> str:
        body = {"model": model, "temperature": 0.0, "messages": [{"role": "user", "content": [
            {"type": "text", "text": prompt},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(png).decode()}},
        ]}]}
        req = urllib.request.Request(base_url.rstrip("/") + "/chat/completions", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {api_key}"} if api_key else {})})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read())["choices"][0]["message"]["content"]

    return query


def local_transformers(path: str, max_new_tokens: int = 128) -> Callable:
    """A query function running a local transformers vision-language chat model (a directory
    saved with ``save_pretrained``; nothing is downloaded), e.g. ``VLMProposer(query=local_transformers(p))``."""
    if not Path(path).is_dir():
        raise FileNotFoundError(f"no local vision-language model directory at {path!r} (nothing is downloaded)")
    try:
        from transformers import pipeline
    except ImportError as err:
        raise ImportError("the local vlm proposer needs `pip install rewardgym[hf]` (transformers)") from err
    pipe = pipeline("image-text-to-text", model=path, local_files_only=True)

    def query(png: bytes, prompt: str) -> str:
        from PIL import Image

        image = Image.open(io.BytesIO(png)).convert("RGB")
        messages = [{"role": "user", "content": [{"type": "image", "image": image}, {"type": "text", "text": prompt}]}]
        out = pipe(text=messages, max_new_tokens=max_new_tokens, return_full_text=False)
        return out[0]["generated_text"]

    return query


def parse_answer(text: str, candidates: dict[str, np.ndarray]):
    """Labels in a JSON answer -> ``(grasp or None, waypoints (K,2))``; ValueError if unusable."""
    match = re.search(r"\{.*\}", text, re.S)
    if not match:
        raise ValueError(f"no JSON object in the VLM answer: {text!r}")
    answer = json.loads(match.group(0))
    unknown = [lab for lab in [answer.get("grasp")] + list(answer.get("waypoints", [])) if lab and lab not in candidates]
    if unknown:
        raise ValueError(f"the VLM answered unknown labels {unknown}")
    if not answer.get("waypoints"):
        raise ValueError(f"the VLM answer has no waypoints: {text!r}")
    grasp = candidates[answer["grasp"]] if answer.get("grasp") else None
    return grasp, np.stack([candidates[lab] for lab in answer["waypoints"]])


class VLMProposer:
    """MOKA-style proposer: labelled grid points drawn on the frame, the VLM picks labels.

    Args:
        base_url, model: an OpenAI-compatible endpoint (e.g. a local vLLM server) and model name.
        api_key_env: environment variable holding the key (optional for local servers).
        grid: candidates per side.
        query: a function ``(png_bytes, prompt) -> text`` replacing the HTTP call (e.g. a local
            transformers model).
    """

    def __init__(self, base_url: str | None = None, model: str = "", api_key_env: str = "OPENAI_API_KEY",
                 grid: int = 6, query: Callable | None = None, timeout: float = 60.0):
        if query is None and not base_url:
            raise ValueError("the vlm proposer needs base_url (an OpenAI-compatible endpoint) or a query function")
        if grid < 2 or grid > 26:
            raise ValueError(f"grid must be in [2, 26], got {grid}")
        self.grid = grid
        self.query = query or openai_chat(base_url, model, os.environ.get(api_key_env), timeout)

    def __call__(self, frame, env, spec):
        if frame is None:
            raise ValueError("the vlm proposer needs the first frame: make the env with render_mode='rgb_array'")
        h, w = frame.shape[:2]
        candidates = grid_candidates(w, h, self.grid)
        prompt = PROMPT.format(instruction=spec.instruction, labels=", ".join(candidates))
        raw = self.query(draw_candidates(frame, candidates), prompt)
        grasp, waypoints = parse_answer(raw, candidates)
        return grasp, waypoints, raw
