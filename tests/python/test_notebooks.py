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
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()
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
    assert any(o.get("data", {}).get("image/svg+xml") for c in raw["cells"] for o in c.get("outputs", [])), "a pre-rendered chart"
    nb = run_notebook(out / "data_exploration.ipynb", out)
    profile = json.loads((out / "profile.json").read_text())
    assert checked_count(nb) >= 3 * profile["columns"]


def test_hostile_names_stay_data(tmp_path):
    evil = ['</script><b>x</b>', "q'''\"uote", "{{ x }}", "back\\slash", "new\nline", "__import__('os').system('false')"]
    header = ",".join('"' + c.replace('"', '""') + '"' for c in evil) + ",y\n"
    rows = "".join(f'"v{i % 3}</script>","{i}","a{i % 2}","x\\\\y",{i * 1.5},"{{{{ z }}}}",{i % 2}\n' for i in range(60))
    path = tmp_path / "evil.csv"
    path.write_text(header + rows)
    out = tmp_path / "profile"
    r = subprocess.run([str(glassbox_binary()), "profile", str(path), "--target", "y", "--out", str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    raw = json.loads((out / "data_exploration.ipynb").read_text())
    markdown = "".join("".join(c["source"]) for c in raw["cells"] if c["cell_type"] == "markdown")
    assert "</script>" not in markdown and "<b>" not in markdown
    nb = run_notebook(out / "data_exploration.ipynb", out)
    assert checked_count(nb) > 20
