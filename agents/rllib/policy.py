"""A trained RLlib RLModule as a ``predict(obs, deterministic)`` policy, the interface
:func:`rewardgym.agents.evaluate.run_episodes` calls (as an SB3 model's ``predict``).

Actions go through the same steps as RLlib's own module-to-env pipeline: the distribution's
mode (deterministic) or a sample, then Box actions unsquashed from [-1, 1] to the space's bounds
(``normalize_actions``) or clipped to them (``clip_actions``).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

FLAGS = "rewardgym_actions.json"


class RLModulePolicy:
    def __init__(self, module: Any, action_space: Any, normalize_actions: bool = True, clip_actions: bool = False):
        self.module, self.action_space = module, action_space
        self.normalize_actions, self.clip_actions = bool(normalize_actions), bool(clip_actions)

    @classmethod
    def load(cls, folder: Path) -> "RLModulePolicy":
        """The policy :meth:`save` wrote (no Ray cluster needed)."""
        from ray.rllib.core.rl_module.rl_module import RLModule

        flags = json.loads((Path(folder) / FLAGS).read_text())
        module = RLModule.from_checkpoint(str(Path(folder).resolve()))
        return cls(module, module.action_space, flags["normalize_actions"], flags["clip_actions"])

    def save(self, folder: Path) -> Path:
        """The RLModule (``RLModule.save_to_path``) and the action flags, loadable by :meth:`load`."""
        self.module.save_to_path(str(Path(folder).resolve()))
        (Path(folder) / FLAGS).write_text(json.dumps({"normalize_actions": self.normalize_actions,
                                                      "clip_actions": self.clip_actions}))
        return Path(folder)

    @classmethod
    def of(cls, algo: Any) -> "RLModulePolicy":
        """The policy of a built or restored ``ray.rllib`` Algorithm."""
        module = algo.get_module()
        return cls(module, module.action_space, algo.config.normalize_actions, algo.config.clip_actions)

    def predict(self, obs: np.ndarray, deterministic: bool = True) -> tuple[np.ndarray, None]:
        import torch
        from gymnasium import spaces
        from ray.rllib.core.columns import Columns
        from ray.rllib.utils.spaces.space_utils import clip_action, unsquash_action

        with torch.no_grad():
            out = self.module.forward_inference({Columns.OBS: torch.as_tensor(np.asarray(obs), dtype=torch.float32)})
        dist = self.module.get_inference_action_dist_cls().from_logits(out[Columns.ACTION_DIST_INPUTS])
        if deterministic:
            dist = dist.to_deterministic()
        actions = dist.sample().cpu().numpy()
        if isinstance(self.action_space, spaces.Box):
            if self.normalize_actions:
                actions = np.stack([unsquash_action(a, self.action_space) for a in actions])
            elif self.clip_actions:
                actions = np.stack([clip_action(a, self.action_space) for a in actions])
        return actions, None
