"""kaspflow: design KASP genotyping assays from SNP lists and an indexed reference.

The package contains all design logic so it can be imported and tested without
Snakemake; the workflow under ``workflow/`` only wires job files to it.

Coordinates: positions read from users (SNP tables, VCF) are 1-based closed;
everything that talks to pysam or slices Python strings is 0-based half-open.
Each function that takes a position states which one it expects.
"""

__version__ = "0.1.0"
