import pytest

from conftest import random_dna, write_fasta
from kaspflow.dna import merge_code, reverse_complement
from kaspflow.errors import SnpError
from kaspflow.extract import extract_target
from kaspflow.genome import Genome
from kaspflow.locate import choose_hit, find_markers, mask_ambiguities, place_marker
from kaspflow.variants import Variant

CONTIG = random_dna(1000, seed=21)
OTHER = random_dna(1000, seed=22)


def marker(left: str, first: str, second: str, right: str, chrom: str = "") -> Variant:
    return Variant(line=1, snp_id="m", chrom=chrom, pos=0, ref=first, alt=second,
                   flank_left=left, flank_right=right)


def locate(tmp_path, sequences: dict[str, str], variant: Variant):
    fasta = write_fasta(tmp_path / "g.fa", sequences)
    genome = Genome(fasta, index_dir=tmp_path / "index")
    hit = choose_hit(genome, variant, find_markers(genome, [variant])[0])
    return genome, hit, place_marker(genome, variant, hit)


def test_plus_strand_marker_placed(tmp_path):
    # Variant at 1-based 501: CONTIG[500].
    base = CONTIG[500]
    other = "A" if base != "A" else "G"
    variant = marker(CONTIG[440:500], base, other, CONTIG[501:561])
    _, hit, placed = locate(tmp_path, {"c1": CONTIG, "c2": OTHER}, variant)
    assert (placed.chrom, placed.pos, placed.ref, placed.alt) == ("c1", 501, base, other)
    assert hit.strand == "+"
    assert hit.fit == "both"


def test_minus_strand_marker_placed(tmp_path):
    base = CONTIG[500]
    other = "A" if base != "A" else "G"
    variant = marker(reverse_complement(CONTIG[501:561]), reverse_complement(base),
                     reverse_complement(other), reverse_complement(CONTIG[440:500]))
    _, hit, placed = locate(tmp_path, {"c1": CONTIG}, variant)
    assert hit.strand == "-"
    assert (placed.pos, placed.ref, placed.alt) == (501, base, other)
    assert "minus strand" in " ".join(placed.notes)


def test_genome_carries_second_allele(tmp_path):
    base = CONTIG[500]
    other = "A" if base != "A" else "G"
    _, _, placed = locate(tmp_path, {"c1": CONTIG}, marker(CONTIG[440:500], other, base, CONTIG[501:561]))
    assert (placed.ref, placed.alt) == (base, other)
    assert "second allele" in " ".join(placed.notes)


def test_mismatches_tolerated_and_counted(tmp_path):
    left = list(CONTIG[440:500])
    left[5] = "A" if left[5] != "A" else "C"
    base = CONTIG[500]
    _, hit, placed = locate(tmp_path, {"c1": CONTIG},
                            marker("".join(left), base, "T" if base != "T" else "C", CONTIG[501:561]))
    assert hit.mismatches == 1
    assert "differs from the genome at 1 bases" in " ".join(placed.notes)


def test_closest_homeolog_wins(tmp_path):
    copy = list(CONTIG)
    for i in (450, 470, 530):
        copy[i] = "A" if copy[i] != "A" else "C"
    base = CONTIG[500]
    variant = marker(CONTIG[440:500], base, "T" if base != "T" else "C", CONTIG[501:561])
    _, hit, _ = locate(tmp_path, {"homeolog": "".join(copy), "target": CONTIG}, variant)
    assert hit.chrom == "target"


def test_chr_field_names_arm_contig(tmp_path):
    base = CONTIG[500]
    variant = marker(CONTIG[440:500], base, "T" if base != "T" else "C", CONTIG[501:561], chrom="2A")
    _, hit, _ = locate(tmp_path, {"IWGSC_CSS_2DS_1": CONTIG, "IWGSC_CSS_2AS_7": CONTIG}, variant)
    assert hit.chrom == "IWGSC_CSS_2AS_7"


def test_chr_field_never_substring(tmp_path):
    base = CONTIG[500]
    variant = marker(CONTIG[440:500], base, "T" if base != "T" else "C", CONTIG[501:561], chrom="1A")
    with pytest.raises(SnpError, match="fits 2 places equally well"):
        locate(tmp_path, {"chr11A": CONTIG, "chr21A": CONTIG}, variant)


def test_intron_near_snp_partial_fit(tmp_path):
    # The marker's left flank skips a 150-bp intron that starts 16 bases before the SNP.
    genome = CONTIG[:300] + random_dna(150, seed=40) + CONTIG[300:]
    base = CONTIG[316]
    variant = marker(CONTIG[256:316], base, "T" if base != "T" else "C", CONTIG[317:377])
    _, hit, placed = locate(tmp_path, {"c1": genome}, variant)
    assert placed.pos == 150 + 317
    assert hit.fit == "partial"
    assert 16 <= hit.left_fit <= 18
    assert "for example at introns" in " ".join(placed.notes)


def test_neither_allele_in_genome(tmp_path):
    base = CONTIG[500]
    wrong = [b for b in "ACGT" if b != base][:2]
    with pytest.raises(SnpError) as error:
        locate(tmp_path, {"c1": CONTIG}, marker(CONTIG[440:500], wrong[0], wrong[1], CONTIG[501:561]))
    assert f"the genome has '{base}' there" in str(error.value)


def test_iupac_genome_base_accepted(tmp_path):
    genome = CONTIG[:500] + "S" + CONTIG[501:]
    variant = marker(CONTIG[440:500], "G", "C", CONTIG[501:561])
    fasta = write_fasta(tmp_path / "g.fa", {"c1": genome})
    with Genome(fasta, index_dir=tmp_path / "index") as g:
        hit = choose_hit(g, variant, find_markers(g, [variant])[0])
        placed = place_marker(g, variant, hit)
        target = extract_target(g, placed, 100)
    assert (placed.ref, placed.alt) == ("G", "C")
    assert target.ref == "G"
    assert "the genome has 'S' at the variant" in " ".join(placed.notes)


def test_unknown_marker_not_found(tmp_path):
    variant = marker(random_dna(60, seed=50), "A", "G", random_dna(60, seed=51))
    with pytest.raises(SnpError, match="marker flank not found in the genome"):
        locate(tmp_path, {"c1": CONTIG}, variant)


def test_flank_codes_masked_on_genome(tmp_path):
    left = CONTIG[440:490] + "R" + CONTIG[491:500]
    base = CONTIG[500]
    variant = marker(left, base, "T" if base != "T" else "C", CONTIG[501:561])
    genome, hit, placed = locate(tmp_path, {"c1": CONTIG}, variant)
    target = mask_ambiguities(extract_target(genome, placed, 100), variant, hit)
    assert target.left[-10] == merge_code(CONTIG[490], "R")
    assert target.left[-11] == CONTIG[489]


def test_code_disagreeing_with_genome_merged():
    assert merge_code("C", "R") == "V"
    assert merge_code("A", "R") == "R"
    assert merge_code("a", "Y") == "H"
    assert merge_code("T", "N") == "N"
