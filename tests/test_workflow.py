"""Run the whole workflow on the bundled demo and check every reported primer.

The checks re-derive each primer's binding site, strand, 3' allele and product
size from the FASTA with a plain string search, using none of the design code.
"""

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "resources" / "demo"
FAM_TAIL = "GAAGGTGACCAAGTTCATGCT"
HEX_TAIL = "GAAGGTCGGAGTCAACGGATT"
PAIRS = str.maketrans("ACGTacgt", "TGCAtgca")


def revcomp(seq: str) -> str:
    return seq.translate(PAIRS)[::-1]


def read_fasta(path: Path) -> dict[str, str]:
    sequences, name = {}, None
    for line in path.read_text().splitlines():
        if line.startswith(">"):
            name = line[1:].split()[0]
            sequences[name] = ""
        elif name is not None:
            sequences[name] += line.strip().upper()
    return sequences


def read_tsv(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def binding_sites(genome: dict[str, str], primer: str) -> list[tuple[str, str, int, int]]:
    """Return (sequence, strand, start, end) of every exact site, 1-based closed on the plus strand."""
    sites = []
    for name, seq in genome.items():
        for strand, probe in (("+", primer), ("-", revcomp(primer))):
            start = seq.find(probe)
            while start != -1:
                sites.append((name, strand, start + 1, start + len(probe)))
                start = seq.find(probe, start + 1)
    return sites


def first_difference(ref: str, alt: str, strand: str) -> int:
    """Offset from POS of the base where the allele-specific primers' 3' ends sit."""
    ref, alt = ref.strip("-"), alt.strip("-")
    if strand == "+":
        offset = 0
        while offset < min(len(ref), len(alt)) and ref[offset] == alt[offset]:
            offset += 1
        return offset
    offset = len(ref) - 1
    while offset >= 0 and len(alt) - len(ref) + offset >= 0 and ref[offset] == alt[len(alt) - len(ref) + offset]:
        offset -= 1
    return offset


def run_design(tmp_path: Path, genome: str, snps: Path, job: str) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"results_dir": str(tmp_path / "results")}))
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "design"), "--genome", genome, "--snps", str(snps),
         "--job", job, "--configfile", str(config), "--cores", "2"],
        capture_output=True, text=True, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return tmp_path / "results" / job


@pytest.fixture(scope="module")
def demo_job(tmp_path_factory) -> Path:
    tmp_path = tmp_path_factory.mktemp("demo")
    return run_design(tmp_path, "wheat_S58861868", DEMO / "S58861868_snps.tsv", "demo")


def test_demo_job_reports_every_snp(demo_job):
    snps = read_tsv(demo_job / "snps.tsv")
    submitted = [line for line in (DEMO / "S58861868_snps.tsv").read_text().splitlines()
                 if line and not line.startswith("#")]
    assert len(snps) >= len(submitted)
    assert all(row["status"] in {"designed", "failed", "skipped"} for row in snps)
    assert all(row["reason"] for row in snps if row["status"] != "designed")


def test_demo_job_designs_most_snps(demo_job):
    snps = read_tsv(demo_job / "snps.tsv")
    designed = [row for row in snps if row["status"] == "designed"]
    assert len(designed) >= 12


def test_demo_job_finished_markers(demo_job):
    assert (demo_job / ".finished").exists()
    assert not (demo_job / ".running").exists()
    log = (demo_job / "job.log").read_text()
    assert "started: genome wheat_S58861868" in log
    assert "designed" in log


def test_demo_primers_rederived_from_genome(demo_job):
    genome = read_fasta(DEMO / "S58861868.fa")
    assays = read_tsv(demo_job / "assays.tsv")
    assert assays
    disagreements = []
    for row in assays:
        disagreements += check_assay(genome, row)
    assert disagreements == []


def check_assay(genome: dict[str, str], row: dict) -> list[str]:
    """Return every way the reported assay disagrees with the genome."""
    problems = []
    label = f"{row['snp_id']} rank {row['rank']}"
    if not row["primer_fam"].startswith(FAM_TAIL) or not row["primer_hex"].startswith(HEX_TAIL):
        return [f"{label}: tails missing"]
    fam = row["primer_fam"][len(FAM_TAIL):]
    hex_ = row["primer_hex"][len(HEX_TAIL):]
    if fam[:-1] != hex_[:-1]:
        problems.append(f"{label}: allele-specific primers differ before the 3' base")

    # The REF primer binds the genome exactly; the ALT primer mismatches only at its 3' end.
    # Homeologs may carry the same site; the check is on the reported sequence.
    ref_primer = fam if row["allele_fam"] == row["ref"] else hex_
    sites = [s for s in binding_sites(genome, ref_primer) if s[0] == row["chrom"]]
    if len(sites) != 1:
        return problems + [f"{label}: REF allele-specific primer has {len(sites)} exact sites"]
    chrom, strand, start, end = sites[0]
    three_prime = end if strand == "+" else start
    expected = int(row["pos"]) + first_difference(row["ref"], row["alt"], strand)
    if strand != row["strand"]:
        problems.append(f"{label}: binds strand {strand}, reported {row['strand']}")
    if three_prime != expected:
        problems.append(f"{label}: 3' end at {three_prime}, first differing base at {expected}")

    for allele_column, primer in (("allele_fam", fam), ("allele_hex", hex_)):
        allele = row[allele_column].strip("-")
        offset = first_difference(row["ref"], row["alt"], strand)
        if row[allele_column] == row["alt"]:
            offset += 0 if strand == "+" else len(row["alt"].strip("-")) - len(row["ref"].strip("-"))
        base = allele[offset] if 0 <= offset < len(allele) else None
        if base is None:
            continue
        wanted = base if strand == "+" else revcomp(base)
        if primer[-1] != wanted:
            problems.append(f"{label}: {allele_column} primer ends in {primer[-1]}, allele base {wanted}")

    common_sites = [s for s in binding_sites(genome, row["primer_common"]) if s[0] == row["chrom"]]
    if len(common_sites) != 1:
        return problems + [f"{label}: common primer has {len(common_sites)} exact sites"]
    c_chrom, c_strand, c_start, c_end = common_sites[0]
    if c_strand == strand:
        problems.append(f"{label}: common primer not on the opposite strand of {c_chrom}")
    product = (c_end - start + 1) if strand == "+" else (end - c_start + 1)
    if product != int(row["product_size"]):
        problems.append(f"{label}: product {product} bp, reported {row['product_size']}")
    return problems


def test_order_lists_rank_one_oligos(demo_job):
    assays = [row for row in read_tsv(demo_job / "assays.tsv") if row["rank"] == "1"]
    with open(demo_job / "order.csv", newline="") as handle:
        order = list(csv.DictReader(handle))
    assert len(order) == 3 * len(assays)
    names = {row["name"] for row in order}
    for assay in assays:
        assert f"{assay['snp_id']}_FAM" in names


def test_second_run_keeps_finished_job(demo_job, tmp_path):
    before = (demo_job / "assays.tsv").stat().st_mtime_ns
    # Setting a job's own retention must not make the workflow redesign it.
    with open(demo_job / "job.yaml", "a") as handle:
        handle.write("retention_hours: 720\n")
    config = demo_job.parent.parent / "config.yaml"
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "workflow" / "Snakefile"),
         "--directory", str(ROOT), "--profile", str(ROOT / "profiles" / "default"),
         "--configfile", str(ROOT / "config" / "config.yaml"), str(config), "--cores", "1"],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (demo_job / "assays.tsv").stat().st_mtime_ns == before


def test_homeolog_demo_job(tmp_path):
    job = run_design(tmp_path, "wheat_7abd", DEMO / "wheat_7abd_snps.tsv", "homeologs")
    snps = read_tsv(job / "snps.tsv")
    assert snps[0]["chrom"] == "chr7B"
    assert snps[0]["status"] == "designed"
    if shutil.which("blastn"):
        assert {row["specificity"] for row in read_tsv(job / "assays.tsv")} <= {"specific", "off_target"}
    genome = read_fasta(DEMO / "7B_amplicon_test_reference.fa")
    problems = []
    for row in read_tsv(job / "assays.tsv"):
        problems += check_assay(genome, row)
    assert problems == []
