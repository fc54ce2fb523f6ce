"""The one filter for the start-up lines that the backends' C++ cores write to stderr.

TensorFlow (through absl) prints them in every process that imports it: "WARNING: All log messages
before absl::InitializeLog() ...", lines starting I0000/W0000/E0000, and the CPU-instructions note.
They say nothing about the chapter, so the terminal, the timing worker's stream and the handouts drop them.
"""

from __future__ import annotations

import re

BACKEND_LOG_LINE = re.compile(
    r"^(?:[IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [^\]\s]+:\d+\] .*"
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|To enable the following instructions: .*)$"
)


def is_backend_log_line(line: str) -> bool:
    """True for a line that a backend's C++ start-up logging wrote."""
    return bool(BACKEND_LOG_LINE.match(line.rstrip("\r\n")))
