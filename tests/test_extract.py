import pytest

from kaspflow.errors import SnpError
from kaspflow.extract import extract_target
from kaspflow.genome import Genome
from kaspflow.variants import Variant


def other_base(base):
    return "A" if base != "A" else "C"


def variant(chrom, pos, ref, alt):
    return Variant(line=1, snp_id="s", chrom=chrom, pos=pos, ref=ref, alt=alt)


def test_flanks_around_snp(fasta, sequences):
    seq = sequences["chr1"]
    with Genome(fasta) as genome:
        target = extract_target(genome, variant("chr1", 300, seq[299], other_base(seq[299])), 100)
    assert target.left == seq[199:299]
    assert target.ref == seq[299]
    assert target.right == seq[300:400]
    assert target.start == 199


def test_flank_clipped_at_sequence_start(fasta, sequences):
    seq = sequences["chr1"]
    with Genome(fasta) as genome:
        target = extract_target(genome, variant("chr1", 5, seq[4], other_base(seq[4])), 100)
    assert target.left == seq[:4]
    assert target.start == 0
    assert len(target.right) == 100


def test_flank_clipped_at_sequence_end(fasta, sequences):
    seq = sequences["chr1"]
    with Genome(fasta) as genome:
        target = extract_target(genome, variant("chr1", 600, seq[599], other_base(seq[599])), 100)
    assert target.right == ""
    assert target.left == seq[499:599]


def test_ref_mismatch_shows_both_bases(fasta, sequences):
    base = sequences["chr1"][99]
    wrong = "A" if base != "A" else "C"
    with Genome(fasta) as genome:
        with pytest.raises(SnpError) as error:
            extract_target(genome, variant("chr1", 100, wrong, "G"), 50)
    assert f"gives '{wrong}'" in str(error.value)
    assert f"genome has '{base}'" in str(error.value)


def test_position_past_end(fasta):
    with Genome(fasta) as genome:
        with pytest.raises(SnpError, match="past the end of chr1 \\(600 bp\\)"):
            extract_target(genome, variant("chr1", 601, "A", "G"), 50)


def test_unknown_sequence(fasta):
    with Genome(fasta) as genome:
        with pytest.raises(SnpError, match="'chr5A' is not in the genome"):
            extract_target(genome, variant("chr5A", 10, "A", "G"), 50)


def test_soft_masked_ref_matches_and_keeps_case(tmp_path):
    from conftest import write_fasta
    seq = "ACGT" * 20 + "acgtacgt" + "ACGT" * 20
    fasta = write_fasta(tmp_path / "soft.fa", {"s": seq})
    with Genome(fasta, index_dir=tmp_path / "index") as genome:
        target = extract_target(genome, variant("s", 82, "C", "T"), 40)
    assert target.ref == "c"
    assert target.left.endswith("a")


def test_alias_resolved_in_target(fasta, sequences):
    seq = sequences["chr10"]
    with Genome(fasta) as genome:
        target = extract_target(genome, variant("Chr10", 200, seq[199], other_base(seq[199])), 50)
    assert target.chrom == "chr10"
