"""Atomic publication of a finished warehouse file.

A build writes ``.<name>.building-<pid>`` in the target's own folder (same file
system, so ``rename`` is atomic), syncs it to disk, then renames it over the
target. Readers that hold the old file open keep reading the old snapshot; new
readers open the new one. A crash before the rename leaves only a scratch file.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path


class BuildError(Exception):
    """The build cannot proceed for a reason outside the landing files (disk, paths)."""


def scratch_path(target: Path) -> Path:
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BuildError(f"cannot create the warehouse folder {target.parent}: "
                         f"{exc.strerror}") from exc
    if not os.access(target.parent, os.W_OK):
        raise BuildError(f"the warehouse folder {target.parent} is not writable")
    _remove_stale_scratch(target)
    scratch = target.with_name(f".{target.name}.building-{os.getpid()}")
    scratch.unlink(missing_ok=True)
    return scratch


def _remove_stale_scratch(target: Path) -> None:
    """Delete scratch files left by builds that were killed (their process is gone)."""
    for leftover in target.parent.glob(f".{target.name}.building-*"):
        pid = leftover.name.rsplit("-", 1)[-1].removesuffix(".wal")
        if pid.isdigit() and not process_alive(int(pid)):
            leftover.unlink(missing_ok=True)


def process_alive(pid: int) -> bool:
    """Is process ``pid`` still running? (Scratch files name their writer's pid.)"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def atomic_publish(scratch: Path, target: Path) -> None:
    """fsync ``scratch`` and rename it over ``target`` in one step."""
    try:
        fd = os.open(scratch, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(scratch, target)
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        hint = " (disk full)" if exc.errno == errno.ENOSPC else ""
        raise BuildError(f"cannot publish the warehouse to {target}{hint}: "
                         f"{exc.strerror}") from exc
