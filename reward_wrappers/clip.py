"""VLM-RM: a CLIP model as a zero-shot reward (Rocamonde et al. 2023).

:func:`vlmrm_reward` is the paper's goal-baseline regularised reward. Each prompt embedding
is L2-normalised; ``g`` and ``b`` are the plain means of the goal and baseline prompt
embeddings (not re-normalised); ``d = g - b``; ``P = alpha d d^T / |d|^2 + (1 - alpha) I``;
for the L2-normalised frame embedding ``x``, ``R(x) = 1 - |(x - g) P|^2 / 2``.
``alpha = 0`` gives ``R = 1/2 - |g|^2/2 + x.g``, an affine function of the cosine similarity
to ``g``; ``alpha = 1`` keeps only the component of ``x - g`` along ``d``.

:class:`CLIPReward` is a :class:`~rewardgym.reward_wrappers.batched.BatchedReward`: each env
renders its frame (:class:`CLIPFrames`, the per-env half) and the frames of all envs are scored
in one model call per vector step where the learner is (:class:`CLIPScorer`).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .batched import BatchedReward, ModelInputWrapper


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


def contrast_reward(image_emb, goal_emb, contrast_emb, scale: float):
    """The goal's softmax probability (N,) among the goal (the mean of the ``goal_emb`` directions)
    and each of the ``contrast_emb`` prompts, from cosine similarities times ``scale`` (CLIP's
    zero-shot classifier). A frame that looks like another pose scores low even where its cosine
    with the goal is high. Torch tensors."""
    import torch

    norm = lambda v: v / torch.linalg.vector_norm(v, dim=-1, keepdim=True)  # noqa: E731
    g = norm(norm(goal_emb).mean(0, keepdim=True))
    classes = torch.cat([g, norm(contrast_emb)], dim=0)
    return torch.softmax(scale * norm(image_emb) @ classes.T, dim=-1)[:, 0]


class CLIPFrames(ModelInputWrapper):
    """Per-env half of :class:`CLIPReward`: the frame of the steps to score.

    Args:
        env: an env with ``render_mode="rgb_array"`` (the training app sets it), or a rewardgym
            MuJoCo env (its ``render_frame`` draws frames of any size).
        reward_every: score every k-th step of each episode (and its last) and hold the last
            score in between.
        episode_end_only: score only the last frame of each episode (0 elsewhere).
        frame_size: render the scored frames this many pixels square, apart from the
            observation, where the env can (``env.unwrapped.render_frame``; rewardgym's MuJoCo
            envs): rendering then costs what the model needs. None: ``env.render()``, resized by
            the scorer. (``CLIPReward`` turns ``"auto"`` into the model's input size.)
        frame_antialias: MuJoCo multisampling for those frames (off: about 4x cheaper to render on
            the CPU renderer, jagged edges the model may not have seen in training; the Hydra
            config turns it off).
        frame_slices: tessellation of round geoms in those frames (``FastRenderer``'s
            ``slices``; None: the model's own, 28). The Hydra config's 16 halves a 96-px humanoid
            frame's cost; the bundled model's rewards agree with 28's at Pearson >= 0.996.
    """

    def __init__(self, env, reward_every: int = 1, episode_end_only: bool = False, frame_size: int | str | None = None,
                 frame_antialias: bool = True, frame_slices: int | None = None):
        if isinstance(reward_every, bool) or int(reward_every) != reward_every or reward_every < 1:
            raise ValueError(f"reward_every must be an integer >= 1, got {reward_every!r}")
        if frame_size is not None and (isinstance(frame_size, bool) or not isinstance(frame_size, int) or frame_size < 8):
            raise ValueError(f"frame_size must be an integer >= 8 pixels or None, got {frame_size!r}")
        if frame_slices is not None and (isinstance(frame_slices, bool) or not isinstance(frame_slices, int)
                                         or frame_slices < 3):
            raise ValueError(f"frame_slices must be an integer >= 3 or None, got {frame_slices!r}")
        self._sized = frame_size is not None and hasattr(env.unwrapped, "render_frame")
        if not self._sized and env.render_mode != "rgb_array":
            raise ValueError(f"CLIPReward needs render_mode='rgb_array', the env has {env.render_mode!r}")
        super().__init__(env, reward_every=reward_every, episode_end_only=episode_end_only, frame_size=frame_size,
                         frame_antialias=frame_antialias, frame_slices=frame_slices)
        self.reward_every, self.episode_end_only = int(reward_every), bool(episode_end_only)
        self.frame_size, self.frame_antialias, self.frame_slices = frame_size, bool(frame_antialias), frame_slices
        self.fill = "zero" if self.episode_end_only else "hold"
        self._t = 0

    def reset(self, **kwargs):
        self._t = 0
        return self.env.reset(**kwargs)

    def frame(self) -> np.ndarray:
        if self._sized:
            return self.env.unwrapped.render_frame(self.frame_size, self.frame_size, self.frame_antialias,
                                                   self.frame_slices)
        return self.env.render()

    def model_input(self, obs, info, done):
        self._t += 1
        if self.episode_end_only:
            return self.frame() if done else None
        return self.frame() if (self._t - 1) % self.reward_every == 0 or done else None


class CLIPScorer:
    """Scores frames in batches with a CLIP model; the prompt embeddings are computed once.

    Args:
        goal_prompts, baseline_prompts: sentences; VLM-RM e.g. "a humanoid robot kneeling" /
            "a humanoid robot". No baseline: the goal prompts (then only alpha = 0 is meaningful).
        alpha: goal-baseline regularisation strength in [0, 1].
        model: open_clip model name or a local open_clip config ``.json`` (or a transformers
            CLIP directory with ``backend="transformers"``). Default: rewardgym's bundled
            offline model ``rewardgym-clip-small-64`` (assets/clip; 64-px input).
        pretrained: local checkpoint path or open_clip tag of weights already on disk. Nothing
            is downloaded.
        backend: "open_clip" or "transformers".
        device, dtype: where the model runs; "auto" dtype is float16 on CUDA; on a CPU,
            bfloat16 matrix products (autocast, float32 weights) where the CPU has native bfloat16
            (AVX512-BF16/AMX; about 3x faster), else float32.
        batch_size: frames per forward pass.
        contrast: score the goal's softmax probability among the goal and ``contrast_prompts``
            (:func:`contrast_reward`, CLIP's zero-shot classifier) instead of VLM-RM's cosine;
            ``alpha`` must then be 0. rewardgym's humanoid poses keep the other poses' sentences
            as ``contrast_prompts``.
        contrast_scale: the softmax's scale; None: the model's learned ``logit_scale`` (100 if it
            has none).

    ``calls`` counts model forward passes.
    """

    def __init__(self, goal_prompts: Sequence[str], baseline_prompts: Sequence[str] | None = None,
                 alpha: float = 0.0, model: str | None = None, pretrained: str | None = None,
                 backend: str = "open_clip", device: str = "auto", dtype: str = "auto", batch_size: int = 64,
                 contrast: bool = False, contrast_prompts: Sequence[str] | None = None,
                 contrast_scale: float | None = None):
        baseline_prompts = list(baseline_prompts or [])
        check_clip_args(goal_prompts, baseline_prompts, alpha, backend, batch_size)
        check_contrast_args(contrast, contrast_prompts, contrast_scale, alpha)
        from .clip_models import load_clip

        self.alpha, self.batch_size = float(alpha), int(batch_size)
        self.encoder = load_clip(model, pretrained, backend, device, dtype)
        self.goal = self.encoder.encode_text(list(goal_prompts))
        self.baseline = self.encoder.encode_text(baseline_prompts or list(goal_prompts))
        self.contrast = self.encoder.encode_text(list(contrast_prompts)) if contrast else None
        if contrast and contrast_scale is None:
            contrast_scale = self.encoder.logit_scale or 100.0
        self.contrast_scale = None if contrast_scale is None else float(contrast_scale)
        self.calls = 0

    def score_frames(self, frames: list[np.ndarray]) -> np.ndarray:
        """Rewards of a list of HxWx3 uint8 frames."""
        out = []
        for i in range(0, len(frames), self.batch_size):
            emb = self.encoder.encode_images(frames[i:i + self.batch_size])
            self.calls += 1
            if self.contrast is not None:
                r = contrast_reward(emb.float(), self.goal.float(), self.contrast.float(), self.contrast_scale)
            else:
                r = vlmrm_reward(emb.float(), self.goal.float(), self.baseline.float(), self.alpha)
            out.append(r.cpu().numpy())
        return np.concatenate(out) if out else np.zeros(0)

    def __call__(self, frames: list[np.ndarray]):
        scores = self.score_frames(frames)
        return scores, {"clip": scores}


def check_clip_args(goal_prompts, baseline_prompts, alpha, backend, batch_size):
    if isinstance(goal_prompts, str) or not goal_prompts or not all(isinstance(p, str) and p for p in goal_prompts):
        raise ValueError(f"goal_prompts must be a non-empty list of sentences, got {goal_prompts!r}")
    if isinstance(baseline_prompts, str) or not all(isinstance(p, str) and p for p in baseline_prompts):
        raise ValueError(f"baseline_prompts must be a list of sentences, got {baseline_prompts!r}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    if alpha > 0 and not baseline_prompts:
        raise ValueError(f"alpha={alpha} > 0 needs baseline_prompts")
    if backend not in ("open_clip", "transformers"):
        raise ValueError(f"backend must be 'open_clip' or 'transformers', got {backend!r}")
    if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")


def check_contrast_args(contrast, contrast_prompts, contrast_scale, alpha):
    if not isinstance(contrast, bool):
        raise ValueError(f"contrast must be true or false, got {contrast!r}")
    if not contrast:
        return
    if (isinstance(contrast_prompts, str) or not contrast_prompts
            or not all(isinstance(p, str) and p for p in contrast_prompts)):
        raise ValueError(f"contrast=true needs contrast_prompts, a non-empty list of sentences (the env has none "
                         f"to offer), got {contrast_prompts!r}")
    if alpha != 0:
        raise ValueError(f"contrast=true scores the goal's softmax probability, not VLM-RM's projection: alpha must "
                         f"be 0, got {alpha}")
    if contrast_scale is not None and not (isinstance(contrast_scale, (int, float)) and 0 < contrast_scale < 1e4):
        raise ValueError(f"contrast_scale must be a number in (0, 1e4) or null (the model's own), got {contrast_scale!r}")


class CLIPReward(BatchedReward):
    """VLM-RM reward from a CLIP model, batched across a vector of envs.

    Takes the arguments of :class:`CLIPFrames` (``reward_every``, ``episode_end_only``,
    ``frame_size``, ``frame_antialias``, ``frame_slices``) and of :class:`CLIPScorer` (prompts, ``alpha``, the
    model). ``frame_size="auto"`` renders the scored frames at the model's input size. Prompts left unset are read from the
    env (``goal_prompts`` / ``baseline_prompts``: rewardgym's tasks keep them on the env, Gymnasium's
    CartPole and MountainCar in :mod:`rewardgym.envs.classic`).

    Example:
        >>> reward = CLIPReward(goal_prompts=["pole vertically upright on top of a cart"],
        ...                     baseline_prompts=["pole and cart"], alpha=0.5)
        >>> env = reward(gym.make("CartPole-v1", render_mode="rgb_array"))
        >>> sorted(reward.scorer_kwargs), reward.wrapper_kwargs
        (['alpha', 'baseline_prompts', 'goal_prompts'], {})
        >>> # reward.batcher() loads the model; wrap_vec_env / wrap_vector_env do it for a vector
    """

    wrapper = CLIPFrames
    scorer = CLIPScorer
    env_defaults = {"goal_prompts": "goal_prompts", "baseline_prompts": "baseline_prompts",
                    "contrast_prompts": "contrast_prompts"}
    needs_frames = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.wrapper_kwargs.get("frame_size") == "auto":
            from .clip_models import input_size

            self.wrapper_kwargs["frame_size"] = input_size(self.scorer_kwargs.get("model"),
                                                           self.scorer_kwargs.get("backend", "open_clip"))
        if self.scorer_kwargs.get("backend", "open_clip") == "open_clip":
            # Import torch/open_clip (and so triton) before this process renders anything: on
            # these machines importing triton after a MuJoCo EGL context exists segfaults.
            import open_clip  # noqa: F401
