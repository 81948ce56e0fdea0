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


def test_prepared_statements_can_be_turned_off_for_a_pooler():
    show = (
        "from django.conf import settings; "
        "print(settings.DATABASES['default']['OPTIONS'].get('prepare_threshold'))"
    )
    url = {"DEBUG": "true", "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/cxaudit"}
    on = run_manage("shell", "-c", show, env=url)
    off = run_manage("shell", "-c", show, env={**url, "DATABASE_PREPARED_STATEMENTS": "false"})
    # The last line: the shell may first say what it imported.
    found = (on.stdout.strip().splitlines()[-1], off.stdout.strip().splitlines()[-1])
    assert found == ("5", "None"), on.stderr + off.stderr
