"""Snakemake adapter for kaspflow.pipeline.write_report."""

import sys
from pathlib import Path

# The kaspflow package is two folders above this script, at the repository root.
sys.path.insert(0, str(Path(snakemake.scriptdir).resolve().parents[1]))

from kaspflow.logs import rule_logging
from kaspflow.pipeline import write_report

with rule_logging(snakemake.log[0]):
    write_report(
        Path(snakemake.input.job).parent,
        snakemake.input.designs,
        snakemake.output.assays,
        snakemake.output.snps,
        snakemake.output.order,
    )
