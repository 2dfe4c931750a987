"""Fault injection: kill -9 during an upload, during profiling and during training; a
full disk; a read-only disk. After each fault the server restarts on the same data
folder with nothing lost, no debris, and a passing SQLite integrity check.

The disk faults use a real small file system (tmpfs, mounted here), which needs root:
the test fails, saying so, where it cannot mount one."""

import os
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest
import requests
from nbclient import NotebookClient

from conftest import Server, dataset, glassbox_binary


def integrity_ok(data_dir: Path):
    con = sqlite3.connect(data_dir / "glassbox.db")
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()


def folders(data_dir: Path, kind: str):
    d = data_dir / kind
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


def no_debris(s: Server):
    """Every folder under datasets/ and jobs/ belongs to a listed data set or job, and no
    half-written file is left."""
    datasets = {d["DatasetId"] for d in requests.get(s.url + "/api/datasets", timeout=10).json()["Datasets"]}
    jobs = {j["AutoMLJobName"] for j in requests.get(s.url + "/api/automl-jobs", timeout=10).json()["AutoMLJobSummaries"]}
    assert set(folders(s.data_dir, "datasets")) <= datasets
    assert set(folders(s.data_dir, "jobs")) <= jobs
    tmp = [p for p in s.data_dir.rglob("*.tmp")]
    assert not tmp, tmp


def kill9(s: Server):
    os.kill(s.proc.pid, signal.SIGKILL)
    s.proc.wait(10)
    s.log.close()


def wait_for(what, check, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")


def test_kill_during_upload(tmp_path):
    s = Server(tmp_path)
    sent = threading.Event()

    def slow_body():
        yield b'--B\r\nContent-Disposition: form-data; name="file"; filename="slow.csv"\r\n\r\na,b\n'
        for i in range(100_000):
            yield b"1,2\n" * 256
            if i == 20:
                sent.set()
            time.sleep(0.01)

    def upload():
        try:
            requests.post(s.url + "/api/datasets", data=slow_body(), timeout=60,
                          headers={"Content-Type": "multipart/form-data; boundary=B"})
        except requests.RequestException:
            pass  # the server died under it

    t = threading.Thread(target=upload, daemon=True)
    t.start()
    assert sent.wait(30)
    # The upload is recorded before its bytes arrive, and shown as arriving.
    listed = requests.get(s.url + "/api/datasets", timeout=10).json()["Datasets"]
    assert [d["DatasetStatus"] for d in listed] == ["Uploading"], listed
    partial = wait_for("a partial upload", lambda: list((tmp_path / "datasets").rglob("upload")), 10)
    assert partial[0].stat().st_size > 0
    kill9(s)
    t.join(10)

    s2 = Server(tmp_path)
    try:
        listed = requests.get(s2.url + "/api/datasets", timeout=10).json()["Datasets"]
        assert len(listed) == 1 and listed[0]["DatasetStatus"] == "Failed", listed
        assert "stopped while slow.csv was being uploaded" in listed[0]["FailureReason"]
        assert not list((tmp_path / "datasets").rglob("upload")), "the partial file is still there"
        no_debris(s2)
        # The data folder still takes uploads.
        r = s2.upload_bytes("after.csv", b"a,b\n1,2\n3,4\n")
        assert r.status_code == 201 and s2.wait_dataset(r.json()["DatasetId"])["DatasetStatus"] == "Ready"
    finally:
        s2.stop()
    integrity_ok(tmp_path)


def test_a_client_that_goes_away_mid_upload_leaves_nothing(tmp_path):
    s = Server(tmp_path)
    try:
        start = (b'--B\r\nContent-Disposition: form-data; name="file"; filename="gone.csv"\r\n\r\na,b\n'
                 + b"1,2\n" * 50_000)
        head = ("POST /api/datasets HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: multipart/form-data; boundary=B\r\n"
                f"Content-Length: {len(start) * 10}\r\n\r\n").encode()
        sock = socket.create_connection(("127.0.0.1", s.port))
        sock.sendall(head + start)

        def listed():
            return requests.get(s.url + "/api/datasets", timeout=10).json()["Datasets"]
        wait_for("the upload to be recorded", lambda: [d for d in listed() if d["DatasetStatus"] == "Uploading"], 10)
        sock.close()  # the client goes away with 90% of the file unsent
        wait_for("the cut upload to be removed",
                 lambda: not listed() and not folders(tmp_path, "datasets"), 10)
        no_debris(s)
    finally:
        s.stop()
    integrity_ok(tmp_path)


def test_kill_during_profiling_and_training(tmp_path):
    s = Server(tmp_path)
    # Profiling: kill as soon as the upload is stored; the restart profiles it again.
    r = s.upload(dataset("adult.csv"), target="income")
    assert r.status_code == 201, r.text
    adult = r.json()["DatasetId"]
    assert r.json()["DatasetStatus"] == "Profiling"
    kill9(s)
    s = Server(tmp_path)
    try:
        assert s.wait_dataset(adult)["DatasetStatus"] == "Ready"
        # Training: kill after a few candidates have finished.
        up = s.upload(dataset("titanic.csv"), target="Survived")
        titanic = s.wait_dataset(up.json()["DatasetId"])["DatasetId"]
        body = {"AutoMLJobName": "killed",
                "InputDataConfig": [{"DataSource": {"DatasetId": titanic}, "TargetAttributeName": "Survived"}],
                "AutoMLJobConfig": {"CompletionCriteria": {"MaxAutoMLJobRuntimeInSeconds": 600},
                                    "CandidateGenerationConfig": {"AlgorithmsConfig": [{"AutoMLAlgorithms": ["linear-learner", "xgboost"]}]}}}
        assert requests.post(s.url + "/api/automl-jobs", json=body, timeout=30).status_code == 201

        def done():
            c = requests.get(s.url + "/api/automl-jobs/killed/candidates", params={"StatusEquals": "Completed"}, timeout=10)
            return len(c.json()["Candidates"]) >= 3
        wait_for("three finished candidates", done, 120)
    finally:
        kill9(s)
    # A file the crash left half-written (write_json had not renamed it into place yet);
    # the kill may or may not have caught one, so one is planted too.
    (tmp_path / "jobs" / "killed" / "profile.json.tmp").write_text('{"Columns": [')

    s2 = Server(tmp_path)
    try:
        d = requests.get(s2.url + "/api/automl-jobs/killed", timeout=10).json()
        assert d["AutoMLJobStatus"] == "Failed" and "server stopped" in d["FailureReason"], d
        kept = requests.get(s2.url + "/api/automl-jobs/killed/candidates",
                            params={"StatusEquals": "Completed"}, timeout=10).json()["Candidates"]
        assert len(kept) >= 3
        assert d["BestCandidate"]["CandidateName"] == kept[0]["CandidateName"]
        # Its notebooks are written at the restart, from what the job finished.
        nb_url = s2.url + "/api/automl-jobs/killed/notebooks/candidate-definition.ipynb"
        nb = wait_for("the candidate notebook", lambda: (r := requests.get(nb_url, timeout=10)).status_code == 200 and r, 60)
        assert requests.get(s2.url + "/api/automl-jobs/killed/notebooks/notebooks.zip", timeout=30).status_code == 200
        assert requests.get(s2.url + "/api/automl-jobs/killed/notebooks/data-exploration.ipynb", timeout=10).status_code == 200
        no_debris(s2)
        # The notebook reproduces the kept candidates (and only those) offline.
        folder = tmp_path / "jobs" / "killed" / "notebooks"
        notebook = nbformat.reads(nb.text, as_version=4)
        source = "\n".join(c.source for c in notebook.cells)
        for c in kept:
            assert c["CandidateName"] in source
        NotebookClient(notebook, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(folder)}}).execute()
    finally:
        s2.stop()
    integrity_ok(tmp_path)


@contextmanager
def small_disk(path: Path, size: str):
    path.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.fail(f"cannot mount a {size} tmpfs at {path} (this test needs root): {r.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_full_disk(tmp_path):
    with small_disk(tmp_path / "disk", "6m") as data_dir:
        s = Server(data_dir)
        try:
            small = s.upload_bytes("small.csv", b"a,b\n" + b"1,2\n3,4\n" * 50)
            assert small.status_code == 201
            assert s.wait_dataset(small.json()["DatasetId"])["DatasetStatus"] == "Ready"
            status = requests.get(s.url + "/api/status", timeout=10).json()
            assert 0 < status["FreeBytes"] < 6 * 2**20 and status["LowSpace"] is True
            page = requests.get(s.url + "/status", timeout=10)
            assert page.status_code == 200 and "Free space" in page.text
            assert "low-space" in requests.get(s.url + "/", timeout=10).text

            # An upload that announces more than the disk has: refused before it is read.
            big = b"a,b\n" + b"12345,67890\n" * 700_000  # 8.4 MB
            r = s.upload_bytes("big.csv", big)
            assert r.status_code == 507, (r.status_code, r.text)
            assert "full" in r.json()["error"]
            # One that does not announce its size (chunked) fills the disk while it streams.
            def chunks():
                for i in range(0, len(big), 65536):
                    yield big[i:i + 65536]
            body = (b'--B\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n',)
            try:
                r = requests.post(s.url + "/api/datasets", timeout=60,
                                  data=(x for part in (body, chunks(), (b"\r\n--B--\r\n",)) for x in part),
                                  headers={"Content-Type": "multipart/form-data; boundary=B"})
                assert r.status_code == 507, (r.status_code, r.text)
                assert "full" in r.json()["error"]
            except requests.ConnectionError:
                pass  # the server answered before the body was sent, and closed
            # Nothing of it is kept: no partial file, no data set, and the space is back.
            listed = requests.get(s.url + "/api/datasets", timeout=10).json()["Datasets"]
            assert [d["Name"] for d in listed] == ["small.csv"], listed
            no_debris(s)
            free = requests.get(s.url + "/api/status", timeout=10).json()["FreeBytes"]
            assert free > 4 * 2**20, free
            # So the next upload works.
            again = s.upload_bytes("again.csv", b"a,b\n1,2\n3,4\n")
            assert again.status_code == 201, again.text
            assert s.wait_dataset(again.json()["DatasetId"])["DatasetStatus"] == "Ready"
        finally:
            s.stop()
        # A restart on the same (nearly full) folder works, with nothing lost.
        s = Server(data_dir)
        try:
            listed = requests.get(s.url + "/api/datasets", timeout=10).json()["Datasets"]
            assert sorted(d["Name"] for d in listed) == ["again.csv", "small.csv"]
            assert all(d["DatasetStatus"] == "Ready" for d in listed)
        finally:
            s.stop()
        integrity_ok(data_dir)

        # A read-only data folder: refused at start, with the reason.
        subprocess.run(["mount", "-o", "remount,ro", str(data_dir)], check=True)
        r = subprocess.run([str(glassbox_binary()), "serve", "--addr", "127.0.0.1:0",
                            "--data-dir", str(data_dir)], capture_output=True, text=True, timeout=30)
        assert r.returncode == 1, r.stderr
        assert "cannot write" in r.stderr and str(data_dir) in r.stderr, r.stderr
        assert "panicked" not in r.stderr
