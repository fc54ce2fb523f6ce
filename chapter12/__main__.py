"""python -m chapter12: see chapter12.run.cli."""

from chapter12.run.cli import console

console()
