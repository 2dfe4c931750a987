"""SHAP speed, printed as a table:

1. TreeSHAP on 1,000 adult rows for the first two gradient-boosting candidates (depth 5 and
   depth 6): `glassbox predict --explain` minus plain `glassbox predict` (the same file,
   model and predictions; the best of five), beside
   `shap.TreeExplainer(feature_perturbation="tree_path_dependent")` on exactly the same trees
   (exported from model.json), on the same rows already transformed. Both are scaled to 500
   trees, the target's unit.
2. The explanations' share of an AutoML job on adult: the `seconds` each candidate's
   explainability.json records, summed, over the job's wall time.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import shap

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "templates"))
import glassbox_helpers as gh  # noqa: E402
import glassbox_models as gm  # noqa: E402


BIN = os.environ.get("GLASSBOX_BIN", "glassbox")
ADULT = ROOT.parent / "shared" / "datasets" / "adult.csv"
BUDGET = int(sys.argv[1]) if len(sys.argv) > 1 else 60


def run(*args):
    t = time.perf_counter()
    r = subprocess.run([BIN, *map(str, args)], capture_output=True, text=True)
    if r.returncode:
        sys.exit(r.stderr)
    return time.perf_counter() - t


def main():
    tmp = Path(tempfile.mkdtemp(prefix="glassbox-explain-"))
    # 1. The portfolio's first two gradient-boosting candidates (depth 5 at rate 0.2; depth 6
    #    at rate 0.05, the deeper and longer one), and 1,000 rows.
    gbdt = tmp / "gbdt"
    run("run", ADULT, "--target", "income", "--out", gbdt, "--algorithms", "gbdt",
        "--max-candidates", "2", "--seed", "1")
    raw = pd.read_csv(ADULT, dtype=str, keep_default_na=False)
    sample = tmp / "rows.csv"
    raw.sample(1000, random_state=0).to_csv(sample, index=False)
    table = []
    for folder in sorted(p for p in (gbdt / "candidates").iterdir() if "-gbdt-" in p.name):
        plain = min(run("predict", "--model", folder, sample, "--out", tmp / "p.csv") for _ in range(5))
        explained = min(run("predict", "--model", folder, sample, "--out", tmp / "e.csv", "--explain")
                        for _ in range(5))
        ours = explained - plain
        doc = json.loads((folder / "model.json").read_text())
        cand = gm.load_candidate(str(folder))
        features = [(f["name"], f["kind"], f["date_format"]) for f in doc["features"]]
        X, _ = gh.read_data(str(sample), features, "income")
        trees, theirs = 0, 0.0
        for pipeline, model in cand.folds:
            Z = pipeline.transform(X)
            for b in model.boosters:
                d = gm.shap_booster(b)
                trees += len(d["trees"])
                e = shap.TreeExplainer(d, feature_perturbation="tree_path_dependent")
                t = time.perf_counter()
                e.shap_values(Z, check_additivity=False)
                theirs += time.perf_counter() - t
        hp = doc["hyperparameters"]
        label = f"depth {hp['max_depth']}, {trees} trees"
        table.append((folder.name, label, ours, ours * 500 / trees, theirs, theirs * 500 / trees))
    print("\nTreeSHAP, 1,000 adult rows (all fold models), 2 cores; seconds, and per 500 trees")
    print(f"| {'candidate':22} | {'trees':22} | {'Glassbox':>8} | {'per 500':>7} | {'shap ' + shap.__version__:>11} | {'per 500':>7} |")
    print(f"|{'-' * 24}|{'-' * 24}|{'-' * 10}|{'-' * 9}|{'-' * 13}|{'-' * 9}|")
    for name, label, ours, ours500, theirs, theirs500 in table:
        print(f"| {name:22} | {label:22} | {ours:8.2f} | {ours500:7.2f} | {theirs:11.2f} | {theirs500:7.2f} |")

    # 2. An AutoML job's explanations.
    job = tmp / "job"
    wall = run("run", ADULT, "--target", "income", "--out", job, "--max-job-runtime", BUDGET, "--seed", "2")
    rows = []
    for c in sorted((job / "candidates").iterdir()):
        f = c / "reports" / "explainability.json"
        if c.name != "best" and f.exists():
            e = json.loads(f.read_text())
            rows.append((c.name, e["method"], e["rows_explained"], e["seconds"]))
    spent = sum(r[3] for r in rows)
    print(f"\nAutoML job on adult, --max-job-runtime {BUDGET}: {len(rows)} candidates explained")
    print(f"| {'candidate':32} | {'method':15} | {'rows':>5} | {'seconds':>7} |")
    print(f"|{'-' * 34}|{'-' * 17}|{'-' * 7}|{'-' * 9}|")
    for name, method, n, s in rows:
        print(f"| {name:32} | {method:15} | {n:5} | {s:7.2f} |")
    print(f"explanations: {spent:.1f} s of the job's {wall:.1f} s wall time ({100 * spent / wall:.0f} %)")


if __name__ == "__main__":
    main()
