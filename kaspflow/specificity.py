"""Check with BLAST+ that an assay's primers amplify only their target.

All candidate primers of a job go to one ungapped ``blastn -task blastn-short``
run against a database of the genome, with 11-base words: a site is found when
it shares an exact run of 11 bases with the primer. Each hit is extended to the
whole primer on the genome. It counts as a binding site when the primer's
3'-terminal base matches and at most ``max_mismatches`` bases of the primer
mismatch. An off-target product is an
allele-specific primer site and a common primer site, other than the target
pair, on opposite strands of one sequence, facing each other within
``max_product`` bp: in a polyploid this is usually a homeolog.

Positions are 1-based on the plus strand, as BLAST reports them.
"""

import gzip
import logging
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .dna import reverse_complement
from .errors import InputError

log = logging.getLogger(__name__)

OUTFMT = "6 qseqid stitle sstrand qstart qend qlen send mismatch gaps"


@dataclass(frozen=True)
class Site:
    """A primer binding site: the genome position of the primer's 3' end and the strand it reads."""

    chrom: str
    strand: str
    three_prime: int


def blast_available() -> bool:
    return shutil.which("blastn") is not None and shutil.which("makeblastdb") is not None


def ensure_database(fasta: Path, index_dir: Path) -> Path:
    """Return the BLAST database of ``fasta`` in ``index_dir``, building it when missing or stale."""
    index_dir.mkdir(parents=True, exist_ok=True)
    stem = "".join(c if c.isalnum() or c in "._-" else "_" for c in str(fasta.resolve()).lstrip("/"))
    database = index_dir / f"{stem}.blastdb"
    marker = index_dir / f"{stem}.blastdb.done"
    if marker.exists() and marker.stat().st_mtime >= fasta.stat().st_mtime:
        return database

    log.info("building the BLAST database of %s in %s", fasta, index_dir)
    command = ["makeblastdb", "-dbtype", "nucl", "-in", "-", "-out", str(database),
               "-title", fasta.name]
    opener = gzip.open if fasta.suffix in {".gz", ".bgz"} else open
    with opener(fasta, "rb") as source:
        result = subprocess.run(command, stdin=source, capture_output=True)
    if result.returncode != 0:
        raise InputError(f"makeblastdb failed on {fasta}: {result.stderr.decode(errors='replace').strip()}")
    marker.touch()
    return database


def find_sites(primers: list[str], database: Path, max_mismatches: int, genome,
               threads: int = 1) -> dict[str, list[Site]]:
    """Return the binding sites of each primer sequence, from one blastn run.

    BLAST's local alignment stops short of a mismatch near the primer's 3' end,
    so each hit is extended to the whole primer on ``genome`` (a
    :class:`~kaspflow.genome.Genome`) and its mismatches are counted there.
    """
    unique = sorted(set(primers))
    if not unique:
        return {}
    query = "".join(f">p{i}\n{seq}\n" for i, seq in enumerate(unique))
    command = ["blastn", "-task", "blastn-short", "-db", str(database), "-outfmt", OUTFMT,
               "-word_size", "11", "-ungapped", "-evalue", "1000", "-max_target_seqs", "1000",
               "-max_hsps", "200", "-dust", "no", "-soft_masking", "false",
               "-num_threads", str(threads)]
    result = subprocess.run(command, input=query, capture_output=True, text=True)
    if result.returncode != 0:
        raise InputError(f"blastn failed: {result.stderr.strip()}")

    sites: dict[str, set[Site]] = {seq: set() for seq in unique}
    for line in result.stdout.splitlines():
        qid, title, sstrand, _, qend, qlen, send, _, _ = line.split("\t")
        primer = unique[int(qid[1:])]
        # The sequence title is the FASTA header; its first word is the sequence name.
        site = _whole_primer_site(genome, title.split()[0], sstrand == "plus", int(qend),
                                  int(qlen), int(send), primer, max_mismatches)
        if site is not None:
            sites[primer].add(site)
    return {seq: sorted(found, key=lambda s: (s.chrom, s.three_prime)) for seq, found in sites.items()}


def _whole_primer_site(genome, chrom: str, plus: bool, qend: int, qlen: int, send: int,
                       primer: str, max_mismatches: int) -> Site | None:
    """Return the Site of a primer whose ungapped hit is extended to its full length, or None.

    A site needs the primer's 3'-terminal base to match (a mismatch there
    stops extension, which is what allele-specific primers rely on) and at most
    ``max_mismatches`` mismatches over the whole primer.
    """
    # BLAST positions are 1-based closed; ``send`` aligns to query base ``qend``.
    three_prime = send + (qlen - qend) if plus else send - (qlen - qend)
    five_prime = three_prime - (qlen - 1) if plus else three_prime + (qlen - 1)
    start, end = min(three_prime, five_prime), max(three_prime, five_prime)
    length = genome.length(chrom)
    if start < 1 or end > length:
        return None
    bases = genome.fetch(chrom, start - 1, end).upper()
    if not plus:
        bases = reverse_complement(bases)
    if bases[-1] != primer[-1]:
        return None
    mismatches = sum(1 for p, g in zip(primer, bases) if p != g)
    if mismatches > max_mismatches:
        return None
    return Site(chrom, "+" if plus else "-", three_prime)


def target_sites(row: dict) -> tuple[Site, Site]:
    """Return the intended sites (allele-specific, common) of an assays.tsv row."""
    plus = row["strand"] == "+"
    allele_specific = Site(row["chrom"], row["strand"], int(row["as_end"] if plus else row["as_start"]))
    common = Site(row["chrom"], "-" if plus else "+",
                  int(row["common_start"] if plus else row["common_end"]))
    return allele_specific, common


def off_target_products(as_sites: list[Site], common_sites: list[Site], target: tuple[Site, Site],
                        max_product: int) -> int:
    """Count the pairs of sites, other than the target pair, that face each other within max_product."""
    count = 0
    for a in as_sites:
        for c in common_sites:
            if (a, c) == target or a.chrom != c.chrom or a.strand == c.strand:
                continue
            forward, reverse = (a, c) if a.strand == "+" else (c, a)
            if 0 < reverse.three_prime - forward.three_prime <= max_product:
                count += 1
    return count
