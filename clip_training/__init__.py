"""Training rewardgym's bundled offline CLIP model on its own rendered scenes.

``captions`` (state labels -> sentences, with held-out paraphrases), ``data``
(``rewardgym-make-clip-data``: rendered frames + labels), ``train`` (``rewardgym-train-clip``:
open_clip contrastive training), ``evaluate`` (zero-shot accuracy per task on the held-out
split, Spearman of the CLIP reward against ground truth on rollouts).
"""
