"""Every candidate writes `validation_predictions.csv`: the rows its leaderboard values were
computed on. Scoring that file with scikit-learn gives the leaderboard's values (to 1e-9), and
its `reports/quality.json` is scikit-learn's curves and tables on those rows."""

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


@pytest.fixture(scope="module", params=JOBS, ids=[j[0] for j in JOBS])
def run(request, tmp_path_factory):
    """One job per data set, shared by the tests below."""
    name, target, args = request.param
    out = tmp_path_factory.mktemp("run") / "job"
    r = subprocess.run([str(glassbox_binary()), "run", str(dataset(name)), "--target", target, "--out", str(out), *args],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out


def test_scoring_the_validation_predictions_gives_the_leaderboard(run):
    out = run
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


def close(a, b, tol=1e-9):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and np.allclose(a, b, rtol=tol, atol=tol, equal_nan=True)


def test_the_quality_report_is_scikit_learn_on_the_validation_predictions(run):
    from sklearn.calibration import calibration_curve

    out = run
    job = json.loads((out / "job.json").read_text())
    classes = job["ResolvedAttributes"].get("Classes") or []
    positive = job["ResolvedAttributes"].get("PositiveClass")
    folds = json.loads((out / "notebooks" / "splits.json").read_text())["folds"]
    fold_of = {r: f for f, (_, valid) in enumerate(folds) for r in valid}
    board = json.loads((out / "leaderboard.json").read_text())["Candidates"]
    done = [c for c in board if c["CandidateStatus"] == "Completed"]
    assert done
    for c in done:
        folder = out / "candidates" / c["CandidateName"]
        q = json.loads((folder / "reports" / "quality.json").read_text())
        frame = pd.read_csv(folder / "validation_predictions.csv",
                            dtype={"actual": str, "predicted_label": str} if classes else None)
        assert q["candidate"] == c["CandidateName"] and q["rows"] == len(frame)
        board_values = {m["MetricName"]: m["Value"] for m in c["CandidateProperties"]["CandidateMetrics"]}
        for m in q["metrics"]:
            assert close(m["Value"], board_values[m["MetricName"]], 1e-12), m
            per_fold = [score(m["MetricName"], frame[frame["row"].map(fold_of) == f], classes, positive)
                        for f in range(len(folds))]
            assert close(m["StandardDeviation"], np.std(per_fold, ddof=1)), (m, per_fold)
        if len(classes) == 2:
            t = (frame["actual"] == positive).to_numpy()
            s = frame[f"proba_{positive}"].to_numpy(float)
            fpr, tpr, th = skm.roc_curve(t, s)
            assert close(q["roc"]["fpr"], fpr) and close(q["roc"]["tpr"], tpr)
            assert q["roc"]["thresholds"][0] is None and close(q["roc"]["thresholds"][1:], th[1:])
            assert close(q["roc"]["auc"], skm.auc(fpr, tpr))
            p, rc, pth = skm.precision_recall_curve(t, s, drop_intermediate=True)
            assert close(q["pr"]["precision"], p) and close(q["pr"]["recall"], rc) and close(q["pr"]["thresholds"], pth)
            assert close(q["pr"]["average_precision"], skm.average_precision_score(t, s))
            true, pred = calibration_curve(t, s, n_bins=10, strategy="uniform")
            assert close(q["calibration"]["fraction_positive"], true) and close(q["calibration"]["mean_predicted"], pred)
            assert close(q["calibration"]["brier"], skm.brier_score_loss(t, s))
            cm = skm.confusion_matrix(frame["actual"], frame["predicted_label"], labels=classes)
            assert q["confusion_matrix"]["labels"] == classes and q["confusion_matrix"]["matrix"] == cm.tolist()
            best = max(skm.f1_score(t, s >= th_, zero_division=0) for th_ in np.unique(s))
            assert close(q["best_f1"], best)
            assert [g["fraction"] for g in q["gain_lift"]] == pytest.approx([i / 10 for i in range(1, 11)])
            assert q["gain_lift"][-1]["gain"] == pytest.approx(1.0)
        elif classes:
            cm = skm.confusion_matrix(frame["actual"], frame["predicted_label"], labels=classes)
            assert q["confusion_matrix"]["matrix"] == cm.tolist()
            prec, rec, f1, sup = skm.precision_recall_fscore_support(
                frame["actual"], frame["predicted_label"], labels=classes, zero_division=0)
            got = q["per_class"]
            assert [g["label"] for g in got] == classes
            assert close([g["precision"] for g in got], prec) and close([g["recall"] for g in got], rec)
            assert close([g["f1"] for g in got], f1) and [g["support"] for g in got] == sup.tolist()
        else:
            a, p = frame["actual"].to_numpy(float), frame["predicted_label"].to_numpy(float)
            slope, intercept = np.polyfit(a, p, 1)
            fit = q["actual_vs_predicted"]
            assert close(fit["slope"], slope) and close(fit["intercept"], intercept, 1e-7)
            assert close(fit["r2"], skm.r2_score(a, p))
            res = a - p
            counts, edges = np.histogram(res, bins=20)
            assert q["residuals"]["histogram"]["counts"] == counts.tolist()
            assert close(q["residuals"]["histogram"]["edges"], edges)
            z = (res - res.mean()) / res.std(ddof=1)
            assert q["residuals"]["standardized_outlier_rows"] == frame["row"][np.abs(z) > 3].tolist()


def test_reports_are_served_per_candidate(server, tmp_path):
    import requests

    r = server.upload(dataset("sklearn_iris.csv"), target="target")
    dataset_id = r.json()["DatasetId"]
    server.wait_dataset(dataset_id)
    body = {"AutoMLJobName": "iris-reports",
            "InputDataConfig": [{"DataSource": {"DatasetId": dataset_id}, "TargetAttributeName": "target"}],
            "AutoMLJobConfig": {"CompletionCriteria": {"MaxCandidates": 2}}}
    assert requests.post(f"{server.url}/api/automl-jobs", json=body, timeout=30).status_code in (200, 201)
    import time
    deadline = time.time() + 120
    while time.time() < deadline:
        d = requests.get(f"{server.url}/api/automl-jobs/iris-reports", timeout=10).json()
        if d["AutoMLJobStatus"] not in ("InProgress", "Stopping"):
            break
        time.sleep(0.5)
    best = d["BestCandidate"]["CandidateName"]
    r = requests.get(f"{server.url}/api/automl-jobs/iris-reports/candidates/{best}/reports/quality.json", timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    q = r.json()
    assert q["candidate"] == best and len(q["confusion_matrix"]["labels"]) == 3
    page = requests.get(f"{server.url}/jobs/iris-reports/candidates/{best}", timeout=10).text
    assert 'id="quality"' in page and 'id="quality-per-class"' in page
    r = requests.get(f"{server.url}/api/automl-jobs/iris-reports/candidates/{best}/reports/..%2Fmodel.json", timeout=10)
    assert r.status_code == 404 and "quality.json" in r.json()["error"]
    r = requests.get(f"{server.url}/api/automl-jobs/iris-reports/candidates/nobody/reports/quality.json", timeout=10)
    assert r.status_code == 404
