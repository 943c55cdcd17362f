"""hvac-agent: an AI phone agent that answers HVAC service calls and books technician visits."""

import os

# The sentence encoder's matrices are small (one caller sentence at a time): BLAS threads only
# contend with the event loop and each other. Measured here: a 32-sentence batch took 2.2 s with
# OpenBLAS's default threads on a busy 2-core machine, 0.4 s with one. Set before numpy loads.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

__version__ = "0.1.0"
