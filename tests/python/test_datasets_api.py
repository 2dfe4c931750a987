"""REST API over real HTTP: upload, profile, list, delete, bad files, limits."""

import gzip
import io

import pandas as pd
import pytest
import requests

from conftest import Server, dataset


def test_healthz(server):
    assert requests.get(server.url + "/healthz", timeout=5).status_code == 200


def test_upload_adult_and_profile(server):
    path = dataset("adult.csv")
    r = server.upload(path, target="income")
    assert r.status_code == 201, r.text
    body = r.json()
    for key in ["DatasetId", "Name", "Rows", "Columns", "SizeBytes", "CreationTime"]:
        assert key in body, key
    assert body["Name"] == "adult.csv"
    assert body["Rows"] == 48842
    assert body["Columns"] == 15
    assert body["SizeBytes"] == path.stat().st_size

    done = server.wait_dataset(body["DatasetId"])
    assert done["DatasetStatus"] == "Ready", done

    profile = requests.get(f"{server.url}/api/datasets/{body['DatasetId']}/profile", timeout=30).json()
    assert profile["rows"] == 48842 and profile["columns"] == 15
    assert profile["target"]["name"] == "income"
    assert profile["target"]["problem_type"] == "BinaryClassification"
    # Independent recomputation with pandas: `?` is the missing marker.
    df = pd.read_csv(path, na_values=["?"], skipinitialspace=True)
    detail = {c["name"]: c for c in profile["columns_detail"]}
    for col in ["workclass", "occupation", "native-country", "age"]:
        assert detail[col]["missing"] == int(df[col].isna().sum()), col
    assert detail["age"]["mean"] == pytest.approx(df["age"].mean(), rel=1e-12)
    assert detail["age"]["std"] == pytest.approx(df["age"].std(), rel=1e-12)
    assert detail["age"]["median"] == df["age"].median()
    counts = {c["label"]: c["count"] for c in profile["target"]["classes"]}
    assert counts == df["income"].value_counts().to_dict()
    assert "?" in profile["missing_tokens"]

    listed = requests.get(server.url + "/api/datasets", timeout=10).json()["Datasets"]
    assert any(d["DatasetId"] == body["DatasetId"] for d in listed)


def test_set_target_reprofiles(server):
    r = server.upload(dataset("penguins.csv"))
    assert r.status_code == 201, r.text
    ds = r.json()["DatasetId"]
    assert server.wait_dataset(ds)["DatasetStatus"] == "Ready"
    p = requests.get(f"{server.url}/api/datasets/{ds}/profile", timeout=10).json()
    assert p["target"] is None
    r = requests.put(f"{server.url}/api/datasets/{ds}/target", json={"TargetAttributeName": "species"}, timeout=10)
    assert r.status_code == 202, r.text
    assert server.wait_dataset(ds)["DatasetStatus"] == "Ready"
    p = requests.get(f"{server.url}/api/datasets/{ds}/profile", timeout=10).json()
    assert p["target"]["problem_type"] == "MulticlassClassification"
    r = requests.put(f"{server.url}/api/datasets/{ds}/target", json={"TargetAttributeName": "nope"}, timeout=10)
    assert r.status_code == 400 and r.json()["field"] == "TargetAttributeName"


def test_delete(server):
    r = server.upload_bytes("small.csv", b"a,b\n1,x\n2,y\n3,z\n")
    ds = r.json()["DatasetId"]
    server.wait_dataset(ds)
    r = requests.delete(f"{server.url}/api/datasets/{ds}", timeout=10)
    assert r.status_code == 200 and r.json() == {"DatasetId": ds, "AffectedJobs": []}, r.text
    assert requests.get(f"{server.url}/api/datasets/{ds}", timeout=10).status_code == 404
    assert not (server.data_dir / "datasets" / ds).exists()
    assert requests.delete(f"{server.url}/api/datasets/{ds}", timeout=10).status_code == 404


def wide_csv() -> bytes:
    header = ",".join(f"c{i}" for i in range(20000))
    row = ",".join("1" for _ in range(20000))
    return f"{header}\n{row}\n".encode()


def fake_gzip() -> bytes:
    return b"a,b\n1,2\n"


BAD_FILES = [
    ("empty.csv", b"", "empty"),
    ("header.csv", b"a,b,c\n", "no data rows"),
    ("ragged.csv", b"a,b,c\n1,2,3\n4,5\n", "ragged.csv line 3: expected 3 fields, found 2"),
    ("garbage.csv", bytes(range(256)) * 40, "binary"),
    ("wide.csv", wide_csv(), "20000 columns"),
    ("dups.csv", b"a,b,a\n1,2,3\n", "duplicate column name"),
    ("fake.csv.gz", fake_gzip(), "not gzip"),
    ("quote.csv", b'a,b\n1,"open\n2,3\n', "never closed"),
]


@pytest.mark.parametrize("name,content,expected", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files_fail_clearly(server, name, content, expected):
    r = server.upload_bytes(name, content)
    assert r.status_code == 201, r.text  # the data set exists, marked Failed
    body = r.json()
    if body["DatasetStatus"] == "Profiling":
        body = server.wait_dataset(body["DatasetId"])
    assert body["DatasetStatus"] == "Failed"
    assert expected in body["FailureReason"], body["FailureReason"]
    assert name in body["FailureReason"]
    # The profile route says why, with a 4xx, and the page shows the same error.
    r = requests.get(f"{server.url}/api/datasets/{body['DatasetId']}/profile", timeout=10)
    assert r.status_code == 409 and expected in r.json()["error"]
    page = requests.get(f"{server.url}/datasets/{body['DatasetId']}", timeout=10)
    assert page.status_code == 200
    assert "could not be read" in page.text


def test_real_gzip_works(server):
    raw = dataset("penguins.csv").read_bytes()
    r = server.upload_bytes("penguins.csv.gz", gzip.compress(raw))
    assert r.status_code == 201
    assert r.json()["Rows"] == 344


def test_parquet_upload(server, tmp_path):
    df = pd.read_csv(dataset("titanic.csv"))
    pq = tmp_path / "titanic.parquet"
    df.to_parquet(pq)
    r = server.upload(pq, target="Survived")
    assert r.status_code == 201, r.text
    done = server.wait_dataset(r.json()["DatasetId"])
    assert done["DatasetStatus"] == "Ready", done
    p = requests.get(f"{server.url}/api/datasets/{done['DatasetId']}/profile", timeout=10).json()
    assert p["rows"] == 891
    assert {c["name"]: c for c in p["columns_detail"]}["Age"]["missing"] == 177


def test_api_errors_are_json_4xx(server):
    r = requests.get(server.url + "/api/datasets/doesnotexist", timeout=5)
    assert r.status_code == 404 and "error" in r.json()
    r = requests.get(server.url + "/api/nothing-here", timeout=5)
    assert r.status_code == 404 and "error" in r.json()
    r = requests.post(server.url + "/api/datasets", data=b"not multipart", headers={"Content-Type": "text/plain"}, timeout=5)
    assert r.status_code == 400 and "error" in r.json()
    r = requests.post(server.url + "/api/datasets", files={"other": ("x.csv", b"a\n1\n")}, timeout=5)
    assert r.status_code == 400 and r.json()["field"] == "file"


def test_path_names_never_reach_the_disk(server):
    r = server.upload_bytes("../../etc/evil.csv", b"a,b\n1,2\n3,4\n")
    assert r.status_code == 201
    body = r.json()
    assert body["Name"] == "evil.csv"
    assert not (server.data_dir.parent / "etc").exists()


def test_upload_limit_is_413(tmp_path):
    s = Server(tmp_path, extra_args=["--max-upload-bytes", "1000"])
    try:
        r = s.upload_bytes("big.csv", b"a,b\n" + b"1,2\n" * 2000)
        assert r.status_code == 413
        assert "limit" in r.json()["error"]
        # Small files still pass.
        assert s.upload_bytes("ok.csv", b"a,b\n1,2\n3,4\n").status_code == 201
    finally:
        s.stop()


def test_hostile_names_are_escaped(server):
    evil = '</script><script>alert(1)</script>'
    content = f'"{evil}","q""uote","{{{{ x }}}}",y\n1,a,u,0\n2,b,v,1\n3,a,u,0\n'.encode()
    r = server.upload_bytes("<img src=x onerror=alert(1)>.csv", content)
    assert r.status_code == 201
    ds = r.json()["DatasetId"]
    requests.put(f"{server.url}/api/datasets/{ds}/target", json={"TargetAttributeName": "y"}, timeout=10)
    assert server.wait_dataset(ds)["DatasetStatus"] == "Ready"
    page = requests.get(f"{server.url}/datasets/{ds}", timeout=10).text
    assert evil not in page
    assert "<img src=x" not in page
    assert "&lt;/script&gt;" in page
    home = requests.get(server.url + "/", timeout=10).text
    assert "<img src=x" not in home
    p = requests.get(f"{server.url}/api/datasets/{ds}/profile", timeout=10).json()
    assert p["columns_detail"][0]["name"] == evil
