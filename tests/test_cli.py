"""scripts/submit and scripts/genomes as a user runs them: exit status, messages, job folders."""

import gzip
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEMO_SNPS = ROOT / "resources" / "demo" / "S58861868_snps.tsv"


@pytest.fixture
def config(tmp_path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"results_dir": str(tmp_path / "results"),
                                    "index_dir": str(tmp_path / "index")}))
    return path


def run(script: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / script), *args],
                          capture_output=True, text=True, cwd=cwd)


def submit(tmp_path: Path, config: Path, snps: Path, *extra: str) -> subprocess.CompletedProcess:
    return run("submit", "--genome", "wheat_S58861868", "--snps", str(snps),
               "--configfile", str(config), *extra, cwd=tmp_path)


def jobs(tmp_path: Path) -> list[str]:
    results = tmp_path / "results"
    return sorted(p.name for p in results.iterdir()) if results.exists() else []


def test_submit_creates_job(tmp_path, config):
    result = submit(tmp_path, config, DEMO_SNPS, "--job", "first")
    assert result.returncode == 0
    assert result.stdout.strip() == "first"
    job = tmp_path / "results" / "first"
    assert (job / "request" / DEMO_SNPS.name).read_bytes() == DEMO_SNPS.read_bytes()
    record = yaml.safe_load((job / "job.yaml").read_text())
    assert record["genome"] == "wheat_S58861868"
    assert record["format"] == "table"
    # 16 lines, one of them with two ALTs.
    assert record["snp_count"] == 17
    assert record["design"]["primer3"]["PRIMER_OPT_TM"] == 60.0


def test_generated_names_unique_same_second(tmp_path, config):
    names = {submit(tmp_path, config, DEMO_SNPS).stdout.strip() for _ in range(3)}
    assert len(names) == 3
    assert jobs(tmp_path) == sorted(names)


def test_existing_job_never_overwritten(tmp_path, config):
    submit(tmp_path, config, DEMO_SNPS, "--job", "same")
    before = (tmp_path / "results" / "same" / "job.yaml").read_text()
    other = tmp_path / "other.tsv"
    other.write_text("gnl|UG|Ta#S58861868\t37\tT\tC\n")
    result = submit(tmp_path, config, other, "--job", "same")
    assert result.returncode == 2
    assert "job 'same' already exists" in result.stderr
    assert (tmp_path / "results" / "same" / "job.yaml").read_text() == before


@pytest.mark.parametrize("name", ["../escape", "a/b", "..", ".hidden", "bad name", ""])
def test_invalid_job_names_rejected(tmp_path, config, name):
    result = submit(tmp_path, config, DEMO_SNPS, "--job", name)
    assert result.returncode == 2
    assert "invalid job name" in result.stderr
    assert jobs(tmp_path) == []


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


WHOLE_JOB_ERRORS = [
    ("empty.tsv", b"", "is empty"),
    ("blank.tsv", b"\n\n  \n", "is empty"),
    ("comments.tsv", b"# only a comment\n#CHROM\tPOS\tREF\tALT\n", "no SNP records found"),
    ("binary.tsv", b"\x00\x01\x02binary", "binary file"),
    ("table.tsv.gz", gzip.compress(b"chr1\t10\tA\tG\n"), "gzip-compressed"),
    ("latin1.tsv", "chr1\t10\tA\tG\t# Müller\n".encode("latin-1"), "not valid UTF-8"),
]


@pytest.mark.parametrize("name,data,message", WHOLE_JOB_ERRORS)
def test_unusable_file_exit_2_no_job(tmp_path, config, name, data, message):
    result = submit(tmp_path, config, write(tmp_path, name, data))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert jobs(tmp_path) == []


def test_missing_snp_file(tmp_path, config):
    result = submit(tmp_path, config, tmp_path / "absent.tsv")
    assert result.returncode == 2
    assert "SNP file not found" in result.stderr


def test_unknown_genome_lists_known(tmp_path, config):
    result = run("submit", "--genome", "wheat_v9", "--snps", str(DEMO_SNPS),
                 "--configfile", str(config), cwd=tmp_path)
    assert result.returncode == 2
    assert "unknown genome 'wheat_v9'" in result.stderr
    assert "wheat_S58861868" in result.stderr
    assert jobs(tmp_path) == []


def test_too_many_snps_rejected(tmp_path):
    config = tmp_path / "small.yaml"
    config.write_text(yaml.safe_dump({"results_dir": str(tmp_path / "results"), "max_snp_count": 5}))
    result = submit(tmp_path, config, DEMO_SNPS)
    assert result.returncode == 2
    assert "more than max_snp_count (5)" in result.stderr
    assert jobs(tmp_path) == []


def test_invalid_setting_rejected(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text(yaml.safe_dump({"results_dir": str(tmp_path / "results"),
                                      "design": {"fam_allele": "blue"}}))
    result = submit(tmp_path, config, DEMO_SNPS)
    assert result.returncode == 2
    assert "design.fam_allele" in result.stderr or "'blue'" in result.stderr
    assert jobs(tmp_path) == []


def test_unknown_primer3_tag_passes_through(tmp_path, config):
    extra = tmp_path / "extra.yaml"
    extra.write_text(yaml.safe_dump({"design": {"primer3": {"PRIMER_MAX_END_STABILITY": 8.5}}}))
    result = submit(tmp_path, config, DEMO_SNPS, "--configfile", str(extra), "--job", "tagged")
    assert result.returncode == 0
    record = yaml.safe_load((tmp_path / "results" / "tagged" / "job.yaml").read_text())
    assert record["design"]["primer3"]["PRIMER_MAX_END_STABILITY"] == 8.5


def test_no_genome_needs_markers(tmp_path, config):
    result = run("submit", "--no-genome", "--snps", str(DEMO_SNPS), "--configfile", str(config),
                 cwd=tmp_path)
    assert result.returncode == 2
    assert "needs a genome" in result.stderr


def test_unknown_format_rejected(tmp_path, config):
    result = run("submit", "--genome", "wheat_S58861868", "--snps", str(DEMO_SNPS),
                 "--format", "bed", "--configfile", str(config), cwd=tmp_path)
    assert result.returncode == 2
    assert "invalid choice: 'bed'" in result.stderr


def test_vcf_sample_missing(tmp_path, config):
    vcf = ROOT / "resources" / "demo" / "S58861868.vcf"
    result = submit(tmp_path, config, vcf, "--samples", "AVS,Avocet")
    assert result.returncode == 2
    assert "Avocet not found in the VCF" in result.stderr
    assert jobs(tmp_path) == []


def test_genomes_listing(tmp_path, config):
    result = run("genomes", "--configfile", str(config), cwd=tmp_path)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "genome\tsequences\ttotal_bp\tfasta"
    assert any(line.startswith("wheat_S58861868\t1\t843\t") for line in lines)
    assert any(line.startswith("wheat_7abd\t3\t6301\t") for line in lines)


@pytest.mark.parametrize("content,message", [
    (b"chr1\t10\t20\n", "line 1 has 3 columns"),
    (b"10\tchr7B\tA\tG\n", "position 'chr7B' is not a whole number"),
    (b">chr1\nACGTACGTACGTACGTACGT\nACGTACGT\n", "it looks like a FASTA file"),
    (b"chr1\t10\t20\tregion1\n", "it looks like a BED file"),
])
def test_no_usable_record_exit_2(tmp_path, config, content, message):
    result = submit(tmp_path, config, write(tmp_path, "snps.txt", content))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Check the column order" in result.stderr
    assert jobs(tmp_path) == []


def test_config_typos_rejected(tmp_path):
    config = tmp_path / "typo.yaml"
    config.write_text(yaml.safe_dump({"results_dir": str(tmp_path / "results"),
                                      "desing": {"max_assays_per_snp": 5}}))
    result = submit(tmp_path, config, DEMO_SNPS)
    assert result.returncode == 2
    assert "'desing' was unexpected" in result.stderr
    assert "did you mean 'desing' -> 'design'?" in result.stderr
    config.write_text(yaml.safe_dump({"results_dir": str(tmp_path / "results"),
                                      "design": {"primer3": {"PRIMER_OPT_TMP": 52}}}))
    result = submit(tmp_path, config, DEMO_SNPS)
    assert result.returncode == 2
    assert "did you mean PRIMER_OPT_TM?" in result.stderr


def test_fasta_not_a_fasta(tmp_path, config):
    result = run("submit", "--fasta", str(ROOT / "resources" / "demo" / "S58861868.vcf"),
                 "--snps", str(DEMO_SNPS), "--configfile", str(config), cwd=tmp_path)
    assert result.returncode == 2
    assert "is not a FASTA file" in result.stderr
