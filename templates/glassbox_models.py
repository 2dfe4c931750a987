"""Glassbox's saved models in Python, for the notebooks: read without Glassbox.

* ``load_candidate``: reads a candidate's ``candidates/NAME/model.json`` (its fitted
  pipelines and one model per fold, or an ensemble's members) and predicts with it;
* ``shap_by_column``: a candidate's SHAP values computed with the ``shap`` package
  (``TreeExplainer`` on its trees, ``LinearExplainer`` on linear models), summed back to
  the input columns as ``explainability.json`` states them.

The feature steps scikit-learn lacks (``DateParts``, ``KeyCounts``, ``Forust``, ...) live in
``glassbox_helpers.py``; keep both files beside the notebooks.
"""

import base64
import json
import math
import os
import tempfile
import zlib
from collections import Counter

import numpy as np

from glassbox_helpers import (DATE_PARTS, MISSING_CATEGORY, DateParts, Forust, analyzer,
                              key_rows, sigmoid)

# The algorithms whose model files hold boosters of forust prediction trees (forust grows
# `gbdt`'s; Glassbox grows `symmetric-gbdt`'s symmetric trees and stores them the same way).
BOOSTED = ("gbdt", "symmetric-gbdt")


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


def _category_splits(c, n_trees):
    """One booster's category splits from model.json (`{"tree", "node", "sizes", "codes"}`,
    packed): per tree, {node: the codes it sends left}."""
    out = [{} for _ in range(n_trees)]
    if c is None:
        return out
    tree, node, sizes, codes = (_unpack(c[k]).astype(np.int64) for k in ("tree", "node", "sizes", "codes"))
    for t, n, left in zip(tree, node, np.split(codes, np.cumsum(sizes)[:-1]) if len(sizes) else []):
        out[t][n] = left
    return out


def _is_code(v):
    """Whether values are category codes: integers from -1 to 254."""
    with np.errstate(invalid="ignore"):
        return (v >= -1) & (v <= 254) & (v == np.floor(v))


def _goes_left(v, codes):
    """Whether values `v` are among a category split's `codes`."""
    return np.isin(v, codes.astype("float64"))


class _Booster:
    """A forust booster as model.json stores it (parallel arrays per tree), predicting as
    forust does: base score plus each tree's leaf weight in turn; a missing value takes
    the node's missing branch, else `value < split` goes left. At a category split (its
    value NaN; the symmetric learner's) a code goes left when it is one of the split's
    codes, right otherwise, and any value that is not a code takes the missing branch."""

    def __init__(self, b, categories=None):
        self.base_score = float(b["base_score"])
        trees = _tree_list(b["trees"])
        self.covers = [np.asarray(t.get("cover", []), dtype="float64") for t in trees]
        self.trees = [(np.asarray(t["feature"], dtype=np.int64), np.asarray(t["value"], dtype="float64"),
                       np.asarray(t["left"], dtype=np.int64), np.asarray(t["right"], dtype=np.int64),
                       np.asarray(t["missing"], dtype=np.int64)) for t in trees]
        self.categories = _category_splits(categories, len(trees))

    def predict(self, X):
        X = np.asarray(X, dtype="float64")
        out = np.full(len(X), self.base_score)
        for (feature, value, left, right, missing), cats in zip(self.trees, self.categories):
            node = np.zeros(len(X), dtype=np.int64)
            while True:
                rows = np.nonzero(feature[node] >= 0)[0]
                if not len(rows):
                    break
                at = node[rows]
                v = X[rows, feature[at]]
                go_left, to_missing = v < value[at], np.isnan(v)
                for n, codes in cats.items():
                    here = at == n
                    go_left[here] = _goes_left(v[here], codes)
                    to_missing[here] = ~_is_code(v[here])
                node[rows] = np.where(to_missing, missing[at], np.where(go_left, left[at], right[at]))
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
        if m["algorithm"] in BOOSTED:
            boosters = m.pop("boosters")
            categories = m.pop("category_splits", None) or [None] * len(boosters)
            self.boosters = [None if b is None else
                             _Booster(b, c) if "base_score" in b and (isinstance(b["trees"], dict)
                                                                      or _is_arrays(b["trees"]))
                             else _forust_booster(b)
                             for b, c in zip(boosters, categories)]

    def predict(self, X):
        m, k, a = self.m, self.k, self.m["algorithm"]
        if a in BOOSTED:
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


def shap_booster(b, n_features):
    """A forust booster in shap's dict format, and the columns to append to its input. forust
    sends `x < split` left where shap sends `x <= threshold` left: the threshold is the
    float just below the split. shap cannot read a category split; within a tree, the
    category splits of one column send nested sets of codes left (prefixes of the tree's
    order), so they become splits on one appended column for that tree and column: the
    first of the sets, smallest first, that holds the value's code (`len(sets)` when none
    does). A value in the k-th set or an earlier one goes left: `<= k`. That column stands
    only for its source column and only in its tree, so its SHAP value is the source's
    share from that tree. Returns `(model, appended)`: `appended` lists (source column,
    sets) per appended column, for `category_columns`."""
    trees, appended = [], []
    for (f, v, l, r, m), c, cats in zip(b.trees, b.covers, b.categories):
        f, threshold = f.copy(), np.nextafter(v, -np.inf)
        for source in sorted({int(f[n]) for n in cats}):
            nodes = [n for n in cats if f[n] == source]
            sets = sorted({tuple(cats[n]) for n in nodes}, key=len)
            if any(not set(a) <= set(b_) for a, b_ in zip(sets, sets[1:])):
                raise ValueError(f"a tree's category splits of column {source} are not nested")
            for n in nodes:
                f[n], threshold[n] = n_features + len(appended), sets.index(tuple(cats[n]))
            appended.append((source, [np.asarray(s, dtype="float64") for s in sets]))
        trees.append(_shap_tree(f, threshold, l, r, m, np.where(f < 0, v, 0.0).reshape(-1, 1), c))
    return {"trees": trees, "base_offset": b.base_score}, appended


def category_columns(Z, appended):
    """`Z` with the columns `shap_booster` appended: per (source column, sets), the first
    set holding each row's value (NaN for a value that is not a code: missing)."""
    cols = []
    for source, sets in appended:
        v = Z[:, source]
        first = np.full(len(v), float(len(sets)))
        for k in reversed(range(len(sets))):
            first[_goes_left(v, sets[k])] = k
        first[~_is_code(v)] = np.nan
        cols.append(first)
    return np.column_stack([Z] + cols) if cols else Z


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
        elif a in BOOSTED:
            parts, evs = [], []
            for b in model.boosters:
                tree_model, appended = shap_booster(b, Z.shape[1])
                e = shap.TreeExplainer(tree_model, feature_perturbation="tree_path_dependent")
                phi_b = np.asarray(e.shap_values(category_columns(Z, appended), check_additivity=False))
                phi_b = phi_b.reshape(len(Z), -1)
                for j, (source, _) in enumerate(appended):
                    phi_b[:, source] += phi_b[:, Z.shape[1] + j]
                parts.append(phi_b[:, :Z.shape[1]])
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
