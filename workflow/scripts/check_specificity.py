"""Snakemake adapter for kaspflow.pipeline.check_job_specificity."""

import sys
from pathlib import Path

# The kaspflow package is two folders above this script, at the repository root.
sys.path.insert(0, str(Path(snakemake.scriptdir).resolve().parents[1]))

from kaspflow.logs import rule_logging
from kaspflow.pipeline import check_job_specificity

with rule_logging(snakemake.log[0]):
    check_job_specificity(Path(snakemake.input.job).parent, snakemake.input.designs, snakemake.output[0])
