"""`python -m beanflows` is the `beanflows` command."""

from beanflows.cli import entry

entry()
