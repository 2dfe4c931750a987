"""Bias metrics (SageMaker Clarify's definitions) over real HTTP: a data set's pre-training
metrics and a candidate's post-training metrics, each checked against an independent pandas
re-implementation of the formulas in Clarify's `smclarify/bias/metrics` (written from its
code: its `divide`, its label distributions restricted to values present in both groups, its
sign conventions), and the flip test against scikit-learn's k-nearest neighbours."""

import math

import numpy as np
import pandas as pd
import pytest
import requests
from sklearn.neighbors import KNeighborsClassifier

from conftest import dataset
from test_jobs_api import create, job_body, ready_dataset, wait_job

INF = math.inf


def divide(a, b):
    if b == 0 and a == 0:
        return 0.0
    if b == 0:
        return -INF if a < 0 else INF
    return a / b


def diff(x, y):
    return 0.0 if x == y == INF else x - y


def clarify_pre(facet, label, group=None):
    """Clarify's pre-training metrics; `facet`/`label` boolean Series."""
    a, d = ~facet, facet
    out = {"CI": (a.sum() - d.sum()) / len(facet),
           "DPL": label[a].mean() - label[d].mean()}
    pa = label[a].value_counts(normalize=True)
    pd_ = label[d].value_counts(normalize=True)
    keys = sorted(k for k in set(pa.index) & set(pd_.index) if pa[k] and pd_[k])
    Pa, Pd = np.array([pa[k] for k in keys]), np.array([pd_[k] for k in keys])
    P = (Pa + Pd) / 2
    out.update(KL=float(np.sum(Pa * np.log(Pa / Pd))),
               JS=float(0.5 * (np.sum(Pa * np.log(Pa / P)) + np.sum(Pd * np.log(Pd / P)))),
               LP=float(np.linalg.norm(Pa - Pd, 2)), TVD=float(0.5 * np.linalg.norm(Pa - Pd, 1)),
               KS=float(np.linalg.norm(Pa - Pd, np.inf)))
    if group is not None:
        out["CDDL"] = cdd(facet, label, group)
    return out


def cdd(facet, positive, group):
    num = den = 0.0
    for g in np.unique(group):
        m = group == g
        acc, rej = positive & m, ~positive & m
        A = (acc & facet).sum() / acc.sum() if acc.sum() else 0
        D = (rej & facet).sum() / rej.sum() if rej.sum() else 0
        num += m.sum() * (D - A)
        den += m.sum()
    return divide(num, den)


def clarify_post(facet, y, p):
    a, d = ~facet, facet

    def c(m):
        return dict(n=m.sum(), pos=(y & m).sum(), ppos=(p & m).sum(), tp=(y & p & m).sum(),
                    fp=(~y & p & m).sum(), fn=(y & ~p & m).sum(), tn=(~y & ~p & m).sum())
    A, D = c(a), c(d)
    return {
        "DPPL": A["ppos"] / A["n"] - D["ppos"] / D["n"],
        "DI": divide(D["ppos"] / D["n"], A["ppos"] / A["n"]),
        "DCA": diff(divide(A["pos"], A["ppos"]), divide(D["pos"], D["ppos"])),
        "DCR": diff(divide(D["n"] - D["pos"], D["n"] - D["ppos"]), divide(A["n"] - A["pos"], A["n"] - A["ppos"])),
        "RD": diff(divide(A["tp"], A["tp"] + A["fn"]), divide(D["tp"], D["tp"] + D["fn"])),
        "DAR": diff(divide(A["tp"], A["ppos"]), divide(D["tp"], D["ppos"])),
        "DRR": diff(divide(D["tn"], D["n"] - D["ppos"]), divide(A["tn"], A["n"] - A["ppos"])),
        "AD": diff(divide(A["tp"] + A["tn"], A["n"]), divide(D["tp"] + D["tn"], D["n"])),
        "TE": diff(divide(D["fn"], D["fp"]), divide(A["fn"], A["fp"])),
    }


def values(report, section):
    out = {}
    for m in report[section]:
        v = m["value"]
        out[m["name"]] = INF if v == "Infinity" else -INF if v == "-Infinity" else v
    return out


def close(got, want, name):
    if isinstance(want, float) and math.isinf(want):
        assert got == want, name
    else:
        assert got is not None and abs(got - want) < 1e-12, (name, got, want)


@pytest.fixture(scope="module")
def adult(server):
    return ready_dataset(server, "adult.csv")


def test_pre_training_metrics_are_clarifys(server, adult):
    params = {"FacetName": "sex", "FacetValuesOrThreshold": "Female", "LabelName": "income",
              "LabelValuesOrThreshold": ">50K", "GroupName": "race"}
    r = requests.get(f"{server.url}/api/datasets/{adult}/bias", params=params, timeout=120)
    assert r.status_code == 200, r.text
    rep = r.json()
    raw = pd.read_csv(dataset("adult.csv"), dtype=str, keep_default_na=False)
    raw = raw[~raw["income"].str.strip().isin(["", "NA", "N/A", "?", "null", "NaN"])]
    facet = raw["sex"].str.strip() == "Female"
    label = raw["income"].str.strip() == ">50K"
    assert rep["rows"] == len(raw) and rep["sensitive_rows"] == facet.sum()
    want = clarify_pre(facet.reset_index(drop=True), label.reset_index(drop=True),
                       raw["race"].reset_index(drop=True).to_numpy())
    got = values(rep, "pre_training")
    for name, w in want.items():
        close(got[name], w, name)
    assert rep["post_training"] == []
    # Clarify's rule: whole numbers with few distinct values (age) are categories, so "50"
    # is age 50; ">50" asks for the threshold. A fractional column is split at a number.
    age = pd.to_numeric(raw["age"], errors="coerce")
    for given, desc, count in [("50", "50", (age == 50).sum()), (">50", "(50, inf)", (age > 50).sum())]:
        r = requests.get(f"{server.url}/api/datasets/{adult}/bias",
                         params={**params, "FacetName": "age", "FacetValuesOrThreshold": given}, timeout=120)
        assert r.status_code == 200, r.text
        assert r.json()["facet_values_or_threshold"] == desc and r.json()["sensitive_rows"] == int(count)


@pytest.mark.parametrize("params,field", [
    ({"FacetName": "nope", "FacetValuesOrThreshold": "x", "LabelName": "income", "LabelValuesOrThreshold": ">50K"}, "FacetName"),
    ({"FacetName": "age", "FacetValuesOrThreshold": "old", "LabelName": "income", "LabelValuesOrThreshold": ">50K"}, "FacetValuesOrThreshold"),
    ({"FacetName": "sex", "FacetValuesOrThreshold": "female", "LabelName": "income", "LabelValuesOrThreshold": ">50K"}, "FacetValuesOrThreshold"),
    ({"FacetName": "sex", "FacetValuesOrThreshold": "Female", "LabelName": "income", "LabelValuesOrThreshold": "yes"}, "LabelValuesOrThreshold"),
    ({"FacetName": "sex", "FacetValuesOrThreshold": "Female", "LabelName": "income", "LabelValuesOrThreshold": ""}, "LabelValuesOrThreshold"),
    ({"FacetName": "sex", "FacetValuesOrThreshold": "Female", "LabelValuesOrThreshold": ">50K"}, "LabelName"),
])
def test_bad_questions_are_400_naming_the_field(server, adult, params, field):
    r = requests.get(f"{server.url}/api/datasets/{adult}/bias", params=params, timeout=60)
    assert r.status_code == 400, r.text
    assert r.json()["field"] == field


def test_post_training_metrics_are_clarifys(server):
    ds = ready_dataset(server, "titanic.csv")
    name = "bias-titanic"
    assert create(server, job_body(name, ds, "Survived", runtime=60, criteria={"MaxCandidates": 3})).status_code == 201
    assert wait_job(server, name, 300)["AutoMLJobStatus"] == "Completed"
    cands = requests.get(f"{server.url}/api/automl-jobs/{name}/candidates", timeout=10).json()["Candidates"]
    cand = next(c["CandidateName"] for c in cands if c["CandidateStatus"] == "Completed")
    params = {"FacetName": "Sex", "FacetValuesOrThreshold": "female", "LabelValuesOrThreshold": "1",
              "GroupName": "Pclass"}
    r = requests.get(f"{server.url}/api/automl-jobs/{name}/candidates/{cand}/bias", params=params, timeout=120)
    assert r.status_code == 200, r.text
    rep = r.json()
    preds = pd.read_csv(f"{server.data_dir}/jobs/{name}/candidates/{cand}/validation_predictions.csv",
                        dtype={"actual": str, "predicted_label": str})
    raw = pd.read_csv(dataset("titanic.csv"), dtype=str, keep_default_na=False).iloc[preds["row"]]
    facet = (raw["Sex"] == "female").reset_index(drop=True)
    y = (preds["actual"] == "1").reset_index(drop=True)
    p = (preds["predicted_label"] == "1").reset_index(drop=True)
    assert rep["rows"] == len(preds)
    got = values(rep, "post_training")
    for k, w in clarify_post(facet, y, p).items():
        close(got[k], w, k)
    close(got["CDDPL"], cdd(facet, p, raw["Pclass"].to_numpy()), "CDDPL")
    for k, w in clarify_pre(facet, y).items():
        close(values(rep, "pre_training")[k], w, k)
    # The flip test: 5 nearest neighbours (Euclidean) among the other group on the numeric
    # columns, missing values as the column's median. scikit-learn's brute force may order
    # rows at equal distance otherwise: allow a few flips of difference.
    cols = rep["flip_test_columns"]
    assert cols and "Survived" not in cols and "Sex" not in cols
    X = raw[cols].apply(pd.to_numeric, errors="coerce")
    X = X.fillna(X.median()).to_numpy()
    f = facet.to_numpy()
    knn = KNeighborsClassifier(n_neighbors=5, algorithm="brute").fit(X[~f], p.to_numpy()[~f])
    vote = knn.predict(X[f])
    model = p.to_numpy()[f]
    ft = ((model & ~vote).sum() - (~model & vote).sum()) / f.sum()
    assert abs(got["FT"] - ft) <= 3 / f.sum(), (got["FT"], ft)


def test_pages_ask_and_show_bias(server, adult):
    r = requests.get(f"{server.url}/datasets/{adult}", params={
        "FacetName": "sex", "FacetValuesOrThreshold": "Female", "LabelName": "income",
        "LabelValuesOrThreshold": ">50K"}, timeout=120)
    assert r.status_code == 200
    assert 'id="bias-pre"' in r.text and 'data-metric="KL"' in r.text
    r = requests.get(f"{server.url}/datasets/{adult}", params={
        "FacetName": "sex", "FacetValuesOrThreshold": "<script>x</script>", "LabelName": "income",
        "LabelValuesOrThreshold": ">50K"}, timeout=120)
    assert r.status_code == 200
    assert "<script>x</script>" not in r.text and "&lt;script&gt;x&lt;/script&gt;" in r.text
