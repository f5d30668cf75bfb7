"""Snakemake adapter for kaspflow.pipeline.validate_request."""

import sys
from pathlib import Path

# The kaspflow package is two folders above this script, at the repository root.
sys.path.insert(0, str(Path(snakemake.scriptdir).resolve().parents[1]))

from kaspflow.logs import rule_logging
from kaspflow.pipeline import validate_request

with rule_logging(snakemake.log[0]):
    validate_request(Path(snakemake.input.job).parent, snakemake.output[0])
