"""Snakemake adapter for kaspflow.pipeline.validate_request."""

from pathlib import Path

from kaspflow.logs import rule_logging
from kaspflow.pipeline import validate_request

with rule_logging(snakemake.log[0]):
    validate_request(Path(snakemake.input.job).parent, snakemake.output[0])
