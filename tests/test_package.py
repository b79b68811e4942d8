"""The package installs whole: the wheel built from pyproject.toml holds every module of the source
tree and its data files, and each module imports from that wheel in a clean venv (the dependencies
are lent from this venv; the project's own editable install is not)."""
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from rag.config import PROJECT_ROOT

DATA_FILES = ("rag/divisions.tsv", "rag/web/page.css", "rag/web/page.js")


def _modules(paths) -> set[str]:
    return {p[:-3].replace("/", ".").removesuffix(".__init__") for p in paths if p.endswith(".py")}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Built from a copy of the project's files, so no build/ or egg-info left in the checkout lends it modules."""
    out, source = tmp_path_factory.mktemp("wheel"), tmp_path_factory.mktemp("source")
    shutil.copytree(PROJECT_ROOT / "rag", source / "rag", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(PROJECT_ROOT / name, source / name)
    done = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(source)],
                          capture_output=True, text=True, cwd=out)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (path,) = out.glob("*.whl")
    return path


def test_wheel_holds_every_module_and_data_file(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    source = {str(p.relative_to(PROJECT_ROOT)) for p in (PROJECT_ROOT / "rag").rglob("*.py")}
    assert _modules(source) - _modules(names) == set()
    assert [f for f in DATA_FILES if f not in names] == []


def test_every_module_imports_from_the_wheel_in_a_clean_venv(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True)
    # this venv's libraries, as a plain path: its .pth files (the editable install of rag) are not read
    site = Path(subprocess.check_output([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], text=True).strip())
    (site / "lent.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    modules = sorted(_modules(zipfile.ZipFile(wheel).namelist()))
    script = ("import importlib, rag, sys\n"
              f"assert rag.__file__.startswith({str(site)!r}), rag.__file__\n"
              f"for m in {modules!r}: importlib.import_module(m)\n"
              "from rag.places import divisions\n"
              "assert divisions().mentions('湖南省长沙市'), 'the divisions table is not in the wheel'\n"
              "print('ok')\n")
    done = subprocess.run([python, "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("ok")
