"""Retention cleanup: find expired job directories under results_dir and remove them.

Rules, in the order they are applied to each entry directly under results_dir:

* Names starting with '.' are kaspflow scratch and are skipped. The exception is
  ``.removing-*``, a job that an earlier pass renamed but failed to delete in full,
  which each pass tries to delete again.
* A symlink is never followed for removal. When its name is a valid job name it is
  a link to a job kept elsewhere: the link alone is unlinked once its own mtime
  (lstat) is older than the global window. The cleanup looks through the link only
  to find a fresh ``.running`` marker, which keeps it. Other symlinks are reported
  and left in place.
* A real directory is a job when it contains ``job.yaml``, ``request/``,
  ``.finished`` or ``.running``. So a half-deleted job that lost its job.yaml is
  still cleaned. Any other entry is reported as not a job directory and left.
* A job is running while ``.running`` exists and its mtime is younger than
  ``running_stale_hours``. A running job is never removed, whatever the window.
* A job's age counts from the mtime of ``.finished``. When that mtime lies in the
  future, the ISO 8601 time written inside the file is used instead. A job without
  ``.finished`` ages from its last activity: the newest mtime (lstat) of any entry
  in its tree, including the job directory itself and every subdirectory.
* ``retention_hours`` in job.yaml overrides the global window for that job
  (``null`` or missing means the global window, ``.inf`` keeps the job forever).
  A job whose job.yaml or retention value cannot be read is kept and counted as
  an error, so that a typo never deletes a job that should be kept.

A job is removed by renaming it to ``<results_dir>/.removing-<random>`` and then
deleting that tree. Its job.yaml disappears from the workflow's view at the rename,
and a symlink swapped in after the scan is never followed.
"""

import datetime as dt
import errno
import fcntl
import logging
import math
import os
import secrets
import shutil
import stat
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping

import yaml

from .errors import ConfigError, InputError
from .jobs import FINISHED_MARKER, JOB_FILE, REQUEST_DIR, RUNNING_MARKER, validate_job_name

LOGGER = logging.getLogger("kaspflow.retention")

LOCK_FILE = ".cleanup.lock"
LOG_FILE = ".cleanup.log"
REMOVING_PREFIX = ".removing-"

# Each kind of entry found directly under results_dir.
JOB = "job"
JOB_LINK = "job link"
NOT_A_JOB = "not a job"
LEFTOVER = "leftover"

# Decisions the cleanup makes about an entry.
REMOVE = "remove"
KEEP_FRESH = "fresh"
KEEP_RUNNING = "running"
KEEP_ERROR = "error"
LEAVE = "leave"


@dataclass
class JobAge:
    """One entry directly under results_dir and the cleanup's decision about it."""

    name: str
    path: Path
    kind: str
    decision: str
    age_hours: float = 0.0
    retention_hours: float = 0.0
    age_source: str = ""
    size_bytes: int = 0
    error: str = ""


@dataclass
class CleanupReport:
    """Outcome of one cleanup pass."""

    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    bytes_freed: int = 0
    dry_run: bool = False

    @property
    def exit_status(self) -> int:
        return 1 if self.errors else 0


def display_name(name: str) -> str:
    """Return ``name`` printable in a UTF-8 log, escaping bytes that are not UTF-8."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def format_size(size_bytes: int) -> str:
    """Return a size in bytes as a short decimal text such as '1.4 MB'."""
    value = float(size_bytes)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def parse_non_negative(name: str, text: str, example: str) -> float:
    """Return ``text`` as a number >= 0, raising ConfigError that names ``name`` and the value."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if text.strip() == "" or math.isnan(value) or value < 0:
        raise ConfigError(
            f"invalid {name}={text!r}: expected a number of 0 or more; "
            f"set {name} to a value such as {example}, or unset it to use config/config.yaml"
        )
    return value


def read_env_overrides(environ: Mapping[str, str]) -> dict:
    """Return the config keys set by RETENTION_HOURS and CLEANUP_INTERVAL in ``environ``.

    A variable that is absent is left out. A variable that is set, even to an
    empty string, must be a number of 0 or more, and CLEANUP_INTERVAL must be
    above 0; otherwise ConfigError names the variable and the value.
    """
    overrides = {}
    if "RETENTION_HOURS" in environ:
        overrides["retention_hours"] = parse_non_negative("RETENTION_HOURS", environ["RETENTION_HOURS"], "24")
    if "CLEANUP_INTERVAL" in environ:
        interval = parse_non_negative("CLEANUP_INTERVAL", environ["CLEANUP_INTERVAL"], "3600")
        if interval == 0:
            raise ConfigError(
                "invalid CLEANUP_INTERVAL='0': the pause between passes must be above 0 seconds; "
                "set CLEANUP_INTERVAL to a value such as 3600"
            )
        overrides["cleanup_interval_seconds"] = interval
    return overrides


def _tree_stats(path: Path) -> tuple[float, int, str]:
    """Return the newest mtime, the total size and the first read error of a job tree.

    Symlinks are not followed. The size is the sum of the apparent sizes of files and symlinks. Entries that
    vanish during the walk are skipped, because a job may be written meanwhile.
    """
    newest = os.lstat(path).st_mtime
    total = 0
    error = ""
    pending = [path]
    while pending:
        directory = pending.pop()
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except FileNotFoundError:
                        continue
                    newest = max(newest, info.st_mtime)
                    if stat.S_ISDIR(info.st_mode):
                        pending.append(Path(entry.path))
                    else:
                        total += info.st_size
        except FileNotFoundError:
            continue
        except OSError as exc:
            error = error or f"cannot read {directory}: {exc.strerror}"
    return newest, total, error


def _finish_time(job: Path, now: float) -> float | None:
    """Return the job's finish time (epoch seconds), or None when it never finished."""
    try:
        info = os.lstat(job / FINISHED_MARKER)
    except FileNotFoundError:
        return None
    if info.st_mtime <= now:
        return info.st_mtime

    # A future mtime comes from a skewed clock, so trust the time written inside.
    try:
        text = (job / FINISHED_MARKER).read_text().strip()
        written = dt.datetime.fromisoformat(text)
    except (OSError, ValueError):
        return info.st_mtime
    if written.tzinfo is None:
        written = written.replace(tzinfo=dt.timezone.utc)
    return written.timestamp()


def _is_running(job: Path, now: float, stale_hours: float) -> bool:
    """Return whether the job has a fresh ``.running`` marker.

    A dangling or looping job link has no marker, but a permission error is
    raised, because the job may still be running.
    """
    try:
        info = os.lstat(job / RUNNING_MARKER)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return False
        raise
    return now - info.st_mtime < stale_hours * 3600


def _job_retention(job: Path, default_hours: float) -> float:
    """Return the job's own retention_hours from job.yaml, or ``default_hours``.

    Raises InputError when job.yaml exists but is unreadable, or when its
    retention_hours is not a number of 0 or more.
    """
    path = job / JOB_FILE
    try:
        record = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        return default_hours
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read {JOB_FILE}: {exc}; fix or delete the file") from None
    if not isinstance(record, dict) or record.get("retention_hours") is None:
        return default_hours

    value = record["retention_hours"]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or value < 0:
        raise InputError(
            f"invalid retention_hours {value!r} in {JOB_FILE}: expected a number of 0 or more, "
            "null for the global window, or .inf to keep the job"
        )
    return float(value)


def _looks_like_job(path: Path) -> bool:
    """Return whether a directory contains a job marker; raise OSError when it cannot be listed."""
    names = set(os.listdir(path))
    return not names.isdisjoint({JOB_FILE, REQUEST_DIR, FINISHED_MARKER, RUNNING_MARKER})


def _assess_link(name: str, path: Path, info: os.stat_result, retention_hours: float,
                 now: float, stale_hours: float) -> JobAge:
    try:
        validate_job_name(name)
    except InputError:
        return JobAge(name, path, NOT_A_JOB, LEAVE)

    age = JobAge(name, path, JOB_LINK, KEEP_FRESH, retention_hours=retention_hours,
                 age_source="link mtime", size_bytes=info.st_size)
    age.age_hours = (now - info.st_mtime) / 3600
    try:
        running = _is_running(path, now, stale_hours)
    except OSError as exc:
        age.decision = KEEP_ERROR
        age.error = f"cannot check the linked job for a .running marker: {exc.strerror}"
        return age
    if running:
        age.decision = KEEP_RUNNING
    elif age.age_hours >= retention_hours:
        age.decision = REMOVE
    return age


def _assess_job(name: str, path: Path, retention_hours: float, now: float,
                stale_hours: float) -> JobAge:
    age = JobAge(name, path, JOB, KEEP_FRESH)
    try:
        age.retention_hours = _job_retention(path, retention_hours)
    except InputError as exc:
        age.decision, age.error = KEEP_ERROR, str(exc)
        return age

    if _is_running(path, now, stale_hours):
        age.decision = KEEP_RUNNING
        return age

    finished = _finish_time(path, now)
    newest, age.size_bytes, walk_error = _tree_stats(path)
    if finished is not None:
        age.age_hours, age.age_source = (now - finished) / 3600, "finished"
    elif walk_error:
        # Part of the tree is unreadable, so a recent file may hide there.
        age.decision, age.error = KEEP_ERROR, f"{walk_error}; cannot tell its last activity, so it is kept"
        return age
    else:
        age.age_hours, age.age_source = (now - newest) / 3600, "last activity"

    if age.age_hours >= age.retention_hours:
        age.decision = REMOVE
    return age


def scan(results_dir: str | os.PathLike, retention_hours: float, now: float,
         stale_hours: float) -> list[JobAge]:
    """Return one JobAge for each entry directly under ``results_dir``, deleting nothing.

    A job expires when its age in hours is at least its window, so a window of 0
    expires every job that is not running. Dot-named scratch entries other than
    ``.removing-*`` leftovers are not listed.
    """
    root = Path(os.path.realpath(results_dir))
    entries = []
    for name in sorted(os.listdir(root)):
        path = root / name
        if name.startswith(REMOVING_PREFIX):
            entries.append(JobAge(name, path, LEFTOVER, REMOVE))
            continue
        if name.startswith("."):
            continue

        try:
            info = os.lstat(path)
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(info.st_mode):
            entries.append(_assess_link(name, path, info, retention_hours, now, stale_hours))
            continue

        try:
            is_job = stat.S_ISDIR(info.st_mode) and _looks_like_job(path)
        except OSError as exc:
            entries.append(JobAge(name, path, JOB, KEEP_ERROR,
                                  error=f"cannot read job directory: {exc.strerror}"))
            continue
        if not is_job:
            entries.append(JobAge(name, path, NOT_A_JOB, LEAVE))
            continue

        try:
            entries.append(_assess_job(name, path, retention_hours, now, stale_hours))
        except FileNotFoundError:
            continue
        except OSError as exc:
            entries.append(JobAge(name, path, JOB, KEEP_ERROR,
                                  error=f"cannot read job directory: {exc.strerror}"))
    return entries


def _delete_tree(path: Path) -> str:
    """Delete a directory tree without following symlinks and return the first error, or ''.

    The deletion goes on past errors, so as much as possible is freed.
    """
    errors = []

    def record(function, failed_path, exc_info):
        errors.append(f"{exc_info[1].strerror or exc_info[1]}: {failed_path}")

    if sys.version_info >= (3, 12):
        shutil.rmtree(path, onexc=lambda function, failed, exc: record(function, failed, (None, exc)))
    else:
        shutil.rmtree(path, onerror=record)
    if not errors:
        return ""
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return errors[0] + more


class KeepJob(Exception):
    """Raised when a job that the scan found expired must be kept after all; the message is why."""


def _remove_job(entry: JobAge, root: Path, retention_hours: float, now: float,
                stale_hours: float) -> str:
    """Remove one expired job directory and return the deletion error, or '' on success.

    The job is checked again just before and after the rename, so a job that
    starts running after the scan is put back rather than deleted (KeepJob).
    """
    current = _assess_job(entry.name, entry.path, retention_hours, now, stale_hours)
    if current.decision != REMOVE:
        raise KeepJob(f"its state changed since the scan ({current.decision})")

    info = os.lstat(entry.path)
    if not stat.S_ISDIR(info.st_mode) or entry.path.parent != root:
        raise KeepJob("it is no longer a directory inside the results folder")

    trash = root / f"{REMOVING_PREFIX}{secrets.token_hex(8)}"
    os.rename(entry.path, trash)
    if _is_running(trash, max(now, time.time()), stale_hours):
        os.rename(trash, entry.path)
        raise KeepJob("it started running during the cleanup")

    # NOTE: a design run that listed this job before the rename can still start a
    # step for it, and that step finds the job folder gone. Only expired jobs are
    # exposed, and the running check above catches every step that already started.
    return _delete_tree(trash)


def _log_entry(entry: JobAge, dry_run: bool, log: logging.Logger) -> None:
    label = "job link" if entry.kind == JOB_LINK else "job"
    if dry_run:
        log.info("would remove %s '%s' (age %.1f h, size %s)", label, display_name(entry.name),
                 entry.age_hours, format_size(entry.size_bytes))
    else:
        log.info("removed %s '%s' (age %.1f h, %s freed)", label, display_name(entry.name),
                 entry.age_hours, format_size(entry.size_bytes))


def remove_expired(results_dir: str | os.PathLike, retention_hours: float, *, dry_run: bool = False,
                   now: float | None = None, stale_hours: float = 6,
                   log: logging.Logger = LOGGER) -> CleanupReport:
    """Remove every expired job under ``results_dir`` and log one line per job and a summary.

    With ``dry_run`` the same lines start with 'would remove' and nothing is
    deleted. A job that fails to delete is logged with the error and the pass
    goes on. The report's exit_status is 1 when anything failed.
    """
    now = time.time() if now is None else now
    root = Path(os.path.realpath(results_dir))
    report = CleanupReport(dry_run=dry_run)
    if not root.is_dir():
        log.info("cleanup: results folder %s does not exist yet, nothing to remove", root)
        return report

    try:
        entries = scan(root, retention_hours, now, stale_hours)
    except OSError as exc:
        log.error("cleanup: cannot list the results folder %s: %s; fix its permissions", root, exc.strerror)
        report.errors.append(str(root))
        return report

    for entry in entries:
        printable = display_name(entry.name)
        if entry.decision == LEAVE:
            log.info("not a job directory, left in place: %s", printable)
            report.left.append(entry.name)
        elif entry.decision == KEEP_ERROR:
            log.error("kept job '%s': %s", printable, entry.error)
            report.errors.append(entry.name)
            report.kept.append(entry.name)
        elif entry.decision in (KEEP_FRESH, KEEP_RUNNING):
            log.debug("kept job '%s' (%s, age %.1f h)", printable, entry.decision, entry.age_hours)
            report.kept.append(entry.name)
        elif entry.kind == LEFTOVER:
            _retry_leftover(entry, dry_run, report, log)
        elif dry_run:
            _log_entry(entry, True, log)
            report.removed.append(entry.name)
            report.bytes_freed += entry.size_bytes
        else:
            _remove_entry(entry, root, retention_hours, now, stale_hours, report, log)

    verb = "would remove" if dry_run else "removed"
    log.info("cleanup%s: %s %d jobs, %s %d bytes, kept %d jobs, %d errors, left %d other entries",
             " (dry run)" if dry_run else "", verb, len(report.removed),
             "would free" if dry_run else "freed", report.bytes_freed,
             len(report.kept), len(report.errors), len(report.left))
    return report


def _remove_entry(entry: JobAge, root: Path, retention_hours: float, now: float,
                  stale_hours: float, report: CleanupReport, log: logging.Logger) -> None:
    printable = display_name(entry.name)
    try:
        if entry.kind == JOB_LINK:
            os.unlink(entry.path)
            error = ""
        else:
            error = _remove_job(entry, root, retention_hours, now, stale_hours)
    except KeepJob as reason:
        log.info("kept job '%s': %s", printable, reason)
        report.kept.append(entry.name)
        return
    except FileNotFoundError:
        log.info("job '%s' disappeared before its removal, so another process removed it", printable)
        return
    except OSError as exc:
        error = f"{exc.strerror or exc}"

    if error:
        log.error("failed to remove job '%s' (age %.1f h): %s; fix the permissions and the next "
                  "pass retries", printable, entry.age_hours, error)
        report.errors.append(entry.name)
    else:
        _log_entry(entry, False, log)
        report.removed.append(entry.name)
        report.bytes_freed += entry.size_bytes


def _retry_leftover(entry: JobAge, dry_run: bool, report: CleanupReport,
                    log: logging.Logger) -> None:
    """Delete a ``.removing-*`` tree that an earlier pass renamed but could not delete."""
    if dry_run:
        log.info("would delete the rest of an earlier removal: %s", display_name(entry.name))
        return
    try:
        if stat.S_ISDIR(os.lstat(entry.path).st_mode):
            error = _delete_tree(entry.path)
        else:
            os.unlink(entry.path)
            error = ""
    except FileNotFoundError:
        return
    except OSError as exc:
        error = exc.strerror or str(exc)
    if error:
        log.error("failed to delete the rest of an earlier removal %s: %s", display_name(entry.name), error)
        report.errors.append(entry.name)
    else:
        log.info("deleted the rest of an earlier removal: %s", display_name(entry.name))


@contextmanager
def cleanup_lock(results_dir: str | os.PathLike) -> Iterator[bool]:
    """Take an exclusive flock on ``<results_dir>/.cleanup.lock`` and yield whether it was acquired.

    The yield is False when another process holds the lock. The kernel releases
    the lock when the process ends, even if it is killed.
    """
    path = Path(results_dir) / LOCK_FILE
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                raise
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
