"""Keypoint proposers for the KAGI reward: where to grasp and which waypoints lead to the goal.

A proposer looks at the first frames of an episode (one per view: every named camera) and
returns a :class:`Proposal`: pixels of the plan's named
keypoints per view (``{view: {name: (u, v)}}``), which the reward lifts to 3-D (triangulated
from two or more views, depth-lifted from one). Three are provided:

* :class:`GroundTruthProposer`: projects the env's named 3D keypoints into every view and also
  gives the exact 3D points (the oracle bound).
* :class:`FileProposer`: pixel keypoints from a JSON file, per task and view.
* :class:`VLMProposer`: MOKA-style visual prompting: labelled candidate points on a grid are
  drawn on every view, a vision-language model answers with labels per view, parsed back to pixels.
"""
from __future__ import annotations

import base64
import io
import json
import os
import re
import string
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np


@dataclass
class Proposal:
    """What a proposer returns: pixels of named keypoints per view (``{view: {name: uv}}``), the
    exact world points where it knows them (the ground-truth proposer), and its raw answer."""

    pixels: dict
    log: str = ""
    points3d: dict | None = None


def _plan_names(spec) -> list[str]:
    return ([spec.grasp] if spec.grasp else []) + list(spec.waypoints)


def _by_role(spec, grasp, waypoints) -> dict:
    """``{name: uv}`` from a positional answer (grasp point, then waypoints in order)."""
    names = _plan_names(spec)
    points = ([] if grasp is None else [grasp]) + list(np.asarray(waypoints, dtype=np.float64).reshape(-1, 2))
    if spec.grasp and grasp is None:
        names = names[1:]
    return dict(zip(names, points))


class GroundTruthProposer:
    """Projects the plan's 3D keypoints into every view; also returns them exactly (the oracle)."""

    needs_frames = False

    def __call__(self, frames, env, spec):
        names = _plan_names(spec)
        points = spec.points3d(env, names)
        pixels = {view: dict(zip(names, spec.project_points(env, points, view))) for view in spec.views()}
        return Proposal(pixels, f"ground_truth {names}", dict(zip(names, points)))


class FileProposer:
    """Pixel keypoints of the first frames from a JSON file, per task:

    ``{"<task>": {"<view>": {"<name>": [u, v], ...}, ...}}`` (named keypoints in one or more
    views), or the one-view form ``{"<task>": {"grasp": [u, v] or null, "waypoints": [[u, v], ...]}}``
    (pixels of the main view, in plan order).
    """

    needs_frames = False

    def __init__(self, path: str | Path, key: str):
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"keypoint file not found: {path}")
        table = json.loads(path.read_text())
        if key not in table:
            raise ValueError(f"keypoint file {path} has no entry {key!r}; it has {sorted(table)}")
        self.entry, self.path = table[key], path

    def __call__(self, frames, env, spec):
        if "waypoints" in self.entry:
            grasp = None if self.entry.get("grasp") is None else np.asarray(self.entry["grasp"], dtype=np.float64)
            return Proposal({spec.views()[0]: _by_role(spec, grasp, self.entry["waypoints"])}, "file")
        unknown = [v for v in self.entry if v not in spec.views()]
        if unknown:
            raise ValueError(f"keypoint file {self.path} names view(s) {unknown}; the env's views are {spec.views()}")
        pixels = {v: {n: np.asarray(uv, dtype=np.float64) for n, uv in px.items()} for v, px in self.entry.items()}
        return Proposal(pixels, "file")


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
    "You get {n} images of the same scene, one per camera, in this order: {views}. Each has "
    "labelled points ({labels}).\n"
    "Answer with JSON only, one entry per camera: {{\"<camera>\": {{\"grasp\": <label of the point "
    "the gripper should grasp, or null if nothing must be grasped>, \"waypoints\": [<labels, in "
    "order, that the grasped object (or the gripper) must pass through to finish the task>]}}, ...}}. "
    "Mark the same physical points in every camera."
)


def openai_chat(base_url: str, model: str, api_key: str | None = None, timeout: float = 60.0) -> Callable:
    """A query function ``(pngs, prompt) -> text`` for an OpenAI-compatible ``/chat/completions``
    endpoint: one user message with the prompt, then every image as a base64 PNG data URL."""

    def query(pngs: list[bytes], prompt: str) -> str:
        images = [{"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(png).decode()}}
                  for png in pngs]
        body = {"model": model, "temperature": 0.0,
                "messages": [{"role": "user", "content": [{"type": "text", "text": prompt}, *images]}]}
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

    def query(pngs: list[bytes], prompt: str) -> str:
        from PIL import Image

        images = [{"type": "image", "image": Image.open(io.BytesIO(png)).convert("RGB")} for png in pngs]
        messages = [{"role": "user", "content": [*images, {"type": "text", "text": prompt}]}]
        out = pipe(text=messages, max_new_tokens=max_new_tokens, return_full_text=False)
        return out[0]["generated_text"]

    return query


def parse_answer(text: str, candidates: dict[str, np.ndarray], views: list[str] | None = None):
    """Labels in a JSON answer -> ``{view: (grasp or None, waypoints (K,2))}``; ValueError if unusable.

    The answer has one entry per view (``{"front": {"grasp": ..., "waypoints": [...]}, ...}``);
    a single ``{"grasp": ..., "waypoints": [...]}`` is read as the first view's.
    """
    views = views or ["view"]
    match = re.search(r"\{.*\}", text, re.S)
    if not match:
        raise ValueError(f"no JSON object in the VLM answer: {text!r}")
    answer = json.loads(match.group(0))
    per_view = {views[0]: answer} if "waypoints" in answer else answer
    unknown_views = [v for v in per_view if v not in views]
    if unknown_views:
        raise ValueError(f"the VLM answered unknown view(s) {unknown_views}; the views are {views}")
    out = {}
    for view, entry in per_view.items():
        labels = [entry.get("grasp")] + list(entry.get("waypoints", []))
        unknown = [lab for lab in labels if lab and lab not in candidates]
        if unknown:
            raise ValueError(f"the VLM answered unknown labels {unknown}")
        if not entry.get("waypoints"):
            raise ValueError(f"the VLM answer has no waypoints for view {view!r}: {text!r}")
        grasp = candidates[entry["grasp"]] if entry.get("grasp") else None
        out[view] = (grasp, np.stack([candidates[lab] for lab in entry["waypoints"]]))
    return out


class VLMProposer:
    """MOKA-style proposer: labelled grid points drawn on every view, the VLM picks labels per view.

    Args:
        base_url, model: an OpenAI-compatible endpoint (e.g. a local vLLM server) and model name.
        api_key_env: environment variable holding the key (optional for local servers).
        grid: candidates per side.
        query: a function ``(png_bytes_per_view, prompt) -> text`` replacing the HTTP call (e.g. a
            local transformers model).
    """

    needs_frames = True

    def __init__(self, base_url: str | None = None, model: str = "", api_key_env: str = "OPENAI_API_KEY",
                 grid: int = 6, query: Callable | None = None, timeout: float = 60.0):
        if query is None and not base_url:
            raise ValueError("the vlm proposer needs base_url (an OpenAI-compatible endpoint) or a query function")
        if grid < 2 or grid > 26:
            raise ValueError(f"grid must be in [2, 26], got {grid}")
        self.grid = grid
        self.query = query or openai_chat(base_url, model, os.environ.get(api_key_env), timeout)

    def __call__(self, frames, env, spec):
        if not frames:
            raise ValueError("the vlm proposer needs the first frames: make the env with render_mode='rgb_array'")
        views = list(frames)
        h, w = frames[views[0]].shape[:2]
        candidates = grid_candidates(w, h, self.grid)
        prompt = PROMPT.format(instruction=spec.instruction, labels=", ".join(candidates), n=len(views),
                               views=", ".join(views))
        raw = self.query([draw_candidates(frames[v], candidates) for v in views], prompt)
        answer = parse_answer(raw, candidates, views)
        return Proposal({v: _by_role(spec, g, wp) for v, (g, wp) in answer.items()}, raw)
