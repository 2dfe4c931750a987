"""AutoML jobs over real HTTP against a running server."""

import io
import os
import sqlite3
import subprocess
import time
import zipfile

import pytest
import requests

from conftest import Server, dataset, glassbox_binary


def ready_dataset(server, name, target=None):
    r = server.upload(dataset(name), target=target)
    assert r.status_code == 201, r.text
    ds = r.json()["DatasetId"]
    assert server.wait_dataset(ds)["DatasetStatus"] == "Ready"
    return ds


def job_body(name, ds, target, runtime=None, **config):
    body = {
        "AutoMLJobName": name,
        "InputDataConfig": [{"DataSource": {"DatasetId": ds}, "TargetAttributeName": target, "ChannelType": "training"}],
    }
    criteria = {}
    if runtime is not None:
        criteria["MaxAutoMLJobRuntimeInSeconds"] = runtime
    criteria.update(config.pop("criteria", {}))
    body["AutoMLJobConfig"] = {"CompletionCriteria": criteria, **config}
    return body


def create(server, body):
    return requests.post(server.url + "/api/automl-jobs", json=body, timeout=30)


def wait_job(server, name, timeout, until=("Completed", "Failed", "Stopped")):
    deadline = time.time() + timeout
    while time.time() < deadline:
        d = requests.get(f"{server.url}/api/automl-jobs/{name}", timeout=10).json()
        if d["AutoMLJobStatus"] in until:
            return d
        time.sleep(0.3)
    raise AssertionError(f"job {name} not in {until} after {timeout} s: {d['AutoMLJobStatus']}")


def candidates(server, name, **params):
    r = requests.get(f"{server.url}/api/automl-jobs/{name}/candidates", params=params, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["Candidates"]


@pytest.fixture(scope="module")
def titanic(server):
    return ready_dataset(server, "titanic.csv")


def test_titanic_job_runs_to_completion(server, titanic):
    r = create(server, job_body("titanic-20s", titanic, "Survived", runtime=20))
    assert r.status_code == 201, r.text
    assert r.json()["AutoMLJobArn"].endswith("automl-job/titanic-20s")
    d = wait_job(server, "titanic-20s", 60)
    assert d["AutoMLJobStatus"] == "Completed", d
    assert d["AutoMLJobSecondaryStatus"] in ("MaxAutoMLJobRuntimeReached", "MaxCandidatesReached", "Completed")
    assert d["ProblemType"] == "BinaryClassification"
    assert d["ResolvedAttributes"]["AutoMLJobObjective"]["MetricName"] == "F1"
    cands = candidates(server, "titanic-20s", SortBy="FinalObjectiveMetricValue", SortOrder="Descending")
    assert len(cands) >= 3
    values = [c["FinalAutoMLJobObjectiveMetric"]["Value"] for c in cands if c["FinalAutoMLJobObjectiveMetric"]]
    assert values == sorted(values, reverse=True)
    assert cands[0]["CandidateName"] == d["BestCandidate"]["CandidateName"]
    for key in ["CandidateSteps", "CandidateProperties", "ObjectiveStatus", "CandidateStatus", "Algorithm", "Hyperparameters"]:
        assert key in cands[0], key
    # Sorting, filtering and paging.
    asc = candidates(server, "titanic-20s", SortOrder="Ascending", StatusEquals="Completed", MaxResults=2)
    assert len(asc) == 2 and all(c["CandidateStatus"] == "Completed" for c in asc)
    assert asc[0]["FinalAutoMLJobObjectiveMetric"]["Value"] <= asc[1]["FinalAutoMLJobObjectiveMetric"]["Value"]
    listed = requests.get(server.url + "/api/automl-jobs", timeout=10).json()["AutoMLJobSummaries"]
    assert any(j["AutoMLJobName"] == "titanic-20s" for j in listed)
    # Pages show it.
    page = requests.get(server.url + "/jobs/titanic-20s", timeout=10)
    assert page.status_code == 200 and d["BestCandidate"]["CandidateName"] in page.text
    cpage = requests.get(f"{server.url}/jobs/titanic-20s/candidates/{cands[0]['CandidateName']}", timeout=10)
    assert cpage.status_code == 200 and "Validation metrics" in cpage.text
    # Both notebooks download as nbformat 4.5; the candidate one defines every candidate.
    nb = requests.get(server.url + "/api/automl-jobs/titanic-20s/notebooks/data-exploration.ipynb", timeout=10)
    assert nb.status_code == 200, nb.text
    assert nb.json()["nbformat"] == 4 and nb.json()["nbformat_minor"] == 5
    assert "attachment" in nb.headers["content-disposition"]
    cd = requests.get(server.url + "/api/automl-jobs/titanic-20s/notebooks/candidate-definition.ipynb", timeout=10)
    assert cd.status_code == 200, cd.text
    assert cd.json()["nbformat_minor"] == 5
    source = "".join("".join(c["source"]) for c in cd.json()["cells"])
    assert all(c["CandidateName"] in source for c in cands if c["CandidateStatus"] == "Completed")


@pytest.mark.parametrize("what,mutate,field", [
    ("unknown dataset", lambda b: b["InputDataConfig"][0]["DataSource"].update(DatasetId="nope"), "InputDataConfig[0].DataSource.DatasetId"),
    ("unknown target", lambda b: b["InputDataConfig"][0].update(TargetAttributeName="Nope"), "InputDataConfig[0].TargetAttributeName"),
    ("bad metric", lambda b: b.update(AutoMLJobObjective={"MetricName": "Gini"}), "AutoMLJobObjective.MetricName"),
    ("zero budget", lambda b: b["AutoMLJobConfig"]["CompletionCriteria"].update(MaxAutoMLJobRuntimeInSeconds=0), "AutoMLJobConfig.CompletionCriteria.MaxAutoMLJobRuntimeInSeconds"),
    ("negative candidates", lambda b: b["AutoMLJobConfig"]["CompletionCriteria"].update(MaxCandidates=-3), "AutoMLJobConfig.CompletionCriteria.MaxCandidates"),
    ("duplicate name", lambda b: b.update(AutoMLJobName="titanic-20s"), "AutoMLJobName"),
    ("bad name", lambda b: b.update(AutoMLJobName="no spaces!"), "AutoMLJobName"),
    ("unknown field", lambda b: b.update(AutoMLJobObjectiv={"MetricName": "F1"}), "AutoMLJobObjectiv"),
    ("missing target", lambda b: b["InputDataConfig"][0].pop("TargetAttributeName"), "InputDataConfig[0].TargetAttributeName"),
    ("bad problem type", lambda b: b.update(ProblemType="Clustering"), "ProblemType"),
    ("bad algorithm", lambda b: b["AutoMLJobConfig"].update(CandidateGenerationConfig={"AlgorithmsConfig": [{"AutoMLAlgorithms": ["magic"]}]}), "AutoMLJobConfig.CandidateGenerationConfig.AlgorithmsConfig"),
])
def test_invalid_bodies_are_400_naming_the_field(server, titanic, what, mutate, field):
    if what == "duplicate name":
        wait_job(server, "titanic-20s", 60)
    body = job_body(f"invalid-{abs(hash(what)) % 10000}", titanic, "Survived", runtime=10)
    mutate(body)
    r = create(server, body)
    assert r.status_code == 400, (what, r.status_code, r.text)
    assert r.json()["field"] == field, r.json()


def layout(root):
    """The files of a job folder, with candidate names made generic."""
    out = set()
    for p in root.rglob("*"):
        parts = p.relative_to(root).as_posix().split("/")
        if parts[0] == "candidates" and len(parts) > 1:
            if parts[1] == "best":
                out.add("candidates/best")
                continue
            parts[1] = "NAME"
        if p.is_file() or p.is_symlink():
            out.add("/".join(parts))
    return out


def test_a_server_job_folder_holds_what_a_cli_run_writes(server, titanic, tmp_path):
    from test_cli_automl import glassbox
    d = wait_job(server, "titanic-20s", 60)
    assert d["AutoMLJobStatus"] == "Completed", d
    served = layout(server.data_dir / "jobs" / "titanic-20s")
    r = glassbox("run", dataset("titanic.csv"), "--target", "Survived", "--out", tmp_path / "cli",
                 "--max-job-runtime", 20, "--quiet")
    assert r.returncode == 0, r.stderr
    ran = layout(tmp_path / "cli")
    assert served == ran, (served ^ ran)
    for f in ["job.json", "leaderboard.json", "profile.json", "splits.json", "candidate_definitions.json",
              "candidates/best", "candidates/NAME/model.json", "candidates/NAME/result.json",
              "notebooks/data_exploration.ipynb", "notebooks/candidate_definition.ipynb",
              "notebooks/glassbox_helpers.py", "notebooks/glassbox_models.py", "notebooks/requirements.txt", "notebooks/splits.json"]:
        assert f in served, f


def test_best_first_follows_the_objective_direction(server):
    ds = ready_dataset(server, "sklearn_diabetes.csv")
    body = job_body("diabetes-mse", ds, "target", criteria={"MaxCandidates": 4},
                    CandidateGenerationConfig={"AlgorithmsConfig": [{"AutoMLAlgorithms": ["linear", "knn"]}]})
    assert create(server, body).status_code == 201
    d = wait_job(server, "diabetes-mse", 120)
    assert d["AutoMLJobStatus"] == "Completed", d
    assert d["ResolvedAttributes"]["AutoMLJobObjective"]["MetricName"] == "MSE"
    cands = [c for c in candidates(server, "diabetes-mse") if c["FinalAutoMLJobObjectiveMetric"]]
    mse = [c["FinalAutoMLJobObjectiveMetric"]["Value"] for c in cands]
    assert len(mse) >= 3 and mse == sorted(mse), mse  # lower is better: best first
    assert cands[0]["CandidateName"] == d["BestCandidate"]["CandidateName"]
    worst_first = candidates(server, "diabetes-mse", SortOrder="Ascending", StatusEquals="Completed")
    assert worst_first[0]["FinalAutoMLJobObjectiveMetric"]["Value"] == max(mse)
    # The page's leaderboard is in the same order, with the best marked on row 1.
    page = requests.get(f"{server.url}/jobs/diabetes-mse/live", timeout=10).text
    assert page.index(cands[0]["CandidateName"]) < page.index(cands[-1]["CandidateName"])
    assert 'class="best"' in page.split("<tbody>")[1].split("</tr>")[0]


def test_malformed_json_is_400(server):
    r = requests.post(server.url + "/api/automl-jobs", data=b"{not json", headers={"Content-Type": "application/json"}, timeout=10)
    assert r.status_code == 400 and "error" in r.json()


def test_stop_keeps_candidates(server):
    ds = ready_dataset(server, "adult.csv", target="income")
    r = create(server, job_body("adult-long", ds, "income", runtime=600))
    assert r.status_code == 201, r.text
    # Pages stay responsive while it trains.
    deadline = time.time() + 60
    while not candidates(server, "adult-long") and time.time() < deadline:
        time.sleep(0.5)
    assert candidates(server, "adult-long"), "a candidate finished"
    for path in ["/healthz", "/", "/jobs/adult-long", "/api/automl-jobs/adult-long"]:
        worst = 0.0
        for _ in range(5):
            t = time.perf_counter()
            assert requests.get(server.url + path, timeout=10).status_code == 200
            worst = max(worst, time.perf_counter() - t)
        assert worst < 0.2, f"{path} took {worst * 1000:.0f} ms during training"
    # A running job cannot be deleted.
    running = requests.delete(server.url + "/api/automl-jobs/adult-long", timeout=10)
    assert running.status_code == 409 and "stop it first" in running.json()["error"], running.text
    t = time.time()
    r = requests.post(server.url + "/api/automl-jobs/adult-long/stop", timeout=10)
    assert r.status_code == 200, r.text
    d = wait_job(server, "adult-long", 20, until=("Stopped",))
    assert time.time() - t < 20
    assert d["AutoMLJobSecondaryStatus"] == "Stopped"
    kept = candidates(server, "adult-long", StatusEquals="Completed")
    assert kept and d["BestCandidate"]["CandidateName"] == kept[0]["CandidateName"]
    again = requests.post(server.url + "/api/automl-jobs/adult-long/stop", timeout=10)
    assert again.status_code == 400


def test_openapi_document_covers_the_api(server):
    r = requests.get(server.url + "/api/openapi.json", timeout=10)
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    expected = {
        "/api/datasets": {"get", "post"},
        "/api/datasets/{id}": {"get", "delete"},
        "/api/status": {"get"},
        "/api/automl-jobs/{name}/candidates/{candidate}/model.zip": {"get"},
        "/api/datasets/{id}/profile": {"get"},
        "/api/automl-jobs": {"get", "post"},
        "/api/automl-jobs/{name}": {"get"},
        "/api/automl-jobs/{name}/candidates": {"get"},
        "/api/automl-jobs/{name}/stop": {"post"},
        "/api/automl-jobs/{name}/notebooks/{file}": {"get"},
        "/api/automl-jobs/{name}/shares": {"get", "post"},
        "/api/shares/{share_id}": {"delete"},
        "/api/model-package-groups": {"get", "post"},
        "/api/model-packages": {"get", "post"},
        "/api/model-packages/{group}/{version}": {"get", "patch"},
        "/api/endpoints": {"get", "post"},
        "/api/endpoints/{name}": {"get", "put", "delete"},
        "/endpoints/{name}/invocations": {"post"},
        "/api/transform-jobs": {"post"},
        "/api/pipeline-executions": {"post"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
    create = doc["components"]["schemas"]["CreateJob"]
    assert {"AutoMLJobName", "InputDataConfig"} <= set(create["required"])
    params = {p["name"] for p in paths["/api/automl-jobs/{name}/candidates"]["get"]["parameters"]}
    assert {"SortBy", "SortOrder", "StatusEquals", "MaxResults"} <= params


def test_a_job_outlives_its_data_set_and_can_be_deleted(server, tmp_path):
    ds = ready_dataset(server, "sklearn_iris.csv")
    body = job_body("iris-lifecycle", ds, "target", criteria={"MaxCandidates": 2},
                    CandidateGenerationConfig={"AlgorithmsConfig": [{"AutoMLAlgorithms": ["linear"]}]})
    assert create(server, body).status_code == 201
    d = wait_job(server, "iris-lifecycle", 120)
    assert d["AutoMLJobStatus"] == "Completed", d
    # The best model can be taken away alone: its zip predicts as the job's own folder does.
    best = d["BestCandidate"]["CandidateName"]
    z = requests.get(f"{server.url}/api/automl-jobs/iris-lifecycle/candidates/{best}/model.zip", timeout=30)
    assert z.status_code == 200 and z.headers["content-type"] == "application/zip", z.text
    away = tmp_path / "away"
    zipfile.ZipFile(io.BytesIO(z.content)).extractall(away)
    assert {"README.txt", "glassbox_helpers.py", "glassbox_models.py", "requirements.txt"} <= set(os.listdir(away))
    preds = []
    for model in [away / "candidates" / best, server.data_dir / "jobs" / "iris-lifecycle" / "candidates" / best]:
        out = tmp_path / f"p{len(preds)}.csv"
        r = subprocess.run([str(glassbox_binary()), "predict", "--model", str(model), str(dataset("sklearn_iris.csv")),
                            "--out", str(out)], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        preds.append(out.read_text())
    assert preds[0] == preds[1]
    assert requests.get(f"{server.url}/api/automl-jobs/iris-lifecycle/candidates/nope/model.zip", timeout=10).status_code == 404
    # The data set names the jobs on it, on its record, its page and its deletion.
    assert requests.get(f"{server.url}/api/datasets/{ds}", timeout=10).json()["Jobs"] == ["iris-lifecycle"]
    page = requests.get(f"{server.url}/datasets/{ds}", timeout=10).text
    assert 'href="/jobs/iris-lifecycle"' in page and "1 job(s) trained on it: iris-lifecycle" in page
    r = requests.delete(f"{server.url}/api/datasets/{ds}", timeout=10)
    assert r.status_code == 200 and r.json()["AffectedJobs"] == ["iris-lifecycle"], r.text
    # The job stays readable: its page, its description, its notebooks (without the data).
    assert requests.get(f"{server.url}/jobs/iris-lifecycle", timeout=10).status_code == 200
    assert requests.get(f"{server.url}/api/automl-jobs/iris-lifecycle", timeout=10).status_code == 200
    z = requests.get(f"{server.url}/api/automl-jobs/iris-lifecycle/notebooks/notebooks.zip", timeout=30)
    assert z.status_code == 200 and z.headers["content-type"] == "application/zip"
    folder = server.data_dir / "jobs" / "iris-lifecycle"
    assert (folder / "job.json").exists()
    r = requests.delete(f"{server.url}/api/automl-jobs/iris-lifecycle", timeout=10)
    assert r.status_code == 204, r.text
    assert requests.get(f"{server.url}/api/automl-jobs/iris-lifecycle", timeout=10).status_code == 404
    assert not folder.exists()
    assert requests.delete(f"{server.url}/api/automl-jobs/iris-lifecycle", timeout=10).status_code == 404


def test_jobs_past_their_retention_are_deleted(tmp_path):
    s = Server(tmp_path)
    try:
        ds = ready_dataset(s, "sklearn_iris.csv")
        for name in ["old-job", "new-job"]:
            body = job_body(name, ds, "target", criteria={"MaxCandidates": 1},
                            CandidateGenerationConfig={"AlgorithmsConfig": [{"AutoMLAlgorithms": ["linear"]}]})
            assert create(s, body).status_code == 201
            assert wait_job(s, name, 120)["AutoMLJobStatus"] == "Completed"
    finally:
        s.stop()
    # One job ended 40 days ago.
    con = sqlite3.connect(tmp_path / "glassbox.db")
    with con:
        con.execute("UPDATE jobs SET ended_at = '2020-01-01T00:00:00.000Z' WHERE name = 'old-job'")
    con.close()
    s = Server(tmp_path, ["--retain-jobs-days", "30"])
    try:
        wait = time.time() + 10
        while requests.get(f"{s.url}/api/automl-jobs/old-job", timeout=10).status_code != 404:
            assert time.time() < wait, "the expired job is still there"
            time.sleep(0.2)
        assert not (tmp_path / "jobs" / "old-job").exists()
        assert requests.get(f"{s.url}/api/automl-jobs/new-job", timeout=10).status_code == 200
        assert (tmp_path / "jobs" / "new-job" / "job.json").exists()
        assert requests.get(f"{s.url}/api/status", timeout=10).json()["RetainJobsDays"] == 30
    finally:
        s.stop()


def test_a_job_without_a_finished_candidate_is_failed_with_the_reason(server, titanic):
    body = job_body("titanic-no-time", titanic, "Survived", runtime=30,
                    criteria={"MaxRuntimePerTrainingJobInSeconds": 0.001},
                    CandidateGenerationConfig={"AlgorithmsConfig": [{"AutoMLAlgorithms": ["random-forest"]}]})
    assert create(server, body).status_code == 201
    d = wait_job(server, "titanic-no-time", 60)
    assert d["AutoMLJobStatus"] == "Failed", d
    assert "no candidate finished training" in d["FailureReason"], d
    stopped = candidates(server, "titanic-no-time")
    assert stopped and all(c["CandidateStatus"] == "Stopped" for c in stopped)
