"""The one exception a learner or a user of the command line should ever see from the workshop."""

from __future__ import annotations


class DataError(ValueError):
    """A data file, a results file or a parameter is unusable; the message says which and why."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows this instead of a traceback: in a notebook the learner reads one line, as on the command line.
        return [f"{type(self).__name__}: {self}"]
