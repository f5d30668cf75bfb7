"""Snakemake adapter for kaspflow.pipeline.extract_flanks."""

import sys
from pathlib import Path

# The kaspflow package is two folders above this script, at the repository root.
sys.path.insert(0, str(Path(snakemake.scriptdir).resolve().parents[1]))

from kaspflow.logs import rule_logging
from kaspflow.pipeline import extract_flanks

with rule_logging(snakemake.log[0]):
    extract_flanks(Path(snakemake.input.job).parent, snakemake.input.variants, snakemake.output[0])
