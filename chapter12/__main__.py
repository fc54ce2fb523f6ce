"""python -m chapter12: see chapter12.run.cli."""

import sys

from chapter12.run.cli import main

sys.exit(main())
