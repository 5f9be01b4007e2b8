"""Notebook display helpers."""

from __future__ import annotations

import inspect

from IPython.display import Markdown


def show_source(function) -> Markdown:
    """Show a helper's code in a notebook, so the lesson's code is read, not hidden."""
    return Markdown(f"```python\n{inspect.getsource(function).rstrip()}\n```")
