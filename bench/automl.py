"""Glassbox vs FLAML vs AutoGluon-Tabular with the same time budget on the same seeded 80/20
splits.

Usage: bench/automl.sh [BUDGET_SECONDS] [DATASET ...]
Every tool gets the 80% training part and predicts the same 20%; one independent scorer
(scikit-learn) scores all: AUC for binary, accuracy for multiclass, RMSE for regression, and
each tool optimises that metric. Prints one table: data set, metric, the three scores,
Glassbox's difference to each peer, wall seconds, peak RSS, the seconds to the first
leaderboard row, the seconds `glassbox predict` takes with the best candidate (load, read,
predict, write; an ensemble loads all its members), and Glassbox's peak RSS as a multiple
of the training data's in-memory size (pandas' `read_csv` frame, `memory_usage(deep=True)`:
the size a data scientist sees). With no data set named, the six in SETS; the ones in MORE
run when named. AutoGluon is skipped when AUTOGLUON_PYTHON is not set.
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
AG_PY = os.environ.get("AUTOGLUON_PYTHON")

SETS = {
    "adult": ("adult.csv", "income", "binary"),
    "bank_marketing_full": ("bank_marketing_full.csv", "y", "binary"),
    "california_housing": ("california_housing.csv", "median_house_value", "regression"),
    "telco_customer_churn": ("telco_customer_churn.csv", "Churn", "binary"),
    "penguins": ("penguins.csv", "species", "multiclass"),
    "diabetic_data": ("diabetic_data.csv", "readmitted", "multiclass"),
}
# Measured only when named: sets the defaults were not tuned on, most of them small, where
# picking among many candidates on few rows can overfit the folds.
MORE = {
    "titanic": ("titanic.csv", "Survived", "binary"),
    "sklearn_breast_cancer": ("sklearn_breast_cancer.csv", "target", "binary"),
    "sklearn_diabetes": ("sklearn_diabetes.csv", "target", "regression"),
    "sklearn_wine": ("sklearn_wine.csv", "target", "multiclass"),
    "sklearn_digits": ("sklearn_digits.csv", "target", "multiclass"),
    "womens_clothing": ("womens_clothing_ecommerce_reviews.csv", "Recommended IND", "binary"),
}

MEASURE = """
import re, resource, subprocess, sys, tempfile, time, json
t = time.perf_counter()
first = None
tail = []
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
for line in p.stderr:
    # glassbox run's progress on stderr: "  [  1/178] cand-001-gbdt-dpp0  F1 = 0.70 (2.1 s)"
    # is a completed candidate: the first one is the leaderboard's first row.
    if first is None and re.match(r"\\s*\\[\\s*\\d+(/\\d+)?\\]\\s+\\S+\\s+\\S+ = ", line):
        first = time.perf_counter() - t
    tail = (tail + [line])[-40:]
rc = p.wait()
print(json.dumps({"rc": rc, "wall": time.perf_counter() - t, "first_row": first,
                  "rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  "err": "".join(tail)[-2000:]}))
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


def relative(kind, ours, peer):
    """How much better Glassbox is than the peer, in % of the peer's score."""
    better = (ours - peer) if kind != "regression" else (peer - ours)
    return better / abs(peer) * 100


def main():
    budget = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    names = sys.argv[2:] or list(SETS)
    rows = []
    for name in names:
        file, target, kind = {**SETS, **MORE}[name]
        df = pd.read_csv(DATA / file, dtype=str, keep_default_na=False)
        strat = df[target] if kind != "regression" else None
        train, test = train_test_split(df, test_size=0.2, random_state=0, stratify=strat)
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            train.to_csv(tmp / "train.csv", index=False)
            data_mb = pd.read_csv(tmp / "train.csv").memory_usage(deep=True).sum() / 2**20
            test.drop(columns=[target]).to_csv(tmp / "test.csv", index=False)
            truth = test[target].reset_index(drop=True)
            if kind == "regression":
                truth = truth.astype(float)
            positive = truth.value_counts().idxmin() if kind == "binary" else None
            metric = {"binary": "AUC", "multiclass": "Accuracy", "regression": "RMSE"}[kind]

            g = measure(GLASSBOX, "run", tmp / "train.csv", "--target", target, "--out", tmp / "g",
                        "--max-job-runtime", budget, "--metric", metric)
            p = measure(GLASSBOX, "predict", "--model", tmp / "g" / "candidates" / "best",
                        tmp / "test.csv", "--out", tmp / "g.csv")
            g_score = score(kind, truth, pd.read_csv(tmp / "g.csv", dtype={"predicted_label": str}
                                                      if kind != "regression" else None), positive)

            peers = [("flaml_run.py", FLAML_PY)] + ([("autogluon_run.py", AG_PY)] if AG_PY else [])
            if os.environ.get("BENCH_PEERS") == "none":  # Glassbox alone, for a quick before/after
                peers = []
            res = []
            for script, py in peers:
                r = measure(py, HERE / script, tmp / "train.csv", tmp / "test.csv", target, kind,
                            budget, tmp / "peer.csv")
                s = score(kind, truth, pd.read_csv(tmp / "peer.csv", dtype={"predicted_label": str}
                                                    if kind != "regression" else None), positive)
                res.append((s, r))

        rows.append((name, metric if kind != "regression" else "RMSE", g_score,
                     [s for s, _ in res], [relative(kind, g_score, s) for s, _ in res],
                     [g["wall"] + p["wall"]] + [r["wall"] for _, r in res],
                     [max(g["rss_mb"], p["rss_mb"])] + [r["rss_mb"] for _, r in res],
                     g["first_row"], p["wall"], data_mb))
        # Each set's scores as it ends, so a later failure does not lose them.
        print(f"done {name}: {rows[-1][1]} Glassbox {g_score:.5f}, peers "
              + ", ".join(f"{s:.5f}" for s in rows[-1][3]), file=sys.stderr, flush=True)

    peers = ["FLAML", "AutoGluon"][: len(rows[0][3])] if rows else []
    head = (f"{'data set':<22} {'metric':<9} {'Glassbox':>9} "
            + " ".join(f"{p:>9}" for p in peers) + " "
            + " ".join(f"{'vs ' + p[:5] + ' %':>11}" for p in peers)
            + f" {'wall s ' + '/'.join(['G'] + [p[0] for p in peers]):>16} "
            + f"{'peak RSS MB ' + '/'.join(['G'] + [p[0] for p in peers]):>22} {'G 1st row s':>11} {'G predict s':>11} {'data MB':>8} {'G RSS/data':>10}")
    print(head)
    print("-" * len(head))
    for n, m, g, peer, rel_, walls, rss, first, predict_s, data_mb in rows:
        print(f"{n:<22} {m:<9} {g:>9.5f} " + " ".join(f"{s:>9.5f}" for s in peer) + " "
              + " ".join(f"{r:>+11.3f}" for r in rel_)
              + f" {'/'.join(f'{w:.0f}' for w in walls):>16} {'/'.join(f'{r:.0f}' for r in rss):>22} "
              + (f"{first:>11.1f}" if first is not None else f"{'-':>11}")
              + f" {predict_s:>11.2f}"
              + f" {data_mb:>8.1f} {rss[0] / data_mb:>10.1f}")
    for i, p in enumerate(peers):
        wins = sum(1 for r in rows if r[4][i] >= 0)
        worst = min(r[4][i] for r in rows)
        print(f"Glassbox >= {p} on {wins} of {len(rows)}; worst difference {worst:+.2f}%")
    print("(positive = Glassbox better; for RMSE, lower is better)")


if __name__ == "__main__":
    main()
