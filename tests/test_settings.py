"""Production settings pass `check --deploy`; missing SECRET_KEY refuses to start."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    dropped = {"DEBUG", "CXAUDIT_TESTING", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_settings_pass_check_deploy():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "DEBUG": "false",
            "SECRET_KEY": "k" * 20 + "Zq8#vR2!mW5@xL9$pT3&nB7*cY1^hJ4",
            "ALLOWED_HOSTS": "cxaudit.example.com",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_refuses_to_start_without_secret_key_when_debug_is_off():
    result = run_manage("check", env={"DEBUG": "false", "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_migration_commands_run_without_a_secret_key():
    result = run_manage(
        "makemigrations", "--check", "--dry-run", env={"DEBUG": "false", "SECRET_KEY": ""}
    )
    assert result.returncode == 0, result.stdout + result.stderr
