"""Logging set-up for workflow steps and command-line wrappers."""

import contextlib
import logging
import sys

from .errors import KaspflowError

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@contextlib.contextmanager
def rule_logging(log_path: str):
    """Send kaspflow's log to ``log_path`` and stderr while a workflow step runs.

    A KaspflowError ends the step with its message in the log and exit status 1
    instead of a traceback.
    """
    logger = logging.getLogger("kaspflow")
    logger.setLevel(logging.INFO)
    handlers = [logging.FileHandler(log_path, mode="a"), logging.StreamHandler(sys.stderr)]
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
        logger.addHandler(handler)
    try:
        yield logger
    except KaspflowError as exc:
        logger.error("%s", exc)
        raise SystemExit(1) from None
    finally:
        for handler in handlers:
            logger.removeHandler(handler)
            handler.close()
