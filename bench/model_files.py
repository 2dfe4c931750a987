"""Model file sizes and load times, printed as tables:

1. An AutoML job on a data set (california by default: two full-depth forests), every
   algorithm: each candidate's model.json as written (packed arrays), beside the same
   model written with every array as a JSON list (the format before packing, rebuilt from
   the file), and the time Python takes to load it (`glassbox_models.load_candidate`).
2. The candidates folder against the target: at most 50 x the data file or 100 MB,
   whichever is larger; and the best candidate's load time against 2 s.
3. The peer: scikit-learn's forest with the same hyperparameters, one per fold on the
   same folds, pickled (protocol 5) — what a scikit-learn user would save.
"""

import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "templates"))
import glassbox_helpers as gh  # noqa: E402
import glassbox_models as gm  # noqa: E402

BIN = os.environ.get("GLASSBOX_BIN", "glassbox")
DATA = ROOT.parent / "shared" / "datasets"
SETS = {"california": ("california_housing.csv", "median_house_value")}
MB = 1e6


def unpacked(v):
    """The model document with every packed array written out as a list, and packed trees
    as a list of trees: the format before packing."""
    if isinstance(v, dict):
        if {"dtype", "len", "zlib"} <= set(v):
            return gm._unpack(v).tolist()
        if "tree_sizes" in v:
            return [{k: np.asarray(a).tolist() for k, a in t.items()} for t in gm._tree_list(v)]
        return {k: unpacked(x) for k, x in v.items()}
    if isinstance(v, list):
        return [unpacked(x) for x in v]
    return v


def load_seconds(folder):
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        gm.load_candidate(str(folder))
        best = min(best, time.perf_counter() - t)
    return best


def sklearn_forest_bytes(doc, folder, data, target):
    """scikit-learn's forest with the candidate's hyperparameters, trained on the job's folds
    (through the candidate's own fitted pipeline), pickled."""
    from sklearn.ensemble import ExtraTreesRegressor, RandomForestRegressor, ExtraTreesClassifier, RandomForestClassifier

    hp = doc["hyperparameters"]
    extra = doc["algorithm"] == "extra-trees"
    classification = bool(doc["classes"])
    kind = {(False, False): RandomForestRegressor, (True, False): ExtraTreesRegressor,
            (False, True): RandomForestClassifier, (True, True): ExtraTreesClassifier}[(extra, classification)]
    features = [(f["name"], f["kind"], f["date_format"]) for f in doc["features"]]
    X, y = gh.read_data(str(data), features, target)
    splits = json.loads((folder.parent.parent / "notebooks" / "splits.json").read_text())["folds"]
    cand = gm.load_candidate(str(folder))
    total = 0
    for (pipeline, _), (train, _) in zip(cand.folds, splits):
        Z = pipeline.transform(X.iloc[train])
        yy = np.asarray(y)[train]
        m = kind(n_estimators=int(hp["n_estimators"]), max_features=float(hp["max_features"]),
                 min_samples_leaf=int(hp["min_samples_leaf"]), max_depth=int(hp["max_depth"]),
                 n_jobs=2, random_state=0).fit(Z, yy)
        total += len(pickle.dumps(m, protocol=5))
    return total


def main():
    budget = sys.argv[1] if len(sys.argv) > 1 else "300"
    name = sys.argv[2] if len(sys.argv) > 2 else "california"
    file, target = SETS[name]
    data = DATA / file
    out = Path(tempfile.mkdtemp(prefix="glassbox-model-files-")) / "job"
    subprocess.run([BIN, "run", data, "--target", target, "--out", out, "--seed", "1",
                    "--max-job-runtime", budget], check=True, capture_output=True)
    best_name = os.path.basename(os.path.realpath(out / "candidates" / "best"))
    rows, peers = [], []
    for folder in sorted(p for p in (out / "candidates").iterdir() if not p.is_symlink()):
        path = folder / "model.json"
        doc = json.loads(path.read_text())
        before = len(json.dumps(unpacked(doc), separators=(",", ":")))
        rows.append((folder.name, path.stat().st_size, before, load_seconds(folder)))
        if doc.get("algorithm") in ("random-forest", "extra-trees"):
            peers.append((folder.name, path.stat().st_size, sklearn_forest_bytes(doc, folder, data, target)))
    folder_bytes = sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(out / "candidates")
                       for f in files if not os.path.islink(os.path.join(d, f)))
    data_bytes = data.stat().st_size
    target_bytes = max(50 * data_bytes, 100 * MB)

    print(f"\n{name}, {budget} s job, seed 1: model.json per candidate (MB) and Python load (s, best of 3)")
    print(f"| {'candidate':28} | {'packed':>8} | {'JSON lists':>10} | {'ratio':>5} | {'load s':>6} |")
    print(f"|{'-' * 30}|{'-' * 10}|{'-' * 12}|{'-' * 7}|{'-' * 8}|")
    for c, now, before, secs in rows:
        mark = " (best)" if c == best_name else ""
        print(f"| {c + mark:28} | {now / MB:8.2f} | {before / MB:10.2f} | {before / max(now, 1):5.1f} | {secs:6.2f} |")
    print(f"\ncandidates folder: {folder_bytes / MB:.1f} MB (JSON lists: {sum(r[2] for r in rows) / MB:.1f} MB of models); "
          f"target: {target_bytes / MB:.0f} MB (data {data_bytes / MB:.2f} MB) -> "
          f"{'met' if folder_bytes <= target_bytes else 'NOT met'}")
    best = [r for r in rows if r[0] == best_name]
    if best:
        print(f"best candidate {best_name}: loads in {best[0][3]:.2f} s; target 2 s -> "
              f"{'met' if best[0][3] <= 2 else 'NOT met'}")
    if peers:
        print("\nforests beside scikit-learn's (same hyperparameters and folds, pickled), MB")
        print(f"| {'candidate':28} | {'Glassbox':>8} | {'scikit-learn':>12} |")
        print(f"|{'-' * 30}|{'-' * 10}|{'-' * 14}|")
        for c, ours, theirs in peers:
            print(f"| {c:28} | {ours / MB:8.2f} | {theirs / MB:12.2f} |")


if __name__ == "__main__":
    main()
