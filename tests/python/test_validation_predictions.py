"""Every candidate writes `validation_predictions.csv`: the rows its leaderboard values were
computed on. Scoring that file with scikit-learn gives the leaderboard's values (to 1e-9)."""

import json
import subprocess

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from conftest import dataset, glassbox_binary


def score(name, frame, classes, positive):
    if not classes:
        t, p = frame["actual"].to_numpy(float), frame["predicted_label"].to_numpy(float)
        return {"MSE": lambda: skm.mean_squared_error(t, p),
                "RMSE": lambda: skm.root_mean_squared_error(t, p),
                "MAE": lambda: skm.mean_absolute_error(t, p),
                "R2": lambda: skm.r2_score(t, p)}[name]()
    t, label = frame["actual"].astype(str), frame["predicted_label"].astype(str)
    proba = frame[[f"proba_{c}" for c in classes]].to_numpy(float)
    binary = len(classes) == 2
    return {
        "Accuracy": lambda: skm.accuracy_score(t, label),
        "BalancedAccuracy": lambda: skm.balanced_accuracy_score(t, label),
        "F1": lambda: skm.f1_score(t, label, pos_label=positive),
        "Precision": lambda: skm.precision_score(t, label, pos_label=positive, zero_division=0),
        "Recall": lambda: skm.recall_score(t, label, pos_label=positive),
        "F1macro": lambda: skm.f1_score(t, label, average="macro", labels=classes),
        "PrecisionMacro": lambda: skm.precision_score(t, label, average="macro", labels=classes, zero_division=0),
        "RecallMacro": lambda: skm.recall_score(t, label, average="macro", labels=classes),
        "AUC": lambda: (skm.roc_auc_score(t == positive, proba[:, classes.index(positive)]) if binary
                        else skm.roc_auc_score(t, proba, multi_class="ovr", labels=classes)),
        "LogLoss": lambda: skm.log_loss(t, proba, labels=classes),
    }[name]()


JOBS = [
    ("titanic.csv", "Survived", ["--max-candidates", "5", "--seed", "1"]),
    ("penguins.csv", "species", ["--max-candidates", "5", "--seed", "2"]),
    ("sklearn_diabetes.csv", "target", ["--max-candidates", "5", "--seed", "3"]),
]


@pytest.mark.parametrize("name,target,args", JOBS, ids=[j[0] for j in JOBS])
def test_scoring_the_validation_predictions_gives_the_leaderboard(tmp_path, name, target, args):
    out = tmp_path / "run"
    r = subprocess.run([str(glassbox_binary()), "run", str(dataset(name)), "--target", target, "--out", str(out), *args],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    job = json.loads((out / "job.json").read_text())
    classes = job["ResolvedAttributes"].get("Classes") or []
    positive = job["ResolvedAttributes"].get("PositiveClass")
    splits = json.loads((out / "notebooks" / "splits.json").read_text())
    rows = sorted(r for _, valid in splits["folds"] for r in valid)
    board = json.loads((out / "leaderboard.json").read_text())["Candidates"]
    checked = 0
    for c in board:
        if c["CandidateStatus"] != "Completed":
            continue
        frame = pd.read_csv(out / "candidates" / c["CandidateName"] / "validation_predictions.csv",
                            dtype={"actual": str, "predicted_label": str} if classes else None)
        assert frame["row"].tolist() == rows, "every validation row once, in order"
        if classes:
            assert set(frame["actual"]) <= set(classes)
            assert np.allclose(frame[[f"proba_{k}" for k in classes]].sum(axis=1), 1.0)
        for m in c["CandidateProperties"]["CandidateMetrics"]:
            want = m["Value"]
            got = score(m["MetricName"], frame, classes, positive)
            assert abs(got - want) <= 1e-9 * max(1.0, abs(want)), (c["CandidateName"], m["MetricName"], got, want)
            checked += 1
    assert checked >= 4 * 5, checked
