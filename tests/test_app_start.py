"""Starting the app from a terminal: a port of one's choosing, a busy port, an open host without a password.

Each case fails before the app loads anything, so these run in seconds."""
from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from apphelpers import ROOT


@pytest.fixture
def busy_port():
    """A port something else is listening on."""
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        yield taken.getsockname()[1]


def app(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "RAG_ADMIN_PASSWORD"} | env
    return subprocess.run([sys.executable, str(ROOT / "app.py"), *args], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=120)


def test_a_busy_port_is_one_chinese_line_and_exit_2(busy_port):
    run = app("--port", str(busy_port))
    assert run.returncode == 2, run.stderr
    assert run.stderr.splitlines() == [run.stderr.strip()] and f"端口 {busy_port} 已被占用" in run.stderr
    assert "--port" in run.stderr and "Traceback" not in run.stderr + run.stdout


def test_make_run_passes_the_port(busy_port):
    run = subprocess.run(["make", "--no-print-directory", "run", f"PORT={busy_port}"], cwd=ROOT, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode != 0 and f"app.py --port {busy_port}" in run.stdout
    assert f"错误：端口 {busy_port} 已被占用" in run.stderr and "Traceback" not in run.stderr


def test_an_open_host_without_a_password_is_warned_about(busy_port):
    run = app("--host", "0.0.0.0", "--port", str(busy_port))
    warning, error = run.stderr.strip().splitlines()
    assert warning.startswith("警告：") and "0.0.0.0" in warning and "RAG_ADMIN_PASSWORD" in warning
    assert error.startswith("错误：端口") and run.returncode == 2
    quiet = app("--host", "0.0.0.0", "--port", str(busy_port), RAG_ADMIN_PASSWORD="s3cret")
    assert "警告" not in quiet.stderr and quiet.returncode == 2
    assert "警告" not in app("--port", str(busy_port)).stderr  # localhost needs no warning


def test_a_bad_port_is_a_chinese_usage_error():
    run = app("--port", "abc")
    assert run.returncode == 2 and run.stderr.startswith("错误：参数 --port 应是整数") and "usage" not in run.stderr


def test_gradio_is_imported_without_rewriting_its_stubs():
    """Half of the app's start-up (rag/web/gradio_import.py): the hook must still find Gradio's stub writer —
    a Gradio that renamed it would quietly bring the seconds back — and the components must still work."""
    probe = ("from rag.web.gradio_import import skip_stub_writing; skip_stub_writing()\n"
             "import gradio, gradio.component_meta as meta\n"
             "print(meta.create_or_modify_pyi.__name__)\n"
             "with gradio.Blocks() as demo:\n"
             "    box = gradio.Textbox(label='问题'); gradio.Chatbot(); gradio.Dataframe()\n"
             "print(box.label)\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env=os.environ | {"GRADIO_ANALYTICS_ENABLED": "False"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["_write_no_stub", "问题"]
