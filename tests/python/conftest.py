"""Shared fixtures: a real `glassbox serve` process on a free port, with its own data folder."""

import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
DATASETS = ROOT.parent / "shared" / "datasets"


def glassbox_binary() -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    exe = Path(os.environ.get("GLASSBOX_BIN", target / "debug" / "glassbox"))
    if not exe.exists():
        pytest.fail(f"{exe} not found: build it first (cargo build -p glassbox)")
    return exe


def dataset(name: str) -> Path:
    p = DATASETS / name
    if not p.exists():
        pytest.fail(f"{p} not found: these tests need the shared data sets in ../shared/datasets")
    return p


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, data_dir: Path, extra_args=(), env=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        self.log = open(data_dir / "server.log", "ab")
        self.proc = subprocess.Popen(
            [str(glassbox_binary()), "serve", "--addr", f"127.0.0.1:{self.port}",
             "--data-dir", str(data_dir), *extra_args],
            stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"glassbox exited with {self.proc.returncode}; see {data_dir}/server.log")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise RuntimeError("glassbox did not answer /healthz within 30 s")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()

    def upload(self, path: Path, name=None, target=None):
        data = {"target": target} if target else {}
        with open(path, "rb") as f:
            return requests.post(self.url + "/api/datasets", data=data,
                                 files={"file": (name or path.name, f)}, timeout=120)

    def upload_bytes(self, name: str, content: bytes):
        return requests.post(self.url + "/api/datasets", files={"file": (name, content)}, timeout=60)

    def wait_dataset(self, dataset_id: str, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            r = requests.get(f"{self.url}/api/datasets/{dataset_id}", timeout=10)
            assert r.status_code == 200, r.text
            body = r.json()
            if body["DatasetStatus"] not in ("Profiling", "Uploading"):
                return body
            time.sleep(0.2)
        raise AssertionError(f"data set {dataset_id} still profiling after {timeout} s")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("glassbox-data"))
    yield s
    s.stop()
