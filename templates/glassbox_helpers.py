"""Helpers for the Glassbox candidate definition notebook.

Only what scikit-learn lacks exactly lives here:

* ``read_data``: reads the data file with Glassbox's missing-value and type rules;
* ``DateParts``: datetime columns -> year, month, day, weekday, hour, days since 1970;
* ``KeyCounts``: a repeated key column -> how many other training rows share the row's key;
* ``TargetOrderedOrdinalEncoder``: scikit-learn's ``OrdinalEncoder`` with the categories
  ordered by the training target (Glassbox's trees split better on such codes);
* ``TopTermsTfidf``: ``TfidfVectorizer`` keeping the ``max_features`` most frequent n-grams,
  ties broken alphabetically (scikit-learn breaks ties arbitrarily);
* ``Forust``: the forust ``GradientBooster`` as Glassbox drives it (one booster per class
  for multiclass, early stopping on the validation fold);
* ``score``: the leaderboard metrics with scikit-learn's definitions;
* ``load_candidate``: reads a candidate's ``model.json`` and predicts with it, without
  Glassbox.

Everything else in the notebook is plain scikit-learn.
"""

import base64
import json
import math
import os
import tempfile
import zlib
from collections import Counter

import numpy as np
import pandas as pd
from sklearn import metrics as skm
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import OrdinalEncoder

STANDARD_MISSING = {"", "?", "na", "n/a", "null", "nan"}
DATE_PARTS = ["year", "month", "day", "weekday", "hour", "days"]
MISSING_CATEGORY = "__missing__"


# --------------------------------------------------------------------------- reading


# A number written with thousands separators ("1,234,567"): read as pandas reads it with
# thousands=",". Glassbox's reader applies the same rule.
GROUPED_NUMBER = r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?"


def _numbers(s):
    """Text as numbers (NaN where it is not one), thousands separators allowed."""
    s = s.astype(object)
    grouped = s.str.fullmatch(GROUPED_NUMBER, na=False).astype(bool)
    return pd.to_numeric(s.where(~grouped, s.str.replace(",", "", regex=False)), errors="coerce")


def _strings(series):
    """Trimmed text with Glassbox's missing tokens as NaN; `None` is missing only in a
    column whose other values are numbers (or that has no other values)."""
    s = series.astype(object).where(series.notna(), "").astype(str).str.strip()
    miss = s.str.lower().isin(STANDARD_MISSING)
    others = s[~miss & (s != "None")]
    numeric = len(others) > 0 and _numbers(others).notna().all()
    if numeric or len(others) == 0:
        miss |= s == "None"
    return s.mask(miss)


def read_data(path, features, target, sep=",", compression=None, fmt="csv"):
    """The feature columns (typed as Glassbox typed them) and the raw target column.

    `features`: list of (name, kind, date_format) with kind numeric, categorical, text or
    datetime.
    """
    if fmt == "parquet":
        raw = pd.read_parquet(path)
    else:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, sep=sep,
                          skip_blank_lines=True, compression=compression)
        raw.columns = [f"Unnamed: {i}" if c.startswith("Unnamed:") else c
                       for i, c in enumerate(raw.columns)]
    missing = [name for name, _, _ in features if name not in raw.columns]
    if missing:
        raise KeyError(f"{path}: no column named {missing[0]!r}")
    X = pd.DataFrame(index=raw.index)
    for name, kind, date_format in features:
        s = _strings(raw[name])
        if kind == "numeric":
            X[name] = _numbers(s).astype("float64")
        elif kind == "datetime":
            X[name] = pd.to_datetime(s, format=date_format, errors="coerce")
        else:
            X[name] = s.astype(object).where(s.notna(), np.nan)
    return X, _strings(raw[target])


def target_codes(y, classes):
    """Class ids (positions in `classes`) for classification, numbers for regression;
    NaN where the target is missing."""
    if not classes:
        return _numbers(y).to_numpy(dtype="float64")
    numbers = _numbers(y)
    if numbers.notna().sum() == y.notna().sum() and y.notna().any():
        # A numeric target: classes are its sorted distinct values.
        values = np.array([float(c) for c in classes])
        ids = np.searchsorted(values, numbers.to_numpy(dtype="float64"))
        return np.where(numbers.notna(), ids, np.nan)
    index = {c: i for i, c in enumerate(classes)}
    return np.array([index.get(v, np.nan) if isinstance(v, str) else np.nan for v in y],
                    dtype="float64")


# --------------------------------------------------------------------------- steps


class DateParts(BaseEstimator, TransformerMixin):
    """Replace each datetime column by `<col>__year`, `__month`, `__day`, `__weekday`
    (Monday = 0), `__hour` and `__days` (days since 1970-01-01, fractional)."""

    def __init__(self, columns=()):
        self.columns = columns

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        X = X.copy()
        for c in self.columns:
            t = pd.to_datetime(X[c])
            secs = (t - pd.Timestamp(0)) / pd.Timedelta(seconds=1)
            whole = pd.to_datetime(np.floor(secs), unit="s")
            X[f"{c}__year"] = whole.dt.year.astype("float64")
            X[f"{c}__month"] = whole.dt.month.astype("float64")
            X[f"{c}__day"] = whole.dt.day.astype("float64")
            X[f"{c}__weekday"] = whole.dt.weekday.astype("float64")
            X[f"{c}__hour"] = whole.dt.hour.astype("float64")
            X[f"{c}__days"] = secs / 86400.0
        return X.drop(columns=list(self.columns))


def _key_values(s, numeric):
    """A key column's cells as Glassbox compares them: numbers when its keys are numbers."""
    return _numbers(s) if numeric else s


class KeyCounts(BaseEstimator, TransformerMixin):
    """Replace each repeated key column (an id whose values repeat) by `<col>__rows`: how
    many *other* rows of the training data hold the row's key. `fit_transform` gives the
    rows fitted on (each counts itself out); `transform` gives new rows (the training rows
    of their key; 0 for an unseen key). A missing key counts 0. Keys that are all numbers
    are compared as numbers, as Glassbox types them."""

    def __init__(self, columns=()):
        self.columns = columns

    def fit(self, X, y=None):
        self.numeric_, self.counts_ = {}, {}
        for c in self.columns:
            present = X[c].dropna()
            numeric = len(present) > 0 and bool(_numbers(present).notna().all())
            self.numeric_[c] = numeric
            self.counts_[c] = _key_values(present, numeric).value_counts().to_dict()
        return self

    def _replace(self, X, fitted):
        X = X.copy()
        for c in self.columns:
            counts = _key_values(X[c], self.numeric_[c]).map(self.counts_[c])
            counts = counts.astype("float64").fillna(0.0)
            X[f"{c}__rows"] = (counts - 1).clip(lower=0) if fitted else counts
        return X.drop(columns=list(self.columns))

    def transform(self, X):
        return self._replace(X, fitted=False)

    def fit_transform(self, X, y=None):
        return self.fit(X)._replace(X, fitted=True)


def key_rows(state, s):
    """`<col>__rows` of new rows from a saved key state (model.json's `key_counts`)."""
    numeric = bool(state.get("numbers"))
    index = dict(zip(state["numbers"] if numeric else state.get("labels", []), state["counts"]))
    return _key_values(s, numeric).map(index).astype("float64").fillna(0.0).to_numpy()


class TargetOrderedOrdinalEncoder(BaseEstimator, TransformerMixin):
    """`OrdinalEncoder(min_frequency=m, handle_unknown="use_encoded_value",
    unknown_value=-1, encoded_missing_value=-1)` whose frequent categories are ordered by
    the smoothed mean of a target score (the target for regression; for classification,
    whether the row is of the most frequent class), ties alphabetical. Infrequent
    categories share the code after the frequent ones."""

    def __init__(self, min_frequency=5, classification=True, smoothing=10.0):
        self.min_frequency = min_frequency
        self.classification = classification
        self.smoothing = smoothing

    def fit(self, X, y):
        X = pd.DataFrame(X)
        y = [float(v) for v in np.asarray(y, dtype="float64")]
        if self.classification:
            counts = Counter(y)
            top = min(counts, key=lambda c: (-counts[c], c))
            score = [1.0 if v == top else 0.0 for v in y]
        else:
            score = y
        prior = 0.0
        for s in score:  # summed in row order, as Glassbox does
            prior += s
        prior /= max(len(score), 1)
        categories = []
        for col in X.columns:
            counts, sums = Counter(), {}
            for v, s in zip(X[col], score):
                if isinstance(v, str):
                    counts[v] += 1
                    sums[v] = sums.get(v, 0.0) + s
            frequent = sorted(c for c in counts if counts[c] >= self.min_frequency)
            rare = sorted(c for c in counts if counts[c] < self.min_frequency)
            m = self.smoothing
            frequent.sort(key=lambda c: ((sums[c] + m * prior) / (counts[c] + m), c))
            categories.append(frequent + rare)
        self.encoder_ = OrdinalEncoder(
            categories=[np.array(c, dtype=object) for c in categories],
            min_frequency=self.min_frequency, handle_unknown="use_encoded_value",
            unknown_value=-1, encoded_missing_value=-1)
        self.encoder_.fit(X)
        self.categories_ = categories
        return self

    def transform(self, X):
        return self.encoder_.transform(pd.DataFrame(X)).astype("float64")


def analyzer(ngram_max):
    """scikit-learn's default word analyzer: lowercase, tokens of two or more word
    characters, n-grams joined by a space."""
    return TfidfVectorizer(ngram_range=(1, ngram_max)).build_analyzer()


class TopTermsTfidf(BaseEstimator, TransformerMixin):
    """`TfidfVectorizer(ngram_range=(1, ngram_max), vocabulary=V)` where V is the
    `max_features` n-grams most frequent in the training rows, ties alphabetical. Missing
    text is empty text. Outputs a dense array (no columns when V is empty)."""

    def __init__(self, max_features=300, ngram_max=2):
        self.max_features = max_features
        self.ngram_max = ngram_max

    @staticmethod
    def _docs(X):
        s = pd.DataFrame(X).iloc[:, 0]
        return [v if isinstance(v, str) else "" for v in s]

    def fit(self, X, y=None):
        docs = self._docs(X)
        analyze = analyzer(self.ngram_max)
        tf = Counter()
        for d in docs:
            tf.update(analyze(d))
        top = sorted(tf.items(), key=lambda kv: (-kv[1], kv[0]))[: self.max_features]
        self.vocabulary_ = sorted(t for t, _ in top)
        self.vectorizer_ = None
        if self.vocabulary_:
            self.vectorizer_ = TfidfVectorizer(ngram_range=(1, self.ngram_max),
                                               vocabulary=self.vocabulary_).fit(docs)
        return self

    def transform(self, X):
        docs = self._docs(X)
        if self.vectorizer_ is None:
            return np.zeros((len(docs), 0))
        return self.vectorizer_.transform(docs).toarray()


# --------------------------------------------------------------------------- forust


def sigmoid(z):
    z = np.asarray(z, dtype="float64")
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    e = np.exp(z[~pos])
    out[~pos] = e / (1.0 + e)
    return out


class Forust(BaseEstimator):
    """forust's GradientBooster as Glassbox trains it: SquaredLoss for regression, LogLoss
    for two classes, one LogLoss booster per class (one-vs-rest, probabilities normalised)
    for more. `fit` takes the validation fold for early stopping (50 rounds)."""

    def __init__(self, n_classes=0, **params):
        self.n_classes = n_classes
        self.params = params

    def get_params(self, deep=True):
        return {"n_classes": self.n_classes, **self.params}

    def set_params(self, **params):
        self.n_classes = params.pop("n_classes", self.n_classes)
        self.params.update(params)
        return self

    def _booster(self, objective, early_stopping):
        from forust import GradientBooster

        return GradientBooster(objective_type=objective,
                               early_stopping_rounds=50 if early_stopping else None,
                               **self.params)

    def fit(self, X, y, sample_weight=None, eval_set=None):
        X = np.ascontiguousarray(X, dtype="float64")
        y = np.asarray(y, dtype="float64")
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype="float64")

        def one(objective, target, eval_target):
            b = self._booster(objective, eval_set is not None)
            ev = None
            if eval_set is not None:
                xv = np.ascontiguousarray(eval_set[0], dtype="float64")
                ev = [(xv, eval_target, np.ones(len(eval_target)))]
            return b.fit(X, target, sample_weight=w, evaluation_data=ev)

        yv = None if eval_set is None else np.asarray(eval_set[1], dtype="float64")
        if self.n_classes == 0:
            self.boosters_ = [one("SquaredLoss", y, yv)]
        elif self.n_classes == 2:
            self.boosters_ = [one("LogLoss", y, yv)]
        else:
            self.boosters_ = [
                one("LogLoss", (y == c).astype("float64"),
                    None if yv is None else (yv == c).astype("float64"))
                if (y == c).any() else None
                for c in range(self.n_classes)
            ]
        return self

    def _raw(self, X):
        X = np.ascontiguousarray(X, dtype="float64")
        return [np.full(len(X), -np.inf) if b is None else np.asarray(b.predict(X), dtype="float64")
                for b in self.boosters_]

    def predict_output(self, X):
        """Probabilities (n x k) or values (n)."""
        raw = self._raw(X)
        if self.n_classes == 0:
            return raw[0]
        if self.n_classes == 2:
            q = sigmoid(raw[0])
            return np.column_stack([1.0 - q, q])
        p = np.column_stack([sigmoid(r) for r in raw])
        return p / p.sum(axis=1, keepdims=True)


def balanced_weights(y, n_classes):
    """scikit-learn's class_weight="balanced" as sample weights: n / (k * count)."""
    y = np.asarray(y, dtype=int)
    counts = np.bincount(y, minlength=n_classes).astype("float64")
    return len(y) / (n_classes * counts[y])


def predict_output(model, X):
    """Probabilities (n x k) for classifiers, values (n) for regressors."""
    if hasattr(model, "predict_output"):
        return model.predict_output(X)
    if hasattr(model, "predict_proba"):
        return model.predict_proba(X)
    return model.predict(X)


# --------------------------------------------------------------------------- metrics


def score(metric, y, pred, n_classes=0, positive=None):
    """One leaderboard metric. `y`: class ids or values; `pred`: probabilities (n x k,
    classes in label order) or values. Binary F1, Precision and Recall are for the
    `positive` class id; the predicted class is the first of highest probability."""
    y = np.asarray(y)
    if n_classes == 0:
        pred = np.asarray(pred, dtype="float64")
        return {
            "MSE": lambda: skm.mean_squared_error(y, pred),
            "RMSE": lambda: math.sqrt(skm.mean_squared_error(y, pred)),
            "MAE": lambda: skm.mean_absolute_error(y, pred),
            "R2": lambda: skm.r2_score(y, pred),
        }[metric]()
    y = y.astype(int)
    proba = np.asarray(pred, dtype="float64")
    label = proba.argmax(axis=1)
    labels = list(range(n_classes))
    if metric == "AUC":
        if n_classes == 2:
            return skm.roc_auc_score(y == positive, proba[:, positive])
        return float(np.mean([skm.roc_auc_score(y == j, proba[:, j]) for j in labels]))
    if metric == "LogLoss":
        return skm.log_loss(y, proba / proba.sum(axis=1, keepdims=True), labels=labels)
    present = sorted(set(y.tolist()) | set(label.tolist()))
    return {
        "Accuracy": lambda: skm.accuracy_score(y, label),
        "BalancedAccuracy": lambda: skm.balanced_accuracy_score(y, label),
        "F1": lambda: skm.f1_score(y, label, pos_label=positive, average="binary", zero_division=0),
        "Precision": lambda: skm.precision_score(y, label, pos_label=positive, average="binary", zero_division=0),
        "Recall": lambda: skm.recall_score(y, label, pos_label=positive, average="binary", zero_division=0),
        "F1macro": lambda: skm.f1_score(y, label, labels=present, average="macro", zero_division=0),
        "PrecisionMacro": lambda: skm.precision_score(y, label, labels=present, average="macro", zero_division=0),
        "RecallMacro": lambda: skm.recall_score(y, label, labels=present, average="macro", zero_division=0),
    }[metric]()


# --------------------------------------------------------------------------- model files


class _Pipeline:
    """A fitted Glassbox pipeline, read from model.json: the same transformation as the
    scikit-learn ColumnTransformer, from the saved state (medians, categories, vocabulary)."""

    def __init__(self, state):
        self.s = state

    def sources(self):
        """The input column behind each output column: date parts and missing indicators
        map to their column, one-hot and TF-IDF blocks to theirs (to sum SHAP values back
        to input columns)."""
        s = self.s
        dates = set(s["datetime_columns"])
        keys = {k["column"] for k in s.get("key_counts", [])}

        def base(name):
            col, sep, part = name.rpartition("__")
            return col if sep and (col in dates or col in keys and part == "rows") else name
        out = [base(n) for n in s["numeric_inputs"]]
        out += [base(s["numeric_inputs"][i]) for i in s["indicators"]]
        one_hot = s["spec"]["categorical"] == "one_hot"
        for c in s["categorical"]:
            out += [c["column"]] * ((len(c["categories"]) + (1 if c["infrequent"] else 0)) if one_hot else 1)
        for t in s["text"]:
            out += [t["column"]] * len(t["vocabulary"])
        return out

    def transform(self, X):
        s = self.s
        n = len(X)
        dates = set(s["datetime_columns"])
        parts = DateParts(sorted(dates)).transform(X[sorted(dates)]) if dates else None
        keys = {k["column"]: k for k in s.get("key_counts", [])}
        raw = []
        for name in s["numeric_inputs"]:
            col, _, part = name.rpartition("__")
            if col in dates and part in DATE_PARTS:
                raw.append(parts[name].to_numpy(dtype="float64"))
            elif col in keys and part == "rows":
                raw.append(key_rows(keys[col], X[col]))
            else:
                raw.append(X[name].to_numpy(dtype="float64"))
        out = [np.where(np.isnan(v), m, v) for v, m in zip(raw, s["medians"])]
        out += [np.isnan(raw[i]).astype("float64") for i in s["indicators"]]
        if s.get("scaler"):
            out = [(v - mean) / scale for v, (mean, scale) in zip(out, s["scaler"])]
        one_hot = s["spec"]["categorical"] == "one_hot"
        for c in s["categorical"]:
            values = X[c["column"]].tolist()
            index = {v: i for i, v in enumerate(c["categories"])}
            rare = set(c["infrequent"])
            if one_hot:
                width = len(c["categories"]) + (1 if rare else 0)
                block = np.zeros((width, n))
                for r, v in enumerate(values):
                    v = v if isinstance(v, str) else MISSING_CATEGORY
                    if v in index:
                        block[index[v], r] = 1.0
                    elif rare:
                        block[width - 1, r] = 1.0
                out += list(block)
            else:
                out.append(np.array([
                    index[v] if v in index else (len(index) if v in rare else -1)
                    if isinstance(v, str) else -1 for v in values], dtype="float64"))
        for t in s["text"]:
            analyze = analyzer(t["ngram_max"])
            index = {w: i for i, w in enumerate(t["vocabulary"])}
            idf = np.array(t["idf"])
            block = np.zeros((n, len(index)))
            for r, v in enumerate(X[t["column"]].tolist()):
                counts = Counter(j for j in map(index.get, analyze(v if isinstance(v, str) else ""))
                                 if j is not None)
                for j, cnt in counts.items():
                    block[r, j] = cnt * idf[j]
                norm = math.sqrt(sum(block[r, j] ** 2 for j in sorted(counts)))
                if norm > 0:
                    block[r] /= norm
            out += list(block.T)
        return np.column_stack(out) if out else np.zeros((n, 0))


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _binary(z):
    q = sigmoid(z)
    return np.column_stack([1.0 - q, q])


def _unpack(a):
    """An array model.json holds: packed (``{"dtype", "len", "zlib"}``: little-endian numbers
    in the smallest exact type, their bytes grouped by position, zlib, base64; with
    ``values``, places in that table of distinct numbers), or a list.
    Integers come back as int64, the rest as float64: every number exactly as written."""
    if not isinstance(a, dict):
        return np.asarray(a, dtype="float64")
    if "values" in a:  # each number's place in a sorted table of the distinct ones
        return _unpack(a["values"])[_unpack({k: v for k, v in a.items() if k != "values"})]
    dt = np.dtype("<" + a["dtype"])
    raw = zlib.decompress(base64.b64decode(a["zlib"]))
    if len(raw) != dt.itemsize * a["len"]:
        raise ValueError(f"a packed array holds {len(raw)} bytes, not {a['len']} {a['dtype']} numbers")
    x = np.frombuffer(raw, np.uint8).reshape(dt.itemsize, a["len"]).T.copy().view(dt).ravel()
    return x.astype(np.int64 if dt.kind in "iu" else "float64")


def _depth_first_rights(feature):
    """Each split's right child (as a node index of the whole array) in trees laid out depth
    first, whose left child is the next node: the next node at the same level, counting +1
    for a split and -1 for a leaf before it (the node after the left subtree)."""
    step = np.where(feature >= 0, 1, -1)
    level = np.cumsum(step) - step
    if len(level) and -32768 <= level.min() and level.max() < 32768:
        level = level.astype(np.int16)  # a stable sort of 16-bit keys is a radix sort
    order = np.argsort(level, kind="stable")
    following = np.full(len(level), -1, dtype=np.int64)
    following[order[:-1]] = order[1:]
    return following[feature >= 0]


def _tree_list(trees):
    """The trees of a forest or booster, one dict of arrays each: model.json packs every
    tree's arrays end to end (with the trees' sizes, and arrays per node, per split or per
    leaf; a forest laid out depth first stores no children); older files list the trees."""
    if not isinstance(trees, dict):
        return trees
    sizes = _unpack(trees["tree_sizes"])
    if not len(sizes):
        return []
    feature = _unpack(trees["per_node"]["feature"])
    ends = np.cumsum(sizes)
    inner = np.concatenate([[0], np.cumsum(feature >= 0)])
    counts = {"per_node": ends, "per_split": inner[ends], "per_leaf": ends - inner[ends]}
    groups = {g: {name: feature if name == "feature" else _unpack(a) for name, a in arrays.items()}
              for g, arrays in trees.items() if g in counts}
    if "per_split" in groups and "right" not in groups["per_split"]:
        splits = np.diff(np.concatenate([[0], counts["per_split"]]))
        groups["per_split"]["right"] = _depth_first_rights(feature) - np.repeat(ends - sizes, splits)
    out = [{} for _ in sizes]
    for group, arrays in groups.items():
        total = counts[group][-1]
        for name, x in arrays.items():
            width = len(x) // total if total else 1  # a leaf's values: `dim` numbers
            for t, part in enumerate(np.split(x, counts[group][:-1] * width)):
                out[t][name] = part
    return out


def _is_arrays(trees):
    return not trees or "feature" in trees[0]


def _forest_tree(tree, dim):
    """(feature, threshold, left, right, value) arrays of one forest tree, from the
    parallel arrays model.json stores (or, in older files, one tuple per node)."""
    if isinstance(tree, dict):
        feature = np.asarray(tree["feature"], dtype=np.int64)
        n, split = len(feature), feature >= 0
        threshold, left, right = np.zeros(n), np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
        threshold[split] = tree["threshold"]
        right[split] = tree["right"]
        # The left child is the next node unless the file says otherwise.
        left[split] = tree["left"] if "left" in tree else np.flatnonzero(split) + 1
        value = np.zeros((n, dim))
        value[~split] = np.asarray(tree["value"], dtype="float64").reshape(-1, dim)
        return (feature, threshold, left, right, value)
    n = len(tree)
    feature = np.full(n, -1, dtype=np.int64)
    threshold = np.zeros(n)
    left = np.zeros(n, dtype=np.int64)
    right = np.zeros(n, dtype=np.int64)
    value = np.zeros((n, dim))
    for i, node in enumerate(tree):
        if node[0] == "S":
            _, feature[i], threshold[i], left[i], right[i] = node
        else:
            value[i] = node[1]
    return (feature, threshold, left, right, value)


class _Booster:
    """A forust booster as model.json stores it (parallel arrays per tree), predicting as
    forust does: base score plus each tree's leaf weight in turn; a missing value takes
    the node's missing branch, else `value < split` goes left."""

    def __init__(self, b):
        self.base_score = float(b["base_score"])
        trees = _tree_list(b["trees"])
        self.covers = [np.asarray(t.get("cover", []), dtype="float64") for t in trees]
        self.trees = [(np.asarray(t["feature"], dtype=np.int64), np.asarray(t["value"], dtype="float64"),
                       np.asarray(t["left"], dtype=np.int64), np.asarray(t["right"], dtype=np.int64),
                       np.asarray(t["missing"], dtype=np.int64)) for t in trees]

    def predict(self, X):
        X = np.asarray(X, dtype="float64")
        out = np.full(len(X), self.base_score)
        for feature, value, left, right, missing in self.trees:
            node = np.zeros(len(X), dtype=np.int64)
            while True:
                rows = np.nonzero(feature[node] >= 0)[0]
                if not len(rows):
                    break
                at = node[rows]
                v = X[rows, feature[at]]
                node[rows] = np.where(np.isnan(v), missing[at],
                                      np.where(v < value[at], left[at], right[at]))
            out += value[node]
        return out


def _forust_booster(b):
    """A booster in forust's own serde form (model files before the compact format)."""
    from forust import GradientBooster

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(b, f)
    try:
        return GradientBooster.load_booster(f.name)
    finally:
        os.unlink(f.name)


class _Model:
    """A fitted learner from model.json, predicting as Glassbox does."""

    def __init__(self, m):
        self.m = m
        task = m["task"]
        self.k = task["Classification"]["n_classes"] if isinstance(task, dict) else 0
        if m["algorithm"] == "forest":
            # Each tree as arrays: feature (-1 at a leaf), threshold, children, leaf value;
            # and the training weight that reached each node (for TreeSHAP).
            dim = max(self.k, 1)
            trees = _tree_list(m.pop("trees"))
            self.covers = [np.asarray(t.get("cover", []), dtype="float64") if isinstance(t, dict)
                           else np.zeros(0) for t in trees]
            self.trees = [_forest_tree(tree, dim) for tree in trees]
        if m["algorithm"] == "gbdt":
            self.boosters = [None if b is None else
                             _Booster(b) if "base_score" in b and (isinstance(b["trees"], dict)
                                                                   or _is_arrays(b["trees"]))
                             else _forust_booster(b)
                             for b in m.pop("boosters")]

    def predict(self, X):
        m, k, a = self.m, self.k, self.m["algorithm"]
        if a == "gbdt":
            f = Forust(n_classes=k)
            f.boosters_ = self.boosters
            return f.predict_output(X)
        if a == "linear":
            z = X @ np.array(m["coef"]).T + np.array(m["intercept"])
            if k == 0:
                return z[:, 0]
            return _binary(z[:, 0]) if k == 2 else _softmax(z)
        if a == "mlp":
            w1 = np.array(m["w1"]).reshape(m["n_in"], m["hidden"])
            w2 = np.array(m["w2"]).reshape(m["hidden"], m["n_out"])
            out = np.maximum(X @ w1 + np.array(m["b1"]), 0.0) @ w2 + np.array(m["b2"])
            return out[:, 0] * m["y_scale"] + m["y_mean"] if k == 0 else _softmax(out)
        if a == "knn":
            train = _unpack(m["x"]).astype("float64").reshape(-1, m["cols"])
            y = _unpack(m["y"])
            # model.json holds the complete, resolved hyperparameters: no defaults here.
            kk = min(max(int(m["params"]["n_neighbors"]), 1), len(y))
            by_distance = m["params"]["weights"] == "distance"
            rows = []
            for q in X:
                # Summed in column order, as Glassbox sums (numpy's sum adds pairwise): the
                # same distances bit for bit, so near-ties order the same.
                d = np.cumsum((train - q) ** 2, axis=1)[:, -1] if train.shape[1] else np.zeros(len(y))
                near = np.lexsort((np.arange(len(d)), d))[:kk]
                dn = d[near]
                if not by_distance:
                    w = np.ones(kk)
                elif (dn == 0).any():
                    w = (dn == 0).astype("float64")
                else:
                    w = 1.0 / np.sqrt(dn)
                if k == 0:
                    rows.append([(w * y[near]).sum() / w.sum()])
                else:
                    acc = np.zeros(k)
                    np.add.at(acc, y[near].astype(int), w)
                    rows.append(acc / w.sum())
            rows = np.array(rows)
            return rows[:, 0] if k == 0 else rows
        if a == "forest":
            dim = max(k, 1)
            acc = np.zeros((len(X), dim))
            for feature, threshold, left, right, value in self.trees:
                # Every row walks down at once; missing values go left.
                node = np.zeros(len(X), dtype=np.int64)
                while True:
                    f = feature[node]
                    inner = f >= 0
                    if not inner.any():
                        break
                    rows = np.nonzero(inner)[0]
                    v = X[rows, f[rows]]
                    go_left = np.isnan(v) | (v <= threshold[node[rows]])
                    node[rows] = np.where(go_left, left[node[rows]], right[node[rows]])
                acc += value[node]
            acc /= max(len(self.trees), 1)
            return acc[:, 0] if k == 0 else acc
        raise ValueError(f"unknown algorithm {a!r}")


class Candidate:
    """A saved Glassbox candidate: its fold models (averaged) or, for an ensemble, its
    weighted members. An ensemble's file names its members; each member's own model file
    is in the folder beside (`folder/../NAME/model.json`)."""

    def __init__(self, doc, folder="."):
        self.doc = doc
        self.name = doc["name"]
        self.classes = doc["classes"]
        self.folds = [(_Pipeline(f["pipeline"]), _Model(f["model"])) for f in doc["folds"]]
        self.members = [(w, load_candidate(os.path.join(folder, "..", m)) if isinstance(m, str)
                         else Candidate(m, folder)) for w, m in doc["members"]]

    def predict_fold(self, X, fold):
        """What fold model `fold` predicts (for out-of-fold scoring)."""
        if self.members:
            total = sum(w for w, _ in self.members)
            return sum(w / total * c.predict_fold(X, fold) for w, c in self.members)
        pipeline, model = self.folds[fold]
        return model.predict(pipeline.transform(X))

    def predict(self, X):
        """Probabilities (n x k) or values (n): the mean of the fold models."""
        if self.members:
            total = sum(w for w, _ in self.members)
            return sum(w / total * c.predict(X) for w, c in self.members)
        return sum(self.predict_fold(X, f) for f in range(len(self.folds))) / len(self.folds)


def _compact(d):
    """Tree nodes become tuples as they are read, so a large forest never exists as
    millions of dicts: ("S", feature, threshold, left, right) or ("L", value)."""
    if len(d) == 1:
        if "Split" in d:
            s = d["Split"]
            return ("S", s["feature"], s["threshold"], s["left"], s["right"])
        if "Leaf" in d and isinstance(d["Leaf"], dict) and "value" in d["Leaf"]:
            return ("L", d["Leaf"]["value"])
    return d


def load_candidate(path):
    """Read `candidates/NAME/model.json` (or the folder holding it)."""
    if os.path.isdir(path):
        path = os.path.join(path, "model.json")
    with open(path, encoding="utf-8") as f:
        return Candidate(json.load(f, object_hook=_compact), os.path.dirname(path))


def out_of_fold(folds, n_rows, predict):
    """Assemble out-of-fold predictions on every validation row (sorted), as Glassbox
    scores candidates. `predict(fold, train_rows, valid_rows)` returns that fold's
    predictions for its validation rows."""
    rows = sorted(r for _, valid in folds for r in valid)
    pos = {r: i for i, r in enumerate(rows)}
    out = None
    for f, (train, valid) in enumerate(folds):
        p = np.asarray(predict(f, train, valid))
        if out is None:
            out = np.zeros((len(rows),) + p.shape[1:])
        out[[pos[r] for r in valid]] = p
    return rows, out


def find_models_dir(recorded):
    """The candidates' folder: `../candidates` beside the notebooks' folder (a job folder,
    the downloaded zip), else where the job wrote it. (A job that trained nothing has
    none; the cells that need model files say so.)"""
    for path in (os.path.join("..", "candidates"), recorded):
        if path and os.path.isdir(path):
            return path
    return recorded


def find_file(recorded, name):
    """The data file: where the job read it, else a copy beside the notebook or in
    ../data (as in a downloaded bundle)."""
    for path in (recorded, name, os.path.join("..", "data", name), os.path.join("data", name)):
        if path and os.path.exists(path):
            return path
    raise FileNotFoundError(
        f"{name}: not found at {recorded!r}, beside the notebook or in ../data; "
        "set DATA_FILE to where the file is")


# --------------------------------------------------------------------------- SHAP values


def _summed_covers(feature, left, right, cover):
    """Each internal node's cover as the sum of its children's (as Glassbox explains)."""
    cover = np.array(cover, dtype="float64")
    order, stack = [], [0]
    while stack:
        i = stack.pop()
        order.append(i)
        if feature[i] >= 0:
            stack += [left[i], right[i]]
    for i in reversed(order):
        if feature[i] >= 0:
            cover[i] = cover[left[i]] + cover[right[i]]
    return cover


def _shap_tree(feature, threshold, left, right, default, value, cover):
    leaf = feature < 0
    return {
        "children_left": np.where(leaf, -1, left).astype(np.int32),
        "children_right": np.where(leaf, -1, right).astype(np.int32),
        "children_default": np.where(leaf, -1, default).astype(np.int32),
        "features": np.where(leaf, -2, feature).astype(np.int32),
        "thresholds": np.where(leaf, 0.0, threshold).astype("float64"),
        "values": value,
        "node_sample_weight": _summed_covers(feature, left, right, cover),
    }


def _node_covers(feature, cover):
    """Covers per node from model.json, which stores the leaves' only (a split's is the
    sum of its leaves')."""
    cover = np.asarray(cover, dtype="float64")
    if len(cover) == len(feature):
        return cover
    full = np.zeros(len(feature))
    full[feature < 0] = cover
    return full


def shap_forest(model):
    """A Glassbox forest (one fold model) in shap's dict format for `TreeExplainer`: leaf
    values divided by the number of trees; `x <= threshold` and missing values go left."""
    n = len(model.trees)
    return {"trees": [_shap_tree(f, t, l, r, l, v / n, _node_covers(f, c))
                      for (f, t, l, r, v), c in zip(model.trees, model.covers)],
            "base_offset": 0.0}


def shap_booster(b):
    """A forust booster in shap's dict format. forust sends `x < split` left where shap
    sends `x <= threshold` left: the threshold is the float just below the split."""
    trees = [_shap_tree(f, np.nextafter(v, -np.inf), l, r, m, np.where(f < 0, v, 0.0).reshape(-1, 1), c)
             for (f, v, l, r, m), c in zip(b.trees, b.covers)]
    return {"trees": trees, "base_offset": b.base_score}


def _by_column(phi, sources, columns):
    """(n, outputs-of-pipeline) SHAP values summed to input columns: (n, columns)."""
    index = {c: i for i, c in enumerate(columns)}
    out = np.zeros((phi.shape[0], len(columns)))
    for j, s in enumerate(sources):
        out[:, index[s]] += phi[:, j]
    return out


def shap_by_column(candidate, X, background=None):
    """SHAP values of a candidate's fold models computed with the shap package, summed back
    to input columns and averaged over the folds, in the space `explainability.json` states:
    `(values (rows, columns, outputs), expected (outputs,))`. Trees: `TreeExplainer` with
    `feature_perturbation="tree_path_dependent"`; linear models: `LinearExplainer` against
    `background` (the rows of explain_background.csv)."""
    import shap

    columns = [f["name"] for f in candidate.doc["features"]]
    total, expected = 0.0, 0.0
    k = len(candidate.folds)
    for pipeline, model in candidate.folds:
        Z = pipeline.transform(X)
        a = model.m["algorithm"]
        if a == "forest":
            e = shap.TreeExplainer(shap_forest(model), feature_perturbation="tree_path_dependent")
            phi, ev = np.asarray(e.shap_values(Z, check_additivity=False)), np.atleast_1d(e.expected_value)
        elif a == "gbdt":
            parts, evs = [], []
            for b in model.boosters:
                e = shap.TreeExplainer(shap_booster(b), feature_perturbation="tree_path_dependent")
                parts.append(np.asarray(e.shap_values(Z, check_additivity=False)).reshape(len(Z), -1))
                evs.append(float(np.atleast_1d(e.expected_value)[0]))
            phi, ev = np.stack(parts, axis=2), np.array(evs)
        elif a == "linear":
            coef, intercept = np.array(model.m["coef"]), np.array(model.m["intercept"])
            e = shap.LinearExplainer((coef, intercept), pipeline.transform(background))
            phi = np.asarray(e.shap_values(Z))
            if coef.shape[0] > 1 and phi.shape[0] == coef.shape[0] and phi.ndim == 3 and phi.shape[2] != coef.shape[0]:
                phi = np.moveaxis(phi, 0, 2)
            ev = np.atleast_1d(e.expected_value)
        else:
            raise ValueError(f"{a}: explained by sampling, not by a fold model")
        if phi.ndim == 2:
            phi = phi[:, :, None]
        sources = pipeline.sources()
        cols = np.stack([_by_column(phi[:, :, o], sources, columns) for o in range(phi.shape[2])], axis=2)
        total = total + cols / k
        expected = expected + ev / k
    return total, expected
