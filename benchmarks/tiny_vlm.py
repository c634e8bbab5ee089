"""A tiny random Qwen2.5-VL and its processor, built from configs alone (no weights, no hub).

It exists to run the GRPO grounding path (``benchmarks/grpo_grounding.py``,
``tests/reward_wrappers/test_trl_grpo.py``) on a CPU: 87k parameters (1 text layer and 1
vision block of width 32), a 12-token image (the processor resizes a 160x210 screenshot to at
most 16 patches of 28x28), and a word-level tokenizer whose vocabulary has the chat and vision
tokens Qwen2.5-VL's processor needs, some prompt words, and one token per point of a 10x10 grid,
``(0.05,0.05)`` ... ``(0.95,0.95)``: sampling from the random model therefore often emits a
point that :func:`rewardgym.reward_wrappers.gaussian.parse_prediction` parses, so GRPO gets
rewards that differ within a group. It learns nothing useful; it checks the plumbing.

Usage::

    python benchmarks/tiny_vlm.py --out /tmp/tiny-qwen2.5-vl   # then --model /tmp/tiny-qwen2.5-vl
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>", "<|image_pad|>",
           "<|video_pad|>"]
WORDS = ("[UNK] system user assistant click the a button link box checkbox icon shape red tab answer with point "
         "to as or element's in fractions of screenshot's width and height from top-left corner").split()
GRID = [f"({(i + 0.5) / 10:.2f},{(j + 0.5) / 10:.2f})" for j in range(10) for i in range(10)]
# Qwen-style chat template: image parts become <|vision_start|><|image_pad|><|vision_end|> (the
# processor repeats <|image_pad|> once per merged patch)
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def build_processor(max_patches: int = 16):
    """The tokenizer (word level, split on whitespace) and a ``Qwen2_5_VLProcessor`` around it."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, Qwen2_5_VLProcessor, Qwen2VLImageProcessor
    from transformers.models.qwen2_vl.video_processing_qwen2_vl import Qwen2VLVideoProcessor

    vocab = {token: i for i, token in enumerate(SPECIAL + WORDS + GRID)}
    words = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    words.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=words, unk_token="[UNK]", pad_token="<|endoftext|>",
                                        eos_token="<|im_end|>", additional_special_tokens=SPECIAL[1:],
                                        chat_template=CHAT_TEMPLATE)
    side = 28  # patch 14 x merge 2
    images = Qwen2VLImageProcessor(min_pixels=side * side * 4, max_pixels=side * side * max_patches)
    return Qwen2_5_VLProcessor(image_processor=images, tokenizer=tokenizer, video_processor=Qwen2VLVideoProcessor(),
                               chat_template=CHAT_TEMPLATE)


def build_model(tokenizer, seed: int = 0, width: int = 32):
    """A random ``Qwen2_5_VLForConditionalGeneration``: 1 text layer, 1 vision block, hidden ``width``."""
    import torch
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIAL}
    head = width // 2  # 2 heads; mrope sections (temporal, height, width) sum to head / 2
    section = [head // 2 - 2 * (head // 6), head // 6, head // 6]
    text = dict(vocab_size=len(tokenizer), hidden_size=width, intermediate_size=2 * width, num_hidden_layers=1,
                num_attention_heads=2, num_key_value_heads=1, max_position_embeddings=1024,
                rope_parameters={"rope_type": "default", "mrope_section": section, "rope_theta": 10000.0},
                bos_token_id=ids["<|im_start|>"], eos_token_id=ids["<|im_end|>"], pad_token_id=ids["<|endoftext|>"])
    vision = dict(depth=1, hidden_size=width, intermediate_size=2 * width, num_heads=2, out_hidden_size=width,
                  fullatt_block_indexes=[0])
    config = Qwen2_5_VLConfig(text_config=text, vision_config=vision, image_token_id=ids["<|image_pad|>"],
                              video_token_id=ids["<|video_pad|>"], vision_start_token_id=ids["<|vision_start|>"],
                              vision_end_token_id=ids["<|vision_end|>"])
    torch.manual_seed(seed)
    return Qwen2_5_VLForConditionalGeneration(config)


def build(seed: int = 0):
    """``(model, processor)``: the tiny model and its processor."""
    processor = build_processor()
    return build_model(processor.tokenizer, seed), processor


def save(out: str | Path, seed: int = 0) -> Path:
    """Writes the model and processor to ``out`` (``from_pretrained(out)`` loads them)."""
    model, processor = build(seed)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return Path(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="folder to write the model and processor to")
    parser.add_argument("--seed", type=int, default=0, help="torch seed of the random weights")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        parser.error(f"--out {str(out)!r} exists and is not empty")
    print(save(out, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
