"""python -m chapter12: see chapter12.cli."""

import sys

from chapter12.cli import main

sys.exit(main())
