"""The deployment files name only what exists: the files the Dockerfile copies, the console
script and subcommands the image and the systemd unit run, the settings they set, and the
store on the volume or in the state directory."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import shutil
import subprocess
import tomllib

import pytest

from bot.app.cli import build_parser
from bot.app.settings import VARIABLES
from tests.support.paths import PROJECT

DOCKERFILE = (PROJECT / "Dockerfile").read_text(encoding="utf-8")
COMPOSE = (PROJECT / "compose.yaml").read_text(encoding="utf-8")
UNIT = (PROJECT / "deploy" / "episode-bot.service").read_text(encoding="utf-8")
SCRIPTS = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
    "scripts"
]


def instructions(text: str) -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    joined = re.sub(
        r"\\\n",
        " ",
        "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")),
    )
    found = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def exec_form(rest: str) -> list[str]:
    return list(json.loads(rest))


def assert_runs_a_real_command(argv: list[str]) -> None:
    script = argv[0].rsplit("/", 1)[-1]
    assert script in SCRIPTS, f"{script} is not a console script of the project"
    build_parser().parse_args(argv[1:])  # exits (SystemExit) on an unknown subcommand/option


def test_every_file_the_dockerfile_copies_exists_and_is_not_ignored():
    ignored = [
        line.strip()
        for line in (PROJECT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    copies = [rest for keyword, rest in instructions(DOCKERFILE) if keyword == "COPY"]
    assert copies
    for rest in copies:
        *sources, _dest = shlex.split(rest)
        for source in sources:
            assert (PROJECT / source).exists(), f"COPY {source}: no such file in the project"
            assert not any(fnmatch.fnmatch(source, pattern) for pattern in ignored), source


def test_the_image_runs_the_console_script_and_checks_health_with_doctor_quick():
    found = dict(instructions(DOCKERFILE))
    assert found["FROM"].startswith("python:3.11-slim")
    entry = exec_form(found["ENTRYPOINT"])
    assert_runs_a_real_command(entry + exec_form(found["CMD"]))
    health = found["HEALTHCHECK"].split("CMD", 1)[1].strip()
    assert exec_form(health) == ["episode-bot", "doctor", "--quick"]
    assert_runs_a_real_command(exec_form(health))


def test_the_image_runs_as_a_user_with_the_store_on_the_volume():
    found = instructions(DOCKERFILE)
    users = [rest for keyword, rest in found if keyword == "USER"]
    assert users and users[-1] not in ("root", "0")
    volumes = [v for keyword, rest in found if keyword == "VOLUME" for v in exec_form(rest)]
    assert volumes == ["/data"]
    env = " ".join(rest for keyword, rest in found if keyword == "ENV")
    assert "DATABASE_PATH=/data/" in env and "BACKUP_DIR=/data/" in env
    assert "PYTHONDONTWRITEBYTECODE=1" in env  # nothing written beside the code (read-only)


def test_compose_keeps_the_store_on_a_volume_with_a_read_only_root():
    assert "build: ." in COMPOSE and (PROJECT / "Dockerfile").exists()
    assert re.search(r"^\s+- episode-bot-data:/data$", COMPOSE, re.M)
    assert "DATABASE_PATH: /data/" in COMPOSE
    assert "read_only: true" in COMPOSE and "- /tmp" in COMPOSE


def test_the_unit_runs_the_console_script_with_the_store_under_its_state_directory():
    settings = dict(
        line.split("=", 1) for line in UNIT.splitlines() if "=" in line and line[0] != "#"
    )
    assert_runs_a_real_command(shlex.split(settings["ExecStart"]))
    assert settings["Restart"] == "on-failure"
    assert settings["StateDirectory"] == "episode-bot"
    assert "Environment=DATABASE_PATH=%S/episode-bot/" in UNIT
    assert settings["EnvironmentFile"].startswith("/etc/episode-bot/")


def test_the_deployment_files_set_only_real_settings():
    names = set(re.findall(r"\b([A-Z][A-Z_]+)=", DOCKERFILE + UNIT))
    names |= set(re.findall(r"^\s+([A-Z][A-Z_]+):", COMPOSE, re.M))
    # Python's, pip's and huggingface_hub's own variables, and the image's build argument.
    ours = {n for n in names if not n.startswith(("PYTHON", "PIP_", "HF_")) and n != "EXTRAS"}
    assert ours and ours <= set(VARIABLES), sorted(ours - set(VARIABLES))


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_accepts_the_unit(tmp_path):
    unit = tmp_path / "episode-bot.service"
    unit.write_text(UNIT)
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, check=False
    )
    # The one complaint allowed: the program is installed at deployment, not here.
    complaints = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if line.strip() and "/opt/episode-bot/bin/episode-bot" not in line
    ]
    assert complaints == []
