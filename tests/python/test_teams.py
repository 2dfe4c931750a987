"""Team mode over real HTTP: the access matrix (every route × every kind of caller), share
links, sessions, keys, the sign-in rate limit, cross-site requests, Host checks, security
headers, the refusal to serve an open server on a network address, and the upgrade of a
local-mode data folder."""

import json
import sqlite3
import subprocess
import time

import pytest
import requests

from conftest import Server, dataset, free_port, glassbox_binary

PASSWORD = "correct horse battery"


def cli(*args, stdin=None):
    return subprocess.run([str(glassbox_binary()), *args], input=stdin, capture_output=True,
                          text=True, timeout=120)


def add_user(data_dir, name, *flags):
    r = cli("user", "add", name, *flags, "--password-stdin", "--data-dir", str(data_dir),
            stdin=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    return r


def make_key(data_dir, user):
    r = cli("key", "create", "--user", user, "--json", "--data-dir", str(data_dir))
    assert r.returncode == 0, r.stderr
    k = json.loads(r.stdout)
    return f"{k['AccessKeyId']}:{k['SecretAccessKey']}"


class Caller:
    """Requests as one kind of caller: anonymous, or an account by its access key."""

    def __init__(self, url, name, key=None):
        self.url, self.name, self.key = url, name, key

    def __call__(self, method, path, **kw):
        headers = kw.pop("headers", {})
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        return requests.request(method, self.url + path, headers=headers, allow_redirects=False,
                                timeout=60, **kw)


def wait_job(call, name, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline:
        d = call("GET", f"/api/automl-jobs/{name}").json()
        if d["AutoMLJobStatus"] in ("Completed", "Failed", "Stopped"):
            return d
        time.sleep(0.3)
    raise AssertionError(f"job {name} did not end")


def upload(call, name="sklearn_iris.csv"):
    with open(dataset(name), "rb") as f:
        r = call("POST", "/api/datasets", files={"file": (name, f)})
    assert r.status_code == 201, r.text
    ds = r.json()["DatasetId"]
    deadline = time.time() + 60
    while call("GET", f"/api/datasets/{ds}").json()["DatasetStatus"] in ("Profiling", "Uploading"):
        assert time.time() < deadline
        time.sleep(0.2)
    return ds


def start_job(call, name, ds, candidates=2, only_definitions=False):
    body = {
        "AutoMLJobName": name,
        "InputDataConfig": [{"DataSource": {"DatasetId": ds}, "TargetAttributeName": "target"}],
        "AutoMLJobConfig": {"CompletionCriteria": {"MaxCandidates": candidates,
                                                   "MaxAutoMLJobRuntimeInSeconds": 120}},
        "GenerateCandidateDefinitionsOnly": only_definitions,
    }
    r = call("POST", "/api/automl-jobs", json=body)
    assert r.status_code == 201, r.text
    return wait_job(call, name)


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    """A data folder used in local mode (a data set and a job), then upgraded: an admin,
    two members and a viewer, each with an access key; alice (a member) owns a data set,
    a job and share links."""
    data_dir = tmp_path_factory.mktemp("team-data")
    local = Server(data_dir)
    anyone = Caller(local.url, "local")
    local_ds = upload(anyone)
    start_job(anyone, "local-job", local_ds)
    local.stop()

    add_user(data_dir, "root", "--admin")
    add_user(data_dir, "alice")
    add_user(data_dir, "bob")
    add_user(data_dir, "vic", "--role", "viewer")
    s = Server(data_dir)
    t = type("Team", (), {})()
    t.server, t.data_dir, t.local_ds = s, data_dir, local_ds
    t.anon = Caller(s.url, "anonymous")
    t.root, t.alice, t.bob, t.vic = (Caller(s.url, n, make_key(data_dir, n))
                                      for n in ("root", "alice", "bob", "vic"))
    t.ds = upload(t.alice)
    start_job(t.alice, "alice-job", t.ds)
    cands = t.alice("GET", "/api/automl-jobs/alice-job/candidates").json()["Candidates"]
    t.cands = [c["CandidateName"] for c in cands if c["CandidateStatus"] == "Completed"]
    assert len(t.cands) >= 2, cands

    # Alice's model: a group, a version (approved by her, its group's owner), endpoints.
    assert t.alice("POST", "/api/model-package-groups", json={"ModelPackageGroupName": "alice-models"}).status_code == 201
    r = t.alice("POST", "/api/model-packages", json={
        "ModelPackageGroupName": "alice-models", "ModelApprovalStatus": "Approved",
        "SourceCandidate": {"AutoMLJobName": "alice-job", "CandidateName": t.cands[0]}})
    assert r.status_code == 201, r.text
    t.version = r.json()["ModelPackageVersion"]
    t.endpoint_body = {"SourceCandidate": {"AutoMLJobName": "alice-job", "CandidateName": t.cands[0]}}
    r = t.alice("POST", "/api/endpoints", json={"EndpointName": "alice-live", **t.endpoint_body})
    assert r.status_code == 201, r.text
    with open(dataset("sklearn_iris.csv")) as f:
        header, first = f.readline().strip().split(","), f.readline().strip().split(",")
    t.row = ",".join(v for h, v in zip(header, first) if h != "target")

    def share(call, job, **body):
        r = call("POST", f"/api/automl-jobs/{job}/shares", json=body)
        assert r.status_code == 201, r.text
        j = r.json()
        return j["ShareId"], j["Url"].rsplit("/share/", 1)[1]

    t.share = share
    t.share_id, t.token = share(t.alice, "alice-job")
    t.data_share_id, t.data_token = share(t.alice, "alice-job", IncludeData=True)
    _, t.other_token = share(t.root, "local-job")
    revoked_id, t.revoked_token = share(t.alice, "alice-job")
    assert t.alice("DELETE", f"/api/shares/{revoked_id}").status_code == 204
    expired_id, t.expired_token = share(t.alice, "alice-job", ExpiresInSeconds=3600)
    with sqlite3.connect(data_dir / "glassbox.db") as db:  # an hour passes
        db.execute("UPDATE shares SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id = ?", (expired_id,))
    yield t
    s.stop()


def denied(r):
    """A refusal: 401/403, or a page that sends the reader to sign in."""
    return r.status_code in (401, 403) or (
        r.status_code in (302, 303) and r.headers.get("location", "").startswith("/login"))


# What each kind of route needs, and who that lets in.
ALLOWED = {
    "read": {"vic", "alice", "bob", "root"},
    "create": {"alice", "bob", "root"},
    "change": {"alice", "root"},   # on alice's objects
    "account": {"vic", "alice", "bob", "root"},
    "admin": {"root"},
}


def amz(op, body):
    """A SageMaker-protocol request (as boto3 sends it, here with the caller's session or key)."""
    return {"json": body, "headers": {"X-Amz-Target": f"SageMaker.{op}", "Content-Type": "application/x-amz-json-1.1"}}


def routes(t):
    """(method, path, need, request arguments) for every route of the server."""
    ds, job, c1, c2 = t.ds, "alice-job", t.cands[0], t.cands[1]
    return [
        ("GET", "/api/openapi.json", "read", {}),
        ("GET", "/api/status", "read", {}),
        ("GET", "/api/datasets", "read", {}),
        ("GET", f"/api/datasets/{ds}", "read", {}),
        ("GET", f"/api/datasets/{ds}/profile", "read", {}),
        ("GET", f"/api/datasets/{ds}/bias?LabelName=target&FacetName=petal_width", "read", {}),
        ("GET", "/api/automl-jobs", "read", {}),
        ("GET", f"/api/automl-jobs/{job}", "read", {}),
        ("GET", f"/api/automl-jobs/{job}/candidates", "read", {}),
        ("GET", f"/api/automl-jobs/{job}/notebooks/data-exploration.ipynb", "read", {}),
        ("GET", f"/api/automl-jobs/{job}/notebooks/notebooks.zip", "read", {}),
        ("GET", f"/api/automl-jobs/{job}/candidates/{c1}/model.zip", "read", {}),
        ("GET", f"/api/automl-jobs/{job}/candidates/{c1}/reports/quality.json", "read", {}),
        ("GET", f"/api/automl-jobs/{job}/candidates/{c1}/validation-predictions.csv", "read", {}),
        ("GET", f"/api/automl-jobs/{job}/candidates/{c1}/bias?FacetName=petal_width", "read", {}),
        ("GET", "/api/no-such-route", "read", {}),
        ("GET", "/", "read", {}),
        ("GET", "/status", "read", {}),
        ("GET", f"/datasets/{ds}", "read", {}),
        ("GET", f"/datasets/{ds}/new-job", "read", {}),
        ("GET", "/jobs", "read", {}),
        ("GET", f"/jobs/{job}", "read", {}),
        ("GET", f"/jobs/{job}/live", "read", {}),
        ("GET", f"/jobs/{job}/candidates/{c1}", "read", {}),
        ("GET", f"/jobs/{job}/compare?c={c1}&c={c2}", "read", {}),
        ("GET", f"/jobs/{job}/notebooks/data-exploration", "read", {}),
        # Creating: bodies that fail validation once let in, so nothing is made.
        ("POST", "/api/datasets", "create", {"files": {"nofile": ("x", b"x")}}),
        ("POST", "/api/automl-jobs", "create", {"json": {}}),
        ("POST", f"/datasets/{ds}/jobs", "create", {"data": {"target": ""}}),
        # Changing alice's objects: harmless once let in.
        ("PUT", f"/api/datasets/{ds}/target", "change", {"json": {"TargetAttributeName": "no such column"}}),
        ("POST", f"/datasets/{ds}/target", "change", {"data": {"target": "no such column"}}),
        ("POST", f"/api/automl-jobs/{job}/stop", "change", {}),
        ("POST", f"/jobs/{job}/stop", "change", {}),
        ("POST", f"/api/automl-jobs/{job}/train", "change", {"json": {"Candidates": []}}),
        ("POST", f"/jobs/{job}/train", "change", {"data": {}}),
        ("GET", f"/api/automl-jobs/{job}/shares", "change", {}),
        ("POST", f"/api/automl-jobs/{job}/shares", "change", {"json": {"ExpiresInSeconds": 5}}),
        ("POST", f"/jobs/{job}/shares", "change", {"data": {"expires": "5"}}),
        # The registry and endpoints.
        ("GET", "/api/model-package-groups", "read", {}),
        ("GET", "/api/model-packages?ModelPackageGroupName=alice-models", "read", {}),
        ("GET", f"/api/model-packages/alice-models/{t.version}", "read", {}),
        ("GET", "/api/endpoints", "read", {}),
        ("GET", "/api/endpoints/alice-live", "read", {}),
        ("GET", "/models", "read", {}),
        ("GET", "/models/alice-models", "read", {}),
        ("GET", f"/models/register?job={job}&candidate={c1}", "read", {}),
        ("GET", "/endpoints/alice-live", "read", {}),
        ("GET", "/metrics", "read", {}),
        ("GET", "/pipelines/no-such-run", "read", {}),
        ("GET", "/api/endpoints/alice-live/drift", "read", {}),
        ("GET", "/endpoints/alice-live/drift", "read", {}),
        ("GET", "/api/endpoints/alice-live/drift-reports", "read", {}),
        ("PUT", "/api/endpoints/alice-live/drift-schedule", "change", {"json": {"EverySeconds": 1}}),
        ("POST", "/endpoints/alice-live/drift-schedule", "change", {"data": {"every_seconds": "1"}}),
        ("GET", "/api/pipeline-executions/no-such-run", "read", {}),
        ("GET", "/api/transform-jobs/no-such-run", "read", {}),
        ("GET", "/api/transform-jobs/no-such-run/output", "read", {}),
        ("POST", "/api/pipeline-executions", "create", {"json": {}}),
        ("POST", "/api/transform-jobs", "create", {"json": {}}),
        ("POST", "/endpoints/alice-live/invocations", "read", {"data": t.row, "headers": {"Content-Type": "text/csv"}}),
        ("POST", "/api/model-package-groups", "create", {"json": {"ModelPackageGroupName": "-bad-"}}),
        ("POST", "/api/model-packages", "create", {"json": {"ModelPackageGroupName": "nope", "SourceCandidate": {"AutoMLJobName": job, "CandidateName": c1}}}),
        ("POST", "/api/endpoints", "create", {"json": {"EndpointName": "-bad-", **t.endpoint_body}}),
        ("POST", "/models/groups", "create", {"data": {"name": "-bad-"}}),
        ("POST", "/models/register", "create", {"data": {"job": job, "candidate": c1, "group": "nope"}}),
        ("POST", f"/models/alice-models/{t.version}/deploy", "create", {"data": {"endpoint": "-bad-"}}),
        ("PATCH", f"/api/model-packages/alice-models/{t.version}", "change", {"json": {"ModelApprovalStatus": "Maybe"}}),
        ("POST", f"/models/alice-models/{t.version}/approval", "change", {"data": {"status": "Maybe"}}),
        ("PUT", "/api/endpoints/alice-live", "change", {"json": {"ModelPackage": "nope"}}),
        ("POST", "/endpoints/alice-live/update", "change", {"data": {"package": "nope"}}),
        # The SageMaker protocol: each operation checked as its REST twin.
        ("POST", "/", "read", amz("DescribeAutoMLJob", {"AutoMLJobName": job})),
        ("POST", "/", "read", amz("ListEndpoints", {})),
        ("POST", "/", "create", amz("CreateModelPackageGroup", {"ModelPackageGroupName": "-bad-"})),
        ("POST", "/", "create", amz("CreateModel", {"ModelName": "-bad-", "PrimaryContainer": {}})),
        ("POST", "/", "change", amz("StopAutoMLJob", {"AutoMLJobName": job})),
        ("POST", "/", "change", amz("UpdateEndpoint", {"EndpointName": "alice-live", "EndpointConfigName": "nope"})),
        ("POST", "/", "change", amz("UpdateModelPackage", {"ModelPackageArn": f"arn:glassbox:local:model-package/alice-models/{t.version}", "ModelApprovalStatus": "Maybe"})),
        ("GET", "/settings", "account", {}),
        ("POST", "/settings/password", "account", {"data": {"current_password": "wrong", "new_password": "x"}}),
        ("POST", "/settings/keys/GBKNOSUCHKEY/revoke", "account", {}),
        ("GET", "/settings/audit", "admin", {}),
        ("POST", "/settings/users", "admin", {"data": {"username": "x", "password": "short", "role": "member"}}),
        ("POST", "/settings/users/nobody-here/remove", "admin", {}),
    ]


def test_the_access_matrix_has_no_leak(team):
    t = team
    leaks, blocked = [], []
    callers = [t.anon, t.vic, t.alice, t.bob, t.root]
    table = routes(t)
    for method, path, need, kw in table:
        for who in callers:
            r = who(method, path, **kw)
            assert r.status_code < 500, (method, path, who.name, r.status_code, r.text[:300])
            if who.name in ALLOWED[need]:
                if denied(r):
                    blocked.append((method, path, who.name, r.status_code))
            elif not denied(r):
                leaks.append((method, path, who.name, r.status_code))
            if who is t.anon:
                assert r.status_code in (401, 303), (method, path, r.status_code)
    print(f"access matrix: {len(table)} routes × {len(callers)} callers, {len(leaks)} leaks")
    assert leaks == [], leaks
    assert blocked == [], blocked
    # The objects alice owns are all still there.
    assert t.alice("GET", f"/api/datasets/{t.ds}").status_code == 200
    assert t.alice("GET", "/api/automl-jobs/alice-job").status_code == 200


@pytest.mark.parametrize("route", ["api-dataset", "page-dataset", "api-job", "page-job", "api-share", "page-share",
                                   "api-endpoint", "page-endpoint"])
def test_deleting_is_for_the_owner_and_admins(team, route):
    """Each deleting route: refused to anonymous, the viewer and another member (the object
    stays), done for its owner and for an admin (on throwaway objects)."""
    t = team
    def make():
        if "dataset" in route:
            return upload(t.alice)
        if "job" in route:
            name = f"tmp-{route}-{time.time_ns() % 10**9}"
            start_job(t.alice, name, t.ds, only_definitions=True)
            return name
        if "endpoint" in route:
            name = f"tmp-{route}-{time.time_ns() % 10**9}"
            r = t.alice("POST", "/api/endpoints", json={"EndpointName": name, **t.endpoint_body})
            assert r.status_code == 201, r.text
            return name
        return t.share(t.alice, "alice-job")[0]
    def delete(who, obj):
        return {
            "api-dataset": lambda: who("DELETE", f"/api/datasets/{obj}"),
            "page-dataset": lambda: who("POST", f"/datasets/{obj}/delete"),
            "api-job": lambda: who("DELETE", f"/api/automl-jobs/{obj}"),
            "page-job": lambda: who("POST", f"/jobs/{obj}/delete"),
            "api-share": lambda: who("DELETE", f"/api/shares/{obj}"),
            "page-share": lambda: who("POST", f"/shares/{obj}/revoke"),
            "api-endpoint": lambda: who("DELETE", f"/api/endpoints/{obj}"),
            "page-endpoint": lambda: who("POST", f"/endpoints/{obj}/delete"),
        }[route]()
    def exists(obj):
        if "dataset" in route:
            return t.alice("GET", f"/api/datasets/{obj}").status_code == 200
        if "job" in route:
            return t.alice("GET", f"/api/automl-jobs/{obj}").status_code == 200
        if "endpoint" in route:
            return t.alice("GET", f"/api/endpoints/{obj}").status_code == 200
        shares = t.alice("GET", "/api/automl-jobs/alice-job/shares").json()["Shares"]
        return any(s["ShareId"] == obj and s["Status"] == "Active" for s in shares)
    obj = make()
    for who in (t.anon, t.vic, t.bob):
        assert denied(delete(who, obj)), who.name
        assert exists(obj), f"{who.name} deleted it"
    for who in (t.alice, t.root):
        r = delete(who, obj)
        assert not denied(r) and r.status_code < 400, (who.name, r.status_code, r.text[:200])
        assert not exists(obj)
        obj = make()


def test_a_share_link_opens_one_job_read_only(team):
    t = team
    c1, c2 = t.cands[0], t.cands[1]
    pages = ["", "/live", f"/candidates/{c1}", f"/compare?c={c1}&c={c2}", "/notebooks/data-exploration",
             "/notebooks/model-insights", "/files/notebooks/data-exploration.ipynb",
             f"/files/candidates/{c1}/reports/quality.json",
             f"/files/candidates/{c1}/reports/report.html"]
    data_files = ["/files/notebooks/notebooks.zip", f"/files/candidates/{c1}/model.zip",
                  f"/files/candidates/{c1}/validation-predictions.csv"]
    for p in pages:
        r = t.anon("GET", f"/share/{t.token}{p}")
        assert r.status_code == 200, (p, r.status_code, r.text[:300])
        assert r.headers["Referrer-Policy"] == "no-referrer"
        assert "no-store" in r.headers["Cache-Control"]
        if r.headers["Content-Type"].startswith("text/html") and "reports" not in p:
            html = r.text
            assert "local-job" not in html
            for out in ('href="/jobs', 'href="/api', 'href="/datasets', 'href="/settings', 'href="/"',
                        'action="/jobs', 'action="/api', 'action="/datasets', 'action="/logout'):
                assert out not in html, (p, out)
            for action in html.split('action="')[1:]:
                assert action.startswith(f"/share/{t.token}/"), (p, action[:80])
            assert 'method="post"' not in html, p
    assert "alice-job" in t.anon("GET", f"/share/{t.token}").text
    for p in data_files:
        assert t.anon("GET", f"/share/{t.token}{p}").status_code == 403, p
        r = t.anon("GET", f"/share/{t.data_token}{p}")
        assert r.status_code == 200, (p, r.status_code)
    # Another job's link shows that job only; dead links open nothing.
    other = t.anon("GET", f"/share/{t.other_token}").text
    assert "local-job" in other and "alice-job" not in other
    for dead in (t.revoked_token, t.expired_token, "0" * 40, "not-a-token"):
        for p in ("", f"/candidates/{c1}", "/files/notebooks/data-exploration.ipynb"):
            assert t.anon("GET", f"/share/{dead}{p}").status_code == 404, (dead, p)
    # A token is no credential anywhere else.
    r = t.anon("GET", "/api/automl-jobs/alice-job", headers={"Authorization": f"Bearer {t.token}"})
    assert r.status_code == 401
    assert t.anon("GET", "/jobs/alice-job", cookies={"glassbox_session": t.token}).status_code == 303
    # The list shows each link's last access, and which are revoked or expired.
    shares = {s["ShareId"]: s for s in t.alice("GET", "/api/automl-jobs/alice-job/shares").json()["Shares"]}
    assert shares[t.share_id]["LastAccessTime"] is not None
    assert shares[t.share_id]["Status"] == "Active"
    assert {s["Status"] for s in shares.values()} >= {"Active", "Revoked", "Expired"}
    # Tokens are stored hashed: the database never holds one.
    with sqlite3.connect(t.data_dir / "glassbox.db") as db:
        stored = [r[0] for r in db.execute("SELECT token_hash FROM shares")]
    assert t.token not in stored and all(len(h) == 64 for h in stored)
    assert len(t.token) * 4 >= 128


def login(url, name, password=PASSWORD):
    s = requests.Session()
    r = s.post(url + "/login", data={"username": name, "password": password, "next": "/jobs"},
               allow_redirects=False, timeout=30)
    return s, r


def test_sessions_sign_in_rotate_and_end(team):
    url = team.server.url
    s, r = login(url, "alice")
    assert r.status_code == 303 and r.headers["location"] == "/jobs", r.text[:300]
    cookie = r.headers["set-cookie"]
    for flag in ("HttpOnly", "SameSite=Lax", "Path=/"):
        assert flag in cookie
    first = s.cookies["glassbox_session"]
    assert s.get(url + "/jobs", allow_redirects=False).status_code == 200
    # Signing in again makes a new session and ends the one sent along.
    r = s.post(url + "/login", data={"username": "alice", "password": PASSWORD}, allow_redirects=False)
    assert r.status_code == 303
    second = s.cookies["glassbox_session"]
    assert second != first
    stale = requests.get(url + "/jobs", cookies={"glassbox_session": first}, allow_redirects=False)
    assert stale.status_code == 303 and stale.headers["location"].startswith("/login")
    # A next= that leaves the site goes home instead.
    _, r = login(url, "bob")
    r = requests.post(url + "/login", data={"username": "bob", "password": PASSWORD, "next": "//evil.example/x"},
                      allow_redirects=False)
    assert r.headers["location"] == "/"
    # Logout ends the session on the server, not only in the browser.
    assert s.post(url + "/logout", allow_redirects=False).status_code == 303
    r = requests.get(url + "/jobs", cookies={"glassbox_session": second}, allow_redirects=False)
    assert r.status_code == 303
    # Sessions are stored hashed.
    with sqlite3.connect(team.data_dir / "glassbox.db") as db:
        stored = {r[0] for r in db.execute("SELECT token_hash FROM sessions")}
    assert first not in stored and second not in stored


def test_password_change_ends_other_sessions(team):
    url, data_dir = team.server.url, team.data_dir
    add_user(data_dir, "carol")
    one, _ = login(url, "carol")
    two, _ = login(url, "carol")
    r = one.post(url + "/settings/password", data={"current_password": PASSWORD, "new_password": "a new passphrase"})
    assert r.status_code == 200 and "Password changed" in r.text
    assert one.get(url + "/settings", allow_redirects=False).status_code == 200
    assert two.get(url + "/settings", allow_redirects=False).status_code == 303
    assert login(url, "carol")[1].status_code == 401
    assert login(url, "carol", "a new passphrase")[1].status_code == 303
    with sqlite3.connect(data_dir / "glassbox.db") as db:
        (h,) = db.execute("SELECT password_hash FROM users WHERE name = 'carol'").fetchone()
    assert h.startswith("$argon2id$")


def test_sign_in_failures_slow_down_then_the_lock_expires(team):
    url = team.server.url
    add_user(team.data_dir, "dave")
    for _ in range(5):
        assert login(url, "dave", "wrong password")[1].status_code == 401
    r = login(url, "dave")[1]
    assert r.status_code == 429, "even the right password waits"
    wait = int(r.headers["Retry-After"])
    assert 1 <= wait <= 2
    assert "try again" in r.text
    time.sleep(wait + 0.2)
    assert login(url, "dave")[1].status_code == 303


def test_access_keys_list_their_last_use_and_stop_when_revoked(team):
    t = team
    s, _ = login(t.server.url, "bob")
    r = s.post(t.server.url + "/settings/keys")
    assert r.status_code == 200
    key_id = r.text.split('id="new-key-id">')[1].split("<")[0]
    secret = r.text.split('id="new-key-secret">')[1].split("<")[0]
    assert len(secret) == 40
    call = Caller(t.server.url, "bob", f"{key_id}:{secret}")
    assert call("GET", "/api/datasets").status_code == 200
    assert call("GET", "/api/datasets", headers={}).status_code == 200
    wrong = Caller(t.server.url, "bob", f"{key_id}:{'0' * 40}")
    assert wrong("GET", "/api/datasets").status_code == 401
    page = s.get(t.server.url + "/settings").text
    assert key_id in page and "never" not in page.split(key_id)[1].split("</tr>")[0]
    # Bob cannot revoke alice's key, only his own.
    alice_key = t.alice.key.split(":")[0]
    r = s.post(f"{t.server.url}/settings/keys/{alice_key}/revoke")
    assert r.status_code == 400
    assert t.alice("GET", "/api/datasets").status_code == 200
    assert s.post(f"{t.server.url}/settings/keys/{key_id}/revoke").status_code == 200
    assert call("GET", "/api/datasets").status_code == 401
    with sqlite3.connect(t.data_dir / "glassbox.db") as db:
        row = db.execute("SELECT * FROM access_keys WHERE id = ?", (key_id,)).fetchone()
    assert secret not in json.dumps(row)


def test_the_upgrade_keeps_local_work_and_gives_it_to_the_first_admin(team):
    t = team
    d = t.root("GET", f"/api/datasets/{t.local_ds}").json()
    assert d["CreatedBy"] == "root"
    j = t.root("GET", "/api/automl-jobs/local-job").json()
    assert j["AutoMLJobStatus"] == "Completed" and j["CreatedBy"] == "root"
    assert t.alice("GET", "/api/automl-jobs/local-job/candidates").json()["Candidates"]
    assert t.alice("DELETE", f"/api/datasets/{t.local_ds}").status_code == 403
    html = t.alice("GET", "/jobs").text
    assert "root" in html and "alice" in html, "the jobs list shows who created what"


def test_the_audit_log_says_who_did_what(team):
    t = team
    html = t.root("GET", "/settings/audit").text
    for line in ("shared", "revoked", "created", "job alice-job", "user alice"):
        assert line in html, line


def test_removed_accounts_lose_access_at_once(team):
    t = team
    add_user(t.data_dir, "erin")
    key = make_key(t.data_dir, "erin")
    s, _ = login(t.server.url, "erin")
    erin = Caller(t.server.url, "erin", key)
    assert erin("GET", "/api/datasets").status_code == 200
    r = cli("user", "remove", "erin", "--data-dir", str(t.data_dir))
    assert r.returncode == 0, r.stderr
    assert erin("GET", "/api/datasets").status_code == 401
    assert s.get(t.server.url + "/jobs", allow_redirects=False).status_code == 303
    r = cli("user", "remove", "root", "--data-dir", str(t.data_dir))
    assert r.returncode != 0 and "last admin" in r.stderr


def test_security_headers_and_host_names(team):
    t = team
    for path in ("/", "/jobs/alice-job", "/api/datasets", "/login"):
        r = t.alice("GET", path)
        h = r.headers
        assert "default-src 'self'" in h["Content-Security-Policy"] and "frame-ancestors 'none'" in h["Content-Security-Policy"]
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "same-origin"
        assert h["X-Frame-Options"] == "DENY"
    r = t.alice("GET", "/api/datasets", headers={"Host": "attacker.example"})
    assert r.status_code == 400 and "attacker.example" in r.text
    assert t.anon("GET", "/healthz", headers={"Host": f"localhost:{t.server.port}"}).status_code == 200


def test_cross_site_requests_are_refused_with_a_valid_session(team):
    t = team
    s, _ = login(t.server.url, "alice")
    evil = {"Origin": "http://evil.example"}
    r = s.post(f"{t.server.url}/api/automl-jobs/alice-job/shares", json={}, headers=evil)
    assert r.status_code == 403
    r = s.post(f"{t.server.url}/jobs/alice-job/delete", headers={"Sec-Fetch-Site": "cross-site"},
               allow_redirects=False)
    assert r.status_code == 403
    assert t.alice("GET", "/api/automl-jobs/alice-job").status_code == 200
    same = {"Origin": t.server.url}
    r = s.post(f"{t.server.url}/api/automl-jobs/alice-job/shares", json={}, headers=same)
    assert r.status_code == 201


def test_local_mode_refuses_what_was_measured_open(tmp_path):
    """The issue's measurements: cross-site POSTs started a job (form and text/plain JSON),
    uploaded a file, stopped a running job and changed a target; no page sent a security
    header; Host: attacker.example got a 200."""
    s = Server(tmp_path)
    try:
        anyone = Caller(s.url, "local")
        ds = upload(anyone)
        evil = {"Origin": "http://evil.example"}
        body = json.dumps({"AutoMLJobName": "evil", "InputDataConfig": [
            {"DataSource": {"DatasetId": ds}, "TargetAttributeName": "target"}]})
        assert anyone("POST", "/api/automl-jobs", data=body,
                      headers={**evil, "Content-Type": "text/plain"}).status_code == 403
        assert anyone("POST", f"/datasets/{ds}/jobs", data={"target": "target", "name": "evil2"},
                      headers=evil).status_code == 403
        assert anyone("POST", "/api/datasets", files={"file": ("x.csv", b"a,b\n1,2\n")},
                      headers=evil).status_code == 403
        assert anyone("POST", f"/datasets/{ds}/target", data={"target": "sepal_length"},
                      headers=evil).status_code == 403
        assert anyone("POST", "/jobs/any/stop", headers=evil).status_code == 403
        assert anyone("GET", "/api/automl-jobs").json()["AutoMLJobSummaries"] == []
        assert len(anyone("GET", "/api/datasets").json()["Datasets"]) == 1
        assert anyone("GET", "/", headers={"Host": "attacker.example"}).status_code == 400
        assert "Content-Security-Policy" in anyone("GET", "/").headers
        # The same requests from its own pages (or from a script) work.
        assert anyone("POST", f"/datasets/{ds}/target", data={"target": "target"},
                      headers={"Origin": s.url}).status_code == 303
    finally:
        s.stop()


def test_serving_on_a_network_address_needs_an_account(tmp_path):
    port = free_port()
    serve = [str(glassbox_binary()), "serve", "--addr", f"0.0.0.0:{port}", "--data-dir", str(tmp_path)]
    r = subprocess.run(serve + ["--public-url", f"http://localhost:{port}"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode != 0
    assert "refusing to serve" in r.stderr and "glassbox user add" in r.stderr, r.stderr
    add_user(tmp_path, "admin", "--admin")
    r = subprocess.run(serve, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "--public-url" in r.stderr, r.stderr
    with open(tmp_path / "serve.log", "wb") as log:
        p = subprocess.Popen(serve + ["--public-url", f"http://localhost:{port}"], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 30
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                assert time.time() < deadline and p.poll() is None
                time.sleep(0.1)
        r = requests.get(f"http://127.0.0.1:{port}/api/datasets", timeout=5)
        assert r.status_code == 401
        r = requests.get(f"http://localhost:{port}/", timeout=5, allow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    finally:
        p.terminate()
        p.wait(10)


def test_the_first_account_can_be_made_on_the_settings_page(tmp_path):
    s = Server(tmp_path)
    try:
        assert requests.get(s.url + "/settings").status_code == 200
        session = requests.Session()
        r = session.post(s.url + "/settings/users", data={"username": "ann", "password": "short", "role": "admin"})
        assert r.status_code == 400 and "8 characters" in r.text
        r = session.post(s.url + "/settings/users", data={"username": "ann", "password": PASSWORD, "role": "member"})
        assert r.status_code == 400 and "first account must be an admin" in r.text
        r = session.post(s.url + "/settings/users", data={"username": "ann", "password": PASSWORD, "role": "admin"},
                         allow_redirects=False)
        assert r.status_code == 303 and "glassbox_session" in r.headers["set-cookie"]
        assert session.get(s.url + "/settings").status_code == 200
        assert requests.get(s.url + "/settings", allow_redirects=False).status_code == 303
        assert requests.get(s.url + "/api/datasets").status_code == 401
    finally:
        s.stop()


def test_boto3_sagemaker_runtime_signs_in_with_an_access_key(team):
    """boto3's sagemaker-runtime client, signing with SigV4, invokes an endpoint with a
    Glassbox access key; a wrong secret, a revoked key and a clock 10 minutes off are
    refused (and never with a 5xx, which botocore would retry)."""
    import datetime
    from unittest import mock

    import boto3
    import botocore.auth
    from botocore.config import Config
    from botocore.exceptions import ClientError

    def client(key_id, secret):
        return boto3.client("sagemaker-runtime", endpoint_url=team.server.url, region_name="us-east-1",
                            aws_access_key_id=key_id, aws_secret_access_key=secret,
                            config=Config(retries={"max_attempts": 1}))

    key = make_key(team.data_dir, "vic")  # a viewer may call an endpoint: it reads a model
    key_id, secret = key.split(":")
    r = client(key_id, secret).invoke_endpoint(EndpointName="alice-live", ContentType="text/csv",
                                               Accept="application/json", Body=team.row)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    pred = json.loads(r["Body"].read())["predictions"][0]
    assert abs(sum(pred["probabilities"].values()) - 1) < 1e-9
    for bad in ((key_id, "0" * 40), ("GBKNOSUCHKEY0000000", secret)):
        with pytest.raises(ClientError) as e:
            client(*bad).invoke_endpoint(EndpointName="alice-live", ContentType="text/csv", Body=team.row)
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401
    late = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=10)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=late):
        with pytest.raises(ClientError) as e:
            client(key_id, secret).invoke_endpoint(EndpointName="alice-live", ContentType="text/csv", Body=team.row)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401
    # A revoked key stops at once.
    s, _ = login(team.server.url, "vic")
    assert s.post(f"{team.server.url}/settings/keys/{key_id}/revoke").status_code == 200
    with pytest.raises(ClientError):
        client(key_id, secret).invoke_endpoint(EndpointName="alice-live", ContentType="text/csv", Body=team.row)
