"""The playground's server over real HTTP: the page's files, the JSON API and its 400s, the
event stream, independent sessions, closed tabs, divergence, Ctrl-C and the package's files."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
from importlib import resources
from pathlib import Path

import pytest
from playground_helpers import Client, EventStream, running_server, wait_until

from nn.cli.playground import add_playground_parser, cmd_playground
from nn.playground.server import host_allowed

ROOT = Path(__file__).resolve().parents[1]
STATIC_FILES = {"index.html", "app.js", "draw.js", "style.css"}


@pytest.fixture(scope="module")
def server():
    with running_server() as s:
        yield s


@pytest.fixture
def client(server):
    return Client(server)


# ------------------------------------------------------------------ the page
def test_the_page_and_its_files_are_served_from_the_package(client):
    status, page = client.get("/")
    assert status == 200 and b'<script src="app.js">' in page
    for name, kind in [("app.js", "javascript"), ("draw.js", "javascript"), ("style.css", "css")]:
        conn = urllib.request.urlopen(f"http://{client.host}:{client.port}/{name}")
        assert conn.status == 200 and kind in conn.headers["Content-Type"]
        text = conn.read().decode()
        assert "http://" not in text and "https://" not in text  # nothing fetched from elsewhere
    assert "https://" not in page.decode()


def test_unknown_paths_get_404_as_json(client):
    assert client.get("/etc/passwd") == (404, {"error": "nothing at /etc/passwd"})
    assert client.get("/../app.js")[0] == 404
    status, body = client.post("/api/session/nope/control", {"action": "play"})
    assert status == 404 and "no such session" in body["error"]


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"dataset": "nope"}, ["dataset", "'nope'"]),
        ({"lr": "NaN"}, ["lr"]),
        ({"hidden": "4,99"}, ["hidden", "1 to 8"]),
        ({"problem": "regression", "dataset": "plane"}, ["cross_entropy"]),
        ({"features": ""}, ["features"]),
        ({"learning_rate": "3"}, ["unknown setting 'learning_rate'"]),
        ({"batch": None}, ["batch must be given as text"]),
    ],
)
def test_bad_settings_get_400_and_a_message(client, settings, words):
    status, body = client.post("/api/session", {"settings": settings})
    assert status == 400 and set(body) == {"error"}
    for word in words:
        assert word in body["error"]
    assert "Traceback" not in body["error"]


@pytest.mark.parametrize(
    ("body", "headers", "words"),
    [
        (b"{not json", {}, "not valid JSON"),
        (b"[1, 2]", {}, "must be a JSON object"),
        (b'{"settings": 3}', {}, "settings must be a JSON object"),
        (b'{"settings": {}}', {"Content-Type": "text/plain"}, "Content-Type: application/json"),
        (b"\xff\xfe", {}, "not valid JSON"),
    ],
)
def test_bad_request_bodies_get_400(client, body, headers, words):
    status, answer = client.post("/api/session", body, headers=headers)
    assert status == 400 and words in answer["error"]


def test_bad_requests_to_a_session_get_400(client):
    ident = client.new_session()
    assert client.control(ident, "jump")[0] == 400
    status, body = client.post(f"/api/session/{ident}/drawn", {"frame": "7"})
    assert status == 400 and "frame" in body["error"]
    status, body = client.post(f"/api/session/{ident}/settings", {"settings": {"noise": "99"}})
    assert status == 400 and "noise must be from 0 to 50" in body["error"]
    status, body = client.post(f"/api/session/{ident}/settings", {"settings": {"lr": "1"}})
    assert status == 200 and body == {"rebuilt": False}


def test_too_many_sessions_get_503_and_a_message(client, server, monkeypatch):
    monkeypatch.setattr("nn.playground.session.MAX_SESSIONS", len(server.sessions.by_id))
    status, body = client.post("/api/session", {"settings": {}})
    assert status == 503 and "close some tabs" in body["error"]


def test_requests_for_another_host_name_are_refused(client):
    status, body = client.get("/", headers={"Host": "evil.example:80"})
    assert status == 403 and "evil.example" in body["error"]


@pytest.mark.parametrize(
    ("header", "bound", "ok"),
    [
        ("127.0.0.1:8000", "127.0.0.1", True),
        ("localhost:8000", "127.0.0.1", True),
        ("[::1]:8000", "::1", True),
        ("evil.example:8000", "127.0.0.1", False),
        ("192.168.1.5:8000", "127.0.0.1", False),
        ("192.168.1.5:8000", "0.0.0.0", True),  # bound to every interface, reached by address
        ("evil.example", "0.0.0.0", False),  # ... but never under a name (DNS rebinding)
        ("", "127.0.0.1", False),
    ],
)
def test_host_allowed(header, bound, ok):
    assert host_allowed(header, bound) is ok


def test_show_as_python_answers_code_or_400(client):
    status, code = client.get("/api/code?dataset=xor&hidden=3&epochs=5")
    assert status == 200 and b"nn.datasets.xor(n=500" in code and b"epochs=5" in code
    compile(code, "<code>", "exec")
    status, body = client.get("/api/code?dataset=xor&epochs=-1")
    assert status == 400 and "epochs" in body["error"]
    status, body = client.get("/api/code?activation=cosine")
    assert status == 400 and "activation" in body["error"]


def test_thumbnails_cover_every_data_set(client):
    status, body = client.get("/api/thumbnails")
    assert status == 200 and {"circle", "xor", "gauss", "spiral", "plane"} <= set(body)
    assert body["plane"]["problem"] == "regression" and len(body["xor"]["points"]) == 120


# ------------------------------------------------------------------ the stream
def test_play_trains_and_the_loss_falls(client):
    ident = client.new_session(dataset="xor", hidden="8,8", speed="max")
    stream = EventStream(client, ident)
    try:
        event, setup = stream.next()
        assert event == "setup" and setup["layers"] == [2, 8, 8, 1]
        first = stream.frame_where(lambda f: True)
        assert first["step"] == 0 and first["playing"] is False
        assert client.control(ident, "play") == (
            200,
            {"playing": True, "step": 0, "diverged": None},
        )
        later = stream.frame_where(lambda f: f["step"] >= 1000)
        assert later["train_loss"] < 0.5 * first["train_loss"]
        assert later["steps_per_update"] >= 1 and later["output"] != first["output"]
        assert client.control(ident, "pause")[1]["playing"] is False
        paused = stream.frame_where(lambda f: not f["playing"])
        status, state = client.control(ident, "step")
        assert state["step"] == paused["step"] + 1
    finally:
        stream.close()


def test_two_sessions_train_independently(client, server):
    a = client.new_session(dataset="spiral", speed="max")
    b = client.new_session(dataset="spiral", speed="max")
    sa, sb = EventStream(client, a), EventStream(client, b)
    try:
        sa.frame_where(lambda f: True)
        sb.frame_where(lambda f: True)
        client.control(a, "play")
        sa.frame_where(lambda f: f["step"] >= 300)
        client.post(f"/api/session/{b}/settings", {"settings": {"activation": "relu"}})
        event, setup = sb.next()
        assert event == "setup" and setup["settings"]["activation"] == "relu"
        session_a, session_b = server.sessions.get(a), server.sessions.get(b)
        assert session_b.trainer.step == 0 and session_b.playing is False
        assert session_a.trainer.settings.activation == "tanh" and session_a.playing
    finally:
        sa.close()
        sb.close()


def test_a_closed_tab_stops_its_training(client, server):
    ident = client.new_session(speed="max")
    stream = EventStream(client, ident, acknowledge=False)
    stream.frame_where(lambda f: True)
    client.control(ident, "play")
    session = server.sessions.get(ident)
    wait_until(lambda: session.trainer.step > 0, "training started")
    stream.close()
    wait_until(lambda: session.closed, "the session closed with its stream")
    assert server.sessions.get(ident) is None and session.playing is False
    step = session.trainer.step
    session.advance()  # what the stream's thread would do: nothing any more
    assert session.trainer.step == step


def test_the_close_beacon_ends_the_session(client, server):
    ident = client.new_session()
    assert client.post(f"/api/session/{ident}/close") == (200, {})
    assert server.sessions.get(ident) is None


def test_divergence_is_reported_and_play_refused(client):
    ident = client.new_session(
        problem="regression", dataset="plane", loss="squared_error", lr="100", speed="max"
    )
    stream = EventStream(client, ident)
    try:
        stream.frame_where(lambda f: True)
        client.control(ident, "play")
        diverged = stream.frame_where(lambda f: f["diverged"] is not None)
        assert "diverged" in diverged["diverged"] and diverged["playing"] is False
        status, body = client.control(ident, "play")
        assert status == 400 and "reset" in body["error"]
        assert client.control(ident, "reset")[1]["diverged"] is None
    finally:
        stream.close()


# ------------------------------------------------------------------ the command
def test_the_command_line_parser_and_a_bad_port():
    parser = argparse.ArgumentParser(prog="nn")
    add_playground_parser(parser.add_subparsers())
    args = parser.parse_args(["playground", "--port", "70000", "--no-browser"])
    assert args.func is cmd_playground and args.host == "127.0.0.1"
    with pytest.raises(ValueError, match="--port"):
        cmd_playground(args)


def test_python_m_nn_playground_serves_and_stops_cleanly_on_ctrl_c():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "nn.playground", "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("nn playground: http://127.0.0.1:"), line
        url = line.split()[2]
        with urllib.request.urlopen(url, timeout=20) as page:
            assert page.status == 200
        client = Client(url=url)
        ident = client.new_session(speed="max")
        stream = EventStream(client, ident)  # a tab training while Ctrl-C comes
        client.control(ident, "play")
        stream.frame_where(lambda f: f["step"] > 0)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "stopped" in out and "Traceback" not in err


# ------------------------------------------------------------------ packaging
def test_import_nn_and_the_command_line_leave_the_playground_unloaded():
    code = "import sys, nn, nn.cli.playground; print('nn.playground' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_installed_package_has_the_pages_files():
    static = resources.files("nn.playground").joinpath("static")
    assert STATIC_FILES <= {p.name for p in static.iterdir()}


def test_a_build_of_the_package_includes_the_pages_files(tmp_path):
    pytest.importorskip("setuptools", reason="setuptools is needed to build the package")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("*.egg-info"))
    build = tmp_path / "build-lib"
    result = subprocess.run(
        [sys.executable, "-c", "import setuptools; setuptools.setup()", "-q", "build_py"]
        + ["--build-lib", str(build)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert STATIC_FILES <= {p.name for p in (build / "nn" / "playground" / "static").iterdir()}


def test_no_browser_is_opened_without_a_display(monkeypatch):
    from nn.playground import launch as serving

    monkeypatch.setattr(serving.sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert serving.has_display() is False  # webbrowser would start lynx in our terminal
    monkeypatch.setenv("DISPLAY", ":0")
    assert serving.has_display() is True
