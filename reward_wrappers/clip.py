"""VLM-RM: a CLIP model as a zero-shot reward (Rocamonde et al. 2023).

:func:`vlmrm_reward` is the paper's goal-baseline regularised reward. Each prompt embedding
is L2-normalised; ``g`` and ``b`` are the plain means of the goal and baseline prompt
embeddings (not re-normalised); ``d = g - b``; ``P = alpha d d^T / |d|^2 + (1 - alpha) I``;
for the L2-normalised frame embedding ``x``, ``R(x) = 1 - |(x - g) P|^2 / 2``.
``alpha = 0`` gives ``R = 1/2 - |g|^2/2 + x.g``, an affine function of the cosine similarity
to ``g``; ``alpha = 1`` keeps only the component of ``x - g`` along ``d``.

:class:`CLIPReward` renders each env's frame (per-env half) and scores the frames of all envs
in ONE model call per vector step in the main process (:class:`CLIPScorer`).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .base import BatchedRewardWrapper


def _is_torch(x) -> bool:
    return type(x).__module__.startswith("torch")


def vlmrm_reward(image_emb, goal_emb, baseline_emb, alpha: float = 0.0):
    """Rewards (N,) of image embeddings (N,D) for goal (G,D) and baseline (B,D) prompt embeddings.

    Works on numpy arrays or torch tensors (the result has the input's type).
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    if _is_torch(image_emb):
        import torch

        xp_norm = lambda v: v / torch.linalg.vector_norm(v, dim=-1, keepdim=True)  # noqa: E731
        eye = torch.eye(image_emb.shape[-1], dtype=image_emb.dtype, device=image_emb.device)
        outer = torch.outer
    else:
        image_emb, goal_emb, baseline_emb = (np.asarray(a, dtype=np.float64) for a in (image_emb, goal_emb, baseline_emb))
        xp_norm = lambda v: v / np.linalg.norm(v, axis=-1, keepdims=True)  # noqa: E731
        eye = np.eye(image_emb.shape[-1])
        outer = np.outer
    if image_emb.ndim != 2 or goal_emb.ndim != 2 or baseline_emb.ndim != 2:
        raise ValueError("image_emb, goal_emb and baseline_emb must be 2-D (N,D), (G,D), (B,D)")
    g = xp_norm(goal_emb).mean(0)
    b = xp_norm(baseline_emb).mean(0)
    d = g - b
    dd = (d * d).sum()
    proj = outer(d, d) / dd if float(dd) > 0 else 0.0 * eye
    p = alpha * proj + (1.0 - alpha) * eye
    y = (xp_norm(image_emb) - g) @ p
    return 1.0 - 0.5 * (y * y).sum(-1)


class CLIPReward(BatchedRewardWrapper):
    """VLM-RM reward from a CLIP model, batched across a vector of envs.

    Args:
        env: an env with ``render_mode="rgb_array"`` (the training app sets it).
        goal_prompts, baseline_prompts: sentences; VLM-RM e.g. "a humanoid robot kneeling" /
            "a humanoid robot".
        alpha: goal-baseline regularisation strength in [0, 1].
        model: open_clip model name or a local open_clip config ``.json`` (or a transformers
            CLIP directory with ``backend="transformers"``). Default: rewardgym's bundled
            offline model ``rewardgym-clip-small`` (assets/clip).
        pretrained: local checkpoint path or open_clip tag of weights already on disk. Nothing
            is downloaded.
        backend: "open_clip" or "transformers".
        device, dtype: where the model runs; "auto" dtype is float16 on CUDA, float32 on CPU.
        reward_every: score every k-th step of each env and hold the last reward in between.
        episode_end_only: score only the last frame of each episode (0 elsewhere).
        batch_size: frames per forward pass.

    Example:
        >>> env = CLIPReward(gym.make("CartPole-v1", render_mode="rgb_array"),
        ...                  goal_prompts=["pole vertically upright on top of a cart"],
        ...                  baseline_prompts=["pole and cart"])  # doctest: +SKIP
    """

    needs_frames = True

    def __init__(self, env, goal_prompts: Sequence[str], baseline_prompts: Sequence[str] = (), alpha: float = 0.0,
                 model: str | None = None, pretrained: str | None = None, backend: str = "open_clip",
                 device: str = "auto", dtype: str = "auto", reward_every: int = 1, episode_end_only: bool = False,
                 batch_size: int = 64):
        check_clip_args(goal_prompts, baseline_prompts, alpha, backend, reward_every, batch_size)
        kwargs = dict(goal_prompts=list(goal_prompts), baseline_prompts=list(baseline_prompts), alpha=alpha,
                      model=model, pretrained=pretrained, backend=backend, device=device, dtype=dtype,
                      reward_every=reward_every, episode_end_only=episode_end_only, batch_size=batch_size)
        super().__init__(env, **kwargs)
        if env.render_mode != "rgb_array":
            raise ValueError(f"CLIPReward needs render_mode='rgb_array', the env has {env.render_mode!r}")
        self.reward_every, self.episode_end_only = int(reward_every), bool(episode_end_only)
        self._t = 0
        if backend == "open_clip":
            # Import torch/open_clip (and so triton) before this process renders anything: on
            # these machines importing triton after a MuJoCo EGL context exists segfaults.
            import open_clip  # noqa: F401

    def reset(self, **kwargs):
        self._t = 0
        return self.env.reset(**kwargs)

    def model_input(self, obs, info, done):
        """The frame to score, or None: hold the last reward (``reward_every``) or 0 (episode end only)."""
        self._t += 1
        if self.episode_end_only:
            return self.env.render() if done else None
        return self.env.render() if (self._t - 1) % self.reward_every == 0 or done else None

    @classmethod
    def make_scorer(cls, **kwargs: Any):
        return CLIPScorer(**kwargs)


def check_clip_args(goal_prompts, baseline_prompts, alpha, backend, reward_every, batch_size, **_):
    if isinstance(goal_prompts, str) or not goal_prompts or not all(isinstance(p, str) and p for p in goal_prompts):
        raise ValueError(f"goal_prompts must be a non-empty list of sentences, got {goal_prompts!r}")
    if isinstance(baseline_prompts, str) or not all(isinstance(p, str) and p for p in baseline_prompts):
        raise ValueError(f"baseline_prompts must be a list of sentences, got {baseline_prompts!r}")
    if alpha > 0 and not baseline_prompts:
        raise ValueError(f"alpha={alpha} > 0 needs baseline_prompts")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    if backend not in ("open_clip", "transformers"):
        raise ValueError(f"backend must be 'open_clip' or 'transformers', got {backend!r}")
    if int(reward_every) < 1 or int(batch_size) < 1:
        raise ValueError(f"reward_every and batch_size must be >= 1, got {reward_every}, {batch_size}")


class CLIPScorer:
    """Scores frames of all envs in batches; text embeddings are computed once.

    ``calls`` counts model forward passes (one per vector step when the batch fits).
    """

    def __init__(self, goal_prompts, baseline_prompts=(), alpha=0.0, model=None, pretrained=None,
                 backend="open_clip", device="auto", dtype="auto", batch_size=64, episode_end_only=False, **_: Any):
        from .clip_models import load_clip

        self.alpha, self.batch_size = float(alpha), int(batch_size)
        self.episode_end_only = bool(episode_end_only)
        self.encoder = load_clip(model, pretrained, backend, device, dtype)
        self.goal = self.encoder.encode_text(list(goal_prompts))
        self.baseline = self.encoder.encode_text(list(baseline_prompts) or list(goal_prompts))
        self.calls = 0
        self._held: dict[int, float] = {}

    def score_frames(self, frames: list[np.ndarray]) -> np.ndarray:
        """Rewards of a list of HxWx3 uint8 frames."""
        out = []
        for i in range(0, len(frames), self.batch_size):
            emb = self.encoder.encode_images(frames[i:i + self.batch_size])
            self.calls += 1
            out.append(vlmrm_reward(emb.float(), self.goal.float(), self.baseline.float(), self.alpha).cpu().numpy())
        return np.concatenate(out) if out else np.zeros(0)

    def __call__(self, inputs, infos):
        idx = [i for i, frame in enumerate(inputs) if frame is not None]
        scores = self.score_frames([inputs[i] for i in idx])
        held = (lambda i: 0.0) if self.episode_end_only else (lambda i: self._held.get(i, 0.0))
        rewards = np.array([held(i) for i in range(len(inputs))], dtype=np.float64)
        for i, s in zip(idx, scores):
            rewards[i] = s
            self._held[i] = float(s)
        return rewards, {"clip": rewards.copy()}
