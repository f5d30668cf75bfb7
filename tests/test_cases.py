"""Inputs that users of KASP design tools have reported problems with, run as whole jobs.

Each job is submitted through the real submit code and then run through the four
workflow steps in-process (the Snakemake wiring itself is covered by
test_workflow.py).
"""

import argparse
import csv
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import random_dna, write_fasta
from kaspflow.cli import submit
from kaspflow.errors import InputError
from kaspflow.pipeline import (check_job_specificity, design_job, extract_flanks,
                               validate_request, write_report)

CASES = Path(__file__).parent / "data" / "cases"
DEMO = Path(__file__).parent.parent / "resources" / "demo"


def read_tsv(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def run_job(tmp_path: Path, snps: Path, fasta: Path | None = None, design: dict | None = None,
            fmt: str = "auto", **options) -> tuple[dict, list[dict]]:
    """Submit and design a job; return ({snp_id: snps.tsv row}, assays.tsv rows)."""
    config = {"results_dir": str(tmp_path / "results"), "index_dir": str(tmp_path / "index")}
    if design:
        config["design"] = design
    tmp_path.mkdir(parents=True, exist_ok=True)
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(config))
    args = argparse.Namespace(
        genome=None, fasta=str(fasta) if fasta else None, no_genome=fasta is None,
        snps=str(snps), job="case", format=fmt, configfile=[str(config_file)],
        samples=options.get("samples"), region=options.get("region"),
        include_filtered=options.get("include_filtered", False),
    )
    job = submit(args)
    work = job / "work"
    work.mkdir()
    validate_request(job, work / "variants.jsonl")
    extract_flanks(job, work / "variants.jsonl", work / "targets.jsonl")
    design_job(job, work / "targets.jsonl", work / "designs.jsonl")
    check_job_specificity(job, work / "designs.jsonl", work / "checked.jsonl")
    write_report(job, work / "checked.jsonl", job / "assays.tsv", job / "snps.tsv", job / "order.csv")
    snps_rows = read_tsv(job / "snps.tsv")
    return {row["snp_id"]: row for row in snps_rows}, read_tsv(job / "assays.tsv")


def case_genome(tmp_path: Path, case: str) -> Path:
    # Copied so that the index is built for a private file, as a user's would be.
    target = tmp_path / "genome.fa"
    shutil.copyfile(CASES / case / "genome.fa", target)
    return target


def test_indels_in_polymarker_format(tmp_path):
    snps, assays = run_job(tmp_path, CASES / "indel_polymarker" / "markers.csv",
                           case_genome(tmp_path, "indel_polymarker"))
    assert set(snps) == {"del_G", "ins_A", "del_GC"}
    for snp_id, row in snps.items():
        assert row["status"] in {"designed", "failed"}
        assert row["status"] == "designed" or row["reason"]
    ins = [a for a in assays if a["snp_id"] == "ins_A"]
    assert ins
    assert all(int(a["product_size_alt"]) == int(a["product_size"]) + 1 for a in ins)


def test_primer3_override_changes_design(tmp_path):
    # An AT-rich sequence: the default 57-65 °C window fits nothing, 48-56 °C does.
    seq = random_dna(400, seed=8, gc=0.3)
    fasta = write_fasta(tmp_path / "atrich.fa", {"atrich": seq})
    snp_file = tmp_path / "snps.tsv"
    snp_file.write_text(f"atrich\t200\tsnp1\t{seq[199]}\t{'G' if seq[199] != 'G' else 'A'}\n")
    override = yaml.safe_load((CASES / "primer3_settings_take_effect" / "config_override.yaml").read_text())

    default_snps, _ = run_job(tmp_path / "default", snp_file, fasta)
    tuned_snps, tuned_assays = run_job(tmp_path / "tuned", snp_file, fasta, design=override["design"])

    assert default_snps["snp1"]["status"] == "failed"
    assert tuned_snps["snp1"]["status"] == "designed"
    for assay in tuned_assays:
        for column in ("tm_fam", "tm_hex", "tm_common"):
            assert 48 <= float(assay[column]) <= 56


def test_homopolymer_genome_fails_with_reason(tmp_path):
    override = yaml.safe_load((CASES / "primer3_settings_take_effect" / "config_override.yaml").read_text())
    snps, _ = run_job(tmp_path, CASES / "primer3_settings_take_effect" / "snps.tsv",
                      case_genome(tmp_path, "primer3_settings_take_effect"), design=override["design"])
    assert snps["snp1"]["status"] == "failed"
    assert "low-complexity run (100 % A)" in snps["snp1"]["reason"]


def test_chromosome_aliases_resolved(tmp_path):
    snps, _ = run_job(tmp_path, CASES / "chromosome_aliases" / "snps.tsv",
                      case_genome(tmp_path, "chromosome_aliases"))
    for snp_id in ("chr7B_700", "7B_900", "Chr7B_1300"):
        assert snps[snp_id]["chrom"] == "chr7B"
    assert "read as 'chr7B'" in snps["7B_900"]["note"]
    assert "read as" not in snps["chr7B_700"]["note"]


def test_unknown_sequence_named(tmp_path):
    snps, _ = run_job(tmp_path, CASES / "unknown_sequence" / "snps.tsv",
                      case_genome(tmp_path, "unknown_sequence"))
    assert snps["ok"]["status"] == "designed"
    assert snps["missing"]["status"] == "failed"
    assert "'chr5A' is not in the genome" in snps["missing"]["reason"]
    assert "contig1" in snps["missing"]["reason"]


def test_iupac_codes_in_flank(tmp_path):
    snps, assays = run_job(tmp_path, CASES / "iupac_in_flank" / "markers.csv",
                           case_genome(tmp_path, "iupac_in_flank"))
    assert snps["iupac1"]["status"] == "designed"
    # The flank's R sits where the genome has C: the primers read it as V (A, C or G).
    assert "the marker has R at contig1:246 where the genome has C; primers read it as V" in \
        snps["iupac1"]["note"]
    marker = (CASES / "iupac_in_flank" / "markers.csv").read_text().split(",")[2]
    left, right = marker.split("[")[0], marker.split("]")[1].strip()
    # The R sits 15 bases before the SNP and the Y 20 bases after it.
    r_pos = int(snps["iupac1"]["pos"]) - (len(left) - left.index("R"))
    y_pos = int(snps["iupac1"]["pos"]) + 1 + right.index("Y")
    assert assays
    for assay in assays:
        plus = assay["strand"] == "+"
        spans = {
            "allele-specific": (int(assay["as_start"]), int(assay["as_end"]),
                                int(assay["as_end"]) if plus else int(assay["as_start"])),
            "common": (int(assay["common_start"]), int(assay["common_end"]),
                       int(assay["common_start"]) if plus else int(assay["common_end"])),
        }
        for start, end, three_prime in spans.values():
            for code_pos in (r_pos, y_pos):
                if start <= code_pos <= end:
                    assert abs(three_prime - code_pos) >= 8
                    assert "degenerate_base" in assay["flags"]


def test_polymarker_without_chromosome_located(tmp_path):
    snps, _ = run_job(tmp_path, CASES / "polymarker_without_chromosome" / "markers.csv",
                      case_genome(tmp_path, "polymarker_without_chromosome"))
    assert snps["nochrom"]["status"] == "designed"
    assert snps["nochrom"]["chrom"] == "contig1"
    assert snps["nochrom"]["genome_checked"] == "yes"


def test_polymarker_without_genome(tmp_path):
    snps, assays = run_job(tmp_path, CASES / "polymarker_without_chromosome" / "markers.csv")
    assert snps["nochrom"]["status"] == "designed"
    assert snps["nochrom"]["genome_checked"] == "no"
    assert "not checked against a genome" in snps["nochrom"]["note"]
    assert all(a["genome_checked"] == "no" for a in assays)


def test_allele_case_and_iupac_allele(tmp_path):
    snps, _ = run_job(tmp_path, CASES / "allele_case_and_codes" / "markers.csv",
                      case_genome(tmp_path, "allele_case_and_codes"))
    assert snps["lower"]["status"] == "designed"
    assert snps["iupac_allele"]["status"] == "failed"
    assert "not a pair of alleles" in snps["iupac_allele"]["reason"]
    others = [row for snp_id, row in snps.items() if snp_id not in {"lower", "iupac_allele"}]
    assert all(row["status"] == "designed" for row in others)


def test_one_bad_ref_among_many(tmp_path):
    snps, _ = run_job(tmp_path, CASES / "one_bad_ref_among_many" / "snps.tsv",
                      case_genome(tmp_path, "one_bad_ref_among_many"))
    assert len(snps) == 93
    assert snps["m050"]["status"] == "failed"
    assert "REF mismatch" in snps["m050"]["reason"]
    assert snps["m050"]["line"] == "51"
    failed_others = [s for s, row in snps.items() if row["status"] == "failed" and s != "m050"]
    assert all("REF mismatch" not in snps[s]["reason"] for s in failed_others)
    assert sum(row["status"] == "designed" for row in snps.values()) >= 80


def test_near_sequence_ends(tmp_path):
    snps, _ = run_job(tmp_path, CASES / "near_sequence_ends" / "snps.tsv",
                      case_genome(tmp_path, "near_sequence_ends"))
    assert snps["middle"]["status"] == "designed"
    assert "9 bases before the variant and 833 after" in snps["start10"]["reason"]
    assert "at least 17 bases on one side" in snps["start10"]["reason"]
    assert "837 bases before the variant and 5 after" in snps["end5"]["reason"]


def test_real_vcf_mixed_records(tmp_path):
    snps, assays = run_job(tmp_path, DEMO / "S58861868.vcf", DEMO / "S58861868.fa")
    assert len(snps) == 17
    assert all(row["chrom"] == "gnl|UG|Ta#S58861868" for row in snps.values())
    assert all(row["status"] == "designed" or row["reason"] for row in snps.values())
    mnp = [row for row in snps.values() if row["pos"] == "796"]
    assert mnp[0]["status"] == "designed"
    assert "multi-base substitution" in mnp[0]["note"]
    multi = [row for row in snps.values() if row["pos"] == "331"]
    assert len(multi) == 2


def test_vcf_parent_selection_skips(tmp_path):
    snps, _ = run_job(tmp_path, DEMO / "S58861868.vcf", DEMO / "S58861868.fa",
                      samples="AVS,Yr15")
    assert all(row["status"] == "skipped" for row in snps.values())
    assert "Yr15 is heterozygous" in snps["gnl|UG|Ta#S58861868_214_A_G"]["reason"]


def test_star_deletions_and_dot_ids(tmp_path):
    snps, _ = run_job(tmp_path, CASES / "deletion_star_notation" / "snps.tsv",
                      case_genome(tmp_path, "deletion_star_notation"))
    assert set(snps) == {"contig1_500_TGG_-", "contig1_600_-_GCTGC", "contig1_650_A_G"}
    assert all(row["status"] == "designed" or row["reason"] for row in snps.values())


def test_soft_masked_ref_mismatch(tmp_path):
    snps, assays = run_job(tmp_path, CASES / "soft_masked_ref_mismatch" / "PST130_7067.csv",
                           CASES / "soft_masked_ref_mismatch" / "PST130_7067.fa")
    row = snps["PST130_7067_3334_T_G"]
    assert row["status"] == "failed"
    assert "gives 'T' but the genome has 'a'" in row["reason"]
    assert assays == []


def test_no_genome_needs_markers(tmp_path):
    with pytest.raises(InputError, match="needs a genome"):
        run_job(tmp_path, CASES / "unknown_sequence" / "snps.tsv")


def test_neighbouring_input_variants_flagged(tmp_path):
    snps, assays = run_job(tmp_path, DEMO / "S58861868_snps.tsv", DEMO / "S58861868.fa")
    by_snp = {a["snp_id"]: a for a in assays if a["rank"] == "1"}
    # SNP 330 sits right before 331, so a primer ending on 331 covers it at its 3' end.
    assert "input_variant_3prime" in by_snp["S58861868_331_alt1"]["flags"]
    # The two ALTs of 331 are one site: neither counts as the other's neighbour.
    assert "input_variant" not in by_snp["S58861868_641"]["flags"]


def test_neighbouring_input_variants_masked(tmp_path):
    snps, assays = run_job(tmp_path, DEMO / "S58861868_snps.tsv", DEMO / "S58861868.fa",
                           design={"input_variants": "mask"})
    assert assays
    assert not any("input_variant" in a["flags"] for a in assays)
    positions = {int(row["pos"]) for row in snps.values()}
    for assay in assays:
        plus = assay["strand"] == "+"
        primers = [(int(assay["as_start"]), int(assay["as_end"]),
                    int(assay["as_end"]) if plus else int(assay["as_start"])),
                   (int(assay["common_start"]), int(assay["common_end"]),
                    int(assay["common_start"]) if plus else int(assay["common_end"]))]
        own = int(assay["pos"])
        for start, end, three_prime in primers:
            under = [p for p in positions if start <= p <= end and abs(p - own) > 1]
            assert all(abs(three_prime - p) >= 8 for p in under), (assay["snp_id"], under)


def test_unexpected_error_fails_one_snp(tmp_path, monkeypatch):
    import kaspflow.pipeline as pipeline
    real = pipeline.design_assays

    def broken(target, settings, keep=None):
        if target.variant.snp_id == "m001":
            raise ValueError("simulated bug")
        return real(target, settings, keep=keep)

    monkeypatch.setattr(pipeline, "design_assays", broken)
    snps, _ = run_job(tmp_path, CASES / "one_bad_ref_among_many" / "snps.tsv",
                      case_genome(tmp_path, "one_bad_ref_among_many"))
    assert snps["m001"]["status"] == "failed"
    assert "internal error while designing this SNP" in snps["m001"]["reason"]
    assert snps["m000"]["status"] == "designed"
