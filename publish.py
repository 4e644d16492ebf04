"""Publish dist/ to R2: `python publish.py DIST --bucket NAME --endpoint-url URL`.

Thin wrapper; the code is in beanflows/publish/ (also reachable as `beanflows publish`).
"""

import sys

from beanflows.publish import main

if __name__ == "__main__":
    sys.exit(main())
