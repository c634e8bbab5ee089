"""Policies for GUI grounding: a screenshot and an instruction in, a point (or box) out.

:class:`InstructionFiLMExtractor` fuses the two: a small convolutional net over the screenshot
whose feature maps are modulated by the instruction (FiLM: ``h <- (1 + gamma(t)) * h + beta(t)``,
Perez et al. 2018), with coordinate channels (CoordConv) so it knows where it looks. A 1x1
convolution scores every cell of the last map; the softmax over cells is a heatmap of where to
click, and its expectation (a spatial soft-argmax) is the click point ``(x, y)`` in screenshot
fractions. The features it hands to stable-baselines3 are
``[x, y, w, h, attended cell features, instruction features, cell logits]``: ``w, h`` a box size
read from the attended features (for box actions), the cell logits the heatmap itself.

:class:`GroundingPolicy` is stable-baselines3's ``MultiInputActorCriticPolicy`` whose action
layer starts as a read-out of those features (a linear layer, trained from there):

* continuous actions: the Gaussian's mean is ``(x, y)`` for point actions,
  ``(x - w/2, y - h/2, x + w/2, y + h/2)`` for box actions;
* grid actions (:class:`rewardgym.envs.gui.grid.GridClick`): the categorical over cells *is* the
  heatmap (a spatial action map: each rewarded click raises its own cell's logit, which the
  soft-argmax's averaged gradient does not), and box sizes start uniform.

Select them from a config (``conf/experiment/gui_grounding.yaml``)::

    agent:
      policy: rewardgym.agents.policies.GroundingPolicy
      ppo:
        policy_kwargs:
          features_extractor_class: {_target_: hydra.utils.get_class,
                                     path: rewardgym.agents.policies.InstructionFiLMExtractor}

The observation is ``Dict(screenshot=(H, W, 3) uint8, instruction=(T,) int ids)``: the env's
instruction text through :class:`rewardgym.envs.gui.instruction.InstructionTokens`.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.policies import MultiInputActorCriticPolicy
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn

HEAD = 4  # the first features: x, y, w, h


class InstructionFiLMExtractor(BaseFeaturesExtractor):
    """Screenshot CNN conditioned on the instruction (FiLM) with a spatial soft-argmax; see the module doc.

    Args:
        observation_space: ``Dict`` with an image (``image_key``) and token ids (``text_key``).
        channels: channels of the three conv layers.
        patch: the first layer's kernel and stride (a cell of the heatmap per ``patch x patch``
            input pixels); the two others are 3x3 (the last dilated by 2) with stride 1.
        embed_dim: instruction embedding size.
        dtype: ``"bfloat16"`` runs the convolutions under bfloat16 autocast (weights and outputs stay
            float32); ``"auto"`` does so on CPUs that multiply bfloat16 in hardware (about 2x faster
            there, measured; ``REWARDGYM_CPU_BF16=0`` turns it off) and on CUDA; ``"float32"`` never.
        with_logits: end the features with the heatmap's cell logits (grid actions read them); a
            Gaussian (continuous) policy leaves them out: unbounded inputs to its mean's layer.
        image_key, text_key: the observation's keys.
    """

    def __init__(self, observation_space: spaces.Dict, channels: Sequence[int] = (16, 32, 32), embed_dim: int = 64,
                 patch: int = 4, dtype: str = "auto", with_logits: bool = True, image_key: str = "screenshot",
                 text_key: str = "instruction"):
        for key in (image_key, text_key):
            if key not in observation_space.spaces:
                raise ValueError(f"InstructionFiLMExtractor needs observation key {key!r} (the env's obs through "
                                 f"InstructionTokens); got keys {list(observation_space.spaces)}")
        if dtype not in ("auto", "bfloat16", "float32"):
            raise ValueError(f"dtype must be 'auto', 'bfloat16' or 'float32', got {dtype!r}")
        if len(channels) != 3 or min(channels) < 1:
            raise ValueError(f"channels must be 3 positive integers, got {list(channels)}")
        image, text = observation_space[image_key], observation_space[text_key]
        c1, c2, c3 = (int(c) for c in channels)
        super().__init__(observation_space, features_dim=HEAD + c3 + embed_dim)  # + the cells, set below
        self.image_key, self.text_key, self.dtype = image_key, text_key, dtype
        in_ch, height, width = image.shape  # stable-baselines3 hands images channel-first
        vocab, max_tokens = int(text.high.max()) + 1, int(text.shape[0])
        self.embed = nn.Embedding(vocab, embed_dim, padding_idx=0)
        self.position = nn.Parameter(torch.zeros(max_tokens, embed_dim))
        self.text_mlp = nn.Sequential(nn.Linear(2 * embed_dim, embed_dim), nn.ReLU())
        if isinstance(patch, bool) or int(patch) != patch or patch < 1:
            raise ValueError(f"patch must be an integer >= 1, got {patch!r}")
        self.conv1 = nn.Conv2d(in_ch + 2, c1, int(patch), stride=int(patch))
        self.conv2 = nn.Conv2d(c1, c2, 3, padding=1)
        self.conv3 = nn.Conv2d(c2, c3, 3, padding=2, dilation=2)
        self.film2, self.film3 = nn.Linear(embed_dim, 2 * c2), nn.Linear(embed_dim, 2 * c3)
        self.heat = nn.Conv2d(c3, 1, 1)
        self.size = nn.Linear(c3, 2)
        # input coordinates (CoordConv) and the output cells' centres, in screenshot fractions
        ys, xs = torch.meshgrid((torch.arange(height) + 0.5) / height, (torch.arange(width) + 0.5) / width,
                                indexing="ij")
        self.register_buffer("coords", torch.stack([xs, ys])[None], persistent=False)
        cx, cy = self._centres(width), self._centres(height)
        self.register_buffer("cell_x", cx.repeat(len(cy)), persistent=False)
        self.register_buffer("cell_y", cy.repeat_interleave(len(cx)), persistent=False)
        self.cells, self.with_logits = len(cx) * len(cy), bool(with_logits)
        self.logits_offset = HEAD + c3 + embed_dim if self.with_logits else None
        self._features_dim = HEAD + c3 + embed_dim + (self.cells if self.with_logits else 0)
        self.reset_conditioning()

    def _centres(self, size: int) -> torch.Tensor:
        """Centres of the heatmap's cells along an axis of ``size`` input pixels, as fractions."""
        pos = torch.arange(size, dtype=torch.float64)  # input pixel centres, in pixels
        for conv in (self.conv1, self.conv2, self.conv3):
            k, s, p, d = conv.kernel_size[0], conv.stride[0], conv.padding[0], conv.dilation[0]
            n = (len(pos) + 2 * p - d * (k - 1) - 1) // s + 1
            first = pos[0] - p * (pos[1] - pos[0]) if len(pos) > 1 else pos[0]
            step = pos[1] - pos[0] if len(pos) > 1 else 1.0
            pos = first + step * (torch.arange(n, dtype=torch.float64) * s + d * (k - 1) / 2)
        return ((pos + 0.5) / size).clamp(0.0, 1.0).float()

    def reset_conditioning(self) -> None:
        """FiLM starts as the identity, the heatmap flat, the box size a fifth of the screen."""
        for film in (self.film2, self.film3):
            nn.init.zeros_(film.weight)
            nn.init.zeros_(film.bias)
        nn.init.zeros_(self.heat.weight)
        nn.init.zeros_(self.heat.bias)
        nn.init.zeros_(self.size.weight)
        nn.init.constant_(self.size.bias, float(np.log(0.2 / 0.8)))

    def instruction_features(self, ids: torch.Tensor) -> torch.Tensor:
        ids = ids.long()
        mask = (ids > 0).float().unsqueeze(-1)
        e = self.embed(ids) + self.position[: ids.shape[1]]
        mean = (e * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        peak = (e * mask - 1e4 * (1 - mask)).max(1).values * (mask.sum(1) > 0).float()
        return self.text_mlp(torch.cat([mean, peak], dim=-1))

    @staticmethod
    def _film(h: torch.Tensor, film: nn.Linear, t: torch.Tensor) -> torch.Tensor:
        gamma, beta = film(t).chunk(2, dim=-1)
        return torch.relu((1 + gamma)[..., None, None] * h + beta[..., None, None])

    def heatmap(self, observations: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(logits over cells (B, N), cell features (B, C, N), instruction features (B, E))``."""
        image, t = observations[self.image_key], self.instruction_features(observations[self.text_key])
        x = torch.cat([image, self.coords.expand(image.shape[0], -1, -1, -1)], dim=1)
        h = torch.relu(self.conv1(x))
        h = self._film(self.conv2(h), self.film2, t)
        h = self._film(self.conv3(h), self.film3, t)
        return self.heat(h).flatten(1), h.flatten(2), t

    def _bfloat16(self, device: torch.device) -> bool:
        if self.dtype != "auto":
            return self.dtype == "bfloat16"
        if device.type == "cuda":
            return True
        from rewardgym.reward_wrappers.clip_models import cpu_has_native_bfloat16

        return device.type == "cpu" and cpu_has_native_bfloat16()

    def features_and_logits(self, observations: dict) -> tuple[torch.Tensor, torch.Tensor]:
        """The features (``forward``) and the heatmap's logits over cells (for supervised training)."""
        device = observations[self.image_key].device
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=self._bfloat16(device)):
            logits, cells, t = self.heatmap(observations)
        logits, cells, t = logits.float(), cells.float(), t.float()
        p = torch.softmax(logits, dim=-1)
        x, y = (p * self.cell_x).sum(-1, keepdim=True), (p * self.cell_y).sum(-1, keepdim=True)
        attended = torch.einsum("bn,bcn->bc", p, cells)
        wh = torch.sigmoid(self.size(attended))
        parts = [x, y, wh, attended, t] + ([logits] if self.with_logits else [])
        return torch.cat(parts, dim=-1), logits

    def forward(self, observations: dict) -> torch.Tensor:
        return self.features_and_logits(observations)[0]


class GroundingPolicy(MultiInputActorCriticPolicy):
    """PPO's actor-critic whose action mean starts as the extractor's click read-out (module doc).

    Use with :class:`InstructionFiLMExtractor` (or any extractor whose first four features are
    ``x, y, w, h``) and ``net_arch=dict(pi=[], vf=[...])``, so the action layer sees them directly.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("net_arch", dict(pi=[], vf=[64]))
        kwargs.setdefault("features_extractor_class", InstructionFiLMExtractor)
        kwargs.setdefault("ortho_init", False)
        super().__init__(*args, **kwargs)

    def _build(self, lr_schedule) -> None:
        super()._build(lr_schedule)
        if self.mlp_extractor.latent_dim_pi != self.features_dim:
            raise ValueError("GroundingPolicy needs net_arch pi=[] (the action layer reads the click features), got "
                             f"{self.net_arch}")
        space, extractor = self.action_space, self.features_extractor
        readout = torch.zeros(self.action_net.out_features, self.features_dim)
        if isinstance(space, (spaces.Discrete, spaces.MultiDiscrete)):
            cells = int(space.n) if isinstance(space, spaces.Discrete) else int(space.nvec[0])
            if cells != getattr(extractor, "cells", None) or getattr(extractor, "logits_offset", None) is None:
                raise ValueError(f"grid actions over {cells} cells, but the extractor's heatmap has "
                                 f"{getattr(extractor, 'cells', None)} (GridClick's cell = PoolImage's k x the "
                                 "extractor's patch) or its features lack the cell logits (with_logits=false)")
            readout[torch.arange(cells), extractor.logits_offset + torch.arange(cells)] = 1.0
        elif isinstance(space, spaces.Box) and space.shape == (2,):
            readout[0, 0] = readout[1, 1] = 1.0
        elif isinstance(space, spaces.Box) and space.shape == (4,):  # x1, y1, x2, y2 = x -/+ w/2, y -/+ h/2
            for row, (axis, sign) in enumerate(((0, -1), (1, -1), (0, 1), (1, 1))):
                readout[row, axis], readout[row, 2 + axis] = 1.0, 0.5 * sign
        else:
            raise ValueError(f"GroundingPolicy needs point (Box(2,)), box (Box(4,)) or GridClick actions, got {space}")
        with torch.no_grad():
            self.action_net.weight.copy_(readout)
            self.action_net.bias.zero_()
