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
* ``SymmetricGbdt``: gradient boosting with symmetric (oblivious) trees, CatBoost's tree
  shape, in numpy, step for step as Glassbox trains it; it splits the columns
  ``category_code_columns`` names as categories;
* ``score``: the leaderboard metrics with scikit-learn's definitions;
* ``out_of_fold``, ``find_file``, ``find_models_dir``: the notebooks' folds and files.

Reading a candidate's saved ``model.json`` (``load_candidate``) and its SHAP values
(``shap_by_column``) live in ``glassbox_models.py``.

Everything else in the notebook is plain scikit-learn.
"""

import json
import math
import os
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


def category_code_columns(features):
    """The output columns of a fitted feature pipeline that hold categories' ordinal codes
    (its `TargetOrderedOrdinalEncoder` block): `SymmetricGbdt` splits them as categories."""
    columns = features.named_steps["columns"]
    encoder = columns.named_transformers_.get("categorical")
    if not isinstance(encoder, TargetOrderedOrdinalEncoder):
        return []
    block = columns.output_indices_["categorical"]
    return list(range(block.start, block.stop))


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


SYMMETRIC_MAX_BINS = 255
# The most codes a category column may have, and what a category's hessian sum gets added
# when a tree orders the categories by their mean gradient (LightGBM's cat_smooth).
SYMMETRIC_MAX_CATEGORIES = 250
CATEGORY_SMOOTHING = 10.0


def _borders(col):
    """A column's split borders: its distinct values but the largest when there are at most
    255, else the values at ranks n*k // 255 (k = 1..254) of its sorted values, distinct
    and below the largest. Missing values take no part."""
    v = np.sort(col[~np.isnan(col)])
    if not len(v):
        return v
    u = np.unique(v)
    if len(u) <= SYMMETRIC_MAX_BINS:
        return u[:-1]
    q = np.unique(v[(len(v) * np.arange(1, SYMMETRIC_MAX_BINS)) // SYMMETRIC_MAX_BINS])
    return q[q < u[-1]]


def _category_borders(col):
    """A category column's borders: its distinct codes, or None when a value is not an
    integer code from -1 to 254, or there are none or more than 250."""
    v = col[~np.isnan(col)]
    if not len(v) or not np.all(_is_code(v)):
        return None
    u = np.unique(v)
    return u if len(u) <= SYMMETRIC_MAX_CATEGORIES else None


def _is_code(v):
    """Whether values are category codes: integers from -1 to 254."""
    with np.errstate(invalid="ignore"):
        return (v >= -1) & (v <= 254) & (v == np.floor(v))


def _bins(X, borders, category=()):
    """0 for a missing value, else 1 + the number of borders below the value. In a category
    column, 1 + the code's place among the borders; the bin after the last for a code that
    is not one of them; 0 for a missing value or anything that is not a code."""
    B = np.zeros(X.shape, dtype=np.int64)
    for f, b in enumerate(borders):
        col = X[:, f]
        i = np.searchsorted(b, col, side="left")
        if f in category:
            hit = (i < len(b)) & (b[np.minimum(i, len(b) - 1)] == col)
            B[:, f] = np.where(_is_code(col), 1 + np.where(hit, i, len(b)), 0)
        else:
            B[:, f] = np.where(np.isnan(col), 0, 1 + i)
    return B


def _category_ranks(codes, g, h, bins):
    """A tree's order of a category column's bins: every bin (missing and unseen too, whose
    key is 0) by G / (H + 10) of its rows, ascending, ties by bin. Each bin's rank."""
    G = np.bincount(codes, weights=g, minlength=bins)
    H = np.bincount(codes, weights=h, minlength=bins)
    rank = np.empty(bins, dtype=np.int64)
    rank[np.argsort(G / (H + CATEGORY_SMOOTHING), kind="stable")] = np.arange(bins)
    return rank


class _SymmetricBooster:
    """One booster of symmetric trees: a tree is its level splits (column, bin b: bins <= b
    go left; in a category column, the bins the tree ranks <= b), its 2**depth leaf values
    and its category columns' ranks; a row's leaf is its split outcomes read as binary
    digits, the first split's the highest."""

    def __init__(self, base_score, borders, category, trees):
        self.base_score, self.borders, self.category, self.trees = base_score, borders, category, trees

    def predict(self, X):
        B = _bins(np.asarray(X, dtype="float64"), self.borders, self.category)
        out = np.full(len(B), self.base_score)
        for splits, values, ranks in self.trees:
            leaf = np.zeros(len(B), dtype=np.int64)
            for f, b in splits:
                col = ranks[f][B[:, f]] if f in ranks else B[:, f]
                leaf = leaf * 2 + (col > b)
            out = out + values[leaf]
        return out


class SymmetricGbdt(Forust):
    """Gradient boosting with symmetric (oblivious) trees as Glassbox trains it (its
    `symmetric-gbdt`), summing in the same order so the numbers are the same: squared loss
    for regression, log loss for two classes, one-vs-rest boosters for more; each level
    of a tree takes the split (column, border) with the highest sum over the level's
    leaves of GL^2/(HL + l2) + GR^2/(HR + l2); a leaf's value is -learning_rate * G /
    (H + l2), kept as float32 as forust keeps leaf weights; below the first level, where
    Glassbox does, histograms sum the smaller side of the last split and subtract its
    cumulative sums from the parent's; training stops 50 rounds after the lowest validation
    loss and drops those rounds. Columns given as `categorical_features` (category codes)
    are split as categories, as Glassbox does: each tree orders their codes by
    G / (H + 10) of the codes' rows (a code it never saw, and a missing value, by 0) and
    splits that order."""

    def __init__(self, n_classes=0, iterations=1000, learning_rate=0.1, depth=6, l2_leaf_reg=3.0):
        super().__init__(n_classes=n_classes, iterations=iterations, learning_rate=learning_rate,
                         depth=depth, l2_leaf_reg=l2_leaf_reg)

    def _booster(self, objective, early_stopping):
        raise NotImplementedError("SymmetricGbdt trains its own trees")

    def fit(self, X, y, sample_weight=None, eval_set=None, categorical_features=()):
        X = np.ascontiguousarray(X, dtype="float64")
        y = np.asarray(y, dtype="float64")
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype="float64")
        borders, category = [], set()
        for f in range(X.shape[1]):
            codes = _category_borders(X[:, f]) if f in set(categorical_features) else None
            if codes is not None:
                category.add(f)
            borders.append(_borders(X[:, f]) if codes is None else codes)
        B = _bins(X, borders, category)
        ev = None
        if eval_set is not None:
            ev = (_bins(np.asarray(eval_set[0], dtype="float64"), borders, category),
                  np.asarray(eval_set[1], dtype="float64"))
        if self.n_classes == 0:
            self.boosters_ = [self._one(B, y, w, ev, borders, category, log=False)]
        elif self.n_classes == 2:
            self.boosters_ = [self._one(B, y, w, ev, borders, category, log=True)]
        else:
            self.boosters_ = [
                self._one(B, (y == c).astype("float64"), w,
                          None if ev is None else (ev[0], (ev[1] == c).astype("float64")),
                          borders, category, log=True)
                if (y == c).any() else None
                for c in range(self.n_classes)
            ]
        return self

    def _one(self, B, y, w, ev, borders, category, log):
        p = self.params
        lr, depth, l2 = p["learning_rate"], int(p["depth"]), p["l2_leaf_reg"]
        n, F = B.shape
        nb = np.array([len(b) + 2 for b in borders], dtype=np.int64)
        total_bins = int(nb.sum())
        # Columns are scored in groups by their number of bins rounded up to a power of two;
        # the padding bins are empty, so the cumulative sums along a column's own bins are
        # Glassbox's, and splits at or past the column's last bin are never chosen.
        width = np.maximum(2, 2 ** np.ceil(np.log2(np.maximum(nb, 2)))).astype(np.int64)
        is_cat = np.array([f in category for f in range(F)], dtype=bool)
        groups = []
        for k in np.unique(width):
            cols = np.flatnonzero(width == k)
            k, m = int(k), len(cols)
            cells = np.ascontiguousarray(B[:, cols] + np.arange(m)[None, :] * k)
            allowed = np.arange(k - 1)[None, :] < (nb[cols][:, None] - 1)
            groups.append((cols, k, cells, allowed))
        cats = sorted(category)
        mean = np.cumsum(w * y)[-1] / np.cumsum(w)[-1]
        base = math.log(mean / (1.0 - mean)) if log else float(mean)
        Fx = np.full(n, base)
        Fe = None if ev is None else np.full(len(ev[1]), base)
        trees, best, best_round = [], np.inf, 0
        for it in range(int(p["iterations"])):
            if log:
                q = 1.0 / (1.0 + np.exp(-Fx))
                g, h = w * (q - y), w * q * (1.0 - q)
            else:
                g, h = w * (Fx - y), w
            weights = [(np.repeat(g, len(c)), np.repeat(h, len(c))) for c, _, _, _ in groups]
            # This tree's order of each category column's bins: its codes read as ranks.
            ranks = {f: _category_ranks(B[:, f], g, h, int(nb[f])) for f in cats}
            Bt = B
            if ranks:
                Bt = B.copy()
                for f, r in ranks.items():
                    Bt[:, f] = r[B[:, f]]
            tree_groups = [(cols, k, np.ascontiguousarray(Bt[:, cols] + np.arange(len(cols))[None, :] * k)
                            if is_cat[cols].any() else cells, allowed)
                           for cols, k, cells, allowed in groups]
            leaf = np.zeros(n, dtype=np.int64)
            splits = []
            hists = [None] * len(groups)
            for level in range(depth):
                L = 1 << level
                best_score = np.full(F, -np.inf)
                best_bin = np.zeros(F, dtype=np.int64)
                # Histogram subtraction from the second level on, where the level's cells
                # (leaf x bin, every column) are at most rows x columns / 16: the smaller side
                # of the last split (ties: the left) is summed, each sibling is its parent's
                # cumulative histogram minus it.
                side = None
                if level > 0 and 16 * L * total_bins <= n * F:
                    right = int((leaf & 1).sum())
                    side = int(right < n - right)
                    sel = np.flatnonzero((leaf & 1) == side)
                for gi, ((cols, k, cells, allowed), (gw, hw)) in enumerate(zip(tree_groups, weights)):
                    # Histograms per (leaf, column, bin); bincount adds in row order.
                    m = len(cols)
                    if side is None:
                        idx = (leaf[:, None] * (m * k) + cells).ravel()
                        gh = np.bincount(idx, weights=gw, minlength=L * m * k).reshape(L, m, k)
                        hh = np.bincount(idx, weights=hw, minlength=L * m * k).reshape(L, m, k)
                        gl, hl = np.cumsum(gh, axis=2), np.cumsum(hh, axis=2)
                    else:
                        idx = ((leaf[sel] >> 1)[:, None] * (m * k) + cells[sel]).ravel()
                        half = (L // 2) * m * k
                        gs = np.bincount(idx, weights=np.repeat(g[sel], m), minlength=half)
                        hs = np.bincount(idx, weights=np.repeat(h[sel], m), minlength=half)
                        gs = np.cumsum(gs.reshape(L // 2, m, k), axis=2)
                        hs = np.cumsum(hs.reshape(L // 2, m, k), axis=2)
                        pg, ph = hists[gi]
                        gl, hl = np.empty((L, m, k)), np.empty((L, m, k))
                        gl[side::2], hl[side::2] = gs, hs
                        gl[1 - side::2], hl[1 - side::2] = pg - gs, ph - hs
                    hists[gi] = (gl, hl)
                    gr, hr = gl[:, :, -1:] - gl, hl[:, :, -1:] - hl
                    score = np.zeros((m, k))
                    for j in range(L):
                        score += gl[j] ** 2 / (hl[j] + l2) + gr[j] ** 2 / (hr[j] + l2)
                    score = np.where(allowed, score[:, :-1], -np.inf)
                    best_bin[cols] = np.argmax(score, axis=1)
                    best_score[cols] = score[np.arange(m), best_bin[cols]]
                if not F:
                    break
                f = int(np.argmax(best_score))
                b = int(best_bin[f])
                splits.append((f, b))
                leaf = leaf * 2 + (Bt[:, f] > b)
            L = 1 << len(splits)
            G = np.bincount(leaf, weights=g, minlength=L)
            H = np.bincount(leaf, weights=h, minlength=L)
            values = (-lr * G / (H + l2)).astype(np.float32).astype("float64")
            Fx = Fx + values[leaf]
            trees.append((splits, values, {f: ranks[f] for f, _ in splits if f in ranks}))
            if ev is not None:
                le = np.zeros(len(ev[1]), dtype=np.int64)
                for f, b in splits:
                    col = ranks[f][ev[0][:, f]] if f in ranks else ev[0][:, f]
                    le = le * 2 + (col > b)
                Fe = Fe + values[le]
                if log:
                    pe = np.clip(1.0 / (1.0 + np.exp(-Fe)), 1e-15, 1 - 1e-15)
                    loss = -np.cumsum(ev[1] * np.log(pe) + (1.0 - ev[1]) * np.log(1.0 - pe))[-1]
                else:
                    loss = np.cumsum((Fe - ev[1]) * (Fe - ev[1]))[-1]
                if loss < best:
                    best, best_round = loss, it + 1
                if it + 1 - best_round >= 50:
                    break
        if ev is not None:
            trees = trees[:best_round]
        return _SymmetricBooster(base, borders, category, trees)


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


# --------------------------------------------------------------------------- files


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
