"""docs/brief.md covers what the code offers: every setting, command and option."""

from __future__ import annotations

import argparse

import pytest

from beanflows.brief import settings
from beanflows.brief.cli import add_parsers
from tests.conftest import REPO

DOC = (REPO / "docs" / "brief.md").read_text()


@pytest.mark.parametrize("name", sorted(settings.ENV))
def test_every_setting_is_documented(name: str) -> None:
    assert f"`{name}`" in DOC


def test_every_command_and_option_is_documented() -> None:
    parser = argparse.ArgumentParser()
    add_parsers(parser.add_subparsers(), argparse.ArgumentParser(add_help=False))
    commands = parser._subparsers._group_actions[0].choices  # noqa: SLF001
    for command, sub in commands.items():
        assert f"beanflows {command}" in DOC
        for action in sub._actions:  # noqa: SLF001
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert option in DOC, (command, option)


def test_readme_mentions_the_brief() -> None:
    assert "docs/brief.md" in (REPO / "README.md").read_text()
