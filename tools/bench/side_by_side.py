#!/usr/bin/env python3
"""Side-by-side table of `scripts/gpu.sh remote-bench` results for docs/PERFORMANCE.md.

Usage: tools/bench/side_by_side.py DIR   (DIR holds KIND-rullama.json, KIND-llamacpp.json, gpu.csv, commit.txt)

For every model and test (pp512, tg128, ...): llama.cpp CUDA's t/s, rullama's t/s on each backend and its ratio to
llama.cpp, and rullama's own measurements (effective GB/s, % of the copy-kernel ceiling, dispatches and CPU encode
time per token, load time, peak GPU memory). Prints markdown on stdout.
"""
import json
import pathlib
import sys


def load(path):
    try:
        text = path.read_text()
        return json.loads(text) if text.strip() else None
    except (OSError, ValueError) as e:
        print(f"<!-- {path.name}: {e} -->")
        return None


def test_name(n_prompt, n_gen, depth):
    t = f"pp{n_prompt}" if n_prompt > 0 else f"tg{n_gen}"
    return t + (f" @ d{depth}" if depth else "")


def main():
    d = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    gpu = (d / "gpu.csv").read_text().strip().splitlines()[-1] if (d / "gpu.csv").exists() else "?"
    commit = (d / "commit.txt").read_text().strip() if (d / "commit.txt").exists() else "?"
    print(f"Card: {gpu}; rullama commit {commit}\n")
    kinds = sorted({p.name.split("-rullama.json")[0] for p in d.glob("*-rullama.json")}
                   | {p.name.split("-llamacpp.json")[0] for p in d.glob("*-llamacpp.json")})
    head = ["model", "test", "llama.cpp CUDA t/s", "rullama dawn t/s", "dawn / llama.cpp", "rullama wgpu t/s",
            "wgpu / llama.cpp", "GB/tok", "dawn GB/s eff", "dawn % ceil", "disp/tok", "dawn enc µs/tok", "dawn submit µs/tok",
            "wgpu submit µs/tok", "load s (dawn)", "peak GPU GiB"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    ceilings = {}
    for kind in kinds:
        ours = load(d / f"{kind}-rullama.json") or {"rows": [], "ceiling": {}}
        theirs = load(d / f"{kind}-llamacpp.json") or []
        for b, c in (ours.get("ceiling") or {}).items():
            ceilings.setdefault(b, c)
        ref = {test_name(r.get("n_prompt", 0), r.get("n_gen", 0), r.get("n_depth", 0)): r for r in theirs}
        rows = {}
        for r in ours.get("rows", []):
            rows.setdefault(test_name(r["n_prompt"], r["n_gen"], r.get("n_depth", 0)), {})[r["backend"]] = r
        for test in sorted(set(ref) | set(rows), key=lambda t: (not t.startswith("pp"), t)):
            lc = ref.get(test)
            lc_ts = lc["avg_ts"] if lc else None
            cells = [kind, test, f"{lc_ts:.1f} ± {lc['stddev_ts']:.1f}" if lc else "—"]
            for b in ("dawn", "wgpu"):
                r = rows.get(test, {}).get(b)
                cells.append(f"{r['tps_mean']:.1f} ± {r['tps_sd']:.1f}" if r else "—")
                cells.append(f"{r['tps_mean'] / lc_ts:.2f}×" if r and lc_ts else "—")
            r = rows.get(test, {}).get("dawn") or next(iter(rows.get(test, {}).values()), None)
            w = rows.get(test, {}).get("wgpu")
            if r:
                cells += [f"{r['weight_bytes_per_token'] / 1e9:.2f}", f"{r['gbps_eff']:.0f}", f"{r['ceiling_pct']:.0f}%",
                          f"{r['dispatches_per_token']:.0f}", f"{r['encode_us_per_token']:.0f}",
                          f"{r['submit_us_per_token']:.0f}" if "submit_us_per_token" in r else "—",
                          f"{w['submit_us_per_token']:.0f}" if w and "submit_us_per_token" in w else "—",
                          f"{r['load_s']:.1f}", f"{r['peak_gpu_bytes'] / 2**30:.1f}"]
            else:
                cells += ["—"] * 9
            print("| " + " | ".join(cells) + " |")
    for b, c in ceilings.items():
        print(f"\nCopy ceiling ({b}): {c.get('gbps_mean', 0):.0f} ± {c.get('gbps_sd', 0):.0f} GB/s ({c.get('counts', '')}), "
              f"{c.get('adapter', '')}, driver {c.get('driver', '')}")
    for kind in kinds:
        theirs = load(d / f"{kind}-llamacpp.json") or []
        if theirs:
            t = theirs[0]
            print(f"\nllama.cpp ({kind}): build {t.get('build_commit', '?')} ({t.get('build_number', '?')}), "
                  f"{t.get('backends', '?')}, n_gpu_layers {t.get('n_gpu_layers', '?')}, flash_attn {t.get('flash_attn', '?')}, "
                  f"model {t.get('model_type', '?')} {t.get('model_size', 0) / 2**30:.2f} GiB")
            break


if __name__ == "__main__":
    main()
