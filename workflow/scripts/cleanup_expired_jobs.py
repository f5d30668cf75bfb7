"""Rule script of cleanup_expired_jobs: one retention pass over results_dir.

The exit status is 0 when every expired job was removed (or another pass held
the lock). It is 1 when a removal failed, a job could not be read, or
cleanup_dry_run is not true or false.
"""

import logging
import sys
from pathlib import Path

# The kaspflow package is two folders above this script, at the repository root.
sys.path.insert(0, str(Path(snakemake.scriptdir).resolve().parents[1]))

from kaspflow import retention
from kaspflow.config import resolve_path
from kaspflow.errors import ConfigError


def parse_flag(value) -> bool:
    """Return a --config flag as a bool, raising ConfigError on text that is not yes or no."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "yes", "1"}:
        return True
    if text in {"false", "no", "0", ""}:
        return False
    raise ConfigError(f"invalid cleanup_dry_run={value!r}; set it to true or false")


def setup_logging(log_path: str) -> logging.Logger:
    """Send the kaspflow.retention log to stderr and append it to the rule's log file."""
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S%z")
    logger = logging.getLogger("kaspflow.retention")
    logger.setLevel(logging.INFO)
    for handler in (logging.StreamHandler(sys.stderr), logging.FileHandler(log_path, mode="a")):
        handler.setFormatter(formatter)
        logger.addHandler(handler)
    return logger


def main(params, log_path: str) -> int:
    log = setup_logging(log_path)
    results = resolve_path(params.results_dir)
    try:
        dry_run = parse_flag(params.dry_run)
    except ConfigError as exc:
        log.error("%s", exc)
        return 1

    if not results.is_dir():
        log.info("cleanup: results folder %s does not exist yet, nothing to remove", results)
        return 0

    with retention.cleanup_lock(results) as acquired:
        if not acquired:
            log.info("another cleanup is running (lock %s held), skipping this pass",
                     results / retention.LOCK_FILE)
            return 0
        report = retention.remove_expired(
            results, float(params.retention_hours), dry_run=dry_run,
            stale_hours=float(params.running_stale_hours), log=log,
        )
    return report.exit_status


if __name__ == "__main__":
    sys.exit(main(snakemake.params, snakemake.log[0]))  # noqa: F821 - set by Snakemake
