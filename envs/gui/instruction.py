"""A model-free instruction encoding that stable-baselines3 accepts: hashed word tokens.

stable-baselines3 takes no ``Text`` observation, so :class:`InstructionTokens` replaces an
observation's ``instruction`` text by ``max_tokens`` integer ids (a ``Box`` of int64). A token
is a run of word characters or one punctuation sign, case-folded (``"Click the "OK" button."``
gives ``click the " ok " button .``); its id is ``2 + crc32(utf-8) mod (vocab_size - 2)`` (0 is
padding, 1 unused), stable across processes and machines and with no vocabulary to ship. Any
Unicode text encodes; distinct words can share an id (a hash collision, about one pair in
``vocab_size`` for a page's few words).

Example:
    >>> tok = InstructionTokenizer(max_tokens=8, vocab_size=1024)
    >>> tok.tokens('Click the "OK" button.')
    ['click', 'the', '"', 'ok', '"', 'button', '.']
    >>> ids = tok.encode('Click the "OK" button.')
    >>> ids.shape, int((ids > 0).sum()), int(ids[-1])
    ((8,), 7, 0)
"""
from __future__ import annotations

import re
import zlib

import gymnasium as gym
import numpy as np

_TOKEN = re.compile(r"\w+|[^\w\s]")


class InstructionTokenizer:
    """Hashed word tokens of an instruction; see the module docstring.

    Args:
        max_tokens: ids per instruction (padded with 0); a longer instruction is an error.
        vocab_size: ids are in ``[0, vocab_size)``; at least 3.
    """

    def __init__(self, max_tokens: int = 32, vocab_size: int = 4096):
        for name, value, low in (("max_tokens", max_tokens, 1), ("vocab_size", vocab_size, 3)):
            if isinstance(value, bool) or int(value) != value or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
        self.max_tokens, self.vocab_size = int(max_tokens), int(vocab_size)

    @staticmethod
    def tokens(text: str) -> list[str]:
        return _TOKEN.findall(text.casefold())

    def encode(self, text: str) -> np.ndarray:
        """``(max_tokens,)`` int64 ids of ``text``.

        Raises:
            ValueError: the instruction has more than ``max_tokens`` tokens (naming it and the limit).
        """
        toks = self.tokens(str(text))
        if len(toks) > self.max_tokens:
            raise ValueError(f"instruction {text!r} has {len(toks)} tokens, more than the policy's limit "
                             f"max_tokens={self.max_tokens} (raise max_tokens)")
        ids = np.zeros(self.max_tokens, dtype=np.int64)
        for i, t in enumerate(toks):
            ids[i] = 2 + zlib.crc32(t.encode("utf-8")) % (self.vocab_size - 2)
        return ids


class InstructionTokens(gym.ObservationWrapper, gym.utils.RecordConstructorArgs):
    """Replaces a Dict observation's ``instruction`` text by its token ids (:class:`InstructionTokenizer`).

    The other keys stay as they are; the ``elements`` text (Browser-v0's ``obs_type="elements"``)
    is dropped, as stable-baselines3 cannot take it. Works on ``rewardgym/Browser-v0`` and
    ``rewardgym/Grounding-v0`` alike (``obs_type="default"``).

    Args:
        env: an env with a ``Dict`` observation holding a ``Text`` ``instruction``.
        max_tokens: ids per instruction.
        vocab_size: the id range.

    Example:
        >>> env = InstructionTokens(gym.make("rewardgym/Browser-v0", task="click-red"))  # doctest: +SKIP
        >>> env.observation_space["instruction"]                                         # doctest: +SKIP
        Box(0, 4095, (32,), int64)
    """

    def __init__(self, env: gym.Env, max_tokens: int = 32, vocab_size: int = 4096):
        space = env.observation_space
        if not isinstance(space, gym.spaces.Dict) or not isinstance(space.spaces.get("instruction"), gym.spaces.Text):
            raise ValueError(f"InstructionTokens needs a Dict observation with a Text 'instruction' (obs_type="
                             f"'default'), got {space}")
        gym.utils.RecordConstructorArgs.__init__(self, max_tokens=max_tokens, vocab_size=vocab_size)
        gym.ObservationWrapper.__init__(self, env)
        self.tokenizer = InstructionTokenizer(max_tokens, vocab_size)
        parts = {k: v for k, v in space.spaces.items() if not isinstance(v, gym.spaces.Text)}
        parts["instruction"] = gym.spaces.Box(0, vocab_size - 1, (max_tokens,), np.int64)
        self.observation_space = gym.spaces.Dict(parts)

    def observation(self, obs):
        out = {k: v for k, v in obs.items() if k in self.observation_space.spaces}
        out["instruction"] = self.tokenizer.encode(obs["instruction"])
        return out
