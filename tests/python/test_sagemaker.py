"""The SageMaker protocol: boto3's `sagemaker` and `sagemaker-runtime` clients, unchanged,
against a real Glassbox whose data lives in a real S3 server (s3s-fs on loopback).

The sequence of Autopilot's sample notebook, the Pipelines post's calls, the error paths
botocore parses, and every answer checked member by member against botocore's own model
of the operation's output."""

import csv
import gzip
import io
import json
import os
import subprocess
import time
from pathlib import Path

import boto3
import botocore
import botocore.session
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import Server, dataset, free_port, glassbox_binary

ROOT = Path(__file__).resolve().parents[2]
TITANIC = "titanic.csv"
BUCKET = "glassbox-test"
S3_KEY, S3_SECRET = "s3testkey", "s3testsecret0123456789"
ROLE = "arn:aws:iam::111122223333:role/AutopilotRole"
NO_RETRY = Config(retries={"max_attempts": 1}, read_timeout=120)


def s3s_binary() -> Path:
    exe = Path(os.environ.get("S3S_FS_BIN", Path.home() / ".cache" / "glassbox-tools" / "bin" / "s3s-fs"))
    if not exe.exists():
        pytest.fail(f"{exe} not found: scripts/test.sh installs s3s-fs (cargo install --root ~/.cache/glassbox-tools s3s-fs)")
    return exe


class S3Server:
    def __init__(self, root: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        (root / BUCKET).mkdir(parents=True)
        self.log = open(root.parent / "s3s.log", "ab")
        self.proc = subprocess.Popen(
            [str(s3s_binary()), "--host", "127.0.0.1", "--port", str(self.port),
             "--access-key", S3_KEY, "--secret-key", S3_SECRET, str(root)],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            assert self.proc.poll() is None, "s3s-fs exited; see s3s.log"
            try:
                requests.get(self.url, timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError("s3s-fs did not start")

    def client(self):
        return boto3.client("s3", endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id=S3_KEY, aws_secret_access_key=S3_SECRET, config=NO_RETRY)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    s = S3Server(tmp_path_factory.mktemp("s3") / "root")
    yield s
    s.stop()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return tmp_path_factory.mktemp("file-root")


@pytest.fixture(scope="module")
def server(tmp_path_factory, s3, files):
    s = Server(tmp_path_factory.mktemp("sagemaker-data"),
               extra_args=["--s3-endpoint", s3.url, "--s3-access-key-id", S3_KEY,
                           "--s3-secret-access-key", S3_SECRET, "--file-root", str(files)])
    yield s
    s.stop()


def sm(server, path=""):
    return boto3.client("sagemaker", endpoint_url=server.url + path, region_name="us-east-1",
                        aws_access_key_id="any", aws_secret_access_key="any", config=NO_RETRY)


def runtime(server):
    return boto3.client("sagemaker-runtime", endpoint_url=server.url, region_name="us-east-1",
                        aws_access_key_id="any", aws_secret_access_key="any", config=NO_RETRY)


# ---- botocore's model of each answer --------------------------------------------------

MODEL = botocore.session.get_session().get_service_model("sagemaker")


def check_shape(value, shape, path="$"):
    """Every required member present, every member of the type the model says."""
    import datetime
    kinds = {"string": str, "boolean": bool, "timestamp": datetime.datetime,
             "integer": int, "long": int, "float": (int, float), "double": (int, float)}
    t = shape.type_name
    if t == "structure":
        assert isinstance(value, dict), f"{path}: expected an object, got {value!r}"
        for r in shape.required_members:
            assert r in value, f"{path}.{r}: required by botocore's model, missing"
        for k, v in value.items():
            if k in shape.members:
                check_shape(v, shape.members[k], f"{path}.{k}")
    elif t == "list":
        assert isinstance(value, list), f"{path}: expected a list"
        for i, v in enumerate(value):
            check_shape(v, shape.member, f"{path}[{i}]")
    elif t == "map":
        assert isinstance(value, dict), f"{path}: expected a map"
        for k, v in value.items():
            check_shape(v, shape.value, f"{path}[{k!r}]")
    elif t in kinds:
        assert isinstance(value, kinds[t]), f"{path}: expected {t}, got {value!r}"


def answer(client, op, **kw):
    """Calls `op`, then checks the parsed answer against the operation's output shape."""
    r = getattr(client, op)(**kw)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    name = client.meta.method_to_api_mapping[op]
    out = MODEL.operation_model(name).output_shape
    body = {k: v for k, v in r.items() if k != "ResponseMetadata"}
    if out is not None:
        check_shape(body, out)
    return r


def error_of(call):
    with pytest.raises(ClientError) as e:
        call()
    err = e.value.response
    status = err["ResponseMetadata"]["HTTPStatusCode"]
    assert 400 <= status < 500, f"a caller's mistake must be a 4xx (botocore retries 5xx): {status}"
    return err["Error"]["Code"], err["Error"]["Message"], status


# ---- the data and the job -------------------------------------------------------------

def titanic_rows():
    with open(dataset(TITANIC), newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def to_csv(header, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if header:
        w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode()


def wait_job(client, name, timeout=240):
    deadline = time.time() + timeout
    while True:
        d = answer(client, "describe_auto_ml_job", AutoMLJobName=name)
        if d["AutoMLJobStatus"] not in ("InProgress", "Stopping"):
            return d
        assert time.time() < deadline, f"{name} still {d['AutoMLJobSecondaryStatus']}"
        time.sleep(1)


@pytest.fixture(scope="module")
def job(server, s3):
    """The training data in two parts under a prefix (each with its header), as a
    notebook might have split it; the job reads them from S3 and writes to S3."""
    header, rows = titanic_rows()
    half = len(rows) // 2
    c = s3.client()
    c.put_object(Bucket=BUCKET, Key="titanic/train/part-0.csv", Body=to_csv(header, rows[:half]))
    c.put_object(Bucket=BUCKET, Key="titanic/train/part-1.csv", Body=to_csv(header, rows[half:]))
    client = sm(server)
    r = answer(client, "create_auto_ml_job",
               AutoMLJobName="titanic-s3",
               InputDataConfig=[{"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                                 "S3Uri": f"s3://{BUCKET}/titanic/train/"}},
                                 "TargetAttributeName": "Survived"}],
               OutputDataConfig={"S3OutputPath": f"s3://{BUCKET}/titanic/output"},
               ProblemType="BinaryClassification",
               AutoMLJobObjective={"MetricName": "F1"},
               AutoMLJobConfig={"CompletionCriteria": {"MaxCandidates": 3, "MaxAutoMLJobRuntimeInSeconds": 90}},
               RoleArn=ROLE, Tags=[{"Key": "team", "Value": "risk"}])
    assert r["AutoMLJobArn"].endswith("automl-job/titanic-s3")
    d = wait_job(client, "titanic-s3")
    assert d["AutoMLJobStatus"] == "Completed", d.get("FailureReason")
    return d


# ---- the tests --------------------------------------------------------------------------

def test_the_autopilot_sample_notebook_runs_unchanged(server, s3, job):
    """Create from S3 → describe → list candidates → create_model from InferenceContainers
    → endpoint config → endpoint → waiter → invoke with CSV → delete."""
    client = sm(server)
    header, rows = titanic_rows()
    # The two parts became one data set of every row (the second header dropped).
    assert job["InputDataConfig"][0]["TargetAttributeName"] == "Survived"
    uri = job["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"]
    ds = requests.get(f"{server.url}/api/datasets/{uri.rsplit('/', 1)[1]}").json()
    assert ds["Rows"] == len(rows) and ds["Columns"] == len(header)
    assert job["OutputDataConfig"]["S3OutputPath"] == f"s3://{BUCKET}/titanic/output"
    assert job["RoleArn"] == ROLE
    best = job["BestCandidate"]
    assert job["ResolvedAttributes"]["AutoMLJobObjective"]["MetricName"] == "F1"

    cands = answer(client, "list_candidates_for_auto_ml_job", AutoMLJobName="titanic-s3",
                   SortBy="FinalObjectiveMetricValue", SortOrder="Descending")["Candidates"]
    assert cands[0]["CandidateName"] == best["CandidateName"]
    assert cands[0]["FinalAutoMLJobObjectiveMetric"]["Value"] == pytest.approx(
        best["FinalAutoMLJobObjectiveMetric"]["Value"])
    only = answer(client, "list_candidates_for_auto_ml_job", AutoMLJobName="titanic-s3", MaxResults=1)
    assert len(only["Candidates"]) == 1
    # A name is looked for among all candidates, before MaxResults cuts the list.
    last = cands[-1]["CandidateName"]
    named = answer(client, "list_candidates_for_auto_ml_job", AutoMLJobName="titanic-s3",
                   CandidateNameEquals=last, MaxResults=1)["Candidates"]
    assert [c["CandidateName"] for c in named] == [last]

    # The job's results are in the output location: notebooks and the model the
    # containers point at.
    s3c = s3.client()
    keys = {o["Key"] for o in s3c.list_objects_v2(Bucket=BUCKET, Prefix="titanic/output/titanic-s3/")["Contents"]}
    for artefact in (job["AutoMLJobArtifacts"]["DataExplorationNotebookLocation"],
                     job["AutoMLJobArtifacts"]["CandidateDefinitionNotebookLocation"],
                     best["InferenceContainers"][0]["ModelDataUrl"]):
        assert artefact.startswith(f"s3://{BUCKET}/")
        assert artefact.split("/", 3)[3] in keys, artefact
    nb = json.loads(s3c.get_object(Bucket=BUCKET, Key=job["AutoMLJobArtifacts"]["CandidateDefinitionNotebookLocation"].split("/", 3)[3])["Body"].read())
    assert nb["nbformat"] == 4
    model_json = json.loads(s3c.get_object(Bucket=BUCKET, Key=best["InferenceContainers"][0]["ModelDataUrl"].split("/", 3)[3])["Body"].read())
    assert model_json["target"] == "Survived"

    answer(client, "create_model", ModelName="titanic-best", Containers=best["InferenceContainers"],
           ExecutionRoleArn=ROLE)
    d = answer(client, "describe_model", ModelName="titanic-best")
    assert d["Containers"][0]["ModelDataUrl"] == best["InferenceContainers"][0]["ModelDataUrl"]
    answer(client, "create_endpoint_config", EndpointConfigName="titanic-config",
           ProductionVariants=[{"InstanceType": "ml.m5.xlarge", "InitialInstanceCount": 1,
                                "ModelName": "titanic-best", "VariantName": "main"}])
    answer(client, "describe_endpoint_config", EndpointConfigName="titanic-config")
    answer(client, "create_endpoint", EndpointName="titanic-live", EndpointConfigName="titanic-config")
    client.get_waiter("endpoint_in_service").wait(EndpointName="titanic-live",
                                                  WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    e = answer(client, "describe_endpoint", EndpointName="titanic-live")
    assert e["EndpointStatus"] == "InService" and e["EndpointConfigName"] == "titanic-config"
    assert "titanic-live" in [x["EndpointName"] for x in answer(client, "list_endpoints")["Endpoints"]]

    # Invoke with CSV rows in training column order, the target left out.
    t = header.index("Survived")
    some = [r[:t] + r[t + 1:] for r in rows[:5]]
    out = runtime(server).invoke_endpoint(EndpointName="titanic-live", ContentType="text/csv",
                                          Body=to_csv(None, some))
    lines = out["Body"].read().decode().strip().splitlines()
    assert len(lines) == 5
    assert all(line.split(",")[0] in ("0", "1") for line in lines)
    # The same model through the REST API's scorer: the same labels.
    rest = requests.post(f"{server.url}/endpoints/titanic-live/invocations", data=to_csv(None, some),
                         headers={"Content-Type": "text/csv", "Accept": "application/json"}).json()
    assert [p["predicted_label"] for p in rest["predictions"]] == [line.split(",")[0] for line in lines]

    answer(client, "delete_endpoint", EndpointName="titanic-live")
    client.get_waiter("endpoint_deleted").wait(EndpointName="titanic-live",
                                               WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    answer(client, "delete_endpoint_config", EndpointConfigName="titanic-config")
    answer(client, "delete_model", ModelName="titanic-best")
    code, _, _ = error_of(lambda: client.describe_model(ModelName="titanic-best"))
    assert code == "ValidationException"
    # Tags given at creation are on the job's ARN.
    tags = answer(client, "list_tags", ResourceArn=job["AutoMLJobArn"])["Tags"]
    assert {"Key": "team", "Value": "risk"} in tags


def test_the_pipelines_post_calls(server, s3, job):
    """Batch transform from and to S3 (describe polled), then the registry:
    create_model_package with ModelMetrics, describe, approve, list."""
    client = sm(server)
    best = job["BestCandidate"]
    header, rows = titanic_rows()
    t = header.index("Survived")
    test_rows = [r[:t] + r[t + 1:] for r in rows[:150]]
    s3c = s3.client()
    s3c.put_object(Bucket=BUCKET, Key="titanic/batch/test.csv", Body=to_csv(None, test_rows))
    answer(client, "create_model", ModelName="titanic-batch", PrimaryContainer=best["InferenceContainers"][0],
           ExecutionRoleArn=ROLE)
    answer(client, "create_transform_job", TransformJobName="titanic-batch-1", ModelName="titanic-batch",
           TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                           "S3Uri": f"s3://{BUCKET}/titanic/batch/test.csv"}},
                           "ContentType": "text/csv", "SplitType": "Line"},
           TransformOutput={"S3OutputPath": f"s3://{BUCKET}/titanic/batch-out", "AssembleWith": "Line"},
           TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})
    deadline = time.time() + 60
    while True:
        d = answer(client, "describe_transform_job", TransformJobName="titanic-batch-1")
        if d["TransformJobStatus"] != "InProgress":
            break
        assert time.time() < deadline
        time.sleep(0.5)
    assert d["TransformJobStatus"] == "Completed", d.get("FailureReason")
    assert d["ModelName"] == "titanic-batch"
    out = s3c.get_object(Bucket=BUCKET, Key="titanic/batch-out/test.csv.out")["Body"].read().decode()
    lines = out.strip().splitlines()
    assert len(lines) == 150, "one answer per input row, no header"
    # Each row's label is what the endpoint answers for it.
    answer(client, "create_endpoint_config", EndpointConfigName="batch-check",
           ProductionVariants=[{"ModelName": "titanic-batch", "VariantName": "v"}])
    answer(client, "create_endpoint", EndpointName="batch-check", EndpointConfigName="batch-check")
    live = runtime(server).invoke_endpoint(EndpointName="batch-check", ContentType="text/csv",
                                           Body=to_csv(None, test_rows))["Body"].read().decode()
    assert [x.split(",")[0] for x in live.strip().splitlines()] == [x.split(",")[0] for x in lines]
    assert any(j["TransformJobName"] == "titanic-batch-1"
               for j in answer(client, "list_transform_jobs")["TransformJobSummaries"])
    # A manifest names the files under its prefix; they are scored in its order.
    s3c.put_object(Bucket=BUCKET, Key="titanic/parts/a.csv", Body=to_csv(None, test_rows[100:150]))
    s3c.put_object(Bucket=BUCKET, Key="titanic/parts/b.csv", Body=to_csv(None, test_rows[:100]))
    s3c.put_object(Bucket=BUCKET, Key="titanic/parts.manifest",
                   Body=json.dumps([{"prefix": f"s3://{BUCKET}/titanic/parts/"}, "b.csv", "a.csv"]).encode())
    answer(client, "create_transform_job", TransformJobName="titanic-batch-2", ModelName="titanic-batch",
           TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "ManifestFile",
                                                           "S3Uri": f"s3://{BUCKET}/titanic/parts.manifest"}},
                           "ContentType": "text/csv"},
           TransformOutput={"S3OutputPath": f"s3://{BUCKET}/titanic/batch-out-2"},
           DataProcessing={"JoinSource": "Input"},
           TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})
    deadline = time.time() + 60
    while answer(client, "describe_transform_job", TransformJobName="titanic-batch-2")["TransformJobStatus"] == "InProgress":
        assert time.time() < deadline
        time.sleep(0.5)
    joined = s3c.get_object(Bucket=BUCKET, Key="titanic/batch-out-2/parts.manifest.out")["Body"].read().decode()
    joined_rows = list(csv.reader(io.StringIO(joined)))
    assert len(joined_rows) == 150
    # JoinSource=Input: each input row, then its prediction, in the manifest's order.
    assert [r[:len(test_rows[0])] for r in joined_rows] == test_rows
    n = len(test_rows[0])
    assert [r[n] for r in joined_rows] == [x.split(",")[0] for x in lines]

    answer(client, "create_model_package_group", ModelPackageGroupName="titanic",
           ModelPackageGroupDescription="Autopilot models")
    s3c.put_object(Bucket=BUCKET, Key="titanic/metrics/statistics.json", Body=b'{"binary_classification_metrics": {}}')
    metrics = {"ModelQuality": {"Statistics": {"ContentType": "application/json",
                                               "S3Uri": f"s3://{BUCKET}/titanic/metrics/statistics.json"}}}
    arn = answer(client, "create_model_package", ModelPackageGroupName="titanic",
                 InferenceSpecification={"Containers": best["InferenceContainers"],
                                         "SupportedContentTypes": ["text/csv"],
                                         "SupportedResponseMIMETypes": ["text/csv"]},
                 ModelApprovalStatus="PendingManualApproval", ModelMetrics=metrics)["ModelPackageArn"]
    p = answer(client, "describe_model_package", ModelPackageName=arn)
    assert p["ModelApprovalStatus"] == "PendingManualApproval"
    assert p["ModelMetrics"] == metrics
    assert p["ModelPackageGroupName"] == "titanic"
    # A pending version cannot be deployed; an approved one can.
    answer(client, "create_model", ModelName="titanic-v1", PrimaryContainer={"ModelPackageName": arn},
           ExecutionRoleArn=ROLE)
    answer(client, "create_endpoint_config", EndpointConfigName="titanic-v1",
           ProductionVariants=[{"ModelName": "titanic-v1", "VariantName": "v"}])
    code, msg, _ = error_of(lambda: client.create_endpoint(EndpointName="titanic-v1", EndpointConfigName="titanic-v1"))
    assert code == "ValidationException" and "Approved" in msg
    answer(client, "update_model_package", ModelPackageArn=arn, ModelApprovalStatus="Approved",
           ApprovalDescription="checked by hand")
    assert answer(client, "describe_model_package", ModelPackageName=arn)["ModelApprovalStatus"] == "Approved"
    listed = answer(client, "list_model_packages", ModelPackageGroupName="titanic",
                    ModelApprovalStatus="Approved")["ModelPackageSummaryList"]
    assert [x["ModelPackageArn"] for x in listed] == [arn]
    answer(client, "create_endpoint", EndpointName="titanic-v1", EndpointConfigName="titanic-v1")
    # UpdateEndpoint swaps the model behind an endpoint.
    answer(client, "update_endpoint", EndpointName="batch-check", EndpointConfigName="titanic-v1")
    assert answer(client, "describe_endpoint", EndpointName="batch-check")["EndpointConfigName"] == "titanic-v1"
    g = answer(client, "describe_model_package_group", ModelPackageGroupName="titanic")
    assert g["ModelPackageGroupStatus"] == "Completed"


def test_errors_are_what_botocore_parses(server, job):
    client = sm(server)
    base = {"InputDataConfig": [{"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                                 "S3Uri": f"s3://{BUCKET}/titanic/train/"}},
                                 "TargetAttributeName": "Survived"}],
            "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/out"}, "RoleArn": ROLE}
    code, msg, _ = error_of(lambda: client.create_auto_ml_job(AutoMLJobName="titanic-s3", **base))
    assert code == "ResourceInUse" and "titanic-s3" in msg
    code, _, _ = error_of(lambda: client.describe_auto_ml_job(AutoMLJobName="no-such-job"))
    assert code == "ResourceNotFound"
    code, _, _ = error_of(lambda: client.list_candidates_for_auto_ml_job(AutoMLJobName="no-such-job"))
    assert code == "ResourceNotFound"
    # The endpoint_in_service waiter stops on this, as on SageMaker.
    code, msg, status = error_of(lambda: client.describe_endpoint(EndpointName="no-such-endpoint"))
    assert (code, status) == ("ValidationException", 400) and "no-such-endpoint" in msg
    # Enums botocore lets through are Glassbox's to check.
    code, msg, _ = error_of(lambda: client.create_auto_ml_job(AutoMLJobName="bad-type", ProblemType="Clustering", **base))
    assert code == "ValidationException" and "Clustering" in msg
    code, msg, _ = error_of(lambda: client.list_auto_ml_jobs(StatusEquals="Running"))
    assert code == "ValidationException" and "StatusEquals" in msg
    code, msg, _ = error_of(lambda: client.list_candidates_for_auto_ml_job(AutoMLJobName="titanic-s3", SortOrder="Sideways"))
    assert code == "ValidationException" and "Sideways" in msg
    code, msg, _ = error_of(lambda: client.create_auto_ml_job(
        AutoMLJobName="bad-kind", **{**base, "InputDataConfig": [{**base["InputDataConfig"][0], "DataSource": {
            "S3DataSource": {"S3DataType": "AugmentedManifestFile", "S3Uri": f"s3://{BUCKET}/x"}}}]}))
    assert code == "ValidationException" and "S3DataType" in msg
    # Data that is not there, a URI scheme Glassbox does not read, a file outside the root.
    for uri, words in ((f"s3://{BUCKET}/nothing/here.csv", "no object"),
                       ("https://example.com/train.csv", "s3://BUCKET/KEY"),
                       ("file:///etc/passwd", "--file-root")):
        code, msg, _ = error_of(lambda: client.create_auto_ml_job(
            AutoMLJobName="bad-uri", **{**base, "InputDataConfig": [{"DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": uri}}, "TargetAttributeName": "Survived"}]}))
        assert code == "ValidationException" and words in msg, msg
    assert not [j for j in client.list_auto_ml_jobs()["AutoMLJobSummaries"] if j["AutoMLJobName"].startswith("bad")]
    # An operation Glassbox does not implement is named, with a 400.
    code, msg, status = error_of(lambda: client.list_clusters())
    assert status == 400 and "ListClusters" in msg
    code, msg, _ = error_of(lambda: client.create_model(ModelName="x", PrimaryContainer={
        "Image": "123.dkr.ecr.us-east-1.amazonaws.com/xgb:1", "ModelDataUrl": "s3://b/model.tar.gz"}, ExecutionRoleArn=ROLE))
    assert code == "ValidationException" and "InferenceContainers" in msg
    # A malformed body is a 400 naming the problem, not a crash.
    r = requests.post(server.url + "/", data=b"{not json", headers={
        "X-Amz-Target": "SageMaker.DescribeAutoMLJob", "Content-Type": "application/x-amz-json-1.1"})
    assert r.status_code == 400 and r.json()["__type"] == "ValidationException"
    assert r.headers["content-type"] == "application/x-amz-json-1.1"


def test_file_uris_under_the_root_and_jobs_v2(server, files, job):
    """A V2 (tabular) job whose training data is a file under --file-root, whose
    validation data is a data set uploaded to the server, and whose feature specification
    is a JSON file; it writes there too."""
    header, rows = titanic_rows()
    (files / "in").mkdir()
    (files / "in" / "titanic.csv").write_bytes(to_csv(header, rows[:600]))
    up = server.upload_bytes("titanic-validation.csv", to_csv(header, rows[600:]))
    assert up.status_code == 201, up.text
    validation = up.json()["DatasetId"]
    (files / "spec.json").write_text(json.dumps({"FeatureAttributeNames": ["Pclass", "Sex", "Age", "Fare"]}))
    client = sm(server, "/sagemaker")  # boto3 keeps the endpoint URL's path
    answer(client, "create_auto_ml_job_v2", AutoMLJobName="titanic-v2",
           AutoMLJobInputDataConfig=[{"ChannelType": "training", "ContentType": "text/csv;header=present",
                                      "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                                      "S3Uri": f"file://{files}/in/titanic.csv"}}},
                                     {"ChannelType": "validation",
                                      "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                                      "S3Uri": f"glassbox://datasets/{validation}"}}}],
           OutputDataConfig={"S3OutputPath": f"file://{files}/out"},
           AutoMLProblemTypeConfig={"TabularJobConfig": {
               "TargetAttributeName": "Survived", "ProblemType": "BinaryClassification",
               "FeatureSpecificationS3Uri": f"file://{files}/spec.json",
               "CompletionCriteria": {"MaxCandidates": 1, "MaxAutoMLJobRuntimeInSeconds": 60}}},
           AutoMLJobObjective={"MetricName": "Accuracy"}, RoleArn=ROLE)
    deadline = time.time() + 180
    while True:
        d = answer(client, "describe_auto_ml_job_v2", AutoMLJobName="titanic-v2")
        if d["AutoMLJobStatus"] not in ("InProgress", "Stopping"):
            break
        assert time.time() < deadline
        time.sleep(1)
    assert d["AutoMLJobStatus"] == "Completed", d.get("FailureReason")
    assert d["AutoMLProblemTypeConfig"]["TabularJobConfig"]["TargetAttributeName"] == "Survived"
    channels = d["AutoMLJobInputDataConfig"]
    assert channels[1]["DataSource"]["S3DataSource"]["S3Uri"] == f"glassbox://datasets/{validation}"
    # The uploaded data set was used as it is, not copied.
    named = [x for x in requests.get(f"{server.url}/api/datasets").json()["Datasets"]
             if x["Name"] == "titanic-validation.csv"]
    assert [x["DatasetId"] for x in named] == [validation]
    features = requests.get(f"{server.url}/api/automl-jobs/titanic-v2").json()["ResolvedAttributes"]["Features"]
    assert sorted(f["name"] for f in features) == ["Age", "Fare", "Pclass", "Sex"]
    assert (files / "out" / "titanic-v2" / "notebooks" / "candidate_definition.ipynb").exists()


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    data = tmp_path_factory.mktemp("sagemaker-team")
    exe = glassbox_binary()

    def run(*args, stdin=""):
        return subprocess.run([str(exe), *args, "--data-dir", str(data)], input=stdin, text=True,
                              capture_output=True, check=True).stdout

    run("user", "add", "ada", "--admin", "--password-stdin", stdin="correct horse battery\n")
    run("user", "add", "vic", "--role", "viewer", "--password-stdin", stdin="correct horse battery\n")
    keys = {u: json.loads(run("key", "create", "--user", u, "--json")) for u in ("ada", "vic")}
    s = Server(data)
    yield s, keys
    s.stop()


def test_team_mode_checks_signatures_and_roles(team):
    s, keys = team

    def client(key, secret=None, path=""):
        return boto3.client("sagemaker", endpoint_url=s.url + path, region_name="us-east-1",
                            aws_access_key_id=key["AccessKeyId"],
                            aws_secret_access_key=secret or key["SecretAccessKey"], config=NO_RETRY)

    ada = client(keys["ada"])
    assert answer(ada, "list_auto_ml_jobs")["AutoMLJobSummaries"] == []
    # Signed over the path it was sent to, at a prefix too.
    answer(client(keys["ada"], path="/prefix/sagemaker"), "list_endpoints")
    code, msg, status = error_of(lambda: client(keys["ada"], secret="0" * 40).list_auto_ml_jobs())
    assert status == 401 and code == "InvalidSignatureException", (code, msg)
    r = requests.post(s.url + "/", json={}, headers={"X-Amz-Target": "SageMaker.ListAutoMLJobs"})
    assert r.status_code == 401 and r.json()["__type"] == "InvalidSignatureException"
    # A viewer reads; creating or changing is refused, by role.
    vic = client(keys["vic"])
    answer(vic, "list_model_package_groups")
    code, _, status = error_of(lambda: vic.create_model_package_group(ModelPackageGroupName="g"))
    assert (code, status) == ("AccessDeniedException", 403)
    answer(ada, "create_model_package_group", ModelPackageGroupName="g")
    # Changing what another account made is refused by role; its owner may try.
    arn = "arn:glassbox:local:model-package/g/1"
    code, _, status = error_of(lambda: vic.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved"))
    assert (code, status) == ("AccessDeniedException", 403)
    code, msg, status = error_of(lambda: ada.update_model_package(ModelPackageArn=arn, ModelApprovalStatus="Approved"))
    assert (code, status) == ("ValidationException", 400) and "g/1" in msg
    code, _, _ = error_of(lambda: ada.stop_auto_ml_job(AutoMLJobName="nothing"))
    assert code == "ResourceNotFound"
