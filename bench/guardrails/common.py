"""What the guardrail evaluation scripts share: their virtual environment, and scoring by
overlap (precision, recall, F1)."""

import os
import subprocess
import sys
import venv

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def ensure_venv(path, packages):
    """Re-runs the calling script inside the venv at `path`, made with `packages` if missing."""
    py = os.path.join(path, "bin", "python")
    if os.path.abspath(sys.prefix) == os.path.abspath(path):
        return
    if not os.path.exists(py):
        venv.create(path, with_pip=True)
        subprocess.check_call([py, "-m", "pip", "install", "-q", *packages])
    os.execv(py, [py, *sys.argv])


def overlaps(a, b):
    """Whether two (type, start, end) spans share a character."""
    return a[1] < b[2] and b[1] < a[2]


def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f
