"""The deploy files as an operator installs them: the systemd units start on a fresh machine
(every folder they name is one systemd creates), are hardened, pass `systemd-analyze verify`,
and the nginx example passes `nginx -t` with test certificates."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
UNITS = ("guongsang.service", "guongsang-backup.service")
INSTALLED_PYTHON = "/opt/guongsang/.venv/bin/python"
HARDENING = {
    "NoNewPrivileges": "true", "CapabilityBoundingSet": "", "PrivateTmp": "true",
    "PrivateDevices": "true", "ProtectSystem": "strict", "ProtectHome": "true",
    "ProtectKernelTunables": "true", "ProtectKernelModules": "true",
    "ProtectKernelLogs": "true", "ProtectControlGroups": "true", "RestrictNamespaces": "true",
    "LockPersonality": "true", "UMask": "0077",
}


def service(name: str) -> dict[str, list[str]]:
    """The [Service] section: every key with all its values, in order."""
    values: dict[str, list[str]] = {}
    section = ""
    for line in (DEPLOY / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]":
            key, _, value = line.partition("=")
            values.setdefault(key, []).append(value)
    return values


@pytest.mark.parametrize("name", UNITS)
def test_every_folder_a_unit_writes_to_is_one_systemd_creates(name: str) -> None:
    unit = service(name)
    assert unit["StateDirectory"] == ["guongsang"]
    made = ["/var/lib/guongsang"] + (["/var/cache/guongsang"] if "CacheDirectory" in unit else [])
    for paths in unit.get("ReadWritePaths", []):
        for path in paths.split():
            assert any(path.startswith(m) for m in made), f"{name}: {path} may not exist"
    database = next(v for v in unit["Environment"] if v.startswith("DATABASE_PATH="))
    assert database.removeprefix("DATABASE_PATH=").startswith("/var/lib/guongsang/")
    assert unit["WorkingDirectory"] == ["/var/lib/guongsang"], (
        "the bot would open /opt/guongsang/.env itself, which is root's (mode 600)")
    assert unit["EnvironmentFile"] == ["/opt/guongsang/.env"]


@pytest.mark.parametrize("name", UNITS)
def test_the_units_are_hardened(name: str) -> None:
    unit = service(name)
    for key, value in HARDENING.items():
        assert unit.get(key) == [value], f"{name}: {key}={unit.get(key)}"
    assert "@system-service" in unit.get("SystemCallFilter", [])
    assert unit.get("RestrictAddressFamilies"), name


def test_matplotlib_gets_a_folder_it_can_write_and_backups_run_without_a_shell() -> None:
    bot = service("guongsang.service")
    mpl = next(v for v in bot["Environment"] if v.startswith("MPLCONFIGDIR="))
    assert mpl.removeprefix("MPLCONFIGDIR=").startswith("/var/cache/guongsang/")
    assert bot["CacheDirectory"] == ["guongsang"]
    backup = service("guongsang-backup.service")
    assert backup["ExecStart"] == [
        f"{INSTALLED_PYTHON} -m bot backup --dir /var/lib/guongsang/backups"]


def _analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        pytest.skip("systemd-analyze is not installed (Debian package: systemd)")
    return found


def test_systemd_analyze_verifies_the_units(tmp_path: Path) -> None:
    analyze = _analyze()
    # The units name the interpreter of an installed copy; verify checks that it exists, so
    # the copies checked here name this checkout's interpreter instead.
    for name in (*UNITS, "guongsang-backup.timer"):
        text = (DEPLOY / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace(INSTALLED_PYTHON, sys.executable),
                                     encoding="utf-8")
    done = subprocess.run(
        [analyze, "verify", "--man=no", *(f"./{n}" for n in (*UNITS, "guongsang-backup.timer"))],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr
    for name in UNITS:
        exposure = subprocess.run(
            [analyze, "security", "--offline=true", "--threshold=20", "--no-pager",
             f"./{name}"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
            check=False)
        assert exposure.returncode == 0, exposure.stdout.splitlines()[-1:]


def test_the_timer_starts_the_backup_nightly() -> None:
    timer = configparser.ConfigParser(interpolation=None)
    timer.read(DEPLOY / "guongsang-backup.timer", encoding="utf-8")
    assert timer["Timer"]["OnCalendar"] == "*-*-* 02:30:00"
    assert timer["Timer"]["Persistent"] == "true"


# --- nginx ----------------------------------------------------------------------------------


def test_the_nginx_example_uses_http2_on_and_serves_certificate_renewal_on_port_80() -> None:
    lines = (DEPLOY / "nginx.conf").read_text(encoding="utf-8").splitlines()
    text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    assert not re.search(r"listen[^;]*\bhttp2\b", text), "listen … http2 is deprecated"
    assert re.search(r"^\s*http2 on;", text, re.MULTILINE)
    plain = re.search(r"server \{\s*listen 80;(.*?)\n\}", text, re.DOTALL)
    assert plain is not None, "no port-80 server block"
    assert "location ^~ /.well-known/acme-challenge/" in plain.group(1)
    assert "return 301 https://$host$request_uri;" in plain.group(1)


def _nginx_version(nginx: str) -> tuple[int, ...]:
    done = subprocess.run([nginx, "-v"], capture_output=True, text=True, timeout=30, check=False)
    found = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", done.stderr)
    assert found, done.stderr
    return tuple(int(n) for n in found.groups())


def test_nginx_accepts_the_example_with_test_certificates(tmp_path: Path) -> None:
    nginx, openssl = shutil.which("nginx"), shutil.which("openssl")
    if nginx is None or openssl is None:
        pytest.skip("nginx or openssl is not installed (Debian packages: nginx, openssl)")
    cert, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=bot.example.gov.vn", "-keyout", str(key), "-out", str(cert)],
                   capture_output=True, timeout=60, check=True)
    site = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    site = site.replace("/etc/letsencrypt/live/bot.example.gov.vn/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/bot.example.gov.vn/privkey.pem", str(key))
    if _nginx_version(nginx) < (1, 25, 1):  # the older spelling, as the file's header says
        site = site.replace("    http2 on;\n", "").replace("listen 443 ssl;",
                                                           "listen 443 ssl http2;")
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n    access_log off;\n    include {tmp_path}/site.conf;\n}}\n",
        encoding="utf-8")
    done = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
                           "-c", str(tmp_path / "nginx.conf")],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr
