"""The GUI contract shared by every GUI env: the live browser (``rewardgym/Browser-v0``) and the
dataset-backed grounding env (``rewardgym/Grounding-v0``).

* :mod:`.contract`: one box convention (``[x1, y1, x2, y2]`` as fractions of the screenshot,
  ``x2 > x1``, ``y2 > y1``), how a point or box action becomes a click, when a click hits a
  box, and the instruction's ``Text`` space;
* :mod:`.instruction`: a model-free instruction encoding (hashed word tokens) that
  stable-baselines3 accepts, and the observation wrapper that adds it;
* :mod:`.dataset`: the grounding dataset's row schema (a Hugging Face ``datasets`` dataset on
  disk, written by ``rewardgym-record-grounding``), loading and validation;
* :mod:`.grounding_v0`: one-step grounding episodes served from such a dataset, no browser.

Importing this package imports neither Playwright nor ``datasets``.
"""
