"""`python -m beanflows` is the `beanflows` command.

A build starts its SQLMesh process first, before this process imports the command line and
the build (a tenth of a second of imports the SQLMesh process would otherwise wait for).
"""

import sys

from beanflows import children

early = children.start_transform_for(sys.argv[1:])

from beanflows.cli import entry  # noqa: E402 - after the SQLMesh process is on its way

entry(early)
