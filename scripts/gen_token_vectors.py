#!/usr/bin/env python3
"""Token-count test vectors and estimator calibration for exllm's `tokens` module.

Python's `tiktoken` downloads its BPE tables from the internet; this script instead points it
at the tables that ship inside the `tiktoken-rs` crate sources (the cache file name is the
sha1 of the blob URL, and tiktoken checks the table's own sha256 on load, so a mismatch would
fail loudly rather than produce wrong vectors).

    pip install tiktoken
    python3 scripts/gen_token_vectors.py vectors    # writes crates/exllm/src/tokens/vectors.json
    python3 scripts/gen_token_vectors.py calibrate  # fits the estimator, prints its error
"""

import glob
import hashlib
import json
import os
import shutil
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "crates", "exllm", "src", "tokens", "vectors.json")
BLOB = "https://openaipublic.blob.core.windows.net/encodings/{}.tiktoken"
ENCODINGS = ["o200k_base", "cl100k_base"]


def setup_tiktoken():
    assets = sorted(glob.glob(os.path.expanduser(
        "~/.cargo/registry/src/*/tiktoken-rs-*/assets")))
    if not assets:
        sys.exit("tiktoken-rs crate sources not found; run `cargo fetch` first")
    cache = tempfile.mkdtemp(prefix="tiktoken-cache-")
    for name in ENCODINGS:
        key = hashlib.sha1(BLOB.format(name).encode()).hexdigest()
        shutil.copy(os.path.join(assets[-1], name + ".tiktoken"), os.path.join(cache, key))
    os.environ["TIKTOKEN_CACHE_DIR"] = cache
    import tiktoken
    return {name: tiktoken.get_encoding(name) for name in ENCODINGS}


TEXTS = [
    "",
    " ",
    "a",
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "  leading and trailing spaces   ",
    "tabs\tand\nnewlines\r\nmixed\n\n\n",
    "                                                        ",
    "\n\n\n\n\n\n\n\n",
    "1234567890123456789012345678901234567890",
    "3.14159265358979323846264338327950288419716939937510",
    "Order #000123 costs $1,234.56 (VAT 19%) on 2024-03-15T12:34:56Z.",
    "fn main() {\n    println!(\"Hello, {}!\", name);\n}\n",
    "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n",
    "for (let i = 0; i < arr.length; i++) { sum += arr[i] * 2; }",
    "SELECT id, name FROM users WHERE created_at > NOW() - INTERVAL '7 days' ORDER BY id;",
    "<div class=\"container\"><p>Paragraph &amp; text</p></div>",
    "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"n\": 1}",
    "[{\"id\":1,\"tags\":[\"a\",\"b\"],\"ok\":true,\"v\":null},{\"id\":2,\"tags\":[],\"ok\":false}]",
    "key: value\nlist:\n  - one\n  - two\nnested:\n  deep: 42\n",
    "https://example.com/path/to/resource?query=string&foo=bar#fragment",
    "user.name+tag@example.co.uk",
    "😀😃😄😁😆😅😂🤣 👍🏽 👨‍👩‍👧‍👦 🇩🇪",
    "I ❤️ Rust 🦀 and coffee ☕!",
    "你好，世界！今天天气很好。",
    "日本語のテキストをトークン化します。ひらがなとカタカナ。",
    "안녕하세요, 만나서 반갑습니다.",
    "Привет, мир! Как дела? Съешь же ещё этих мягких французских булок.",
    "مرحبا بالعالم، كيف حالك اليوم؟",
    "नमस्ते दुनिया, आप कैसे हैं?",
    "Γειά σου Κόσμε! Ελληνικά γράμματα.",
    "Ünïcödé àccénts: café, naïve, façade, Øresund, Straße.",
    "mixed 中文 and English, with numbers 42 and emoji 🎉.",
    "∀x ∈ ℝ: x² ≥ 0 ∧ √4 = 2 → ∑ᵢ aᵢ ≠ ∞",
    "<|endoftext|> is a special token but counted as ordinary text",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "Supercalifragilisticexpialidocious antidisestablishmentarianism",
    "CamelCaseIdentifiers and snake_case_identifiers and kebab-case-ids",
    "0x7fffffff 0b101010 1e-9 -42 +3.0e+10 1_000_000",
    "    indented code\n        more indented\n\tTab indented\n",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
    "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud "
    "exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.",
    "It's, don't, we'll, they've, I'm, she'd, WE'RE, O'Brien's",
]


def write_vectors():
    encs = setup_tiktoken()
    rows = []
    for text in TEXTS:
        row = {"text": text}
        for name, enc in encs.items():
            row[name] = len(enc.encode_ordinary(text))
        rows.append(row)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump({"generator": "scripts/gen_token_vectors.py",
                   "tiktoken": __import__("tiktoken").__version__,
                   "vectors": rows}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(rows)} vectors to {OUT}")


# ---- calibration: mirror of crates/exllm/src/tokens/estimate.rs `features` ----

def is_cjk(c):
    o = ord(c)
    return (0x3040 <= o <= 0x30FF or 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF
            or 0xAC00 <= o <= 0xD7AF or 0xF900 <= o <= 0xFAFF or 0xFF00 <= o <= 0xFFEF)


def features(text):
    """[word runs, letters beyond 6 per word, digit groups, punct, newlines+extra spaces,
    cjk chars, other letters, other symbols]"""
    f = [0.0] * 8
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isascii() and c.isalpha():
            j = i
            while j < n and text[j].isascii() and text[j].isalpha():
                j += 1
            f[0] += 1
            f[1] += max(0, j - i - 6)
            i = j
            continue
        if c.isascii() and c.isdigit():
            j = i
            while j < n and text[j].isascii() and text[j].isdigit():
                j += 1
            f[2] += (j - i + 2) // 3
            i = j
            continue
        if c.isspace():
            j = i
            while j < n and text[j].isspace():
                j += 1
            run = text[i:j]
            f[4] += run.count("\n") + max(0, len(run) - 1 - run.count("\n")) / 4
            i = j
            continue
        if c.isascii():
            f[3] += 1
        elif is_cjk(c):
            f[5] += 1
        elif c.isalpha():
            f[6] += 1
        else:
            f[7] += 1
        i += 1
    return f


def corpus():
    """English prose, code and JSON from files on this machine, plus the vectors' non-Latin
    texts repeated; cut into ~1.5 kB chunks."""
    chunks = []
    sources = sorted(glob.glob(os.path.join(ROOT, "**", "*.md"), recursive=True))[:40]
    sources += sorted(glob.glob(os.path.join(ROOT, "crates", "exllm", "src", "**", "*.rs"),
                                recursive=True))[:60]
    sources += sorted(glob.glob(os.path.join(ROOT, "crates", "exllm", "catalog", "*.json")))[:10]
    py = os.path.dirname(os.__file__)
    sources += [os.path.join(py, m) for m in ("json/encoder.py", "textwrap.py", "argparse.py")]
    for path in sources:
        try:
            text = open(path, encoding="utf-8").read()
        except (OSError, UnicodeDecodeError):
            continue
        chunks += [text[k:k + 1500] for k in range(0, min(len(text), 15000), 1500)]
    nonlatin = [t for t in TEXTS if any(ord(c) > 0x2FF for c in t)]
    for t in nonlatin:
        chunks.append((t + " ") * 8)
    return [c for c in chunks if c.strip()]


def calibrate():
    import numpy as np
    encs = setup_tiktoken()
    chunks = corpus()
    x = np.array([features(c) for c in chunks])
    for name, enc in encs.items():
        y = np.array([len(enc.encode_ordinary(c)) for c in chunks], dtype=float)
        # Fit on even chunks, report the error on the odd (held-out) ones, then refit on all.
        train, test = slice(0, None, 2), slice(1, None, 2)
        w, *_ = np.linalg.lstsq(x[train], y[train], rcond=None)
        pred = x[test] @ np.clip(w, 0, None)
        rel = np.abs(pred - y[test]) / np.maximum(y[test], 1)
        w, *_ = np.linalg.lstsq(x, y, rcond=None)
        print(f"{name}: weights {np.round(np.clip(w, 0, None), 3).tolist()}")
        print(f"  held out {len(rel)} chunks: mean |err| {rel.mean():.1%}, "
              f"p90 {np.percentile(rel, 90):.1%}, max {rel.max():.1%}, "
              f"total {(pred.sum() - y[test].sum()) / y[test].sum():+.1%}")


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "vectors"
    {"vectors": write_vectors, "calibrate": calibrate}[mode]()
