"""Snakemake adapter for kaspflow.pipeline.design_job."""

from pathlib import Path

from kaspflow.logs import rule_logging
from kaspflow.pipeline import design_job

with rule_logging(snakemake.log[0]):
    design_job(Path(snakemake.input.job).parent, snakemake.input.targets, snakemake.output[0])
