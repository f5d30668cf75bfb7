"""Snakemake adapter for kaspflow.pipeline.design_job."""

import sys
from pathlib import Path

# The kaspflow package is two folders above this script, at the repository root.
sys.path.insert(0, str(Path(snakemake.scriptdir).resolve().parents[1]))

from kaspflow.logs import rule_logging
from kaspflow.pipeline import design_job

with rule_logging(snakemake.log[0]):
    design_job(Path(snakemake.input.job).parent, snakemake.input.targets, snakemake.output[0])
