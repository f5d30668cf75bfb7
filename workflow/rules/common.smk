# Configuration, job discovery and helpers shared by every rule file.

import os
import sys
from pathlib import Path

from snakemake.utils import validate

validate(config, schema="../schemas/config.schema.yaml")

# Rule scripts import the kaspflow package from the repository root.
REPO_ROOT = str(Path(workflow.basedir).parent)
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (REPO_ROOT, os.environ.get("PYTHONPATH")) if p
)

from kaspflow.jobs import list_jobs  # noqa: E402

RESULTS = config["results_dir"].rstrip("/")


wildcard_constraints:
    # Same rule as kaspflow.jobs.validate_job_name: no path separator, no leading dot.
    job=r"[A-Za-z0-9_-][A-Za-z0-9._-]*",


def all_job_reports(wildcards):
    """The report of every submitted job; Snakemake skips those already done."""
    return [f"{RESULTS}/{job}/assays.tsv" for job in list_jobs(RESULTS)]
