import pytest

from conftest import random_dna, write_fasta
from kaspflow.design import design_assays
from kaspflow.dna import reverse_complement
from kaspflow.extract import extract_target
from kaspflow.genome import Genome
from kaspflow.settings import design_settings
from kaspflow.specificity import (Site, blast_available, ensure_database, find_sites,
                                  off_target_products, target_sites)
from kaspflow.variants import Variant

needs_blast = pytest.mark.skipif(not blast_available(), reason="BLAST+ is not installed")

TARGET = random_dna(2000, seed=31)


def test_facing_sites_make_product():
    target = (Site("a", "+", 100), Site("a", "-", 180))
    sites_as = [Site("a", "+", 100), Site("b", "+", 500)]
    sites_common = [Site("a", "-", 180), Site("b", "-", 580)]
    assert off_target_products(sites_as, sites_common, target, 1000) == 1


def test_sites_not_facing_ignored():
    target = (Site("a", "+", 100), Site("a", "-", 180))
    sites_as = [Site("b", "+", 500), Site("c", "-", 500)]
    sites_common = [Site("b", "-", 400), Site("b", "-", 2000), Site("c", "-", 520)]
    # b: the common site lies upstream (400) or too far (1500 bp); c: same strand.
    assert off_target_products(sites_as, sites_common, target, 1000) == 0


def test_minus_strand_pair_counted():
    target = (Site("a", "-", 300), Site("a", "+", 220))
    sites_as = [Site("a", "-", 300), Site("b", "-", 900)]
    sites_common = [Site("a", "+", 220), Site("b", "+", 820)]
    assert off_target_products(sites_as, sites_common, target, 1000) == 1


def test_target_sites_from_row():
    row = {"chrom": "c", "strand": "+", "as_start": "80", "as_end": "101",
           "common_start": "150", "common_end": "171"}
    assert target_sites(row) == (Site("c", "+", 101), Site("c", "-", 150))
    row["strand"] = "-"
    assert target_sites(row) == (Site("c", "-", 80), Site("c", "+", 171))


@needs_blast
def test_blast_finds_exact_and_near_sites(tmp_path):
    copy = list(TARGET[400:700])
    copy[20] = "A" if copy[20] != "A" else "C"  # one mismatch far from the 3' end
    fasta = write_fasta(tmp_path / "g.fa", {"gnl|X|a#1": TARGET, "homeolog": random_dna(300, seed=9)
                                            + "".join(copy) + random_dna(300, seed=10)})
    database = ensure_database(fasta, tmp_path / "index")
    primer = TARGET[500:522]
    with Genome(fasta, index_dir=tmp_path / "index") as genome:
        sites = find_sites([primer, reverse_complement(TARGET[600:622])], database, 3, genome)
    assert Site("gnl|X|a#1", "+", 522) in sites[primer]
    assert Site("homeolog", "+", 300 + 122) in sites[primer]
    assert Site("gnl|X|a#1", "-", 601) in sites[reverse_complement(TARGET[600:622])]


@needs_blast
def test_three_prime_mismatch_not_a_site(tmp_path):
    copy = list(TARGET[400:700])
    copy[121] = "A" if copy[121] != "A" else "C"  # the primer's 3'-terminal base
    fasta = write_fasta(tmp_path / "g.fa", {"target": TARGET, "homeolog": "".join(copy)})
    database = ensure_database(fasta, tmp_path / "index")
    primer = TARGET[500:522]
    with Genome(fasta, index_dir=tmp_path / "index") as genome:
        sites = find_sites([primer], database, 3, genome)
    assert [s.chrom for s in sites[primer]] == ["target"]


@needs_blast
def test_mismatch_near_three_prime_still_site(tmp_path):
    # BLAST stops before a mismatch 3 bases from the 3' end; the site still counts.
    copy = list(TARGET[400:700])
    copy[118] = "A" if copy[118] != "A" else "C"
    fasta = write_fasta(tmp_path / "g.fa", {"target": TARGET, "homeolog": "".join(copy)})
    database = ensure_database(fasta, tmp_path / "index")
    primer = TARGET[500:522]
    with Genome(fasta, index_dir=tmp_path / "index") as genome:
        sites = find_sites([primer], database, 3, genome)
    assert Site("homeolog", "+", 122) in sites[primer]


@needs_blast
def test_database_rebuilt_only_when_stale(tmp_path):
    fasta = write_fasta(tmp_path / "g.fa", {"t": TARGET})
    first = ensure_database(fasta, tmp_path / "index")
    stamp = (tmp_path / "index" / (first.name + ".done")).stat().st_mtime_ns
    ensure_database(fasta, tmp_path / "index")
    assert (tmp_path / "index" / (first.name + ".done")).stat().st_mtime_ns == stamp


@needs_blast
def test_duplicated_locus_flagged(tmp_path):
    # An identical second copy (a homeolog with no differences) amplifies too.
    fasta = write_fasta(tmp_path / "g.fa", {"A": TARGET, "D": TARGET[600:1400]})
    snp_base = TARGET[999]
    variant = Variant(line=1, snp_id="s", chrom="A", pos=1000, ref=snp_base,
                      alt="A" if snp_base != "A" else "G")
    settings = design_settings({})
    with Genome(fasta, index_dir=tmp_path / "index") as genome:
        target = extract_target(genome, variant, settings.max_product)
    assay = design_assays(target, settings)[0]
    database = ensure_database(fasta, tmp_path / "index")
    with Genome(fasta, index_dir=tmp_path / "index") as genome:
        sites = find_sites([assay.primer_ref, assay.primer_common], database, 3, genome)
    row = {"chrom": "A", "strand": assay.strand, "as_start": assay.as_start, "as_end": assay.as_end,
           "common_start": assay.common_start, "common_end": assay.common_end}
    assert off_target_products(sites[assay.primer_ref], sites[assay.primer_common],
                               target_sites(row), 1000) == 1


@needs_blast
def test_job_reports_off_target_assays(tmp_path):
    from test_cases import run_job
    fasta = write_fasta(tmp_path / "g.fa", {"A": TARGET, "D": TARGET[600:1400]})
    snp_file = tmp_path / "snps.tsv"
    base = TARGET[999]
    snp_file.write_text(f"A\t1000\ts1\t{base}\t{'A' if base != 'A' else 'G'}\n")
    snps, assays = run_job(tmp_path, snp_file, fasta)
    assert snps["s1"]["status"] == "designed"
    assert {a["specificity"] for a in assays} == {"off_target"}
    assert all("off_target_product" in a["flags"] for a in assays)
    assert [a["rank"] for a in assays] == ["1", "2", "3"]


@needs_blast
def test_specific_assay_ranked_first(tmp_path):
    # The copy on D lacks the sequence downstream of the SNP, so only some
    # common primers also bind D; assays whose common primer does not rank first.
    from test_cases import run_job
    fasta = write_fasta(tmp_path / "g.fa", {"A": TARGET, "D": TARGET[700:1060]})
    snp_file = tmp_path / "snps.tsv"
    base = TARGET[999]
    snp_file.write_text(f"A\t1000\ts1\t{base}\t{'A' if base != 'A' else 'G'}\n")
    _, assays = run_job(tmp_path, snp_file, fasta)
    assert assays[0]["specificity"] == "specific"


def test_check_none_reports_not_checked(tmp_path):
    from test_cases import run_job
    fasta = write_fasta(tmp_path / "g.fa", {"A": TARGET})
    snp_file = tmp_path / "snps.tsv"
    base = TARGET[999]
    snp_file.write_text(f"A\t1000\ts1\t{base}\t{'A' if base != 'A' else 'G'}\n")
    _, assays = run_job(tmp_path, snp_file, fasta, design={"specificity": {"check": "none"}})
    assert len(assays) == 3
    assert {a["specificity"] for a in assays} == {"not_checked"}


def test_bad_specificity_setting_rejected():
    from kaspflow.errors import ConfigError
    with pytest.raises(ConfigError, match="design.specificity.check is 'always'"):
        design_settings({"specificity": {"check": "always"}})
    with pytest.raises(ConfigError, match="unknown design.specificity setting 'depth'"):
        design_settings({"specificity": {"depth": 3}})
