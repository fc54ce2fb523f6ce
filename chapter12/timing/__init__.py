"""Time the chapter's models fairly, count their arithmetic, and compare with the hardware.

- `flops`: what the arithmetic predicts (FLOPs per step and per epoch) and the matmul speed of the device;
- `measure`: the timed training runs, interleaved, each backend in a process of its own (`__main__`).

`timing_summary` gives the LSTM / simple RNN ratios; the tables and figures are drawn by `chapter12.report`.
"""

from chapter12.timing.flops import (
    GATES,
    measure_matmul_flops,
    recurrent_step_flops,
    training_flops_per_epoch,
)
from chapter12.timing.measure import (
    VARIANTS,
    TimingResult,
    TimingSettings,
    check_variant,
    installed_backends,
    measure_backend,
    merge_measurements,
    run_interleaved,
    summarize_epochs,
    timing_summary,
    time_training,
    worker,
)

__all__ = [
    "GATES",
    "VARIANTS",
    "TimingResult",
    "TimingSettings",
    "check_variant",
    "installed_backends",
    "measure_backend",
    "measure_matmul_flops",
    "merge_measurements",
    "recurrent_step_flops",
    "run_interleaved",
    "summarize_epochs",
    "time_training",
    "timing_summary",
    "training_flops_per_epoch",
    "worker",
]
