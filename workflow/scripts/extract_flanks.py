"""Snakemake adapter for kaspflow.pipeline.extract_flanks."""

from pathlib import Path

from kaspflow.logs import rule_logging
from kaspflow.pipeline import extract_flanks

with rule_logging(snakemake.log[0]):
    extract_flanks(Path(snakemake.input.job).parent, snakemake.input.variants, snakemake.output[0])
