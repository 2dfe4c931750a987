"""Glassbox vs FLAML with the same time budget on the same seeded 80/20 splits.

Usage: bench/automl.sh [BUDGET_SECONDS] [DATASET ...]
Both tools get the 80% training part and predict the same 20%; one independent scorer
(scikit-learn) scores both: AUC for binary, accuracy for multiclass, RMSE for regression.
Prints one table: data set, metric, Glassbox, FLAML, difference, wall seconds, peak RSS.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, roc_auc_score, root_mean_squared_error
from sklearn.model_selection import train_test_split

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "datasets"
GLASSBOX = Path(os.environ["GLASSBOX_BIN"])
FLAML_PY = os.environ.get("FLAML_PYTHON", sys.executable)

SETS = {
    "adult": ("adult.csv", "income", "binary"),
    "bank_marketing_full": ("bank_marketing_full.csv", "y", "binary"),
    "california_housing": ("california_housing.csv", "median_house_value", "regression"),
    "telco_customer_churn": ("telco_customer_churn.csv", "Churn", "binary"),
    "penguins": ("penguins.csv", "species", "multiclass"),
    "diabetic_data": ("diabetic_data.csv", "readmitted", "multiclass"),
}

MEASURE = """
import resource, subprocess, sys, time, json
t = time.perf_counter()
r = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(json.dumps({"rc": r.returncode, "wall": time.perf_counter() - t,
                  "rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  "err": r.stderr[-2000:]}))
"""


def measure(*cmd):
    out = subprocess.run([sys.executable, "-c", MEASURE, *map(str, cmd)], capture_output=True, text=True)
    res = json.loads(out.stdout)
    if res["rc"] != 0:
        raise RuntimeError(f"{cmd[0]} failed: {res['err']}")
    return res


def score(kind, truth, pred, positive):
    if kind == "binary":
        return roc_auc_score(truth == positive, pred[f"proba_{positive}"])
    if kind == "multiclass":
        return accuracy_score(truth.astype(str), pred["predicted_label"].astype(str))
    return root_mean_squared_error(truth, pred["predicted_label"])


def main():
    budget = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    names = sys.argv[2:] or list(SETS)
    rows = []
    for name in names:
        file, target, kind = SETS[name]
        df = pd.read_csv(DATA / file, dtype=str, keep_default_na=False)
        strat = df[target] if kind != "regression" else None
        train, test = train_test_split(df, test_size=0.2, random_state=0, stratify=strat)
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            train.to_csv(tmp / "train.csv", index=False)
            test.drop(columns=[target]).to_csv(tmp / "test.csv", index=False)
            truth = test[target].reset_index(drop=True)
            if kind == "regression":
                truth = truth.astype(float)
            positive = truth.value_counts().idxmin() if kind == "binary" else None
            metric = {"binary": "AUC", "multiclass": "Accuracy", "regression": "RMSE"}[kind]

            g = measure(GLASSBOX, "run", tmp / "train.csv", "--target", target, "--out", tmp / "g",
                        "--max-job-runtime", budget, "--metric", metric, "--quiet")
            p = measure(GLASSBOX, "predict", "--model", tmp / "g" / "candidates" / "best",
                        tmp / "test.csv", "--out", tmp / "g.csv")
            g_score = score(kind, truth, pd.read_csv(tmp / "g.csv", dtype={"predicted_label": str}
                                                      if kind != "regression" else None), positive)

            f = measure(FLAML_PY, HERE / "flaml_run.py", tmp / "train.csv", tmp / "test.csv", target, kind,
                        budget, tmp / "f.csv")
            f_score = score(kind, truth, pd.read_csv(tmp / "f.csv", dtype={"predicted_label": str}
                                                      if kind != "regression" else None), positive)
        better = (g_score - f_score) if kind != "regression" else (f_score - g_score)
        rel = better / abs(f_score) * 100
        rows.append((name, metric if kind != "regression" else "RMSE", g_score, f_score, rel,
                     g["wall"] + p["wall"], f["wall"], max(g["rss_mb"], p["rss_mb"]), f["rss_mb"]))
        print(f"done {name}", file=sys.stderr, flush=True)

    head = f"{'data set':<22} {'metric':<9} {'Glassbox':>10} {'FLAML':>10} {'diff %':>8} {'wall s G/F':>13} {'peak RSS MB G/F':>17}"
    print(head)
    print("-" * len(head))
    for n, m, g, f, rel, gw, fw, gr, fr in rows:
        print(f"{n:<22} {m:<9} {g:>10.4f} {f:>10.4f} {rel:>+8.2f} {gw:>6.1f}/{fw:<6.1f} {gr:>8.0f}/{fr:<8.0f}")
    wins = sum(1 for r in rows if r[4] >= 0)
    worst = min(r[4] for r in rows)
    print(f"\nGlassbox >= FLAML on {wins} of {len(rows)}; worst difference {worst:+.2f}% "
          "(positive = Glassbox better; for RMSE, lower is better)")


if __name__ == "__main__":
    main()
