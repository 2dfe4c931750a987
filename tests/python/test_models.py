"""The model registry and real-time endpoints over real HTTP: register → approve → deploy →
invoke (CSV, JSON, JSON Lines), predictions equal to `glassbox predict`, an unapproved
version refused, a swap under load that loses no request, malformed payloads answered
400, and registered files that outlive their job."""

import csv
import hashlib
import io
import json
import subprocess
import threading
import time

import pytest
import requests

from conftest import Server, dataset, glassbox_binary

IRIS = "sklearn_iris.csv"


def post(server, path, **kw):
    return requests.post(server.url + path, timeout=60, **kw)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Batch transforms here score in chunks of 40 rows, so iris crosses chunk seams."""
    s = Server(tmp_path_factory.mktemp("models-data"), env={"GLASSBOX_CHUNK_ROWS": "40"})
    yield s
    s.stop()


@pytest.fixture(scope="module")
def trained(server):
    with open(dataset(IRIS), "rb") as f:
        r = post(server, "/api/datasets", files={"file": (IRIS, f)})
    assert r.status_code == 201, r.text
    ds = r.json()["DatasetId"]
    assert server.wait_dataset(ds)["DatasetStatus"] == "Ready"
    body = {"AutoMLJobName": "iris-models",
            "InputDataConfig": [{"DataSource": {"DatasetId": ds}, "TargetAttributeName": "target"}],
            "AutoMLJobConfig": {"CompletionCriteria": {"MaxCandidates": 3, "MaxAutoMLJobRuntimeInSeconds": 120}}}
    assert post(server, "/api/automl-jobs", json=body).status_code == 201
    deadline = time.time() + 180
    while requests.get(f"{server.url}/api/automl-jobs/iris-models").json()["AutoMLJobStatus"] == "InProgress":
        assert time.time() < deadline
        time.sleep(0.3)
    cands = requests.get(f"{server.url}/api/automl-jobs/iris-models/candidates").json()["Candidates"]
    done = [c["CandidateName"] for c in cands if c["CandidateStatus"] == "Completed"]
    assert len(done) >= 2, cands
    assert post(server, "/api/model-package-groups", json={"ModelPackageGroupName": "iris"}).status_code == 201
    return ds, done


def rows_without_target():
    with open(dataset(IRIS)) as f:
        rows = list(csv.reader(f))
    header, data = rows[0], rows[1:]
    t = header.index("target")
    return [h for i, h in enumerate(header) if i != t], [[v for i, v in enumerate(r) if i != t] for r in data]


def register(server, candidate, **extra):
    body = {"ModelPackageGroupName": "iris",
            "SourceCandidate": {"AutoMLJobName": "iris-models", "CandidateName": candidate}, **extra}
    return post(server, "/api/model-packages", json=body)


def test_register_approve_deploy_invoke(server, trained, tmp_path):
    ds, done = trained
    best = done[0]
    r = register(server, best, TestDatasetId=ds)
    assert r.status_code == 201, r.text
    version = r.json()["ModelPackageVersion"]
    d = requests.get(f"{server.url}/api/model-packages/iris/{version}").json()
    assert d["ModelApprovalStatus"] == "PendingManualApproval"
    assert d["ModelMetrics"]["Validation"], d
    assert d["TestQualityReport"]["metrics"], "a test-set quality report"
    with open(dataset(IRIS), "rb") as f:
        assert d["Lineage"]["DatasetSha256"] == hashlib.sha256(f.read()).hexdigest()
    assert d["Lineage"]["CandidateName"] == best and "Seed" in d["Lineage"] and d["Lineage"]["GlassboxVersion"]
    # Not approved: not deployable.
    r = post(server, "/api/endpoints", json={"EndpointName": "iris-live", "ModelPackage": f"iris/{version}"})
    assert r.status_code == 400 and "Approved" in r.json()["error"]
    r = requests.patch(f"{server.url}/api/model-packages/iris/{version}",
                       json={"ModelApprovalStatus": "Approved", "ApprovalDescription": "test F1 holds"})
    assert r.status_code == 200, r.text
    d = requests.get(f"{server.url}/api/model-packages/iris/{version}").json()
    assert d["ModelApprovalStatus"] == "Approved" and d["ApprovalDescription"] == "test F1 holds"
    assert d["LastModifiedBy"] == "local" and d["LastModifiedTime"]
    r = post(server, "/api/endpoints", json={"EndpointName": "iris-live", "ModelPackage": f"iris/{version}"})
    assert r.status_code == 201, r.text
    assert requests.get(f"{server.url}/api/endpoints/iris-live").json()["EndpointStatus"] == "InService"

    names, rows = rows_without_target()
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    r = post(server, "/endpoints/iris-live/invocations", data=buf.getvalue(), headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/csv")
    answers = list(csv.reader(io.StringIO(r.text)))
    assert len(answers) == len(rows)
    # The same rows through `glassbox predict` on the registered (frozen) model.
    model_dir = server.data_dir / "registry" / "iris" / str(version) / "candidates" / best
    out = tmp_path / "p.csv"
    p = subprocess.run([str(glassbox_binary()), "predict", "--model", str(model_dir), str(dataset(IRIS)),
                        "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    with open(out) as f:
        expected = list(csv.DictReader(f))
    assert [a[0] for a in answers] == [e["predicted_label"] for e in expected]
    assert all(abs(float(a[1]) - float(e["probability"])) < 1e-12 for a, e in zip(answers, expected))

    instances = [dict(zip(names, r)) for r in rows[:20]]
    r = post(server, "/endpoints/iris-live/invocations", json={"instances": instances},
             headers={"Accept": "application/json"})
    assert r.status_code == 200, r.text
    preds = r.json()["predictions"]
    assert [p["predicted_label"] for p in preds] == [e["predicted_label"] for e in expected[:20]]
    for p in preds:
        assert abs(sum(p["probabilities"].values()) - 1) < 1e-9
        assert p["probability"] == max(p["probabilities"].values())
    lines = "\n".join(json.dumps(i) for i in instances)
    r = post(server, "/endpoints/iris-live/invocations", data=lines,
             headers={"Content-Type": "application/jsonlines", "Accept": "application/jsonlines"})
    assert r.status_code == 200, r.text
    assert [json.loads(l)["predicted_label"] for l in r.text.splitlines()] == [p["predicted_label"] for p in preds]


def test_explain_true_adds_the_rows_shap_values_as_predict_explain_does(server, trained, tmp_path):
    ds, done = trained
    r = post(server, "/api/endpoints", json={"EndpointName": "iris-why",
                                             "SourceCandidate": {"AutoMLJobName": "iris-models", "CandidateName": done[0]}})
    assert r.status_code == 201, r.text
    names, rows = rows_without_target()
    body = "\n".join(",".join(r) for r in rows[:10])
    r = post(server, "/endpoints/iris-why/invocations?explain=true", data=body,
             headers={"Content-Type": "text/csv", "Accept": "application/json"})
    assert r.status_code == 200, r.text
    preds = r.json()["predictions"]
    assert set(preds[0]["shap"]) == set(names) | {"base"}
    sample = tmp_path / "ten.csv"
    with open(sample, "w") as f:
        f.write(",".join(names) + "\n" + body + "\n")
    model_dir = server.data_dir / "jobs" / "iris-models" / "candidates" / done[0]
    p = subprocess.run([str(glassbox_binary()), "predict", "--explain", "--model", str(model_dir), str(sample),
                        "--out", str(tmp_path / "why.csv")], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    with open(tmp_path / "why.csv") as f:
        expected = list(csv.DictReader(f))
    for got, want in zip(preds, expected):
        for n in names:
            assert abs(got["shap"][n] - float(want[f"shap_{n}"])) < 1e-9, n
        assert abs(got["shap"]["base"] - float(want["shap_base"])) < 1e-9
    plain = post(server, "/endpoints/iris-why/invocations", data=body, headers={"Content-Type": "text/csv"})
    assert len(plain.text.splitlines()[0].split(",")) == 2, "no SHAP unless asked"
    # As CSV (no header): label, probability, then the SHAP cells in predict's column order.
    r = post(server, "/endpoints/iris-why/invocations?explain=true", data=body, headers={"Content-Type": "text/csv"})
    shap_names = [k for k in expected[0] if k.startswith("shap_")]
    assert shap_names[-1] == "shap_base"
    for line, want in zip(csv.reader(io.StringIO(r.text)), expected):
        assert line[0] == want["predicted_label"]
        assert [float(x) for x in line[2:]] == [float(want[n]) for n in shap_names]


def test_bad_payloads_are_400_naming_the_row_and_column(server, trained):
    ds, done = trained
    r = post(server, "/api/endpoints", json={"EndpointName": "iris-raw",
                                             "SourceCandidate": {"AutoMLJobName": "iris-models", "CandidateName": done[0]}})
    assert r.status_code == 201, r.text
    names, rows = rows_without_target()
    url = "/endpoints/iris-raw/invocations"
    cases = [
        ("5.1,3.5,1.4\n", "text/csv", "row 1"),
        ("5.1,3.5,1.4,0.2\n5.1,3.5\n", "text/csv", "row 2"),
        ("{not json", "application/json", "not JSON"),
        (json.dumps({"rows": []}), "application/json", "instances"),
        (json.dumps({"instances": [{names[0]: 1, "nope": 2}]}), "application/json", "nope"),
        (json.dumps({"instances": [{names[0]: {"a": 1}}]}), "application/json", names[0]),
        ("", "text/csv", "no rows"),
        ("\x00\xff\xfe", "application/jsonlines", "UTF-8"),
    ]
    for body, kind, says in cases:
        r = post(server, url, data=body.encode("latin-1"), headers={"Content-Type": kind})
        assert r.status_code == 400, (body, r.status_code, r.text)
        assert says in r.json()["error"], (body, r.json())
    assert post(server, url, data="1,2,3,4", headers={"Content-Type": "image/png"}).status_code == 415
    assert post(server, url, data="1,2,3,4", headers={"Content-Type": "text/csv", "Accept": "image/png"}).status_code == 406
    assert post(server, "/endpoints/nope/invocations", data="1,2,3,4", headers={"Content-Type": "text/csv"}).status_code == 404
    big = ("5.1,3.5,1.4,0.2\n" * 500_000).encode()
    assert len(big) > 6 * 1024 * 1024
    assert post(server, url, data=big, headers={"Content-Type": "text/csv"}).status_code == 413


def test_an_update_under_load_loses_no_request(server, trained):
    ds, done = trained
    post(server, "/api/endpoints", json={"EndpointName": "iris-swap",
                                         "SourceCandidate": {"AutoMLJobName": "iris-models", "CandidateName": done[0]}})
    _, rows = rows_without_target()
    body = "\n".join(",".join(r) for r in rows[:5])
    statuses, stop = [], threading.Event()

    def hammer():
        s = requests.Session()
        while not stop.is_set():
            statuses.append(s.post(server.url + "/endpoints/iris-swap/invocations", data=body,
                                   headers={"Content-Type": "text/csv"}, timeout=30).status_code)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for i in range(6):
            source = {"AutoMLJobName": "iris-models", "CandidateName": done[i % 2]}
            r = requests.put(f"{server.url}/api/endpoints/iris-swap", json={"SourceCandidate": source}, timeout=60)
            assert r.status_code == 200, r.text
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert len(statuses) > 20
    assert set(statuses) == {200}, sorted(set(statuses))
    d = requests.get(f"{server.url}/api/endpoints/iris-swap").json()
    assert d["EndpointStatus"] == "InService" and d["SourceCandidate"]["CandidateName"] == done[1]
    # A model that does not load changes nothing: the endpoint goes on serving its own.
    broken = server.data_dir / "jobs" / "iris-models" / "candidates" / done[0] / "model.json"
    kept = broken.read_bytes()
    broken.write_text("{not a model")
    try:
        r = requests.put(f"{server.url}/api/endpoints/iris-swap",
                         json={"SourceCandidate": {"AutoMLJobName": "iris-models", "CandidateName": done[0]}})
        assert r.status_code == 409 and "does not load" in r.json()["error"]
    finally:
        broken.write_bytes(kept)
    d = requests.get(f"{server.url}/api/endpoints/iris-swap").json()
    assert d["EndpointStatus"] == "InService" and d["SourceCandidate"]["CandidateName"] == done[1]
    assert post(server, "/endpoints/iris-swap/invocations", data=body, headers={"Content-Type": "text/csv"}).status_code == 200


def wait_transform(server, name):
    deadline = time.time() + 120
    while True:
        d = requests.get(f"{server.url}/api/transform-jobs/{name}").json()
        if d["TransformJobStatus"] != "InProgress":
            return d
        assert time.time() < deadline
        time.sleep(0.2)


def test_batch_transform_equals_predict_and_keeps_the_input(server, trained, tmp_path):
    ds, done = trained
    source = {"AutoMLJobName": "iris-models", "CandidateName": done[0]}
    r = post(server, "/api/transform-jobs", json={"TransformJobName": "iris-batch", "SourceCandidate": source,
                                                 "TransformInput": {"DatasetId": ds}, "JoinSource": "Input"})
    assert r.status_code == 201, r.text
    d = wait_transform(server, "iris-batch")
    assert d["TransformJobStatus"] == "Completed", d
    assert d["RowsProcessed"] == 150 and d["Progress"] == 1.0
    out = requests.get(f"{server.url}/api/transform-jobs/iris-batch/output")
    assert out.status_code == 200
    got = list(csv.DictReader(io.StringIO(out.text)))
    with open(dataset(IRIS)) as f:
        given = list(csv.DictReader(f))
    assert len(got) == 150
    assert all(g["sepal length (cm)"] == x["sepal length (cm)"] and g["target"] == x["target"] for g, x in zip(got, given))
    model_dir = server.data_dir / "jobs" / "iris-models" / "candidates" / done[0]
    p = subprocess.run([str(glassbox_binary()), "predict", "--model", str(model_dir), str(dataset(IRIS)),
                        "--out", str(tmp_path / "p.csv")], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    with open(tmp_path / "p.csv") as f:
        expected = list(csv.DictReader(f))
    for g, e in zip(got, expected):
        assert {k: g[k] for k in e} == e
    # The same output as Parquet, with typed columns.
    import pandas as pd
    pq = requests.get(f"{server.url}/api/transform-jobs/iris-batch/output?format=parquet")
    assert pq.status_code == 200 and pq.headers["content-type"] == "application/vnd.apache.parquet"
    frame = pd.read_parquet(io.BytesIO(pq.content))
    assert list(frame.columns) == list(got[0].keys()) and len(frame) == 150
    assert frame["sepal length (cm)"].dtype.kind == "f"
    assert [float(x) for x in frame["sepal length (cm)"]] == [float(g["sepal length (cm)"]) for g in got]
    assert [str(x) for x in frame["predicted_label"]] == [g["predicted_label"] for g in got]
    bad = requests.get(f"{server.url}/api/transform-jobs/iris-batch/output?format=xlsx")
    assert bad.status_code == 400 and "parquet" in bad.json()["error"]
    # Without the input columns; refused for an unapproved version, a missing data set.
    r = post(server, "/api/transform-jobs", json={"TransformJobName": "iris-bare", "SourceCandidate": source,
                                                 "TransformInput": {"DatasetId": ds}})
    assert r.status_code == 201
    assert wait_transform(server, "iris-bare")["JoinSource"] == "None"
    first = requests.get(f"{server.url}/api/transform-jobs/iris-bare/output").text.splitlines()[0]
    assert first.startswith("predicted_label,probability,proba_")
    pending = register(server, done[0]).json()["ModelPackageVersion"]
    r = post(server, "/api/transform-jobs", json={"TransformJobName": "iris-pending", "ModelPackage": f"iris/{pending}",
                                                 "TransformInput": {"DatasetId": ds}})
    assert r.status_code == 400 and "Approved" in r.json()["error"]
    r = post(server, "/api/transform-jobs", json={"TransformJobName": "iris-none", "SourceCandidate": source,
                                                 "TransformInput": {"DatasetId": "0000000000000000"}})
    assert r.status_code == 400 and r.json()["field"] == "TransformInput.DatasetId"


def wait_pipeline(server, name):
    deadline = time.time() + 240
    while True:
        d = requests.get(f"{server.url}/api/pipeline-executions/{name}").json()
        if d["PipelineExecutionStatus"] != "Executing":
            return d
        assert time.time() < deadline, d
        time.sleep(0.5)


def test_the_pipeline_registers_only_what_passes_its_threshold(server, trained):
    ds, _ = trained
    def start(name, threshold):
        body = {"PipelineExecutionName": name, "TrainDatasetId": ds, "TestDatasetId": ds,
                "TargetAttributeName": "target", "ModelPackageGroupName": "iris", "MinObjectiveValue": threshold,
                "AutoMLJobConfig": {"CompletionCriteria": {"MaxCandidates": 2}}}
        r = post(server, "/api/pipeline-executions", json=body)
        assert r.status_code == 201, r.text
        return wait_pipeline(server, name)
    before = len(requests.get(f"{server.url}/api/model-packages", params={"ModelPackageGroupName": "iris"}).json()["ModelPackageSummaryList"])
    high = start("iris-too-high", 1.5)
    assert high["PipelineExecutionStatus"] == "Failed"
    steps = {s["StepName"]: s for s in high["PipelineExecutionSteps"]}
    assert steps["Train"]["StepStatus"] == "Succeeded" and steps["Evaluate"]["StepStatus"] == "Succeeded"
    assert steps["Register"]["StepStatus"] == "Failed" and "below MinObjectiveValue" in steps["Register"]["FailureReason"]
    assert steps["Train"]["StartTime"] and steps["Evaluate"]["EndTime"]
    after = requests.get(f"{server.url}/api/model-packages", params={"ModelPackageGroupName": "iris"}).json()
    assert len(after["ModelPackageSummaryList"]) == before, "nothing registered"
    ok = start("iris-passes", 0.5)
    assert ok["PipelineExecutionStatus"] == "Succeeded", ok
    steps = {s["StepName"]: s for s in ok["PipelineExecutionSteps"]}
    package = steps["Register"]["Metadata"]["ModelPackage"]
    group, version = package.split("/")
    d = requests.get(f"{server.url}/api/model-packages/{group}/{version}").json()
    assert d["ModelApprovalStatus"] == "PendingManualApproval"
    assert d["SourceCandidate"]["AutoMLJobName"] == "iris-passes-train"
    assert d["TestQualityReport"]["metrics"]
    page = requests.get(f"{server.url}/pipelines/iris-too-high").text
    assert "below MinObjectiveValue" in page and "Succeeded" in page and "Failed" in page
    assert "iris-passes" in requests.get(f"{server.url}/models").text
    # A bad request is a 400 naming its field, and starts nothing.
    r = post(server, "/api/pipeline-executions", json={"PipelineExecutionName": "bad", "TrainDatasetId": ds,
             "TestDatasetId": ds, "TargetAttributeName": "target", "ModelPackageGroupName": "no-such-group"})
    assert r.status_code == 400 and r.json()["field"] == "ModelPackageGroupName"


def test_a_drift_report_flags_a_shifted_copy_and_passes_the_same_data(server, trained):
    ds, done = trained
    names, rows = rows_without_target()
    source = {"AutoMLJobName": "iris-models", "CandidateName": done[0]}
    reports = {}
    for name, shift in (("iris-watch-same", 0.0), ("iris-watch-moved", 3.0)):
        r = post(server, "/api/endpoints", json={"EndpointName": name, "SourceCandidate": source,
                                                 "DataCaptureConfig": {"EnableCapture": True, "InitialSamplingPercentage": 100}})
        assert r.status_code == 201, r.text
        assert requests.get(f"{server.url}/api/endpoints/{name}/drift").status_code == 409, "nothing captured yet"
        col = names.index("petal length (cm)")
        sent = [[str(float(v) + shift) if i == col else v for i, v in enumerate(row)] for row in rows]
        for chunk in (sent[:75], sent[75:]):
            body = "\n".join(",".join(r) for r in chunk)
            assert post(server, f"/endpoints/{name}/invocations", data=body, headers={"Content-Type": "text/csv"}).status_code == 200
        reports[name] = requests.get(f"{server.url}/api/endpoints/{name}/drift").json()
    same, moved = reports["iris-watch-same"], reports["iris-watch-moved"]
    assert same["current_rows"] == 150 and same["baseline_rows"] == 150
    assert same["severity"] == "none", same
    by_col = {c["column"]: c for c in moved["columns"]}
    assert moved["severity"] == "high"
    assert by_col["petal length (cm)"]["severity"] == "high" and by_col["petal length (cm)"]["psi"] > 1
    assert by_col["sepal width (cm)"]["severity"] == "none"
    assert moved["predictions"]["js"] > same["predictions"]["js"]
    page = requests.get(f"{server.url}/endpoints/iris-watch-moved/drift").text
    assert 'data-column="petal length (cm)" data-severity="high"' in page
    assert 'id="drift-link"' in requests.get(f"{server.url}/endpoints/iris-watch-moved").text
    # Half the requests kept at 50 %.
    r = post(server, "/api/endpoints", json={"EndpointName": "iris-watch-half", "SourceCandidate": source,
                                             "DataCaptureConfig": {"InitialSamplingPercentage": 50}})
    assert r.status_code == 201
    for _ in range(4):
        post(server, "/endpoints/iris-watch-half/invocations", data=",".join(rows[0]), headers={"Content-Type": "text/csv"})
    assert requests.get(f"{server.url}/api/endpoints/iris-watch-half/drift").json()["current_rows"] == 2
    # Deleted and made again under the same name, an endpoint starts from no capture.
    assert requests.delete(f"{server.url}/api/endpoints/iris-watch-half").status_code == 204
    post(server, "/api/endpoints", json={"EndpointName": "iris-watch-half", "SourceCandidate": source,
                                         "DataCaptureConfig": {"InitialSamplingPercentage": 100}})
    assert requests.get(f"{server.url}/api/endpoints/iris-watch-half/drift").status_code == 409
    post(server, "/endpoints/iris-watch-half/invocations", data=",".join(rows[0]), headers={"Content-Type": "text/csv"})
    assert requests.get(f"{server.url}/api/endpoints/iris-watch-half/drift").json()["current_rows"] == 1
    bad = post(server, "/api/endpoints", json={"EndpointName": "x", "SourceCandidate": source,
                                               "DataCaptureConfig": {"InitialSamplingPercentage": 101}})
    assert bad.status_code == 400 and "Percentage" in bad.json()["field"]


def test_scheduled_drift_reports_follow_the_captured_rows(server, trained):
    """An endpoint on a 5-second schedule gets reports by itself, each the report the
    drift route gives; more shifted traffic raises it; removing the schedule stops it; a
    deleted endpoint takes its reports with it."""
    ds, done = trained
    names, rows = rows_without_target()
    source = {"AutoMLJobName": "iris-models", "CandidateName": done[0]}
    url = f"{server.url}/api/endpoints/iris-sched"
    r = post(server, "/api/endpoints", json={"EndpointName": "iris-sched", "SourceCandidate": source,
                                             "DataCaptureConfig": {"InitialSamplingPercentage": 100}})
    assert r.status_code == 201, r.text
    for bad in ({"EverySeconds": 1}, {"EverySeconds": "often"}, {"Every": 5}):
        r = requests.put(url + "/drift-schedule", json=bad)
        assert r.status_code == 400, (bad, r.text)
    assert requests.put(f"{server.url}/api/endpoints/nope/drift-schedule", json={"EverySeconds": 5}).status_code == 404
    assert requests.put(url + "/drift-schedule", json={"EverySeconds": 5}).status_code == 204
    # Nothing captured yet: the schedule makes no report (and does not fail).
    time.sleep(1.5)
    assert requests.get(url + "/drift-reports").json() == {"EverySeconds": 5, "DriftReports": []}
    body = "\n".join(",".join(r) for r in rows)
    assert post(server, "/endpoints/iris-sched/invocations", data=body, headers={"Content-Type": "text/csv"}).status_code == 200

    def reports(n, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = requests.get(url + "/drift-reports").json()["DriftReports"]
            if len(got) >= n:
                return got
            time.sleep(0.5)
        raise AssertionError(f"fewer than {n} scheduled reports after {timeout} s")

    first = reports(1)[0]
    assert first["Severity"] == "none" and first["Rows"] == 150
    assert first["Report"] == requests.get(url + "/drift").json()
    col = names.index("petal length (cm)")
    moved = [[str(float(v) + 3) if i == col else v for i, v in enumerate(row)] for row in rows] * 3
    body = "\n".join(",".join(r) for r in moved)
    assert post(server, "/endpoints/iris-sched/invocations", data=body, headers={"Content-Type": "text/csv"}).status_code == 200
    deadline = time.time() + 20
    while (latest := reports(1)[0])["Rows"] != 600:
        assert time.time() < deadline, latest
        time.sleep(0.5)
    assert latest["Severity"] == "high"
    page = requests.get(f"{server.url}/endpoints/iris-sched/drift").text
    assert 'id="drift-history"' in page and "every 5 s" in page
    # Off: no more reports.
    assert requests.put(url + "/drift-schedule", json={"EverySeconds": None}).status_code == 204
    count = len(reports(1))
    time.sleep(6)
    assert len(requests.get(url + "/drift-reports").json()["DriftReports"]) == count
    assert requests.delete(url).status_code == 204
    assert requests.get(url + "/drift-reports").status_code == 404


def test_registered_files_outlive_their_job(server, trained):
    ds, done = trained
    assert register(server, "cand-999-none").status_code == 400
    assert register(server, done[1], ModelApprovalStatus="Maybe").status_code == 400
    r = register(server, done[1], ModelApprovalStatus="Approved")
    assert r.status_code == 201, r.text
    version = r.json()["ModelPackageVersion"]
    listed = requests.get(f"{server.url}/api/model-packages", params={"ModelPackageGroupName": "iris"}).json()
    assert version in [p["ModelPackageVersion"] for p in listed["ModelPackageSummaryList"]]
    post(server, "/api/endpoints", json={"EndpointName": "iris-kept", "ModelPackage": f"iris/{version}"})
    # The job goes (its endpoints from candidates keep their loaded models until a restart).
    for e in ("iris-raw", "iris-swap"):
        requests.delete(f"{server.url}/api/endpoints/{e}")
    assert requests.delete(f"{server.url}/api/automl-jobs/iris-models").status_code == 204
    d = requests.get(f"{server.url}/api/model-packages/iris/{version}")
    assert d.status_code == 200 and d.json()["Lineage"]["AutoMLJobName"] == "iris-models"
    _, rows = rows_without_target()
    r = post(server, "/endpoints/iris-kept/invocations", data=",".join(rows[0]), headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    assert requests.delete(f"{server.url}/api/endpoints/iris-kept").status_code == 204
    assert post(server, "/endpoints/iris-kept/invocations", data=",".join(rows[0]),
                headers={"Content-Type": "text/csv"}).status_code == 404
