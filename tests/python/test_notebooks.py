"""Generated notebooks: valid nbformat, and they run offline with Jupyter's own nbclient,
recomputing every exploration number from the data file and checking it against Glassbox's."""

import json
import subprocess

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import dataset, glassbox_binary

CASES = [
    ("titanic.csv", "Survived"),
    ("penguins.csv", "species"),
    ("california_housing.csv", "median_house_value"),
    ("womens_clothing_ecommerce_reviews.csv", "Recommended IND"),
]


def run_notebook(path, cwd):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    try:
        NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()
    finally:
        # Kept beside it (in pytest's temporary folder) to read what it printed.
        nbformat.write(nb, path.with_name(path.stem + ".executed.ipynb"))
    return nb


def checked_count(nb):
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("output_type") == "stream")
    assert "numbers recomputed and checked against Glassbox" in text, text
    return int(text.split()[0])


@pytest.mark.parametrize("name,target", CASES, ids=[c[0] for c in CASES])
def test_exploration_notebook_reproduces_the_profile(tmp_path, name, target):
    out = tmp_path / "profile"
    r = subprocess.run([str(glassbox_binary()), "profile", str(dataset(name)), "--target", target, "--out", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    raw = json.loads((out / "data_exploration.ipynb").read_text())
    assert raw["metadata"]["kernelspec"]["name"] == "python3"
    assert all("id" in c for c in raw["cells"])
    nb = run_notebook(out / "data_exploration.ipynb", out)
    profile = json.loads((out / "profile.json").read_text())
    assert checked_count(nb) >= 5 * profile["columns"]
    # Charts drawn when it runs (the target, the distributions, the correlations), and every
    # table displayed (the first rows, the statistics, correlations, prediction power).
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    figures = sum("image/png" in o.get("data", {}) for o in outputs)
    assert figures >= 3, figures
    tables = sum("text/html" in o.get("data", {}) for o in outputs)
    assert tables >= 4, tables
    power = next(c for c in nb.cells if c.cell_type == "code" and "def text_power" in c.source)
    assert any("prediction power" in o.get("data", {}).get("text/html", "") for o in power.outputs)


def mixed_csv(tmp_path):
    """Every column type: an id, numbers, a category, a date, free text, and a target."""
    words = ["soft", "warm", "thin", "loose", "bright", "cheap", "lovely", "short"]
    lines = ["order_id,price,colour,ordered,review,kept"]
    for i in range(240):
        review = " ".join(words[(i * k) % 8] for k in (1, 3, 5)) + f" item {i % 37}"
        lines.append(f"{1000 + i},{(i * 7919) % 500 / 10},{['red', 'blue', 'green'][i % 3]},"
                     f"2024-{1 + i % 12:02d}-{1 + i % 28:02d},{review},{['yes', 'no'][(i // 3) % 2]}")
    path = tmp_path / "mixed.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def column(profile, name):
    return next(c for c in profile["columns_detail"] if c["name"] == name)


def bump(value, by):
    return value + by


# Each mutation changes one number the notebook checks; the notebook must stop, naming it.
MUTATIONS = {
    "price: histogram edges": lambda p: column(p, "price")["numeric"]["histogram"]["edges"].__setitem__(
        3, bump(column(p, "price")["numeric"]["histogram"]["edges"][3], 0.5)),
    "price: type": lambda p: column(p, "price").__setitem__("type", "id"),
    "order_id: type": lambda p: column(p, "order_id").__setitem__("type", "numeric"),
    "price: missing ratio": lambda p: column(p, "price").__setitem__("missing_ratio", 0.01),
    "share": lambda p: p["target"]["classes"][0].__setitem__(
        "percent", bump(p["target"]["classes"][0]["percent"], 0.1)),
    "ordered: earliest": lambda p: column(p, "ordered")["datetime"].__setitem__("min", "2023-12-31"),
    "ordered: distinct": lambda p: column(p, "ordered").__setitem__("unique", column(p, "ordered")["unique"] + 1),
    "review: distinct": lambda p: column(p, "review").__setitem__("unique", column(p, "review")["unique"] - 1),
    "review: prediction power": lambda p: column(p, "review").__setitem__(
        "prediction_power", bump(column(p, "review")["prediction_power"], 0.001)),
}


def test_every_check_fails_when_its_number_changes(tmp_path):
    import shutil

    from nbclient.exceptions import CellExecutionError

    out = tmp_path / "profile"
    r = subprocess.run([str(glassbox_binary()), "profile", str(mixed_csv(tmp_path)), "--target", "kept",
                        "--out", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    profile = json.loads((out / "profile.json").read_text())
    assert [column(profile, c)["type"] for c in ["order_id", "price", "colour", "ordered", "review"]] == \
        ["id", "numeric", "categorical", "datetime", "text"]
    nb = run_notebook(out / "data_exploration.ipynb", out)
    assert checked_count(nb) >= 30
    for what, mutate in MUTATIONS.items():
        case = tmp_path / ("mutated_" + "".join(ch if ch.isalnum() else "_" for ch in what))
        shutil.copytree(out, case)
        changed = json.loads((case / "profile.json").read_text())
        mutate(changed)
        (case / "profile.json").write_text(json.dumps(changed))
        with pytest.raises(CellExecutionError) as e:
            run_notebook(case / "data_exploration.ipynb", case)
        assert f"{what}: recomputed" in str(e.value), (what, str(e.value)[-600:])


def evil_csv(tmp_path):
    """Column names and values with quotes, backslashes, a newline, template syntax,
    </script> and Python code."""
    evil = ['</script><b>x</b>', "q'''\"uote", "{{ x }}", "back\\slash", "new\nline", "__import__('os').system('false')"]
    header = ",".join('"' + c.replace('"', '""') + '"' for c in evil) + ",y\n"
    rows = "".join(f'"v{i % 3}</script>","{i}","a{i % 2}","x\\\\y",{i * 1.5},"{{{{ z }}}}",{i % 2}\n' for i in range(60))
    path = tmp_path / "evil.csv"
    path.write_text(header + rows)
    return path


def test_hostile_names_stay_data(tmp_path):
    path = evil_csv(tmp_path)
    out = tmp_path / "profile"
    r = subprocess.run([str(glassbox_binary()), "profile", str(path), "--target", "y", "--out", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    raw = json.loads((out / "data_exploration.ipynb").read_text())
    markdown = "".join("".join(c["source"]) for c in raw["cells"] if c["cell_type"] == "markdown")
    assert "</script>" not in markdown and "<b>" not in markdown
    nb = run_notebook(out / "data_exploration.ipynb", out)
    assert checked_count(nb) > 20


def printed(nb, marker):
    """The stream text of the cell that printed a line starting with `marker`."""
    for c in nb.cells:
        for o in c.get("outputs", []):
            text = o.get("text", "") if o.get("output_type") == "stream" else ""
            for line in text.splitlines():
                if line.startswith(marker):
                    return line
    raise AssertionError(f"no output line starting with {marker!r}")


def completed(out):
    board = json.loads((out / "leaderboard.json").read_text())["Candidates"]
    return [c for c in board if c["CandidateStatus"] == "Completed"]


# Each job is kept small enough for CI: its notebook retrains every candidate.
JOBS = [
    ("titanic.csv", "Survived", ["--max-candidates", "8", "--seed", "1"]),
    ("penguins.csv", "species", ["--max-candidates", "8", "--seed", "2"]),
    ("california_housing.csv", "median_house_value",
     ["--max-candidates", "4", "--seed", "3", "--algorithms", "gbdt,linear,random-forest"]),
    # Regression with the symmetric booster (titanic and penguins train it for classes).
    ("sklearn_diabetes.csv", "target",
     ["--max-candidates", "3", "--seed", "5", "--algorithms", "symmetric-gbdt,linear"]),
    ("womens_clothing_ecommerce_reviews.csv", "Recommended IND",
     ["--max-candidates", "3", "--seed", "4", "--algorithms", "gbdt,linear"]),
]


@pytest.mark.parametrize("name,target,args", JOBS, ids=[j[0] for j in JOBS])
def test_candidate_notebook_reproduces_the_leaderboard(tmp_path, name, target, args):
    out = tmp_path / "run"
    r = subprocess.run([str(glassbox_binary()), "run", str(dataset(name)), "--target", target, "--out", str(out), *args],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    nbdir = out / "notebooks"
    for f in ["candidate_definition.ipynb", "glassbox_helpers.py", "glassbox_models.py", "splits.json",
              "requirements.txt"]:
        assert (nbdir / f).exists(), f
    assert "forust==" in (nbdir / "requirements.txt").read_text()
    raw = json.loads((nbdir / "candidate_definition.ipynb").read_text())
    assert raw["nbformat"] == 4 and raw["nbformat_minor"] == 5
    code = "".join("".join(c["source"]) for c in raw["cells"] if c["cell_type"] == "code")
    assert "ColumnTransformer" in code and "◀ knob" in code
    trained = completed(out)
    assert len(trained) >= 3
    if name in ("titanic.csv", "penguins.csv"):
        # Symmetric trees split category codes as categories; the notebook retrains them.
        files = [out / "candidates" / c["CandidateName"] / "model.json" for c in trained]
        assert any('"category_splits"' in f.read_text() for f in files if f.exists())
    nb = run_notebook(nbdir / "candidate_definition.ipynb", nbdir)
    # Every trained candidate retrained within its tolerance (the notebook asserts it too),
    # and every saved model scored exactly.
    line = printed(nb, "reproduced ")
    assert line == f"reproduced {len(trained)} candidates, {len(trained)} within their tolerance", line
    line = printed(nb, "scored ")
    assert line.startswith(f"scored {len(trained)} saved models"), line
    assert float(line.rsplit(" ", 1)[1]) <= 1e-9
    # ... from packed trees: each tree model's arrays are the compact form, not JSON lists.
    for c in trained:
        doc = json.loads((out / "candidates" / c["CandidateName"] / "model.json").read_text())
        for fold in doc["folds"]:
            m = fold["model"]
            trees = m.get("trees") or next((b["trees"] for b in m.get("boosters", []) if b), None)
            if trees is not None:
                assert set(trees["tree_sizes"]) == {"dtype", "len", "zlib"}, c["CandidateName"]


def test_hostile_names_in_the_candidate_notebook(tmp_path):
    out = tmp_path / "run"
    r = subprocess.run([str(glassbox_binary()), "run", str(evil_csv(tmp_path)), "--target", "y", "--out", str(out),
                        "--max-candidates", "3", "--algorithms", "gbdt,linear", "--seed", "7"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    nbdir = out / "notebooks"
    raw = json.loads((nbdir / "candidate_definition.ipynb").read_text())
    markdown = "".join("".join(c["source"]) for c in raw["cells"] if c["cell_type"] == "markdown")
    assert "</script>" not in markdown and "<b>" not in markdown
    nb = run_notebook(nbdir / "candidate_definition.ipynb", nbdir)
    trained = completed(out)
    assert printed(nb, "reproduced ") == f"reproduced {len(trained)} candidates, {len(trained)} within their tolerance"
    # The hostile names reached Python as data (string literals in the features list).
    features = next(c for c in nb.cells if c.cell_type == "code" and "FEATURES = " in c.source)
    assert '["</script><b>x</b>", "categorical", None]' in features.source
    assert '["new\\nline", "numeric", None]' in features.source
