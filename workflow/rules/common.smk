# Configuration, job discovery and helpers shared by every rule file.

import sys
from pathlib import Path

from snakemake.utils import validate

validate(config, schema="../schemas/config.schema.yaml")

# The kaspflow package sits at the repository root, one folder above the workflow.
REPO_ROOT = str(Path(workflow.basedir).parent)
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from kaspflow.jobs import list_jobs  # noqa: E402

RESULTS = config["results_dir"].rstrip("/")


def all_job_reports(wildcards):
    """The report of every submitted job; Snakemake skips those already done."""
    return [f"{RESULTS}/{job}/assays.tsv" for job in list_jobs(RESULTS)]
