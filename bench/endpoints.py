"""Endpoint latency and throughput beside /healthz, and batch-transform rows per second.
Run through bench/endpoints.sh (it builds the release binary and installs wrk)."""

import csv
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
ADULT = ROOT.parent / "shared" / "datasets" / "adult.csv"
SECONDS = int(sys.argv[1]) if len(sys.argv) > 1 else 10


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(url, connections, script=None):
    threads = min(2, connections)
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{SECONDS}s", "--latency", url]
    if script:
        cmd[1:1] = ["-s", script]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    def ms(label):
        m = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out)
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": ms(" 50"), "p99": ms(" 99"), "errors": int(errors.group(1)) if errors else 0}


def main():
    data = Path(tempfile.mkdtemp(prefix="gb-bench-endpoints-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([os.environ["GLASSBOX_BIN"], "serve", "--addr", f"127.0.0.1:{port}",
                               "--data-dir", str(data)], stdout=open(data / "server.log", "wb"),
                              stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            try:
                if requests.get(url + "/healthz", timeout=1).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.1)
        with open(ADULT, "rb") as f:
            ds = requests.post(url + "/api/datasets", files={"file": ("adult.csv", f)}).json()["DatasetId"]
        while requests.get(f"{url}/api/datasets/{ds}").json()["DatasetStatus"] != "Ready":
            time.sleep(0.3)
        body = {"AutoMLJobName": "bench", "InputDataConfig": [{"DataSource": {"DatasetId": ds}, "TargetAttributeName": "income"}],
                "AutoMLJobConfig": {"CompletionCriteria": {"MaxCandidates": 2},
                                    "CandidateGenerationConfig": {"AlgorithmsConfig": [{"AutoMLAlgorithms": ["gbdt"]}]}}}
        assert requests.post(url + "/api/automl-jobs", json=body).status_code == 201
        while (job := requests.get(f"{url}/api/automl-jobs/bench").json())["AutoMLJobStatus"] == "InProgress":
            time.sleep(0.5)
        # The portfolio's first two GBDTs: the cheap one (depth 5, rate 0.2) and a deeper,
        # longer one (depth 6, rate 0.05), each deployed to its own endpoint.
        cands = sorted(c["CandidateName"] for c in
                       requests.get(f"{url}/api/automl-jobs/bench/candidates").json()["Candidates"]
                       if "-gbdt-" in c["CandidateName"])
        assert len(cands) == 2, cands
        with open(ADULT) as f:
            rows = list(csv.reader(f))
        target = rows[0].index("income")
        row = ",".join(v for i, v in enumerate(rows[1]) if i != target)
        lua = data / "post.lua"
        lua.write_text('wrk.method = "POST"\nwrk.headers["Content-Type"] = "text/csv"\n'
                       f'wrk.body = "{row}"\n')
        table = []
        one = wrk(url + "/healthz", 1)
        fifty = wrk(url + "/healthz", 50)
        table.append(("/healthz", one["p50"], one["p99"], fifty["rps"], fifty["p99"], one["errors"] + fifty["errors"]))
        for i, cand in enumerate(cands):
            name = f"bench{i}"
            r = requests.post(url + "/api/endpoints", json={"EndpointName": name,
                                                            "SourceCandidate": {"AutoMLJobName": "bench", "CandidateName": cand}})
            assert r.status_code == 201, r.text
            assert requests.post(f"{url}/endpoints/{name}/invocations", data=row, headers={"Content-Type": "text/csv"}).ok
            one = wrk(f"{url}/endpoints/{name}/invocations", 1, str(lua))
            fifty = wrk(f"{url}/endpoints/{name}/invocations", 50, str(lua))
            table.append((f"invocation, 1 row, {cand}", one["p50"], one["p99"], fifty["rps"], fifty["p99"],
                          one["errors"] + fifty["errors"]))
        cand = cands[0]
        # Batch transform: adult × 10.
        big = data / "adult10.csv"
        with open(ADULT) as f, open(big, "w") as out:
            lines = f.read().splitlines()
            out.write(lines[0] + "\n")
            for _ in range(10):
                out.write("\n".join(lines[1:]) + "\n")
        with open(big, "rb") as f:
            ds10 = requests.post(url + "/api/datasets", files={"file": ("adult10.csv", f)}, timeout=600).json()["DatasetId"]
        while requests.get(f"{url}/api/datasets/{ds10}").json()["DatasetStatus"] != "Ready":
            time.sleep(0.5)
        started = time.time()
        requests.post(url + "/api/transform-jobs", json={"TransformJobName": "bench10", "SourceCandidate":
                      {"AutoMLJobName": "bench", "CandidateName": cand}, "TransformInput": {"DatasetId": ds10}})
        while (t := requests.get(f"{url}/api/transform-jobs/bench10").json())["TransformJobStatus"] == "InProgress":
            time.sleep(0.2)
        seconds = time.time() - started
        assert t["TransformJobStatus"] == "Completed", t
        print(f"\nbinary: {os.environ['GLASSBOX_BIN']}; {SECONDS} s per wrk run, wrk threads = min(2, connections), loopback\n")
        print("| route | p50 ms (1 conn) | p99 ms (1 conn) | req/s (50 conns) | p99 ms (50 conns) | errors |")
        print("|---|---|---|---|---|---|")
        for name, p50, p99, rps, p99_50, err in table:
            print(f"| {name} | {p50:.2f} | {p99:.2f} | {rps:,.0f} | {p99_50:.2f} | {err} |")
        print(f"\nbatch transform, adult × 10: {t['RowsProcessed']:,} rows in {seconds:.1f} s "
              f"= {t['RowsProcessed'] / seconds:,.0f} rows/s (GBDT {cand})")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
