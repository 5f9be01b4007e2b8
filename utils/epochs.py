"""How many epochs a run trains: the full run's 100, or fewer when ``WORKSHOP_EPOCHS`` asks for a quick run.

Kept apart from :mod:`utils.training` so that the main job and the command
line can check the number without importing Keras.
"""

from __future__ import annotations

import os

from .values import check_epochs

EPOCHS_VARIABLE = "WORKSHOP_EPOCHS"
FULL_EPOCHS = 100


def effective_epochs(requested: int = FULL_EPOCHS) -> int:
    """``requested`` epochs, unless ``WORKSHOP_EPOCHS`` asks for a quick run (as CI does)."""
    override = os.environ.get(EPOCHS_VARIABLE, "").strip()
    if override:
        return check_epochs(override, name=EPOCHS_VARIABLE)
    return check_epochs(requested)


def is_full_run(epochs: int) -> bool:
    """A full run's outputs are the committed ones; a quick run's go elsewhere."""
    return epochs == FULL_EPOCHS
