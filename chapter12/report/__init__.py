"""Everything a run hands to a reader: the notebooks' results files, tables, figures and handouts.

| module | job |
|---|---|
| `notebooks` | the chapter's notebooks and the declared schema of the results file each one writes |
| `results` | summaries over seeds and repeats, and the Markdown tables of summary.md |
| `plots` | the figures (training curves, test accuracy, timing) |
| `handouts` | standalone HTML pages of executed notebooks, for a class |
| `prose` | sentences computed from a notebook's own numbers |

Nothing here trains or times a model, and nothing here imports `chapter12.run`.
"""
