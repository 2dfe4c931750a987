"""Candidates-only → review → train, over real HTTP: the job stops at its candidate
definitions, the notebooks exist before training, bad train requests are 4xx naming the
field, the chosen candidates train in the same job with the edited ranges, and the
regenerated notebooks (downloaded as one zip) run offline and match the leaderboard."""

import io
import json
import re
import zipfile

import nbformat
import pytest
import requests
from nbclient import NotebookClient

from test_jobs_api import candidates, create, job_body, ready_dataset, wait_job


@pytest.fixture(scope="module")
def penguins(server):
    return ready_dataset(server, "penguins.csv")


def notebook_file(server, job, file):
    return requests.get(f"{server.url}/api/automl-jobs/{job}/notebooks/{file}", timeout=60)


def train(server, job, body):
    return requests.post(f"{server.url}/api/automl-jobs/{job}/train", json=body, timeout=30)


def test_candidates_only_review_then_train(server, penguins, tmp_path):
    body = job_body("penguins-review", penguins, "species", criteria={"MaxCandidates": 5})
    body["GenerateCandidateDefinitionsOnly"] = True
    assert create(server, body).status_code == 201
    d = wait_job(server, "penguins-review", 60)
    assert (d["AutoMLJobStatus"], d["AutoMLJobSecondaryStatus"]) == ("Completed", "CandidateDefinitionsGenerated")
    assert candidates(server, "penguins-review") == []

    # The review page offers every definition; the names come from the job.
    page = requests.get(f"{server.url}/jobs/penguins-review", timeout=10).text
    assert 'id="review-form"' in page and page.count('name="candidate"') >= 6
    offered = re.findall(r'data-candidate="([^"]+)"', page)
    gbdt = next(n for n in offered if re.fullmatch(r"cand-\d+-gbdt-dpp0", n))
    linear = next(n for n in offered if "-linear-" in n)

    # Both notebooks are there before any training; the candidate one lists the definitions.
    r = notebook_file(server, "penguins-review", "candidate-definition.ipynb")
    assert r.status_code == 200, r.text
    nb = nbformat.reads(r.text, as_version=4)
    nbformat.validate(nb)
    text = "".join(c.source for c in nb.cells)
    assert gbdt in text and "not trained" in text
    assert "LEADERBOARD = {}" in text
    assert notebook_file(server, "penguins-review", "data-exploration.ipynb").status_code == 200

    # Bad requests name the field; nothing starts.
    cases = [
        ({"Candidates": []}, "Candidates"),
        ({"Candidates": ["cand-999-nope"]}, "Candidates[0]"),
        ({"Candidates": [gbdt, gbdt]}, "Candidates[1]"),
        ({"Candidates": [gbdt], "HyperparameterRanges": {linear: {}}},
         f"HyperparameterRanges.{linear}"),
        ({"Candidates": [gbdt],
          "HyperparameterRanges": {gbdt: {"momentum": {"type": "float", "low": 0, "high": 1, "log": False}}}},
         f"HyperparameterRanges.{gbdt}.momentum"),
        ({"Candidates": [gbdt],
          "HyperparameterRanges": {gbdt: {"learning_rate": {"type": "float", "low": 0.3, "high": 0.1, "log": True}}}},
         f"HyperparameterRanges.{gbdt}.learning_rate"),
        ({"Candidates": [gbdt],
          "HyperparameterRanges": {gbdt: {"max_depth": {"type": "choice", "values": [3]}}}},
         f"HyperparameterRanges.{gbdt}.max_depth"),
        ({"Candidates": [gbdt], "Extra": 1}, None),
    ]
    for bad, field in cases:
        r = train(server, "penguins-review", bad)
        assert r.status_code == 400, (bad, r.status_code, r.text)
        if field:
            assert r.json()["field"] == field, (bad, r.json())
    assert wait_job(server, "penguins-review", 5)["AutoMLJobSecondaryStatus"] == "CandidateDefinitionsGenerated"

    # Train two of them, with a narrowed learning-rate range for the booster.
    chosen = [gbdt, linear]
    narrowed = {"type": "float", "low": 0.05, "high": 0.08, "log": True}
    r = train(server, "penguins-review", {"Candidates": chosen,
                                          "HyperparameterRanges": {gbdt: {"learning_rate": narrowed}}})
    assert r.status_code == 200, r.text
    d = wait_job(server, "penguins-review", 240)
    assert d["AutoMLJobStatus"] == "Completed", d
    assert d["AutoMLJobSecondaryStatus"] in ("MaxCandidatesReached", "Completed")
    got = candidates(server, "penguins-review")
    names = [c["CandidateName"] for c in got]
    assert set(chosen) <= set(names), names
    assert len(names) == len(set(names)), "no candidate overwrote another"
    for c in got:
        if c["CandidateName"] in chosen or c.get("Algorithm") is None or c["Algorithm"] == "ensemble":
            continue
        # The search drew only from the chosen arms, within the edited range.
        assert (c["Algorithm"], c["FeaturePipeline"]) in {("gbdt", "dpp0"), ("linear", "dpp1")}, c
        if c["Algorithm"] == "gbdt":
            assert 0.05 <= c["Hyperparameters"]["learning_rate"] <= 0.08, c["Hyperparameters"]
    # A second train request is refused: the job is no longer waiting for a review.
    assert train(server, "penguins-review", {"Candidates": chosen}).status_code == 409

    # The notebooks were regenerated for what was trained; the zip runs offline.
    r = notebook_file(server, "penguins-review", "notebooks.zip")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(r.content))
    files = set(z.namelist())
    for f in ["candidate_definition.ipynb", "data_exploration.ipynb", "glassbox_helpers.py", "glassbox_models.py",
              "splits.json", "requirements.txt"]:
        assert f"penguins-review/notebooks/{f}" in files, files
    assert "penguins-review/data/penguins.csv" in files
    assert all(f"penguins-review/candidates/{n}/model.json" in files for n in names)
    z.extractall(tmp_path)
    nbdir = tmp_path / "penguins-review" / "notebooks"
    nb = nbformat.read(nbdir / "candidate_definition.ipynb", as_version=4)
    assert gbdt in "".join(c.source for c in nb.cells if c.cell_type == "code")
    # The edited range is the one the notebook shows for the chosen booster.
    assert '"learning_rate": {"high": 0.08, "log": True, "low": 0.05, "type": "float"}' in \
        "".join(c.source for c in nb.cells if c.cell_type == "code")
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(nbdir)}}).execute()
    outputs = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    completed = [c for c in got if c["CandidateStatus"] == "Completed"]
    assert f"reproduced {len(completed)} candidates, {len(completed)} within their tolerance" in outputs
    assert f"scored {len(completed)} saved models" in outputs

    # The read-only views render the notebooks.
    for kind in ["candidate-definition", "data-exploration"]:
        r = requests.get(f"{server.url}/jobs/penguins-review/notebooks/{kind}", timeout=10)
        assert r.status_code == 200 and 'id="notebook"' in r.text
    assert requests.get(f"{server.url}/jobs/penguins-review/notebooks/other", timeout=10).status_code == 404
    for f in ["glassbox_helpers.py", "glassbox_models.py", "requirements.txt", "splits.json"]:
        r = notebook_file(server, "penguins-review", f)
        assert r.status_code == 200 and r.content, f
    assert json.loads(notebook_file(server, "penguins-review", "splits.json").text)["folds"]
    assert notebook_file(server, "penguins-review", "secrets.txt").status_code == 404
