"""FLAML with a time budget: fit on train.csv, predict test.csv (same output columns as glassbox predict)."""
import sys

import pandas as pd
from flaml import AutoML

train_path, test_path, target, kind, budget, out = sys.argv[1:7]
train = pd.read_csv(train_path, na_values=["?"])
test = pd.read_csv(test_path, na_values=["?"])
y = train.pop(target)
# LightGBM refuses feature names with JSON's special characters (the clothing reviews'
# unnamed first column reads as "Unnamed: 0"): FLAML gets the columns by position.
train.columns = test.columns = [f"c{i}" for i in range(train.shape[1])]
for frame in (train, test):
    for c in frame.columns:
        if frame[c].dtype == object:
            frame[c] = frame[c].astype("category")
test = test[train.columns]
for c in train.columns:
    if str(train[c].dtype) == "category":
        test[c] = pd.Categorical(test[c], categories=train[c].cat.categories)
task = "regression" if kind == "regression" else "classification"
metric = {"binary": "roc_auc", "multiclass": "accuracy", "regression": "rmse"}[kind]
if kind != "regression":
    y = y.astype(str)
automl = AutoML()
automl.fit(train, y, task=task, metric=metric, time_budget=int(budget), seed=0, verbose=0)
if kind == "regression":
    pd.DataFrame({"predicted_label": automl.predict(test)}).to_csv(out, index=False)
else:
    proba = automl.predict_proba(test)
    classes = [str(c) for c in automl.classes_]
    res = pd.DataFrame(proba, columns=[f"proba_{c}" for c in classes])
    res.insert(0, "predicted_label", [classes[i] for i in proba.argmax(axis=1)])
    res.to_csv(out, index=False)
