"""Writing files all at once: a reader (or a run interrupted half-way) sees the old file or the new one, never half."""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


def write_atomically(path: Path, write, binary: bool = False) -> Path:
    """Call ``write(stream)`` on a temporary file beside ``path``, then rename it into place.

    A run interrupted half-way leaves the old file (or none), never half a file.
    ``binary``: the stream takes bytes (a figure, say) rather than text.
    """
    return replace_atomically(path, lambda temporary: _write_stream(temporary, write, binary))


def _write_stream(path: Path, write, binary: bool = False) -> None:
    with open(path, "wb") if binary else open(path, "w", encoding="utf-8", newline="") as stream:
        write(stream)


def _staged(path: Path, write_to, suffix: str = ".tmp") -> Path:
    """A complete, synced temporary file beside ``path``, written by ``write_to(temporary_path)``."""
    with naming(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
        os.close(handle)
        try:
            write_to(Path(temporary))
            with open(temporary, "rb+") as written:
                os.fsync(written.fileno())
            os.chmod(temporary, 0o644)  # mkstemp makes it private; results are ordinary project files
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return Path(temporary)


@contextmanager
def naming(path: Path):
    """Re-raise an ``OSError`` met while writing ``path`` as one that names ``path``, not a temporary file.

    A full disk or a read-only folder then reads "results/x.json: No space left
    on device", the file the person asked for, whatever the writer was doing.
    """
    try:
        yield
    except OSError as exc:
        if exc.errno is None:
            raise
        # OSError(errno, ...) picks the matching subclass (PermissionError for EACCES, and so on).
        raise OSError(exc.errno, exc.strerror or os.strerror(exc.errno), str(path)) from None


def check_can_write(path: Path) -> Path:
    """Fail now, naming ``path``, if ``path`` could not be written later (before minutes of training, say)."""
    path = Path(path)
    with naming(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        # Files are replaced by renaming a new one into place, so a file that can be made beside it is enough.
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".check"):
            pass
    return path


def write_files_atomically(texts: dict[Path, str | bytes]) -> list[Path]:
    """Write several files (text, or bytes such as a figure) as one: afterwards all hold their new contents, or all
    are as they were.

    Each is first written in full beside its target; only then are they renamed
    into place, and if a rename fails (or the run is interrupted) the ones
    already replaced get their old contents back, or are removed if they are new.
    """
    staged: dict[Path, Path] = {}
    replaced: dict[Path, bytes | None] = {}
    try:
        for path, text in texts.items():
            staged[Path(path)] = _staged(Path(path), lambda temporary, text=text: _write_stream(
                temporary, lambda stream: stream.write(text), binary=isinstance(text, bytes)))
        for path, temporary in staged.items():
            with naming(path):
                old = path.read_bytes() if path.is_file() else None
                os.replace(temporary, path)
            replaced[path] = old
    except BaseException:
        for path, old in replaced.items():
            if old is None:
                path.unlink(missing_ok=True)
            else:
                write_atomically(path, lambda stream, old=old: stream.write(old), binary=True)
        for temporary in staged.values():
            temporary.unlink(missing_ok=True)
        raise
    return list(staged)


def write_json_atomically(path: Path, payload: dict) -> Path:
    return write_atomically(path, lambda stream: stream.write(json.dumps(payload, indent=2) + "\n"))


def write_text_atomically(path: Path, text: str) -> Path:
    return write_atomically(path, lambda stream: stream.write(text))


def replace_atomically(path: Path, write_to, suffix: str = ".tmp") -> Path:
    """Call ``write_to(temporary_path)`` for a new file beside ``path``, then rename it into place.

    A run interrupted half-way leaves the old file (or none), never half a file.
    ``suffix`` is the temporary file's ending, for writers that insist on one
    (Keras saves only to names ending in ``.keras``).
    """
    path = Path(path)
    temporary = _staged(path, write_to, suffix)
    try:
        with naming(path):
            os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def replace_folder_atomically(folder: Path, write_to) -> Path:
    """Call ``write_to(temporary_folder)`` for a new folder beside ``folder``, then swap it into place.

    An interrupted or failed ``write_to`` leaves ``folder`` as it was (or absent); the old folder, if any, is
    removed only once the new one stands in its place.
    """
    import shutil

    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
    old = None
    try:
        write_to(temporary)
        if folder.exists():
            old = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.old."))
            os.replace(folder, old / folder.name)
        os.replace(temporary, folder)
    except BaseException:
        if old is not None and not folder.exists():
            os.replace(old / folder.name, folder)
        shutil.rmtree(temporary, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    os.chmod(folder, 0o755)  # mkdtemp makes it private; a handout is an ordinary folder
    return folder
