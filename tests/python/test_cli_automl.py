"""glassbox run / predict as a user runs them: real data, real processes, independent scoring."""

import json
import subprocess
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, r2_score, roc_auc_score

from conftest import dataset, glassbox_binary


def glassbox(*args, timeout=300):
    return subprocess.run([str(glassbox_binary()), *map(str, args)], capture_output=True, text=True, timeout=timeout)


def split(name, target, tmp_path, frac=0.8, seed=0):
    df = pd.read_csv(dataset(name))
    idx = np.random.RandomState(seed).permutation(len(df))
    cut = int(len(df) * frac)
    train, test = df.iloc[idx[:cut]], df.iloc[idx[cut:]]
    train.to_csv(tmp_path / "train.csv", index=False)
    test.drop(columns=[target]).to_csv(tmp_path / "test.csv", index=False)
    return test[target].reset_index(drop=True)


def test_titanic_run_then_predict(tmp_path):
    truth = split("titanic.csv", "Survived", tmp_path)
    out = tmp_path / "job"
    r = glassbox("run", tmp_path / "train.csv", "--target", "Survived", "--out", out, "--max-job-runtime", 40)
    assert r.returncode == 0, r.stderr
    assert "cand-" in r.stderr  # a line per finished candidate
    for f in ["job.json", "leaderboard.json", "profile.json", "splits.json", "candidates/best/model.json"]:
        assert (out / f).exists(), f
    job = json.loads((out / "job.json").read_text())
    assert job["AutoMLJobStatus"] == "Completed"
    assert job["ProblemType"] == "BinaryClassification"
    assert job["AutoMLJobObjective"]["MetricName"] == "F1"
    assert job["ResolvedAttributes"]["PositiveClass"] == "1"
    board = json.loads((out / "leaderboard.json").read_text())["Candidates"]
    values = [c["FinalAutoMLJobObjectiveMetric"]["Value"] for c in board if c["CandidateStatus"] == "Completed"]
    assert values == sorted(values, reverse=True), "leaderboard is best first"
    assert board[0]["CandidateName"] == job["BestCandidate"]["CandidateName"]
    for c in board[:3]:
        assert {"CandidateName", "CandidateSteps", "CandidateProperties", "Algorithm", "Hyperparameters"} <= set(c)

    preds = tmp_path / "preds.csv"
    r = glassbox("predict", "--model", out / "candidates" / "best", tmp_path / "test.csv", "--out", preds)
    assert r.returncode == 0, r.stderr
    p = pd.read_csv(preds)
    assert list(p.columns) == ["predicted_label", "probability", "proba_0", "proba_1"]
    assert len(p) == len(truth)
    assert np.allclose(p[["proba_0", "proba_1"]].sum(axis=1), 1.0)
    auc = roc_auc_score(truth, p["proba_1"])
    assert auc >= 0.84, auc

    # Every saved candidate predicts, not only the best.
    other = [c for c in board if c["CandidateStatus"] == "Completed"][-1]["CandidateName"]
    r = glassbox("predict", "--model", out / "candidates" / other, tmp_path / "test.csv", "--out", tmp_path / "o.csv")
    assert r.returncode == 0, r.stderr


def test_ten_second_budget_ends_within_twelve(tmp_path):
    path = dataset("adult.csv")
    t = time.monotonic()
    r = glassbox("run", path, "--target", "income", "--out", tmp_path / "job", "--max-job-runtime", 10)
    wall = time.monotonic() - t
    assert r.returncode == 0, r.stderr
    assert wall <= 12.0, f"took {wall:.1f} s"
    job = json.loads((tmp_path / "job" / "job.json").read_text())
    assert job["AutoMLJobSecondaryStatus"] == "MaxAutoMLJobRuntimeReached"
    assert job["BestCandidate"] is not None


def test_multiclass_and_regression(tmp_path):
    truth = split("penguins.csv", "species", tmp_path)
    r = glassbox("run", tmp_path / "train.csv", "--target", "species", "--out", tmp_path / "p", "--max-candidates", 6)
    assert r.returncode == 0, r.stderr
    r = glassbox("predict", "--model", tmp_path / "p" / "candidates" / "best", tmp_path / "test.csv", "--out", tmp_path / "pp.csv")
    assert r.returncode == 0, r.stderr
    p = pd.read_csv(tmp_path / "pp.csv")
    assert {"proba_Adelie", "proba_Chinstrap", "proba_Gentoo"} <= set(p.columns)
    assert accuracy_score(truth, p["predicted_label"]) > 0.93

    reg = tmp_path / "reg"
    reg.mkdir()
    truth = split("california_housing.csv", "median_house_value", reg)
    r = glassbox("run", reg / "train.csv", "--target", "median_house_value", "--out", reg / "job",
                 "--max-job-runtime", 40, "--algorithms", "gbdt,linear")
    assert r.returncode == 0, r.stderr
    job = json.loads((reg / "job" / "job.json").read_text())
    assert job["ProblemType"] == "Regression" and job["AutoMLJobObjective"]["MetricName"] == "MSE"
    r = glassbox("predict", "--model", reg / "job" / "candidates" / "best", reg / "test.csv", "--out", reg / "p.csv")
    assert r.returncode == 0, r.stderr
    p = pd.read_csv(reg / "p.csv")
    assert list(p.columns) == ["predicted_label"]
    assert r2_score(truth, p["predicted_label"]) > 0.75


def test_text_column_trains(tmp_path):
    df = pd.read_csv(dataset("womens_clothing_ecommerce_reviews.csv")).iloc[:4000]
    df.to_csv(tmp_path / "reviews.csv", index=False)
    r = glassbox("run", tmp_path / "reviews.csv", "--target", "Recommended IND", "--out", tmp_path / "job",
                 "--algorithms", "linear", "--max-candidates", 2, "--metric", "AUC")
    assert r.returncode == 0, r.stderr
    board = json.loads((tmp_path / "job" / "leaderboard.json").read_text())["Candidates"]
    best = board[0]
    assert best["FinalAutoMLJobObjectiveMetric"]["Value"] > 0.85
    assert any(f["Feature"] == "Review Text" for f in best["FeatureImportance"][:5])


def test_same_seed_same_leaderboard(tmp_path):
    path = dataset("penguins.csv")
    boards = []
    for i in range(2):
        out = tmp_path / f"j{i}"
        r = glassbox("run", path, "--target", "species", "--out", out, "--max-candidates", 5, "--seed", 7)
        assert r.returncode == 0, r.stderr
        board = json.loads((out / "leaderboard.json").read_text())["Candidates"]
        boards.append([(c["CandidateName"], c["FinalAutoMLJobObjectiveMetric"]["Value"]) for c in board])
    assert boards[0] == boards[1]


def test_candidates_only(tmp_path):
    r = glassbox("run", dataset("titanic.csv"), "--target", "Survived", "--out", tmp_path / "j", "--candidates-only")
    assert r.returncode == 0, r.stderr
    job = json.loads((tmp_path / "j" / "job.json").read_text())
    assert job["AutoMLJobSecondaryStatus"] == "CandidateDefinitionsGenerated"
    defs = json.loads((tmp_path / "j" / "candidate_definitions.json").read_text())
    assert len(defs) >= 5 and all("ranges" in d for d in defs)
    assert not (tmp_path / "j" / "candidates").exists()


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def error_line(r):
    assert r.returncode != 0
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    return lines[0]


def rows(n, f):
    return "".join(f(i) for i in range(n))


BAD = [
    ("absent target", "a,b\n" + rows(20, lambda i: f"{i},{i % 2}\n"), ["--target", "y"], 'no column named "y"'),
    ("all-null target", "a,y\n" + rows(20, lambda i: f"{i},\n"), ["--target", "y"], "every cell is missing"),
    ("one class", "a,y\n" + rows(20, lambda i: f"{i},yes\n"), ["--target", "y"], "single value"),
    ("single row", "a,y\n1,0\n", ["--target", "y"], "at least 10"),
    ("all-null feature", "a,b,y\n" + rows(20, lambda i: f"{i},,{i % 2}\n"), ["--target", "y"], 'column "b"'),
    ("unknown algorithm", "a,y\n" + rows(20, lambda i: f"{i},{i % 2}\n"), ["--target", "y", "--algorithms", "gbdt,magic"], "unknown algorithm"),
    ("unknown metric", "a,y\n" + rows(20, lambda i: f"{i},{i % 2}\n"), ["--target", "y", "--metric", "Gini"], "unknown metric"),
    ("metric for the wrong problem", "a,y\n" + rows(20, lambda i: f"{i},{i % 2}\n"), ["--target", "y", "--metric", "RMSE"], "not a classification metric"),
    ("zero budget", "a,y\n" + rows(20, lambda i: f"{i},{i % 2}\n"), ["--target", "y", "--max-job-runtime", "0"], "max-job-runtime"),
    ("ragged file", "a,y\n1,0\n2\n", ["--target", "y"], "line 3: expected 2 fields, found 1"),
]


@pytest.mark.parametrize("what,csv,args,expected", BAD, ids=[b[0] for b in BAD])
def test_bad_inputs_fail_clearly(tmp_path, what, csv, args, expected):
    path = write(tmp_path, "bad.csv", csv)
    r = glassbox("run", path, *args, "--out", tmp_path / "out", "--max-candidates", 2)
    line = error_line(r)
    assert expected in line, line


def test_predict_missing_column_is_named(tmp_path):
    train = write(tmp_path, "t.csv", "a,b,y\n" + rows(40, lambda i: f"{i},{i * 3 % 7},{i % 2}\n"))
    r = glassbox("run", train, "--target", "y", "--out", tmp_path / "j", "--max-candidates", 1, "--algorithms", "linear")
    assert r.returncode == 0, r.stderr
    test = write(tmp_path, "new.csv", "a,extra\n1,2\n")
    r = glassbox("predict", "--model", tmp_path / "j" / "candidates" / "best", test, "--out", tmp_path / "p.csv")
    line = error_line(r)
    assert 'missing feature column "b"' in line and "new.csv" in line


def test_a_job_without_a_finished_candidate_fails(tmp_path):
    # No forest of 200 trees trains in a millisecond: every candidate is cut off, none ranked.
    r = glassbox("run", dataset("titanic.csv"), "--target", "Survived", "--out", tmp_path / "j",
                 "--algorithms", "random-forest", "--max-runtime-per-candidate", "0.001", "--max-job-runtime", 30,
                 "--quiet")
    line = error_line(r)
    assert "no candidate finished training" in line and "stopped by a time limit" in line, line
    # What the job did is still written down: its stopped candidates, with the reason.
    board = json.loads((tmp_path / "j" / "leaderboard.json").read_text())["Candidates"]
    assert board and all(c["CandidateStatus"] == "Stopped" for c in board)
    assert all("time limit" in c["FailureReason"] for c in board)
