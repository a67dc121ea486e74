"""Write outputs atomically: to a temporary file in the target folder, then rename over the target.

An interrupted or failed write leaves no partial file at the target path (a stale ``.tmp`` is
removed on failure; after a kill -9 only a hidden temp file with a random name can remain). The file
gets the permissions a new file would (``0o666`` less the umask, so a colleague can read a release where
the umask allows it) or, when it replaces a file, that file's; ``private=True`` keeps it to its owner
(``0o600``: training checkpoints hold the critic, a membership oracle for the training rows).

Example:
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

from ..exceptions import OutputError


def check_writable(path: str | os.PathLike) -> Path:
    """Fail early, before any work, when ``path`` cannot be written."""
    target = Path(path)
    if target.is_dir():
        raise OutputError(f"{target}: is a folder; give a file name")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{folder}: folder does not exist; create it first")
    if not os.access(folder, os.W_OK):
        raise OutputError(f"{folder}: no permission to write here")
    return target


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, private: bool = False) -> Iterator[Path]:
    """Yield a temp path beside ``path``; on success rename it to ``path``, on error delete it."""
    target = check_writable(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if private:
            mode = 0o600
        elif target.is_file():
            mode = target.stat().st_mode & 0o777
        else:
            mode = 0o666 & ~current_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def current_umask() -> int:
    """The process umask, read without changing it where the system tells (Linux), else set and restored."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | os.PathLike, text: str, private: bool = False) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically and return the path (``private``: mode 0600)."""
    with atomic_path(path, private=private) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)
