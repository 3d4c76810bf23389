"""Allow ``python -m ivpm``."""

from __future__ import annotations

import sys

from ivpm.cli import main

if __name__ == "__main__":
    sys.exit(main())
