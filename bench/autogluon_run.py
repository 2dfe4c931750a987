"""AutoGluon-Tabular with a time budget: fit on train.csv, predict test.csv (the same output
columns as glassbox predict). presets="medium_quality", no torch models, the scored metric."""
import sys
import tempfile

import pandas as pd
from autogluon.tabular import TabularPredictor

train_path, test_path, target, kind, budget, out = sys.argv[1:7]
train = pd.read_csv(train_path, na_values=["?"])
test = pd.read_csv(test_path, na_values=["?"])
if kind != "regression":
    train[target] = train[target].astype(str)
metric = {"binary": "roc_auc", "multiclass": "accuracy", "regression": "root_mean_squared_error"}[kind]
with tempfile.TemporaryDirectory() as path:
    predictor = TabularPredictor(label=target, eval_metric=metric, problem_type=kind, path=path,
                                 verbosity=0)
    predictor.fit(train, presets="medium_quality", time_limit=int(budget),
                  excluded_model_types=["NN_TORCH", "FASTAI"])
    test = test[[c for c in train.columns if c != target]]
    if kind == "regression":
        pd.DataFrame({"predicted_label": predictor.predict(test)}).to_csv(out, index=False)
    else:
        proba = predictor.predict_proba(test)
        classes = [str(c) for c in proba.columns]
        res = pd.DataFrame(proba.to_numpy(), columns=[f"proba_{c}" for c in classes])
        res.insert(0, "predicted_label", [classes[i] for i in proba.to_numpy().argmax(axis=1)])
        res.to_csv(out, index=False)
