"""profile.json checked against numbers recomputed independently with pandas and numpy.

The rules recomputed here are the documented ones (see engine/src/data/table.rs and
engine/src/profile/): missing tokens, stride sampling, quantile bins, Brier / R² skill.
Counts must match exactly; floating point to 1e-9.
"""

import json
import subprocess

import numpy as np
import pandas as pd
import pytest

from conftest import dataset, glassbox_binary

STANDARD_MISSING = {"", "?", "na", "n/a", "null", "nan"}


def read_like_glassbox(path):
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    raw.columns = [f"Unnamed: {i}" if c.startswith("Unnamed:") else c for i, c in enumerate(raw.columns)]
    out = {}
    for col in raw.columns:
        s = raw[col].str.strip()
        miss = s.str.lower().isin(STANDARD_MISSING)
        others = s[~miss & (s != "None")]
        numeric = pd.to_numeric(others, errors="coerce")
        all_numeric = len(others) > 0 and numeric.notna().all()
        if all_numeric or (len(others) == 0):
            miss |= s == "None"
        s = s.mask(miss)
        if all_numeric:
            out[col] = pd.to_numeric(s)
        else:
            out[col] = s
    return pd.DataFrame(out)


def run_profile(tmp_path, name, target):
    out = tmp_path / name
    subprocess.run([str(glassbox_binary()), "profile", str(dataset(name)), "--target", target,
                    "--out", str(out)], check=True, capture_output=True)
    return json.loads((out / "profile.json").read_text())


def stride(n, k=10000):
    return np.arange(n) if n <= k else (np.arange(k) * n) // k


def text_power(x, y, classification, train, valid):
    """Text: multinomial naive Bayes (alpha 1) over word counts, on the classes or on the
    target's ten quantile bins (weighting the bins' training means)."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import MultinomialNB

    docs = x.fillna("").astype(str)
    counts = CountVectorizer().fit(docs.iloc[train]).transform(docs)
    if classification:
        labels = y.astype(str).to_numpy()
        nb = MultinomialNB(alpha=1.0).fit(counts[train], labels[train])
        classes = sorted(y.dropna().astype(str).unique())
        proba = pd.DataFrame(nb.predict_proba(counts[valid]), columns=nb.classes_)
        proba = proba.reindex(columns=classes, fill_value=0.0).to_numpy()
        truth = (labels[valid][:, None] == np.array(classes)[None, :]).astype(float)
        prior = (labels[train][:, None] == np.array(classes)[None, :]).mean(axis=0)
        loss, base = ((proba - truth) ** 2).sum(), ((prior - truth) ** 2).sum()
    else:
        v = y.to_numpy(dtype=float)
        edges = np.unique(np.quantile(v[train], np.arange(1, 10) / 10))
        bins = np.searchsorted(edges, v, side="right")
        nb = MultinomialNB(alpha=1.0).fit(counts[train], bins[train])
        means = pd.Series(v[train]).groupby(bins[train]).mean().reindex(nb.classes_).to_numpy()
        pred = nb.predict_proba(counts[valid]) @ means
        loss, base = ((v[valid] - pred) ** 2).sum(), ((v[valid] - v[train].mean()) ** 2).sum()
    return 0.0 if base == 0 else float(np.clip(1 - loss / base, 0, 1))


def prediction_power(x, y, classification, kind):
    """The documented single-column model, recomputed."""
    keep = y.notna().to_numpy()
    rows = np.flatnonzero(keep)[stride(int(keep.sum()))]
    pos = np.arange(len(rows))
    train, valid = rows[pos % 5 != 4], rows[pos % 5 == 4]
    if kind == "text":
        return text_power(x, y, classification, train, valid)
    if kind in ("numeric", "datetime"):
        v = x.to_numpy(dtype=float)
        t = np.sort(v[train][~np.isnan(v[train])])
        edges = np.unique(np.quantile(t, np.arange(1, 10) / 10))
        bins = np.where(np.isnan(v), -1, np.searchsorted(edges, v, side="right"))
    else:
        bins = x.fillna("\0missing").to_numpy()
    frame = pd.DataFrame({"bin": bins, "y": y.to_numpy()})
    tr, va = frame.iloc[train], frame.iloc[valid]
    if classification:
        classes = sorted(frame["y"].dropna().unique())
        onehot = lambda s: np.stack([(s == c).to_numpy(dtype=float) for c in classes], axis=1)
        prior = onehot(tr["y"]).mean(axis=0)
        per_bin = pd.DataFrame(onehot(tr["y"]), index=tr["bin"].to_numpy()).groupby(level=0).mean()
        probs = np.stack([per_bin.loc[b].to_numpy() if b in per_bin.index else prior for b in va["bin"]])
        truth = onehot(va["y"])
        loss = ((probs - truth) ** 2).sum()
        base = ((prior - truth) ** 2).sum()
    else:
        prior = tr["y"].mean()
        per_bin = tr.groupby("bin")["y"].mean()
        pred = np.array([per_bin.get(b, prior) for b in va["bin"]])
        loss = ((va["y"].to_numpy() - pred) ** 2).sum()
        base = ((va["y"].to_numpy() - prior) ** 2).sum()
    return 0.0 if base == 0 else float(np.clip(1 - loss / base, 0, 1))


CASES = [
    ("titanic.csv", "Survived", True),
    ("california_housing.csv", "median_house_value", False),
    ("penguins.csv", "species", True),
    ("telco_customer_churn.csv", "Churn", True),
    ("diabetic_data.csv", "readmitted", True),
]


@pytest.mark.parametrize("name,target,classification", CASES, ids=[c[0] for c in CASES])
def test_profile_matches_pandas(tmp_path, name, target, classification):
    p = run_profile(tmp_path, name, target)
    df = read_like_glassbox(dataset(name))
    assert p["rows"] == len(df)
    assert p["columns"] == df.shape[1]
    assert p["duplicate_rows"] == int(df.duplicated().sum())
    detail = {c["name"]: c for c in p["columns_detail"]}
    y = df[target]
    for col in df.columns:
        d = detail[col]
        s = df[col]
        assert d["missing"] == int(s.isna().sum()), col
        if d["type"] in ("numeric", "id") and pd.api.types.is_numeric_dtype(s):
            v = s.dropna()
            assert d["unique"] == v.nunique(), col
            st = d["numeric"]
            assert st["mean"] == pytest.approx(v.mean(), rel=1e-9, abs=1e-12), col
            assert st["std"] == pytest.approx(v.std(), rel=1e-9, abs=1e-12), col
            assert st["median"] == v.median(), col
            assert (st["min"], st["max"]) == (v.min(), v.max()), col
            for key, q in [("p1", .01), ("p5", .05), ("p25", .25), ("p75", .75), ("p95", .95), ("p99", .99)]:
                assert st["quantiles"][key] == pytest.approx(v.quantile(q), rel=1e-12, abs=1e-12), (col, key)
            if st["skew"] is not None:
                assert st["skew"] == pytest.approx(v.skew(), rel=1e-9, abs=1e-9), col
                assert st["kurtosis"] == pytest.approx(v.kurt(), rel=1e-9, abs=1e-9), col
            counts, edges = np.histogram(v.to_numpy(), bins=20)
            assert st["histogram"]["counts"] == counts.tolist(), col
            assert st["histogram"]["edges"] == pytest.approx(edges.tolist(), rel=1e-15), col
            p5, p95, med = v.quantile(.05), v.quantile(.95), v.median()
            rstd = v.clip(p5, p95).std()
            assert st["outlier_ratio"] == pytest.approx(((v - med).abs() > 5 * rstd).mean(), abs=1e-12), col
        elif d["type"] == "categorical":
            vc = s.value_counts()
            assert d["unique"] == len(vc), col
            top = sorted(vc.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
            assert [(t["value"], t["count"]) for t in d["top_categories"]] == [(str(k), int(c)) for k, c in top], col
        if col != target and d["type"] in ("numeric", "categorical", "text", "id", "constant"):
            kind = d["type"]
            x = s
            if kind in ("id", "constant") and pd.api.types.is_numeric_dtype(s):
                kind = "numeric"
            elif kind in ("id", "constant"):
                kind = "categorical"
            expected = prediction_power(x, y, classification, kind)
            assert d["prediction_power"] == pytest.approx(expected, abs=1e-9), col
    if p["correlations"]:
        cols = p["correlations"]["columns"]
        corr = df[cols].corr()
        for i, a in enumerate(cols):
            for j, b in enumerate(cols):
                got = p["correlations"]["matrix"][i][j]
                want = corr.loc[a, b]
                if np.isnan(want):
                    assert got is None
                else:
                    assert got == pytest.approx(want, abs=1e-9), (a, b)
    if classification:
        counts = {c["label"]: c["count"] for c in p["target"]["classes"]}
        assert counts == {str(k): int(v) for k, v in y.value_counts().items()}
