"""Job directories: creation on submit, and the markers that record a job's progress.

A job is a directory ``<results_dir>/<job>/`` holding:

* ``job.yaml`` - the request: job name, genome, input format, SNP file name,
  submission time (ISO 8601, UTC), design options, optional ``retention_hours``;
* ``request/<file>`` - the SNP file exactly as submitted;
* ``.running`` - present while a workflow step of the job is running; its
  mtime is refreshed at the start of each step and during long steps;
* ``.finished`` - written by the last step; its content is the finish time
  (ISO 8601, UTC) and its mtime is the same moment;
* ``work/``, ``logs/`` and the reports ``assays.tsv``, ``snps.tsv``, ``order.csv``.

Directories whose name starts with '.' under the results directory are
kaspflow's own scratch space (submissions being written), never jobs.
"""

import datetime as dt
import os
import re
import secrets
import shutil
import socket
import tempfile
from pathlib import Path

import yaml

from .errors import InputError

JOB_FILE = "job.yaml"
REQUEST_DIR = "request"
RUNNING_MARKER = ".running"
FINISHED_MARKER = ".finished"

_JOB_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def validate_job_name(name: str) -> str:
    """Return ``name`` if it is a safe job name, else raise InputError."""
    if not _JOB_NAME.fullmatch(name) or name in {".", ".."} or name.startswith(".") or ".." in name:
        raise InputError(
            f"invalid job name '{name}'; use 1-100 letters, digits, '.', '_' or '-', "
            "not starting with '.' and without '..'"
        )
    return name


def new_job_name() -> str:
    """Return a fresh job name: UTC time to the second plus 6 random hex digits."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{secrets.token_hex(3)}"


def create_job(results_dir: str | os.PathLike, snp_file: str | os.PathLike, request: dict,
               job_name: str | None = None) -> Path:
    """Create a job directory holding a copy of ``snp_file`` and ``job.yaml``; return its path.

    The directory is written under a temporary name and renamed into place, so a
    job is either complete or absent. An existing job is never overwritten.
    """
    results = Path(results_dir)
    results.mkdir(parents=True, exist_ok=True)
    snp_file = Path(snp_file)
    if job_name is not None:
        validate_job_name(job_name)
        if (results / job_name).exists() or (results / job_name).is_symlink():
            raise InputError(f"job '{job_name}' already exists in {results}; choose another --job name")

    staging = Path(tempfile.mkdtemp(prefix=".submit-", dir=results))
    # mkdtemp creates mode 0700; a job should follow the umask like any folder.
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)
    try:
        (staging / REQUEST_DIR).mkdir()
        shutil.copyfile(snp_file, staging / REQUEST_DIR / snp_file.name)
        for attempt in range(20):
            name = job_name or new_job_name()
            record = dict(request, job=name, snp_file=snp_file.name, submitted=utc_now())
            (staging / JOB_FILE).write_text(yaml.safe_dump(record, sort_keys=False))
            try:
                # rename() of a directory fails when the target is a non-empty directory or a file.
                if (results / name).exists() or (results / name).is_symlink():
                    raise FileExistsError(name)
                os.rename(staging, results / name)
                return results / name
            except (FileExistsError, OSError):
                if job_name is not None:
                    raise InputError(
                        f"job '{job_name}' already exists in {results}; choose another --job name"
                    ) from None
        raise InputError(f"could not find a free job name in {results}")
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def read_job(job_dir: str | os.PathLike) -> dict:
    """Return the parsed ``job.yaml`` of a job, raising InputError when it is missing or broken."""
    path = Path(job_dir) / JOB_FILE
    try:
        record = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise InputError(f"{path} not found; submit the job with scripts/submit") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(record, dict) or "genome" not in record or "snp_file" not in record:
        raise InputError(f"{path} lacks 'genome' or 'snp_file'; submit the job again")
    return record


def mark_running(job_dir: str | os.PathLike, step: str) -> None:
    """Create or refresh the job's ``.running`` marker (a heartbeat)."""
    marker = Path(job_dir) / RUNNING_MARKER
    marker.write_text(f"{socket.gethostname()} {os.getpid()} {step} {utc_now()}\n")


def mark_finished(job_dir: str | os.PathLike) -> None:
    """Write ``.finished`` with the finish time and remove ``.running``."""
    job_dir = Path(job_dir)
    (job_dir / FINISHED_MARKER).write_text(utc_now() + "\n")
    (job_dir / RUNNING_MARKER).unlink(missing_ok=True)


def list_jobs(results_dir: str | os.PathLike) -> list[str]:
    """Return the names of the job directories under ``results_dir`` (those with a job.yaml)."""
    results = Path(results_dir)
    if not results.is_dir():
        return []
    return sorted(
        entry.name for entry in results.iterdir()
        if not entry.name.startswith(".") and not entry.is_symlink()
        and (entry / JOB_FILE).is_file()
    )
