"""The operator's docs cover what the code offers (Datasette's test_docs idea).

Every operator command and option, every alert setting and its environment variable, and
every variable ops/nightly.sh reads must be named in ops/README.md; the systemd units must
start modes nightly.sh has. Cheap, and it fails the day someone adds an option silently.
"""

from __future__ import annotations

import argparse
import re
import subprocess

import pytest

from beanflows import alerts, ops_cli
from tests.conftest import REPO

OPS_README = (REPO / "ops" / "README.md").read_text()
README = (REPO / "README.md").read_text()


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = argparse.ArgumentParser()
    ops_cli.add_parsers(parser.add_subparsers(), argparse.ArgumentParser(add_help=False))
    return dict(parser._subparsers._group_actions[0].choices)  # noqa: SLF001


@pytest.mark.parametrize("command", sorted(_commands()))
def test_every_operator_command_and_option_is_documented(command: str) -> None:
    assert f"beanflows {command}" in OPS_README, command
    assert f"beanflows {command}" in README, f"README.md: {command}"
    for action in _commands()[command]._actions:  # noqa: SLF001
        for option in action.option_strings:
            if option.startswith("--") and option != "--help":
                assert re.search(rf"(?<![\w-]){option}(?![\w-])", OPS_README), (command, option)


@pytest.mark.parametrize("setting", alerts.SETTINGS)
def test_every_alert_setting_and_variable_is_documented(setting: str) -> None:
    assert f"`{setting}`" in OPS_README, setting
    assert f"`{alerts.ENV_PREFIX}{setting.upper()}`" in OPS_README, setting
    assert setting in (alerts.__doc__ or ""), setting


def test_nightly_script_variables_and_units() -> None:
    script = (REPO / "ops" / "nightly.sh").read_text()
    for name in set(re.findall(r"\$\{?([A-Z][A-Z0-9_]+)", script)):
        assert name in OPS_README, f"ops/nightly.sh reads {name}: document it in ops/README.md"
    modes = set(re.findall(r"^  (\w+)\)$", script, re.M))
    assert modes == {"build", "requests"}
    for unit in (REPO / "ops").glob("*.service"):
        start = re.search(r"^ExecStart=\S*/ops/nightly\.sh (\w+)$", unit.read_text(), re.M)
        assert start and start.group(1) in modes, unit.name
        assert unit.name in OPS_README
    path_unit = (REPO / "ops" / "beanflows-requests.path").read_text()
    target = re.search(r"^Unit=(\S+)$", path_unit, re.M).group(1)
    assert (REPO / "ops" / target).is_file()
    assert "var/requests/pending" in path_unit  # the spool folder rebuilds.py writes
    ci = (REPO / ".gitlab-ci.yml").read_text()
    assert '$CI_PIPELINE_SOURCE == "schedule"' in ci and "./ops/nightly.sh" in ci


def test_nightly_requests_mode_with_an_empty_queue(tmp_path) -> None:  # noqa: ANN001
    """The path unit may fire with nothing left to do: exit 0 without starting a build."""
    env = {"PATH": "/usr/bin:/bin", "BEANFLOWS_VAR": str(tmp_path)}
    res = subprocess.run([str(REPO / "ops" / "nightly.sh"), "requests"], env=env,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert res.returncode == 0 and "no pending rebuild requests" in res.stdout
    bad = subprocess.run([str(REPO / "ops" / "nightly.sh"), "nope"], env=env,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert bad.returncode == 2 and "usage" in bad.stderr
