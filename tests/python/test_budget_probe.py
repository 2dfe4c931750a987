"""Before a job starts, the new-job form says when its budget will likely not hold even one
candidate (measured by training the first candidate on a sample of the rows), keeps what
the user typed, and lets them start anyway. A budget that fits starts at once."""

import random
import re

import requests


def text_heavy_csv(path):
    """12,000 reviews of 60 words from a 4,000-word vocabulary: featurising and fitting
    such text takes seconds, far more than a 1 s budget."""
    rng = random.Random(5)
    words = [f"w{i}" for i in range(4000)]
    lines = ["review,stars,length"]
    for i in range(12000):
        review = " ".join(rng.choice(words) for _ in range(60))
        lines.append(f"{review},{rng.randint(1, 5)},{rng.random():.4f}")
    path.write_text("\n".join(lines) + "\n")
    return path


def post_form(server, dataset_id, **fields):
    data = {"name": fields.pop("name"), "target": "stars", "mode": "ENSEMBLING",
            "features": ["review", "length"], "algorithms": ["gbdt", "linear"], **fields}
    return requests.post(f"{server.url}/datasets/{dataset_id}/jobs", data=data, allow_redirects=False, timeout=120)


def test_the_form_warns_before_a_budget_too_short_for_one_candidate(server, tmp_path):
    r = server.upload(text_heavy_csv(tmp_path / "reviews.csv"))
    assert r.status_code in (200, 201), r.text
    dataset_id = r.json()["DatasetId"]
    server.wait_dataset(dataset_id)

    r = post_form(server, dataset_id, name="one-second", max_job_runtime="1")
    assert r.status_code == 303, r.text
    location = r.headers["location"]
    assert location.startswith(f"/datasets/{dataset_id}/new-job?draft="), location
    page = requests.get(server.url + location, timeout=30).text
    # The warning sits beside the budget field, with the measurement behind it.
    error = re.search(r'id="error-max_job_runtime"[^>]*>(.*?)</', page, re.S)
    assert error, page[-2000:]
    text = error.group(1)
    assert "likely too short for even one candidate" in text, text
    assert re.search(r"on 2,?000 of the 12,?000 rows", text), text
    assert 'name="start_anyway"' in page
    assert re.search(r'name="max_job_runtime"[^>]*value="1"', page), "what was typed is kept"
    assert requests.get(f"{server.url}/api/automl-jobs/one-second", timeout=10).status_code == 404, \
        "no job was started"

    # Start anyway: the job starts (and then fails, saying why, once its second is up).
    r = post_form(server, dataset_id, name="one-second", max_job_runtime="1", start_anyway="1")
    assert r.status_code == 303 and r.headers["location"] == "/jobs/one-second", r.headers

    # A budget that holds a candidate starts at once.
    r = post_form(server, dataset_id, name="ten-minutes", max_job_runtime="600", max_candidates="1")
    assert r.status_code == 303 and r.headers["location"] == "/jobs/ten-minutes", r.headers
