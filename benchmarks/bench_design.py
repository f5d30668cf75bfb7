#!/usr/bin/env python3
"""Benchmark kaspflow's design speed against bare primer3-py calls on the same SNPs.

Builds a synthetic genome (default 10 Mb in 10 sequences, 45 % GC), draws SNPs at
random positions, and times in one run:

1. bare primer3-py: one design_primers call per strand per SNP, left primer
   forced to end on the SNP, product 50-120 bp, Primer3's other defaults;
2. kaspflow in-process: flank extraction with pysam, both strands, ALT primer
   checks, tailed hairpin/dimer checks and ranking, keeping 3 assays per SNP
   (specificity check off) or 10 candidates (the default, for the check);
3. kaspflow end to end: scripts/design (submit + Snakemake, all five rules,
   including the BLAST+ specificity check when blastn is installed).

Run: python3 benchmarks/bench_design.py [--snps 1000] [--genome-mb 10]
The machine is shared, so compare the ratios printed by one run rather than
absolute figures across runs.
"""

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import primer3
import pysam
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kaspflow.design import design_assays  # noqa: E402
from kaspflow.errors import SnpError  # noqa: E402
from kaspflow.extract import extract_target  # noqa: E402
from kaspflow.genome import Genome  # noqa: E402
from kaspflow.settings import design_settings  # noqa: E402
from kaspflow.variants import Variant  # noqa: E402


def write_genome(path: Path, total_bp: int, n_sequences: int, rng: random.Random) -> dict[str, str]:
    sequences = {}
    size = total_bp // n_sequences
    with open(path, "w") as handle:
        for i in range(n_sequences):
            name = f"chr{i + 1}"
            seq = "".join(rng.choices("ACGT", weights=[0.275, 0.225, 0.225, 0.275], k=size))
            sequences[name] = seq
            handle.write(f">{name}\n")
            for start in range(0, size, 80):
                handle.write(seq[start:start + 80] + "\n")
    return sequences


def write_snps(path: Path, sequences: dict[str, str], count: int, rng: random.Random) -> list[Variant]:
    variants = []
    names = list(sequences)
    with open(path, "w") as handle:
        handle.write("CHROM\tPOS\tID\tREF\tALT\n")
        for i in range(count):
            name = rng.choice(names)
            pos = rng.randint(200, len(sequences[name]) - 200)
            ref = sequences[name][pos - 1]
            alt = rng.choice([b for b in "ACGT" if b != ref])
            handle.write(f"{name}\t{pos}\tsnp{i + 1}\t{ref}\t{alt}\n")
            variants.append(Variant(line=i + 2, snp_id=f"snp{i + 1}", chrom=name, pos=pos, ref=ref, alt=alt))
    return variants


def bare_primer3(sequences: dict[str, str], variants: list[Variant]) -> tuple[float, int]:
    """Time the naive design: Primer3 with the left primer forced onto the SNP, on both strands."""
    pairs = str.maketrans("ACGT", "TGCA")
    global_args = {"PRIMER_PRODUCT_SIZE_RANGE": [[50, 120]], "PRIMER_PICK_INTERNAL_OLIGO": 0,
                   "PRIMER_NUM_RETURN": 5}
    designed = 0
    started = time.perf_counter()
    for v in variants:
        seq = sequences[v.chrom]
        start = v.pos - 1 - 120
        window = seq[start:v.pos + 120]
        found = 0
        for template in (window, window.translate(pairs)[::-1]):
            result = primer3.bindings.design_primers(
                {"SEQUENCE_TEMPLATE": template, "SEQUENCE_FORCE_LEFT_END": 120}, global_args)
            found += result["PRIMER_PAIR_NUM_RETURNED"]
        designed += found > 0
    return time.perf_counter() - started, designed


def kaspflow_in_process(fasta: Path, variants: list[Variant], design: dict) -> tuple[float, int]:
    settings = design_settings(design)
    designed = 0
    started = time.perf_counter()
    with Genome(fasta) as genome:
        for v in variants:
            try:
                design_assays(extract_target(genome, v, settings.max_product), settings,
                              keep=settings.candidates_per_snp)
                designed += 1
            except SnpError:
                pass
    return time.perf_counter() - started, designed


def kaspflow_end_to_end(work: Path, fasta: Path, snps: Path) -> tuple[float, int]:
    config = work / "bench_config.yaml"
    config.write_text(yaml.safe_dump({
        "results_dir": str(work / "results"),
        "max_snp_count": 1_000_000,
        "genomes": {"synthetic": {"fasta": str(fasta)}},
    }))
    started = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "scripts" / "design"), "--genome", "synthetic",
                    "--snps", str(snps), "--job", "bench", "--configfile", str(config),
                    "--cores", "1"], check=True, capture_output=True)
    elapsed = time.perf_counter() - started
    rows = (work / "results" / "bench" / "snps.tsv").read_text().splitlines()[1:]
    return elapsed, sum(1 for row in rows if row.split("\t")[5] == "designed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snps", type=int, default=1000, help="number of SNPs (default 1000)")
    parser.add_argument("--genome-mb", type=float, default=10, help="genome size in Mb (default 10)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        fasta = work / "synthetic.fa"
        sequences = write_genome(fasta, int(args.genome_mb * 1_000_000), 10, rng)
        variants = write_snps(work / "snps.tsv", sequences, args.snps, rng)
        pysam.faidx(str(fasta))

        bare_s, bare_n = bare_primer3(sequences, variants)
        proc_s, proc_n = kaspflow_in_process(fasta, variants, {})
        lean_s, lean_n = kaspflow_in_process(fasta, variants, {"specificity": {"check": "none"}})
        e2e_s, e2e_n = kaspflow_end_to_end(work, fasta, work / "snps.tsv")

    n = args.snps
    print(f"{n} SNPs on a {args.genome_mb:g} Mb synthetic genome, one core")
    print("| what | seconds | SNPs/s | SNPs with an assay | time vs bare primer3 |")
    print("|---|---|---|---|---|")
    for label, seconds, designed in (("bare primer3-py, both strands", bare_s, bare_n),
                                     ("kaspflow design, 3 assays per SNP, in process", lean_s, lean_n),
                                     ("kaspflow design, 10 candidates per SNP, in process", proc_s, proc_n),
                                     ("kaspflow job end to end (scripts/design)", e2e_s, e2e_n)):
        print(f"| {label} | {seconds:.1f} | {n / seconds:.1f} | {designed} | {seconds / bare_s:.2f} |")


if __name__ == "__main__":
    main()
