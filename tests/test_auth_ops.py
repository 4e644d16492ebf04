"""Operating the accounts service: settings and their docs, the CLI's one-line errors, the
migrations, online backup to the (local) R2 raw bucket and restore, and a crash mid-write."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from beanflows.auth import accounts, backup, db, keys
from beanflows.auth.settings import ENV, SettingsError, load
from tests.s3_server import make_bucket, s3_server

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = {
    "BEANFLOWS_BASE_URL": "https://account.example.com",
    "BEANFLOWS_SMTP_URL": "smtp://127.0.0.1:25",
    "BEANFLOWS_MAIL_FROM": "hello@example.com",
    "BEANFLOWS_PADDLE_WEBHOOK_SECRET": "s1",
    "BEANFLOWS_PADDLE_API_KEY": "k1",
    "BEANFLOWS_PADDLE_PRICE_STARTER": "pri_a",
    "BEANFLOWS_PADDLE_PRICE_PRO": "pri_b, pri_c",
    "BEANFLOWS_TOKEN_SECRET": "t1",
}


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BEANFLOWS_")}
    return subprocess.run([sys.executable, "-m", "beanflows", "auth", *args], cwd=ROOT,
                          env=clean | env, capture_output=True, text=True, timeout=120)  # fmt: skip


def test_settings_from_the_environment(tmp_path):
    s = load(environ=MINIMAL | {"BEANFLOWS_ADMIN_EMAILS": "A@x.com, b@y.org"})
    assert s.price_pro == {"pri_b", "pri_c"} and s.plan_of_price("pri_c") == "pro"
    assert s.plan_of_price("pri_a") == "starter" and s.plan_of_price("pri_zzz") is None
    assert s.admin_emails == {"a@x.com", "b@y.org"} and s.open_signup is False
    assert s.site_url == s.base_url and s.paddle_tolerance_seconds == 5
    cfg = tmp_path / "auth.toml"
    cfg.write_text('open_signup = "1"\nbase_url = "https://from-file.example"\n')
    s = load(cfg, environ={k: v for k, v in MINIMAL.items() if k != "BEANFLOWS_BASE_URL"})
    assert s.open_signup and s.base_url == "https://from-file.example"


@pytest.mark.parametrize("name", [n for n, (_, required, _) in ENV.items() if required])
def test_each_missing_secret_is_named(name):
    with pytest.raises(SettingsError, match=name):
        load(environ={k: v for k, v in MINIMAL.items() if k != name})


def test_bad_settings():
    for bad in ({"BEANFLOWS_SMTP_URL": "http://x"}, {"BEANFLOWS_BASE_URL": "ftp://x"},
                {"BEANFLOWS_PADDLE_TOLERANCE_SECONDS": "0"}):  # fmt: skip
        with pytest.raises(SettingsError):
            load(environ=MINIMAL | bad)


def test_every_setting_is_documented():
    doc = (ROOT / "docs" / "auth.md").read_text()
    missing = [name for name in ENV if f"`{name}`" not in doc]
    assert missing == [], f"docs/auth.md does not describe {missing}"
    for command in ("serve", "backup", "restore", "publish-keys"):
        assert f"beanflows auth {command}" in doc


def test_cli_says_what_is_missing_in_one_line(tmp_path):
    done = run("serve", env={"BEANFLOWS_AUTH_DB": str(tmp_path / "a.db")})
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "BEANFLOWS_TOKEN_SECRET" in done.stderr
    assert "Traceback" not in done.stderr
    done = run("serve", env=MINIMAL | {"TEST_MODE": "1"})
    assert done.returncode == 2 and "TEST_MODE" in done.stderr


def test_migrations_apply_once(tmp_path):
    conn = db.connect(tmp_path / "a.db")
    assert db.migrate(conn) == ["0001_init.sql", "0002_brief_alerts.sql"]
    assert db.migrate(conn) == []
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    versions = [v for v, _, _ in db.migrations()]
    assert versions == sorted(set(versions))


def populated(path: Path) -> tuple[sqlite3.Connection, str]:
    conn = db.open_db(path)
    row, _ = accounts.sign_up(conn, "saved@example.com")
    conn.execute("UPDATE accounts SET status = 'active' WHERE id = ?", (row["id"],))
    return conn, keys.create_key(conn, row["id"], "backup me")


@pytest.fixture(scope="module")
def s3():
    with s3_server() as server:
        yield server


def test_online_backup_and_restore(tmp_path, s3):
    bucket = make_bucket(s3)
    conn, raw = populated(tmp_path / "live.db")
    stop = threading.Event()

    def writer() -> None:  # the service keeps writing during the backup
        w = db.connect(tmp_path / "live.db")
        i = 0
        while not stop.is_set():
            with db.Tx(w):
                w.execute("INSERT INTO feedback (message, created_at) VALUES (?, 'now')", (i,))
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        key = backup.backup(tmp_path / "live.db", s3.client(), bucket,
                            now=datetime(2026, 12, 1, 3, 0, tzinfo=UTC))  # fmt: skip
    finally:
        stop.set()
        t.join()
    assert key == "auth/backups/auth-20261201T030000Z.sqlite3.gz"
    target = tmp_path / "restored.db"
    assert backup.restore(target, s3.client(), bucket) == key
    copy = db.open_db(target)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert keys.key_hash(raw) in keys.key_list(copy)["keys"]
    with pytest.raises(backup.BackupError, match="--force"):
        backup.restore(target, s3.client(), bucket)


def test_restore_command(tmp_path, s3):
    bucket = make_bucket(s3)
    populated(tmp_path / "live.db")
    env = s3.env(**MINIMAL, BEANFLOWS_AUTH_DB=str(tmp_path / "live.db"))
    env |= {"BEANFLOWS_R2_ENDPOINT_URL": s3.endpoint_url, "BEANFLOWS_BACKUP_BUCKET": bucket}
    done = run("backup", env=env)
    assert done.returncode == 0, done.stderr
    assert "auth/backups/auth-" in done.stdout
    env["BEANFLOWS_AUTH_DB"] = str(tmp_path / "new" / "auth.db")
    done = run("restore", env=env)
    assert done.returncode == 0, done.stderr
    restored = db.open_db(tmp_path / "new" / "auth.db")
    assert accounts.account_by_email(restored, "saved@example.com") is not None
    done = run("restore", env=env)  # the database exists now: refused without --force
    assert done.returncode == 1 and "--force" in done.stderr and "Traceback" not in done.stderr
    assert run("restore", "--force", env=env).returncode == 0


def test_restore_refuses_a_broken_backup(tmp_path, s3):
    bucket = make_bucket(s3)
    s3.client().put_object(Bucket=bucket, Key="auth/backups/auth-20990101T000000Z.sqlite3.gz",
                           Body=__import__("gzip").compress(b"not a database" * 100))  # fmt: skip
    target = tmp_path / "keep.db"
    conn, _ = populated(target)
    conn.close()
    with pytest.raises(backup.BackupError, match="not a usable database"):
        backup.restore(target, s3.client(), bucket, force=True)
    assert accounts.account_by_email(db.open_db(target), "saved@example.com") is not None
    with pytest.raises(backup.BackupError, match="no backups"):
        backup.restore(tmp_path / "x.db", s3.client(), make_bucket(s3))


CRASHER = """
import os, sys
from pathlib import Path
from beanflows.auth import db
conn = db.open_db(Path(sys.argv[1]))
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO accounts (ref, email, status, created_at) "
             "VALUES ('r1', 'a@x.io', 'active', 'now')")
conn.execute("INSERT INTO api_keys (account_id, name, prefix, hash, created_at) "
             "VALUES (1, 'k', 'p', 'h', 'now')")
print("half-way", flush=True)
sys.stdin.read()  # killed here, before COMMIT
"""


def test_crash_mid_write_leaves_the_database_consistent(tmp_path):
    path = tmp_path / "crash.db"
    db.open_db(path).close()
    proc = subprocess.Popen([sys.executable, "-c", CRASHER, str(path)], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout.readline().strip() == "half-way"
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    conn = db.open_db(path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT count(*) FROM accounts").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM api_keys").fetchone()[0] == 0


def test_systemd_units_run_documented_commands():
    doc = (ROOT / "docs" / "auth.md").read_text()
    units = {p.name: p.read_text() for p in (ROOT / "ops" / "auth").glob("beanflows-auth*")}
    assert set(units) == {"beanflows-auth.service", "beanflows-auth-backup.service",
                          "beanflows-auth-backup.timer"}  # fmt: skip
    for name, text in units.items():
        if name.endswith(".service"):
            command = re.search(r"^ExecStart=\S+/beanflows (auth \w+)", text, re.M).group(1)
            assert f"beanflows {command}" in doc, name
    assert "ops/auth/beanflows-auth.service" in doc
