"""Grids of the chapter's experiment on Dask: `python -m chapter12 sweep` and `report`.

| module | job |
|---|---|
| `grid` | the grid: its axes, its fixed settings, one `Cell` per combination, each cell's key |
| `records` | `results.jsonl`: its header, appending one finished cell per line, reading it back to resume |
| `cell` | what a Dask worker runs: one cell as a fresh `python -m chapter12 train` process |
| `engine` | the client: a local cluster or a real scheduler, submitting cells, progress, Ctrl-C |

Nothing here imports Keras: TensorFlow only ever starts in the cell's own process.
"""
