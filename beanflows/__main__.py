"""`python -m beanflows` is the `beanflows` command."""

import sys

from beanflows.cli import main

sys.exit(main())
