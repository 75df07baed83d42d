#!/usr/bin/env python3
"""How far apart the oracles are, per fixture file: the numbers an end-to-end test tolerance should be based on.

For every variant and every model file it compares the golden logits of each pair of oracles that ran on the same
weights (HF transformers, llama.cpp, the float64 numpy reference) per position: relative L2
||a - b|| / ||b||, cosine, argmax agreement, and max|a - b| / max|b| over the whole sequence. The result goes into
<variant>/goldens.json under "agreement" and is printed as a table.

Usage: python3 tools/oracles/compare_goldens.py [--fixtures DIR] [--quiet]
"""
from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
DEFAULT_FIXTURES = REPO / "models-gemma4" / "src" / "test" / "resources" / "fixtures"


def label(g: dict) -> str:
    src = {"hf-transformers": "hf", "llama.cpp": "llamacpp", "numpy-spec-f64": "numpy"}[g["source"]]
    return f"{src}-{g['quant']}" if src == "llamacpp" else src


def stats(a: np.ndarray, b: np.ndarray) -> dict:
    rel_l2 = np.linalg.norm(a - b, axis=1) / np.linalg.norm(b, axis=1)
    cos = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return dict(max_rel_l2=float(rel_l2.max()), median_rel_l2=float(np.median(rel_l2)),
                min_cosine=float(cos.min()), argmax_agree=float(np.mean(a.argmax(1) == b.argmax(1))),
                max_abs_over_max_abs=float(np.abs(a - b).max() / np.abs(b).max()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    if not args.quiet:
        print(f"{'variant':13s} {'file':18s} {'seq':3s} {'a':16s} {'b':16s} {'max relL2':>9s} {'med relL2':>9s} "
              f"{'min cos':>9s} {'argmax':>6s}")
    for vdir in sorted(p for p in args.fixtures.iterdir() if (p / "goldens.json").exists()):
        idx = json.loads((vdir / "goldens.json").read_text())
        rows = []
        groups: dict[tuple[str, int], list[dict]] = {}
        for g in idx["goldens"]:
            groups.setdefault((g["model"], g["seq"]), []).append(g)
        for (model, seq), gs in sorted(groups.items()):
            arrs = {label(g): np.fromfile(vdir / g["file"], dtype="<f4").reshape(g["shape"]) for g in gs}
            order = sorted(arrs, key=lambda s: ("hf", "numpy", "llamacpp-f32").index(s)
                           if s in ("hf", "numpy", "llamacpp-f32") else 3)
            for a, b in itertools.combinations(order, 2):
                s = stats(arrs[b], arrs[a])
                rows.append(dict(model=model, seq=seq, a=b, b=a, **s))
                if not args.quiet:
                    print(f"{vdir.name:13s} {model:18s} {seq:<3d} {b:16s} {a:16s} {s['max_rel_l2']:9.2e} "
                          f"{s['median_rel_l2']:9.2e} {s['min_cosine']:9.6f} {s['argmax_agree']:6.0%}")
        idx["agreement"] = dict(note="a vs b per position: relative L2 ||a-b||/||b||, cosine, argmax agreement",
                                pairs=rows)
        (vdir / "goldens.json").write_text(json.dumps(idx, indent=1) + "\n")


if __name__ == "__main__":
    main()
