"""Snakemake adapter for kaspflow.pipeline.write_report."""

from pathlib import Path

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
