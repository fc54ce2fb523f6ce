"""What a run ran on: Python, Keras, the backend and the device, for reports."""

from __future__ import annotations

import os
import platform
import sys


def cpu_name() -> str:
    """The processor's model name, as the operating system reports it."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def accelerator_name(backend: str) -> str | None:
    """The GPU the backend computes on, or None on a CPU."""
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            if gpus:
                details = tf.config.experimental.get_device_details(gpus[0])
                return details.get("device_name", gpus[0].name)
        elif backend == "torch":
            import torch

            if torch.cuda.is_available():
                return torch.cuda.get_device_name(0)
        elif backend == "jax":
            import jax

            devices = [d for d in jax.devices() if d.platform != "cpu"]
            if devices:
                return str(getattr(devices[0], "device_kind", devices[0]))
    except Exception:  # a broken driver must not stop a report
        return None
    return None


def backend_version(backend: str) -> str | None:
    """The version of the installed backend package."""
    module = {"tensorflow": "tensorflow", "torch": "torch", "jax": "jax"}.get(backend)
    if module is None:
        return None
    try:
        return __import__(module).__version__
    except Exception:
        return None


def environment_info() -> dict:
    """Python, Keras, backend and version, device and processor of this process."""
    import keras

    backend = keras.backend.backend()
    gpu = accelerator_name(backend)
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "keras": keras.__version__,
        "backend": backend,
        "backend_version": backend_version(backend),
        "device": f"GPU: {gpu}" if gpu else "CPU",
        "gpu": gpu,
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count(),
        "executable": sys.executable,
    }
