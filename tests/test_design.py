import pytest

from conftest import random_dna
from kaspflow.design import design_assays, orient, parse_explain, tail_oligos
from kaspflow.dna import reverse_complement
from kaspflow.errors import SnpError
from kaspflow.extract import Target
from kaspflow.settings import FAM_TAIL, HEX_TAIL, design_settings
from kaspflow.variants import Variant

COMPLEMENT = {"A": "T", "C": "G", "G": "C", "T": "A"}


def make_target(seq: str, pos: int, alt: str, ref_len: int = 1, start: int = 0) -> Target:
    """Target for a variant at 1-based ``pos`` of ``seq``, which starts at genome offset ``start``."""
    ref = seq[pos - 1:pos - 1 + ref_len]
    variant = Variant(line=1, snp_id="t", chrom="c", pos=pos + start, ref=ref.upper(), alt=alt)
    return Target(variant, "c", start, seq[:pos - 1], ref, alt, seq[pos - 1 + ref_len:])


@pytest.fixture
def seq():
    return random_dna(241, seed=7)


@pytest.fixture
def settings():
    return design_settings({})


def test_plus_strand_primers_end_on_allele(seq, settings):
    alt = "A" if seq[120] != "A" else "G"
    target = make_target(seq, 121, alt)
    assays = [a for a in design_assays(target, design_settings({"strands": "plus"}))]
    assert assays
    for assay in assays:
        assert assay.strand == "+"
        assert assay.primer_ref[-1] == seq[120]
        assert assay.primer_alt[-1] == alt
        assert assay.primer_ref[:-1] == assay.primer_alt[:-1]
        assert assay.as_end == 121
        assert seq[assay.as_start - 1:assay.as_end] == assay.primer_ref


def test_minus_strand_primers_end_on_complement(seq):
    alt = "A" if seq[120] != "A" else "G"
    target = make_target(seq, 121, alt)
    assays = design_assays(target, design_settings({"strands": "minus"}))
    assert assays
    for assay in assays:
        assert assay.strand == "-"
        assert assay.primer_ref[-1] == COMPLEMENT[seq[120]]
        assert assay.primer_alt[-1] == COMPLEMENT[alt]
        assert assay.as_start == 121
        assert reverse_complement(seq[assay.as_start - 1:assay.as_end]) == assay.primer_ref


def test_common_primer_on_other_strand(seq, settings):
    target = make_target(seq, 121, "A" if seq[120] != "A" else "G")
    for assay in design_assays(target, settings):
        genomic = seq[assay.common_start - 1:assay.common_end]
        if assay.strand == "+":
            assert reverse_complement(genomic) == assay.primer_common
            assert assay.product_size == assay.common_end - assay.as_start + 1
        else:
            assert genomic == assay.primer_common
            assert assay.product_size == assay.as_end - assay.common_start + 1


def test_genome_offset_applied(seq, settings):
    target = make_target(seq, 121, "A" if seq[120] != "A" else "G", start=1000)
    for assay in design_assays(target, settings):
        assert 1000 < assay.as_start <= 1241
        assert assay.as_end == 1121 or assay.as_start == 1121


def test_distinct_common_primers_ranked(seq, settings):
    assays = design_assays(make_target(seq, 121, "A" if seq[120] != "A" else "G"), settings)
    assert len(assays) == 3
    assert len({a.primer_common for a in assays}) == 3
    assert [a.penalty for a in assays] == sorted(a.penalty for a in assays)


def test_product_and_primer_sizes_within_settings(seq, settings):
    for assay in design_assays(make_target(seq, 121, "A" if seq[120] != "A" else "G"), settings):
        assert 50 <= assay.product_size <= 120
        assert 18 <= len(assay.primer_ref) <= 30
        assert 18 <= len(assay.primer_common) <= 30


def test_tails_follow_fam_allele_setting(seq):
    target = make_target(seq, 121, "A" if seq[120] != "A" else "G")
    for fam_allele in ("alt", "ref"):
        settings = design_settings({"fam_allele": fam_allele})
        assay = design_assays(target, settings)[0]
        fam_name, hex_name, fam, hex_ = tail_oligos(assay, settings)
        assert fam_name == fam_allele
        assert fam == FAM_TAIL + getattr(assay, f"primer_{fam_allele}")
        assert hex_ == HEX_TAIL + getattr(assay, f"primer_{hex_name}")


def test_snp_near_start_reason_counts_bases(seq, settings):
    with pytest.raises(SnpError) as error:
        design_assays(make_target(seq, 10, "A" if seq[9] != "A" else "G"), settings)
    assert "too close to the start of c" in str(error.value)
    assert "9 bases before the variant and 231 after" in str(error.value)
    assert "at least 17 bases on one side" in str(error.value)


def test_snp_near_end_reason(seq, settings):
    with pytest.raises(SnpError, match="too close to the end of c: 236 bases before"):
        design_assays(make_target(seq, 237, "A" if seq[236] != "A" else "G"), settings)


def test_short_sequence_needs_min_product():
    seq = random_dna(40, seed=2)
    with pytest.raises(SnpError, match="amplicon of at least 50 bp"):
        design_assays(make_target(seq, 20, "A" if seq[19] != "A" else "G"), design_settings({}))


def test_at_rich_flank_reason_gives_fix():
    seq = random_dna(241, seed=5, gc=0.12)
    with pytest.raises(SnpError) as error:
        design_assays(make_target(seq, 121, "A" if seq[120] != "A" else "G"), design_settings({}))
    assert "GC content outside 30.0-70.0 %" in str(error.value)
    assert "AT-rich" in str(error.value)
    assert "lower PRIMER_MIN_GC" in str(error.value)


def test_primer3_tm_settings_take_effect():
    seq = random_dna(241, seed=5, gc=0.28)
    settings = design_settings({"primer3": {"PRIMER_OPT_TM": 52, "PRIMER_MIN_TM": 48,
                                            "PRIMER_MAX_TM": 56}})
    assays = design_assays(make_target(seq, 121, "A" if seq[120] != "A" else "G"), settings)
    for assay in assays:
        assert 48 <= assay.tm_ref <= 56
        assert 48 <= assay.tm_alt <= 56
        assert 48 <= assay.tm_common <= 56


def test_deletion_primers_end_on_first_difference():
    seq = random_dna(241, seed=11)
    ref = seq[120:123]
    target = make_target(seq, 121, "", ref_len=3)
    plus = design_assays(target, design_settings({"strands": "plus"}))
    side = orient(target, "+")
    for assay in plus:
        assert assay.as_end == 121 + side.diff - 120
        assert assay.primer_ref[-1] != assay.primer_alt[-1]
        assert assay.product_size_alt == assay.product_size - 3


def test_iupac_code_kept_out_of_primers():
    seq = list(random_dna(241, seed=7))
    seq[115] = "R"
    seq = "".join(seq)
    assays = design_assays(make_target(seq, 121, "A" if seq[120] != "A" else "G"), design_settings({}))
    for assay in assays:
        assert "R" not in assay.primer_ref
        assert "N" not in assay.primer_ref
        assert "R" not in assay.primer_common


def test_soft_masked_flagged(seq):
    masked = seq[:100] + seq[100:120].lower() + seq[120:]
    target = make_target(masked, 121, "A" if seq[120] != "A" else "G")
    assays = design_assays(target, design_settings({"strands": "plus"}))
    assert all("soft_masked" in a.flags for a in assays)


def test_soft_masked_avoid_setting(seq):
    masked = seq[:96] + seq[96:102].lower() + seq[102:]
    target = make_target(masked, 121, "A" if seq[120] != "A" else "G")
    assays = design_assays(target, design_settings({"strands": "plus", "soft_masked": "avoid"}))
    for assay in assays:
        assert assay.as_start > 102


def test_parse_explain():
    assert parse_explain("considered 13, low tm 6, ok 0") == {"considered": 13, "low tm": 6, "ok": 0}


def test_ambiguity_near_allele_primer_end():
    seq = list(random_dna(241, seed=7))
    seq[115] = "Y"
    seq = "".join(seq)
    with pytest.raises(SnpError, match="ambiguous base .* lies 5 bases before the variant"):
        design_assays(make_target(seq, 121, "A" if seq[120] != "A" else "G"),
                      design_settings({"strands": "plus"}))


def test_distant_ambiguity_allowed_and_flagged():
    seq = list(random_dna(241, seed=7))
    seq[100] = "R"
    seq = "".join(seq)
    assays = design_assays(make_target(seq, 121, "A" if seq[120] != "A" else "G"),
                           design_settings({"strands": "plus", "primer3": {"PRIMER_MIN_SIZE": 22}}))
    assert assays
    for assay in assays:
        assert assay.primer_ref[-21] == "R"
        assert "degenerate_base" in assay.flags


def make_assay(primer_ref: str, primer_alt: str, primer_common: str):
    from kaspflow.design import Assay
    return Assay(strand="+", primer_ref=primer_ref, primer_alt=primer_alt, primer_common=primer_common,
                 tm_ref=60, tm_alt=60, tm_common=60, product_size=80, product_size_alt=80,
                 as_start=1, as_end=22, common_start=60, common_end=80, penalty=0)


def test_three_prime_dimer_flagged():
    from kaspflow.design import _structure_flags
    primer = "CATCGTAGCTAGTCAGGCCGCA"
    # The common primer starts with the reverse complement of the ALT primer's
    # last 14 bases, so the FAM oligo (ALT) anneals to it by its 3' end.
    common = reverse_complement(primer[-14:]) + "TTGACTTAG"
    flags = _structure_flags(make_assay(primer[:-1] + "G", primer, common), design_settings({}))
    assert "dimer_fam_common" in flags


def test_tail_hairpin_not_flagged():
    from kaspflow.design import _hairpin, _structure_flags
    # This HEX-tailed oligo folds between tail and primer (Tm about 58 °C) but
    # leaves its 3' end free, so it still primes.
    settings = design_settings({})
    assay = make_assay("TCGTTTGTCACTGAGAGGATTAAA", "TCGTTTGTCACTGAGAGGATTAAG", "AAAATGAGCGCTTGCAATCCTT")
    thermo = tuple(sorted(settings.thermo_kwargs().items()))
    tm, paired = _hairpin(HEX_TAIL + assay.primer_ref, thermo)
    assert tm > 47
    assert not paired
    assert "hairpin_hex" not in _structure_flags(assay, settings)
