#!/usr/bin/env python3
"""One command to set up and run episode-bot, one to set up and test it.

    python3 dev.py run     # set up .venv, import the feeds, serve (a demo without a token)
    python3 dev.py test    # set up .venv, lint, check format and types, run every test
    python3 dev.py bench   # set up .venv, run the benchmarks and print their tables

`python3 dev.py bench NAME... [-- ARGS]` runs the benchmarks whose file names contain a
NAME, passing ARGS to each (`bench relevance -- --semantic bench/out/minilm-m2v-256`).
`bench_semantic.py` needs a model, so a plain `bench` leaves it out.

Only the standard library is used here: this file runs before anything is installed.
The virtual environment lives in `.venv`; it is (re)installed when pyproject.toml or
constraints.txt change, with the versions pinned in constraints.txt.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".episode-bot-installed"
EXAMPLE_FEED = ROOT / "examples" / "feed.xml"


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 -- dev.py may be run by an older python3
        print(f"episode-bot needs Python 3.11 or newer; this is {sys.version.split()[0]}")
        return 2
    command = argv[0] if argv else "help"
    rest = argv[1:]
    if command == "run":
        ensure_venv()
        return run(rest)
    if command == "test":
        ensure_venv()
        return test(rest)
    if command == "bench":
        ensure_venv()
        return bench(rest)
    print(__doc__)
    return 0 if command in ("help", "-h", "--help") else 2


def ensure_venv() -> None:
    """Create .venv and install the project with its test, bench and semantic extras, if needed."""
    wanted = hashlib.sha256(
        b"".join((ROOT / name).read_bytes() for name in ("pyproject.toml", "constraints.txt"))
    ).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted and PYTHON.exists():
        return
    if not PYTHON.exists():
        print("Creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("Installing episode-bot and its dependencies into .venv …", flush=True)
    check(
        [
            PYTHON,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--constraint",
            ROOT / "constraints.txt",
            "--editable",
            f"{ROOT}[test,bench,semantic]",
        ]
    )
    STAMP.write_text(wanted)


def run(args: list[str]) -> int:
    """Serve the configured feeds (or the example show): the bot with a token, else a demo.

    With DISCORD_TOKEN (environment or .env) this is `episode-bot run`, which imports
    FEEDS at start and polls them. Without one, it imports the feeds into the store and
    answers a few commands offline with `episode-bot ask`, then says how to go live.
    """
    env = dict(os.environ)
    dotenv = read_dotenv(ROOT / ".env")
    if not (env.get("FEEDS") or dotenv.get("FEEDS")):
        print(f"FEEDS is not set: serving the example show in {EXAMPLE_FEED.relative_to(ROOT)}.")
        env["FEEDS"] = str(EXAMPLE_FEED)
    if env.get("DISCORD_TOKEN") or dotenv.get("DISCORD_TOKEN"):
        return call([PYTHON, "-m", "bot", "run", *args], env)

    feeds = (env.get("FEEDS") or dotenv["FEEDS"]).replace(",", " ").split()
    code = call([PYTHON, "-m", "bot", "import", "--transcripts", *feeds, *args], env)
    if code == 2:
        return code
    for command in DEMO:
        print(f"\n$ episode-bot ask '{command}'", flush=True)
        call([PYTHON, "-m", "bot", "ask", command, *args], env)
    print(NEXT_STEPS)
    return code


DEMO = ("/latest count:3", '/when topic:"learning rate"', "/episode query:12")
NEXT_STEPS = """
No DISCORD_TOKEN yet, so that was the bot answering offline. To put it in your server:
  1. create an application at https://discord.com/developers/applications, Bot -> Reset Token;
  2. copy .env.example to .env and set DISCORD_TOKEN (and FEEDS to your podcast's feed);
  3. .venv/bin/episode-bot invite   -> open the printed URL and pick your server;
  4. python3 dev.py run             -> the bot connects, imports FEEDS and serves.
Try any command offline: .venv/bin/episode-bot ask '/search query:scaling laws'"""


def test(args: list[str]) -> int:
    """Lint, format check, type check, then the whole test suite; any failure (or no test
    at all) fails."""
    for check_command in (
        [PYTHON, "-m", "ruff", "check", ROOT],
        [PYTHON, "-m", "ruff", "format", "--check", ROOT],
        [PYTHON, "-m", "mypy"],  # files and strictness: [tool.mypy] in pyproject.toml
    ):
        code = call(check_command)
        if code:
            return code
    # pytest exits 5 when no test ran: that is a failure here too.
    return call([PYTHON, "-m", "pytest", *args], cwd=ROOT)


# Benchmarks that need an argument of their own (a model) run only when named.
BENCH_NAMED_ONLY = ("bench_semantic.py",)


def bench(args: list[str]) -> int:
    names, script_args = (
        (args[: args.index("--")], args[args.index("--") + 1 :]) if ("--" in args) else (args, [])
    )
    scripts = sorted((ROOT / "bench").glob("bench_*.py"))
    for script in scripts:
        if names and not any(name in script.name for name in names):
            continue
        if not names and script.name in BENCH_NAMED_ONLY:
            continue
        code = call([PYTHON, script, *script_args])
        if code:
            return code
    return 0


def read_dotenv(path: Path) -> dict[str, str]:
    """The KEY=VALUE lines of a .env file (enough to find FEEDS before anything is installed)."""
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        values[key.strip().removeprefix("export ").strip()] = value.strip().strip("'\"")
    return values


def call(command: list, env: dict[str, str] | None = None, cwd: Path | None = None) -> int:
    return subprocess.call([str(part) for part in command], env=env, cwd=cwd or ROOT)


def check(command: list) -> None:
    code = call(command)
    if code:
        raise SystemExit(f"command failed with exit code {code}: {' '.join(map(str, command))}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
