"""Executing the chapter's notebooks: the one runner that `reproduce` and `sweep` share.

| module | job |
|---|---|
| `execute` | one notebook through papermill: where the notebooks are, its log, its status record |
| `kernel` | the Jupyter kernel it runs in: this very interpreter, its C-level stderr sent to the log |
| `progress` | the line the terminal shows while a notebook runs |

Nothing here knows what a notebook measures: reading its results is `chapter12.report`'s job.
"""
