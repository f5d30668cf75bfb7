"""Write a job's reports: assays.tsv, snps.tsv and order.csv.

Positions in every report are 1-based closed on the reference plus strand.
"""

import csv
import re
from pathlib import Path

ASSAY_COLUMNS = [
    "snp_id", "chrom", "pos", "ref", "alt", "rank", "strand",
    "allele_fam", "allele_hex", "primer_fam", "primer_hex", "primer_common",
    "tm_fam", "tm_hex", "tm_common", "product_size", "penalty", "flags",
    "product_size_alt", "as_start", "as_end", "common_start", "common_end", "genome_checked",
    "specificity", "off_target_products", "as_sites", "common_sites", "other_sites",
]

SNP_COLUMNS = [
    "snp_id", "chrom", "pos", "ref", "alt", "status", "reason", "n_assays",
    "line", "input_id", "input_chrom", "note", "genome_checked",
]

ORDER_COLUMNS = ["name", "sequence"]


def allele_text(allele: str) -> str:
    """Return an allele for a report: '-' for the empty side of an indel."""
    return allele or "-"


def write_tsv(path: str | Path, columns: list[str], rows: list[dict]) -> None:
    """Write ``rows`` as a tab-separated table with a header line."""
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, delimiter="\t",
                                lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: "" if row.get(key) is None else row.get(key) for key in columns})


def oligo_name(snp_id: str) -> str:
    """Return ``snp_id`` with every character other than letters, digits, '.', '_', '-' as '_'.

    Synthesis order forms reject names with characters such as '|' or '#'.
    """
    return re.sub(r"[^A-Za-z0-9._-]", "_", snp_id)


def order_rows(assays: list[dict]) -> list[dict]:
    """Return one oligo per row for the rank-1 assays, named SNP_FAM, SNP_HEX and SNP_COM."""
    rows = []
    for assay in assays:
        if int(assay["rank"]) != 1:
            continue
        name = oligo_name(assay["snp_id"])
        rows.append({"name": f"{name}_FAM", "sequence": assay["primer_fam"]})
        rows.append({"name": f"{name}_HEX", "sequence": assay["primer_hex"]})
        rows.append({"name": f"{name}_COM", "sequence": assay["primer_common"]})
    return rows


def write_order(path: str | Path, assays: list[dict]) -> None:
    """Write order.csv, the comma-separated oligo list vendors take for synthesis."""
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=ORDER_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(order_rows(assays))
