"""Tests of the SNP readers: what each input format returns, and the reason given for each bad input.

Expected values were checked by hand against the input lines. Positions are 1-based.
"""

import gzip
from pathlib import Path

import pysam
import pytest

from kaspflow.errors import InputError
from kaspflow.variants import READERS, count_designable, detect_format, read_variants

INPUTS = Path(__file__).resolve().parent / "data" / "inputs"
CONTIG = "gnl|UG|Ta#S58861868"


def write(tmp_path: Path, content: str | bytes, name: str = "snps.txt") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def read(tmp_path: Path, content: str | bytes, name: str = "snps.txt", fmt: str = "auto",
         options: dict | None = None):
    return read_variants(write(tmp_path, content, name), fmt, options)[1]


def input_error(tmp_path: Path, content: str | bytes, name: str = "snps.txt", fmt: str = "auto",
                options: dict | None = None) -> str:
    with pytest.raises(InputError) as caught:
        read(tmp_path, content, name, fmt, options)
    return str(caught.value)


def vcf_text(records: list[str], samples: tuple[str, ...] = ("A", "B")) -> str:
    """Return a small VCF (3 header lines) whose records start on line 4; records are written with spaces for tabs."""
    columns = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]
    if samples:
        columns += ["FORMAT", *samples]
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=c1,length=1000>", "\t".join(columns)]
    lines += ["\t".join(record.split()) for record in records]
    return "\n".join(lines) + "\n"


# Table: odd but valid lines.

def test_table_irregular_whitespace(tmp_path):
    variants = read(tmp_path, "Fvb1-1  1000 .       g \t  a\n")

    assert len(variants) == 1
    assert (variants[0].chrom, variants[0].pos) == ("Fvb1-1", 1000)
    assert (variants[0].ref, variants[0].alt) == ("G", "A")
    assert variants[0].snp_id == "Fvb1-1_1000_G_A"


def test_table_windows_line_ends_and_bom(tmp_path):
    variants = read(tmp_path, b"\xef\xbb\xbfchr1\t10\tm1\tA\tG\r\nchr1\t20\tm2\tC\tT\r\n")

    assert [v.snp_id for v in variants] == ["m1", "m2"]
    assert variants[0].chrom == "chr1"
    assert variants[1].line == 2


def test_table_comma_separated(tmp_path):
    variants = read(tmp_path, "chr1,10,m1,A,G\n", name="snps.csv")

    assert (variants[0].chrom, variants[0].pos, variants[0].snp_id) == ("chr1", 10, "m1")


def test_table_vcf_style_header(tmp_path):
    variants = read(tmp_path, "#CHROM\tPOS\tID\tREF\tALT\nchr1\t10\tm1\tA\tG\n")

    assert len(variants) == 1
    assert variants[0].line == 2


def test_table_header_any_column_order(tmp_path):
    variants = read(tmp_path, "id ref alt chromosome position\nm1 A G chr2 77\n")

    assert (variants[0].snp_id, variants[0].chrom, variants[0].pos) == ("m1", "chr2", 77)
    assert (variants[0].ref, variants[0].alt) == ("A", "G")


def test_table_comment_mentioning_position(tmp_path):
    variants = read(tmp_path, "# position list from the array\nchr1 10 A G\n")

    assert len(variants) == 1
    assert variants[0].line == 2


def test_table_star_and_dash_alleles(tmp_path):
    variants = read(tmp_path, "c1 500 . TGG *\nc1 600 . * GCTGC\nc1 700 . - T\n")

    assert (variants[0].ref, variants[0].alt) == ("TGG", "")
    assert (variants[1].ref, variants[1].alt) == ("", "GCTGC")
    assert (variants[2].ref, variants[2].alt) == ("", "T")
    assert [v.snp_id for v in variants] == ["c1_500_TGG_-", "c1_600_-_GCTGC", "c1_700_-_T"]


def test_table_anchored_indels_kept(tmp_path):
    variants = read(tmp_path, "c1 10 . TCT C\nc1 20 . C TTTA\n")

    assert (variants[0].ref, variants[0].alt) == ("TCT", "C")
    assert (variants[1].ref, variants[1].alt) == ("C", "TTTA")
    assert variants[0].notes == []


def test_table_mnp_gets_note(tmp_path):
    variants = read(tmp_path, "c1 10 . AC GT\n")

    assert variants[0].error == ""
    assert "multi-base substitution AC>GT with 2 differing bases" in variants[0].notes[0]
    assert "(position 10)" in variants[0].notes[0]


def test_table_anchored_snv_note(tmp_path):
    variants = read(tmp_path, "c1 10 . CT CA\n")

    assert variants[0].notes == ["CT>CA differs only at position 11, where the assay is designed"]


def test_table_multiple_alts_split(tmp_path):
    variants = read(tmp_path, "c1 331 snp9 CT AT,AC\n")

    assert [v.snp_id for v in variants] == ["snp9_alt1", "snp9_alt2"]
    assert [v.alt for v in variants] == ["AT", "AC"]
    assert [v.line for v in variants] == [1, 1]
    assert [v.input_id for v in variants] == ["snp9", "snp9"]
    assert "ALT 2 of 2 (AT,AC) on this line" in variants[1].notes


def test_table_multiple_alts_without_id(tmp_path):
    variants = read(tmp_path, "c1 331 . CT AT,AC\n")

    assert [v.snp_id for v in variants] == ["c1_331_CT_AT", "c1_331_CT_AC"]


def test_table_one_bad_alt_of_two(tmp_path):
    variants = read(tmp_path, "c1 10 m1 A G,Z\n")

    assert variants[0].error == ""
    assert "ALT 'Z' is not a DNA allele" in variants[1].error


# Table: per-record reasons. Each row is one bad line and the fragment its reason must hold.

BAD_TABLE_LINES = [
    ("c1 abc A G", "line 1: position 'abc' is not a whole number"),
    ("c1 1.5 A G", "position '1.5' is not a whole number"),
    ("c1 1e3 A G", "position '1e3' is not a whole number"),
    ("c1 -5 A G", "line 1: position '-5' is negative"),
    ("c1 0 A G", "position 0 is not valid because positions are 1-based"),
    ("c1 10 A", "line 1 has 3 columns; expected 4 (CHROM POS REF ALT) or 5"),
    ("c1 10 x y A G", "line 1 has 6 columns"),
    ("c1 10 A Z", "line 1: ALT 'Z' is not a DNA allele"),
    ("c1 10 A? G", "REF 'A?' is not a DNA allele"),
    ("c1 10 R G", "REF 'R' contains an IUPAC ambiguity code"),
    ("c1 10 AN G", "REF 'AN' contains an IUPAC ambiguity code"),
    ("c1 10 A A", "REF and ALT are both 'A'; a SNP needs two different alleles"),
    ("c1 10 a A", "REF and ALT are both 'a'"),
    ("c1 10 * -", "both alleles are empty; give at least one base"),
    ("\t10\tA\tG", "the CHROM field is empty"),
]


@pytest.mark.parametrize("line, reason", BAD_TABLE_LINES)
def test_table_bad_line_reason(tmp_path, line, reason):
    variants = read(tmp_path, f"{line}\nc1 20 ok C T\n")

    assert reason in variants[0].error
    assert variants[1].error == ""


def test_table_header_column_count(tmp_path):
    variants = read(tmp_path, "CHROM POS ID REF ALT\nc1 10 A G\n")

    assert "line 2 has 4 columns but the header names 5" in variants[0].error


# Whole-file problems.

def test_empty_file_rejected(tmp_path):
    message = input_error(tmp_path, b"")

    assert "snps.txt is empty; it must list at least one SNP" in message


def test_blank_file_rejected(tmp_path):
    assert "is empty" in input_error(tmp_path, "\n  \n\t\n")


def test_only_comments_rejected(tmp_path):
    message = input_error(tmp_path, "# my markers\n# none yet\n")

    assert "no SNP records found, only blank lines, comments or a header" in message
    assert "snps.txt" in message


def test_header_only_rejected(tmp_path):
    assert "no SNP records found" in input_error(tmp_path, "CHROM\tPOS\tID\tREF\tALT\n")


def test_header_missing_alt_column(tmp_path):
    message = input_error(tmp_path, "CHROM POS ID REF\nc1 10 m1 A\n")

    assert "line 1: header 'CHROM POS ID REF' lacks column(s) alt" in message


def test_gzip_table_rejected(tmp_path):
    message = input_error(tmp_path, gzip.compress(b"c1 10 A G\n"), name="snps.txt.gz")

    assert "is gzip-compressed, but only a VCF may be compressed" in message
    assert "gunzip snps.txt.gz" in message


def test_corrupt_gzip_rejected(tmp_path):
    message = input_error(tmp_path, gzip.compress(b"c1 10 A G\n" * 50)[:30], name="snps.vcf.gz")

    assert "starts like a gzip file but cannot be decompressed" in message


def test_binary_file_rejected(tmp_path):
    assert "is a binary file, not a text SNP table" in input_error(tmp_path, b"c1\x0010\x00A\x00G")


def test_zip_workbook_rejected(tmp_path):
    message = input_error(tmp_path, b"PK\x03\x04\x14\x00rest of a workbook", name="snps.xlsx")

    assert "is a ZIP archive" in message


def test_latin1_text_rejected(tmp_path):
    message = input_error(tmp_path, "c1 10 m\xe9 A G\n".encode("latin-1"))

    assert "byte 7 is not valid UTF-8 text" in message


def test_missing_file_rejected(tmp_path):
    with pytest.raises(InputError, match="SNP file not found"):
        read_variants(tmp_path / "absent.txt")


def test_unknown_format_lists_valid(tmp_path):
    message = input_error(tmp_path, "c1 10 A G\n", fmt="bed")

    assert "unknown SNP file format 'bed'; use one of: auto, table, vcf, polymarker, " \
           "snp_list, mutant_list" in message


# Options.

BAD_OPTIONS = [
    ({"region": "c1:5"}, "invalid region 'c1:5'; expected CHROM or CHROM:START-END"),
    ({"region": "c1:200-100"}, "START must be at least 1 and END at least START"),
    ({"region": "c1:0-10"}, "START must be at least 1"),
    ({"region": "c1 10-20"}, "invalid region 'c1 10-20'"),
    ({"region": ""}, "invalid region ''"),
    ({"region": "chrX"}, "region 'chrX' names sequence 'chrX', but no record is on it; "
                         "the file's sequences are: c1"),
    ({"samples": ["A", "B"]}, "the samples option needs a VCF with genotypes, but the file was read as table"),
    ({"samples": "A"}, "samples must name exactly two VCF samples"),
    ({"samples": ["A", "B", "C"]}, "samples must name exactly two VCF samples"),
    ({"samples": ["A", "A"]}, "samples lists 'A' twice"),
    ({"include_filtered": "yes"}, "include_filtered must be true or false, not 'yes'"),
    ({"sample": ["A", "B"]}, "unknown SNP reading option(s) sample; valid options: samples, region"),
]


@pytest.mark.parametrize("options, reason", BAD_OPTIONS)
def test_bad_option_rejected(tmp_path, options, reason):
    assert reason in input_error(tmp_path, "c1 10 A G\n", options=options)


def test_region_marks_outside_skipped(tmp_path):
    variants = read(tmp_path, "c1 10 A G\nc1 20 C T\nc2 15 A G\nc1 30 A Q\n",
                    options={"region": "c1:15-1,000"})

    assert variants[0].skip == "c1:10 is outside the region c1:15-1000"
    assert variants[1].skip == ""
    assert variants[2].skip == "c2:15 is outside the region c1:15-1000"
    assert variants[3].skip == ""
    assert count_designable(variants) == 1


def test_region_whole_sequence(tmp_path):
    variants = read(tmp_path, "c1 10 A G\nc2 20 C T\n", options={"region": "c2"})

    assert variants[0].skip == "c1:10 is outside the region c2"
    assert variants[1].skip == ""


def test_region_name_with_colon(tmp_path):
    variants = read(tmp_path, "HLA:A 10 A G\n", options={"region": "HLA:A"})

    assert variants[0].skip == ""


def test_region_rejected_for_polymarker(tmp_path):
    message = input_error(tmp_path, "m1,ACGTACGTAC[A/G]ACGTACGTAC\n", options={"region": "c1"})

    assert "the region option needs positions, but PolyMarker lines give only a sequence" in message


# Duplicate and generated IDs.

def test_duplicate_id_renamed(tmp_path):
    variants = read(tmp_path, "c1 10 m1 A G\nc1 20 m2 A G\nc1 30 m1 C T\n")

    assert [v.snp_id for v in variants] == ["m1", "m2", "m1_dup2"]
    assert variants[2].notes == ["ID 'm1' is already used on line 1; renamed to m1_dup2"]
    assert variants[2].input_id == "m1"


def test_renamed_id_avoids_later_id(tmp_path):
    variants = read(tmp_path, "c1 10 m1 A G\nc1 20 m1 A G\nc1 30 m1_dup2 C T\n")

    assert [v.snp_id for v in variants] == ["m1", "m1_dup3", "m1_dup2"]


def test_same_site_twice_renamed(tmp_path):
    variants = read(tmp_path, "c1 10 . A G\nc1 10 . A G\n")

    assert [v.snp_id for v in variants] == ["c1_10_A_G", "c1_10_A_G_dup2"]


# Format detection.

DETECTED = [
    ("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n", "vcf"),
    ("seqid,library,position,wt_base,mut_base\ns1,L1,5,C,T\n", "mutant_list"),
    ("m1,3A,ACGT[A/G]ACGT\n", "polymarker"),
    ("m1,ACGT[-/G]ACGT\n", "polymarker"),
    ("m1,3A,ACGTACGTACGTACGTACGTaACGTACGT\n", "polymarker"),
    ("PST130_7067,T,3334,G,7067\n", "snp_list"),
    ("contig1,T,3334,G\n", "snp_list"),
    ("chr1,100,A,G\n", "table"),
    ("chr1,100,200,A,G\n", "table"),
    ("# a comment\nchr1 100 . A G\n", "table"),
    ("CHROM POS REF ALT\n", "table"),
]


@pytest.mark.parametrize("text, expected", DETECTED)
def test_detect_format_rules(text, expected):
    assert detect_format(text) == expected


def test_format_override_beats_detection(tmp_path):
    variants = read(tmp_path, "contig1,T,3334,G\n", fmt="table")

    assert variants[0].chrom == "contig1"
    assert "position 'T' is not a whole number" in variants[0].error


def test_readers_cover_every_format():
    assert list(READERS) == ["table", "vcf", "polymarker", "snp_list", "mutant_list"]


# PolyMarker lines.

def test_polymarker_real_markers():
    fmt, variants = read_variants(INPUTS / "test_primer3_error.csv")

    assert fmt == "polymarker"
    assert len(variants) == 4
    assert (variants[0].snp_id, variants[0].chrom, variants[0].pos) == ("Excalibur_c93405_296", "6AL", 0)
    assert (variants[0].ref, variants[0].alt) == ("A", "G")
    assert variants[0].flank_left == "gtacttcagccctagcatatcgaacctgaacctgtctttttagtgtggcc"
    assert variants[0].flank_right == "CGGGTGGAGACGGAGGCTGGTAGCGGCTCCCCAGGAAGAAGACCTTCTTC"


def test_polymarker_lowercase_snp_base():
    variants = read_variants(INPUTS / "Test3Aspecific.csv")[1]

    assert variants[0].error == ""
    assert "its only lower-case base 'g' (base 101) looks like the SNP" in variants[1].error
    assert "...CTAGC[G/x]AAGTG..." in variants[1].error


def test_polymarker_duplicate_marker_renamed():
    variants = read_variants(INPUTS / "short_primer_design_test.csv")[1]

    assert [v.snp_id for v in variants][3:5] == ["BS00183592", "BS00183592_dup2"]
    assert (variants[3].chrom, variants[4].chrom) == ("3B", "3A")


def test_polymarker_header_line_skipped(tmp_path):
    variants = read(tmp_path, "Marker,Chr,Sequence\nm1,3A,ACGTAC[T/C]GTACGT\n", fmt="polymarker")

    assert len(variants) == 1
    assert variants[0].line == 2


BAD_MARKERS = [
    ("m1,3A,ACGTAC[R/G]GTACGT", "[R/G] is not a pair of alleles because 'R' is an IUPAC ambiguity code"),
    ("m1,3A,ACGTAC[A/N]GTACGT", "[A/N] is not a pair of alleles because 'N'"),
    ("m1,3A,ACGTACGTACGTACGTACGTACGT", "the sequence has no [x/y] allele pair; write each marker"),
    ("m1,3A,ACGT[A/G]AC[C/T]GT", "the sequence has more than one [ ] pair"),
    ("m1,3A,ACGTAC[A]GTACGTACGTACGT", "the [ ] in the sequence is not a pair of alleles such as [A/G]"),
    ("m1,3A,ACGTAC[A/A]GTACGT", "[A/A] gives the same allele twice"),
    ("m1,3A,ACGTAC[-/-]GTACGT", "[-/-] has no base on either side"),
    ("m1,3A,ACGTAC[A/X]GTACGT", "[A/X] is not a pair of DNA alleles"),
    ("m1,3A,ACG1AC[A/G]GTACGT", "the left flank contains '1', which is not a DNA letter"),
    ("m1,3A,ACGTAC[A/G]GTA CGT", "the right flank contains ' '"),
    ("m1,3A,[A/G]", "the marker has no flanking sequence"),
    ("m1,3A,x,ACGTAC[A/G]GTACGT", "line 1 has 4 comma-separated fields; write each marker as ID,CHR"),
]


@pytest.mark.parametrize("line, reason", BAD_MARKERS)
def test_polymarker_bad_line_reason(tmp_path, line, reason):
    variants = read(tmp_path, f"{line}\nok,3A,ACGTAC[T/C]GTACGT\n", fmt="polymarker")

    assert reason in variants[0].error
    assert variants[1].error == ""


def test_polymarker_empty_id_generated(tmp_path):
    variants = read(tmp_path, ",3A,ACGTAC[T/C]GTACGT\n")

    assert variants[0].snp_id == "line1"


def test_polymarker_mnp_note(tmp_path):
    variants = read(tmp_path, "m1,3A,ACGTAC[TA/CG]GTACGT\n")

    assert "+ strand assays end on the first (base 1 of the allele)" in variants[0].notes[0]


# Real marker lists and the acceptance-case inputs, read as the design step receives them.

def test_polyoligo_indel_markers():
    fmt, variants = read_variants(INPUTS / "polyoligo_markers_with_indels.txt")

    assert fmt == "table"
    assert [(v.ref, v.alt) for v in variants] == [
        ("", "GCTGC"), ("TCT", "C"), ("C", "TTTA"), ("T", ""), ("G", "A")]
    assert all(v.error == "" for v in variants)


def test_polyoligo_dot_ids_generated():
    variants = read_variants(INPUTS / "polyoligo_markers.txt")[1]

    assert [v.snp_id for v in variants][:2] == ["Fvb1-1_1000_G_A", "Fvb2-1_10000_A_T"]
    assert variants[0].input_id == ""


def test_case_polymarker_indels():
    variants = read_variants(INPUTS / "case_indels_polymarker.csv")[1]

    assert [(v.ref, v.alt) for v in variants] == [("C", ""), ("", "A"), ("GC", "")]
    assert variants[0].flank_left.endswith("CAGTTAGCCT")
    assert variants[2].flank_right.startswith("ATCCTTCCAT")
    assert all(v.error == "" for v in variants)


def test_case_chromosome_names_kept():
    variants = read_variants(INPUTS / "case_chromosome_aliases.tsv")[1]

    assert [v.chrom for v in variants] == ["chr7B", "7B", "Chr7B"]
    assert [v.pos for v in variants] == [700, 900, 1300]


def test_case_unknown_sequence_read():
    variants = read_variants(INPUTS / "case_unknown_sequence.tsv")[1]

    assert [(v.snp_id, v.chrom) for v in variants] == [("missing", "chr5A"), ("ok", "contig1")]
    assert count_designable(variants) == 2


def test_case_iupac_flanks_kept():
    variants = read_variants(INPUTS / "case_iupac_in_flank.csv")[1]

    assert variants[0].error == ""
    assert "R" in variants[0].flank_left
    assert "Y" in variants[0].flank_right
    assert (variants[0].ref, variants[0].alt) == ("G", "A")


def test_case_polymarker_without_chromosome():
    variants = read_variants(INPUTS / "case_polymarker_no_chrom.csv")[1]

    assert (variants[0].snp_id, variants[0].chrom, variants[0].pos) == ("nochrom", "", 0)
    assert (variants[0].ref, variants[0].alt) == ("T", "A")
    assert variants[0].error == ""


def test_case_allele_case_and_codes():
    variants = read_variants(INPUTS / "case_allele_case_codes.csv")[1]

    assert (variants[0].ref, variants[0].alt, variants[0].error) == ("A", "G", "")
    assert "line 2: [R/G] is not a pair of alleles" in variants[1].error


def test_case_many_snps_one_line_each():
    variants = read_variants(INPUTS / "case_one_bad_ref.tsv")[1]

    assert len(variants) == 93
    assert (variants[50].line, variants[50].snp_id, variants[50].pos) == (51, "m050", 450)
    assert count_designable(variants) == 93


def test_case_near_sequence_ends():
    variants = read_variants(INPUTS / "case_near_ends.tsv")[1]

    assert [v.pos for v in variants] == [10, 838, 420]


def test_case_star_deletion_notation():
    variants = read_variants(INPUTS / "case_star_deletions.tsv")[1]

    assert [(v.ref, v.alt) for v in variants] == [("TGG", ""), ("", "GCTGC"), ("A", "G")]
    assert [v.snp_id for v in variants] == ["contig1_500_TGG_-", "contig1_600_-_GCTGC", "contig1_650_A_G"]


def test_case_snp_list_conversion():
    fmt, variants = read_variants(INPUTS / "PST130_7067.csv")

    assert fmt == "snp_list"
    assert (variants[0].chrom, variants[0].pos, variants[0].ref, variants[0].alt) == ("PST130_7067", 3334, "T", "G")
    assert variants[0].snp_id == "PST130_7067_3334_T_G"
    assert variants[0].notes == ["target '7067' from the SNP list is not used"]


def test_snp_list_wrong_field_count(tmp_path):
    variants = read(tmp_path, "c1,T,10\n", fmt="snp_list")

    assert "line 1 has 3 comma-separated fields; expected contig,ref,pos,alt[,target]" in variants[0].error


def test_mutant_list_ids():
    fmt, variants = read_variants(INPUTS / "test_from_mutant.csv")

    assert fmt == "mutant_list"
    assert variants[0].snp_id == "IWGSC_CSS_1AL_scaff_1455974_Kronos2281_127"
    assert (variants[0].chrom, variants[0].pos, variants[0].ref, variants[0].alt) == (
        "IWGSC_CSS_1AL_scaff_1455974", 127, "C", "T")
    assert variants[1].line == 3


def test_mutant_list_bad_header(tmp_path):
    message = input_error(tmp_path, "seqid,library,pos,wt_base,mut_base\ns1,L1,5,C,T\n", fmt="mutant_list")

    assert "lacks column(s) position; the first line must be seqid,library,position" in message


def test_mutant_list_short_row(tmp_path):
    variants = read(tmp_path, "seqid,library,position,wt_base,mut_base\ns1,L1,5,C\n")

    assert "line 2 has 4 fields but the header names 5" in variants[0].error


# VCF.

def test_vcf_real_freebayes_records():
    fmt, variants = read_variants(INPUTS / "S58861868.vcf")

    assert fmt == "vcf"
    assert len(variants) == 17
    assert (variants[0].line, variants[0].pos, variants[0].ref, variants[0].alt) == (61, 37, "T", "C")
    assert variants[-1].line == 76
    assert count_designable(variants) == 17


def test_vcf_multiallelic_split():
    variants = read_variants(INPUTS / "S58861868.vcf")[1]

    split = [v for v in variants if v.pos == 331]
    assert [(v.ref, v.alt) for v in split] == [("CT", "AT"), ("CT", "AC")]
    assert [v.line for v in split] == [69, 69]
    assert [v.snp_id for v in split] == [f"{CONTIG}_331_CT_AT", f"{CONTIG}_331_CT_AC"]


def test_vcf_mnp_note():
    variants = read_variants(INPUTS / "S58861868.vcf")[1]

    mnp = [v for v in variants if v.pos == 796][0]
    assert (mnp.ref, mnp.alt) == ("AAGC", "GGGA")
    assert mnp.notes == ["multi-base substitution AAGC>GGGA with 3 differing bases; + strand "
                         "assays end on the first (position 796), - strand assays on the last "
                         "(position 799)"]


def test_vcf_deletion_kept_anchored():
    variants = read_variants(INPUTS / "S22380157.vcf")[1]

    assert (variants[1].pos, variants[1].ref, variants[1].alt) == (172, "CTT", "CT")
    assert "multi-base substitution GTCCG>CACCA" in variants[0].notes[0]


def test_vcf_parents_heterozygous_skipped():
    variants = read_variants(INPUTS / "S58861868.vcf", options={"samples": ["AVS", "Yr15"]})[1]

    site = [v for v in variants if v.pos == 214][0]
    assert site.skip == ("Yr15 is heterozygous (0/1); kept only where AVS and Yr15 are "
                         "homozygous for different alleles")
    assert site.error == ""
    assert count_designable(variants) == 0


def test_vcf_unknown_sample_rejected():
    with pytest.raises(InputError) as caught:
        read_variants(INPUTS / "S58861868.vcf", options={"samples": ["AVS", "Avocet"]})

    assert "sample(s) Avocet not found in the VCF; its samples are: AVS, Yr15, R2, S2" in str(caught.value)


def test_vcf_samples_without_columns(tmp_path):
    text = vcf_text(["c1 10 . A G . . ."], samples=())

    message = input_error(tmp_path, text, name="calls.vcf", options={"samples": ["P1", "P2"]})

    assert "not found in the VCF; its samples are: none (the file has no sample columns)" in message


GENOTYPE_CASES = [
    ("0/0", "1/1", ""),
    ("1|1", "0|0", ""),
    ("0", "1", ""),
    ("./.", "1/1", "no genotype call for A (./.)"),
    ("0/0", "0/1", "B is heterozygous (0/1)"),
    ("1/1", "1/1", "A is 1/1 and B is 1/1, the same allele"),
]


@pytest.mark.parametrize("first, second, skip", GENOTYPE_CASES)
def test_vcf_parent_genotypes(tmp_path, first, second, skip):
    text = vcf_text([f"c1 10 . A G . PASS . GT {first} {second}"])

    variants = read(tmp_path, text, name="calls.vcf", options={"samples": ["A", "B"]})

    assert skip in variants[0].skip
    assert (variants[0].skip == "") == (skip == "")


def test_vcf_parents_two_alts(tmp_path):
    text = vcf_text(["c1 10 rs7 A G,T . . . GT 0/0 2/2", "c1 20 . A G,T . . . GT 1/1 2/2"])

    variants = read(tmp_path, text, name="calls.vcf", options={"samples": ["A", "B"]})

    assert [v.snp_id for v in variants[:2]] == ["rs7_alt1", "rs7_alt2"]
    assert "so they do not differ by REF against ALT 1" in variants[0].skip
    assert variants[1].skip == ""
    assert "A is 1/1 and B is 2/2, so they do not differ by REF against ALT 2" in variants[3].skip


def test_vcf_filtered_record_skipped(tmp_path):
    text = vcf_text(["c1 10 . A G . LowQual . GT 0/0 1/1", "c1 20 . C T . PASS . GT 0/0 1/1"])

    variants = read(tmp_path, text, name="calls.vcf")

    assert variants[0].skip == ("FILTER is LowQual, not PASS; filtered records are skipped "
                                "unless include_filtered is set")
    assert variants[1].skip == ""


def test_vcf_include_filtered_keeps(tmp_path):
    text = vcf_text(["c1 10 . A G . LowQual;q10 . GT 0/0 1/1"])

    variants = read(tmp_path, text, name="calls.vcf", options={"include_filtered": True})

    assert variants[0].skip == ""


BAD_VCF_RECORDS = [
    ("c1 10 . A <DEL> . . . GT 0/0 1/1", "line 4: ALT '<DEL>' is a symbolic allele without bases"),
    ("c1 10 . A * . . . GT 0/0 1/1", "ALT '*' is a symbolic allele"),
    ("c1 10 . A G]c1:50] . . . GT 0/0 1/1", "is a symbolic allele"),
    ("c1 10 . A . . . . GT 0/0 0/0", "line 4: the record has no ALT allele ('.')"),
    ("c1 10 . N G . . . GT 0/0 1/1", "REF 'N' contains an IUPAC ambiguity code"),
    ("c1 0 . A G . . . GT 0/0 1/1", "position 0 is not valid because positions are 1-based"),
]


@pytest.mark.parametrize("record, reason", BAD_VCF_RECORDS)
def test_vcf_bad_record_reason(tmp_path, record, reason):
    variants = read(tmp_path, vcf_text([record]), name="calls.vcf")

    assert reason in variants[0].error
    assert variants[0].skip == ""


MALFORMED_VCFS = [
    ("##fileformat=VCFv4.2\nc1\t10\t.\tA\tG\t.\t.\t.\n",
     "line 2: expected the #CHROM header line before the first record"),
    ("##fileformat=VCFv4.2\n##source=test\n",
     "no #CHROM header line found"),
    ("##fileformat=VCFv4.2\n#CHROM POS ID REF ALT QUAL FILTER INFO\n",
     "line 2: header '#CHROM POS ID REF ALT QUAL FILTER INFO' does not start with the tab-separated"),
    (vcf_text(["c1 10 . A G"]), "line 4 has 5 tab-separated fields, fewer than 8"),
    (vcf_text(["c1 10 . A G . . . GT 0/0"]), "line 4 has 10 tab-separated fields but the #CHROM header names 11"),
    (vcf_text(["c1 ten . A G . . . GT 0/0 1/1"]), "line 4: POS 'ten' is not a whole number"),
    (vcf_text(["c1 10 . A G . . . GT 0/0 1/1", "c1 20 . A G . . . GT 0/0 1/x"]),
     "line 5: invalid VCF record"),
]


@pytest.mark.parametrize("text, reason", MALFORMED_VCFS)
def test_malformed_vcf_rejected(tmp_path, text, reason):
    message = input_error(tmp_path, text, name="calls.vcf", fmt="vcf")

    assert reason in message
    assert "calls.vcf: " in message


def test_vcf_forced_on_table(tmp_path):
    message = input_error(tmp_path, "c1 10 A G\n", fmt="vcf")

    assert "line 1 is 'c1 10 A G', but a VCF must start with ##fileformat=VCFv4.x" in message


def test_vcf_no_records_rejected(tmp_path):
    message = input_error(tmp_path, vcf_text([]), name="calls.vcf")

    assert "no SNP records found" in message
    assert "expected VCF records after the #CHROM header line" in message


def test_vcf_blank_lines_and_crlf(tmp_path):
    text = vcf_text(["c1 10 . A G . . . GT 0/0 1/1", "", "c1 20 . C T . . . GT 0/0 1/1"])

    variants = read(tmp_path, ("\ufeff" + text).replace("\n", "\r\n").encode(), name="calls.vcf")

    assert [v.line for v in variants] == [4, 6]
    assert [v.pos for v in variants] == [10, 20]


def test_vcf_lowercase_alleles_upper(tmp_path):
    variants = read(tmp_path, vcf_text(["c1 10 . ac gt . . . GT 0/0 1/1"]), name="calls.vcf")

    assert (variants[0].ref, variants[0].alt) == ("AC", "GT")


def test_vcf_gzip_and_bgzip(tmp_path):
    text = vcf_text(["c1 10 rs1 A G . . . GT 0/0 1/1"])
    plain = write(tmp_path, text, name="calls.vcf")
    pysam.tabix_compress(str(plain), str(tmp_path / "bgzip.vcf.gz"))
    write(tmp_path, gzip.compress(text.encode()), name="gzip.vcf.gz")

    for name in ("bgzip.vcf.gz", "gzip.vcf.gz"):
        fmt, variants = read_variants(tmp_path / name)
        assert fmt == "vcf"
        assert (variants[0].snp_id, variants[0].line) == ("rs1", 4)


def test_vcf_region_and_samples(tmp_path):
    text = vcf_text(["c1 10 . A G . . . GT 0/1 1/1", "c1 500 . A G . . . GT 0/0 1/1"])

    variants = read(tmp_path, text, name="calls.vcf", options={"samples": ["A", "B"], "region": "c1:100-900"})

    assert variants[0].skip == "c1:10 is outside the region c1:100-900"
    assert variants[1].skip == ""
    assert count_designable(variants) == 1


def test_count_designable_ignores_errors(tmp_path):
    variants = read(tmp_path, "c1 10 A G\nc1 20 A A\nc1 30 C T\n", options={"region": "c1:1-25"})

    assert count_designable(variants) == 1


def test_table_tab_field_with_space(tmp_path):
    variants = read(tmp_path, "chr1\t10\tmarker one\tA\tG\n")

    assert variants[0].snp_id == "marker one"
    assert variants[0].error == ""


def test_options_not_a_mapping(tmp_path):
    message = input_error(tmp_path, "c1 10 A G\n", options=["region", "c1"])

    assert "SNP reading options must be a mapping" in message


def test_samples_not_a_list(tmp_path):
    message = input_error(tmp_path, "c1 10 A G\n", options={"samples": 5})

    assert "samples must name exactly two VCF samples, for example ['parentA', 'parentB'], not 5" in message


def test_polymarker_spaced_alleles(tmp_path):
    variants = read(tmp_path, "m1,3A,ACGTAC[ a / g ]GTACGT\n")

    assert (variants[0].ref, variants[0].alt, variants[0].error) == ("A", "G", "")


def test_directory_given_as_file(tmp_path):
    with pytest.raises(InputError, match="cannot read SNP file"):
        read_variants(tmp_path)


# Quoted fields, as R's write.csv and spreadsheet exports write them.

def test_table_quoted_csv_fields(tmp_path):
    variants = read(tmp_path, '"chr7B","1051","RAC875","A","G"\n', name="snps.csv")

    assert variants[0].snp_id == "RAC875"
    assert (variants[0].chrom, variants[0].pos) == ("chr7B", 1051)
    assert (variants[0].ref, variants[0].alt) == ("A", "G")
    assert variants[0].error == ""


def test_table_quoted_csv_header(tmp_path):
    text = '"CHROM","POS","ID","REF","ALT"\n"chr7B","1051","RAC875","A","G"\n'

    variants = read(tmp_path, text, name="snps.csv")

    assert len(variants) == 1
    assert variants[0].line == 2
    assert (variants[0].snp_id, variants[0].pos) == ("RAC875", 1051)


def test_table_r_row_names_ignored(tmp_path):
    # write.csv without row.names=FALSE adds an unnamed first column of row numbers.
    text = '"","CHROM","POS","ID","REF","ALT"\n"1","chr7B",1051,"RAC875","A","G"\n'

    variants = read(tmp_path, text, name="snps.csv")

    assert (variants[0].chrom, variants[0].pos, variants[0].snp_id) == ("chr7B", 1051, "RAC875")
    assert variants[0].error == ""


def test_table_quoted_tab_fields(tmp_path):
    variants = read(tmp_path, '"chr7B"\t"1051"\t"RAC875"\t"A"\t"G"\n')

    assert (variants[0].chrom, variants[0].pos, variants[0].snp_id) == ("chr7B", 1051, "RAC875")
    assert variants[0].error == ""


def test_table_quoted_comma_alts(tmp_path):
    variants = read(tmp_path, '"c1","331",".","CT","AT,AC"\n', name="snps.csv")

    assert [(v.ref, v.alt) for v in variants] == [("CT", "AT"), ("CT", "AC")]


def test_table_quoted_field_doubled_quote(tmp_path):
    variants = read(tmp_path, '"c1","10","m""1","A","G"\n', name="snps.csv")

    assert variants[0].snp_id == 'm"1'


def test_table_spaced_quotes_unchanged(tmp_path):
    # Quotes only group fields that commas or tabs separate.
    variants = read(tmp_path, '"c1" 10 m1 A G\n')

    assert variants[0].chrom == '"c1"'


def test_polymarker_quoted_fields(tmp_path):
    fmt, variants = read_variants(write(tmp_path, '"m1","3A","ACGTAC[T/C]GTACGT"\n'))

    assert fmt == "polymarker"
    assert (variants[0].snp_id, variants[0].chrom) == ("m1", "3A")
    assert (variants[0].flank_left, variants[0].flank_right) == ("ACGTAC", "GTACGT")
    assert variants[0].error == ""


def test_polymarker_quoted_header_skipped(tmp_path):
    text = '"Marker","Chr","Sequence"\n"m1","3A","ACGTAC[T/C]GTACGT"\n'

    variants = read(tmp_path, text, fmt="polymarker")

    assert len(variants) == 1
    assert variants[0].snp_id == "m1"


def test_snp_list_quoted_fields(tmp_path):
    fmt, variants = read_variants(write(tmp_path, '"PST130_7067","T","3334","G","7067"\n'))

    assert fmt == "snp_list"
    assert (variants[0].chrom, variants[0].pos) == ("PST130_7067", 3334)
    assert (variants[0].ref, variants[0].alt) == ("T", "G")
    assert variants[0].error == ""


def test_mutant_list_quoted_header(tmp_path):
    text = '"seqid","library","position","wt_base","mut_base"\n"s1","L1","5","C","T"\n'

    fmt, variants = read_variants(write(tmp_path, text))

    assert fmt == "mutant_list"
    assert variants[0].snp_id == "s1_L1_5"
    assert variants[0].error == ""


UNCLOSED_QUOTES = [
    ('"c1","10","m1,"A","G"\n', "table"),
    ('"c1\t10\tm1\tA\tG\n', "table"),
    ('"m1,"3A","ACGTAC[T/C]GTACGT"\n', "polymarker"),
    ('"contig1","T","3334,"G"\n', "snp_list"),
]


@pytest.mark.parametrize("text, fmt", UNCLOSED_QUOTES)
def test_unclosed_quote_reason(tmp_path, text, fmt):
    variants = read(tmp_path, text + "c1,20,ok,C,T\n", fmt=fmt)

    assert variants[0].error.startswith("line 1: '\"")
    assert "has a double quote that is not closed" in variants[0].error
    assert "quote whole fields" in variants[0].error


def test_mutant_row_unclosed_quote(tmp_path):
    text = 'seqid,library,position,wt_base,mut_base\n"s1,L1,5,C,T\ns1,L1,6,C,T\n'

    variants = read(tmp_path, text)

    assert "line 2: '\"s1,L1,5,C,T' has a double quote that is not closed" in variants[0].error
    assert variants[1].error == ""


# UTF-16 text, as Excel's "Unicode Text" export writes it.

EXCEL_UNICODE_TEXT = "CHROM\tPOS\tID\tREF\tALT\r\nchr7B\t1051\tRAC875\tA\tG\r\nchr7B\t1300\tm\u00e9\tC\tT\r\n"


def test_utf16_le_with_bom_read(tmp_path):
    variants = read(tmp_path, b"\xff\xfe" + EXCEL_UNICODE_TEXT.encode("utf-16-le"))

    assert [v.snp_id for v in variants] == ["RAC875", "m\u00e9"]
    assert [v.line for v in variants] == [2, 3]
    assert variants[0].chrom == "chr7B"


def test_utf16_be_with_bom_read(tmp_path):
    variants = read(tmp_path, b"\xfe\xff" + EXCEL_UNICODE_TEXT.encode("utf-16-be"))

    assert [v.snp_id for v in variants] == ["RAC875", "m\u00e9"]


def test_utf16_without_bom_rejected(tmp_path):
    message = input_error(tmp_path, EXCEL_UNICODE_TEXT.encode("utf-16-le"))

    assert "snps.txt looks like UTF-16 text without a byte order mark" in message
    assert "save as UTF-8 text" in message


def test_utf16_truncated_rejected(tmp_path):
    message = input_error(tmp_path, b"\xff\xfe" + EXCEL_UNICODE_TEXT.encode("utf-16-le")[:-1])

    assert "starts with a UTF-16 byte order mark but is not valid UTF-16 text" in message
    assert "save as UTF-8 text" in message


def test_utf16_gzip_vcf_read(tmp_path):
    text = vcf_text(["c1 10 rs1 A G . . . GT 0/0 1/1"])
    data = gzip.compress(b"\xff\xfe" + text.encode("utf-16-le"))

    variants = read(tmp_path, data, name="calls.vcf.gz")

    assert (variants[0].snp_id, variants[0].line) == ("rs1", 4)


# Design notes belong only to records that are designed.

def test_vcf_filtered_mnp_no_note(tmp_path):
    text = vcf_text(["c1 10 . AAGC GGGA . LowQual . GT 0/0 1/1"])

    variants = read(tmp_path, text, name="calls.vcf")

    assert variants[0].skip.startswith("FILTER is LowQual")
    assert variants[0].notes == []


def test_vcf_skipped_alts_keep_alt_note(tmp_path):
    text = vcf_text(["c1 10 . CT AT,AC . LowQual . GT 0/0 1/1"])

    variants = read(tmp_path, text, name="calls.vcf")

    assert variants[0].notes == ["ALT 1 of 2 (AT,AC) on this line"]
    assert variants[1].notes == ["ALT 2 of 2 (AT,AC) on this line"]


def test_vcf_genotype_skipped_mnp_no_note():
    variants = read_variants(INPUTS / "S58861868.vcf", options={"samples": ["AVS", "Yr15"]})[1]

    mnp = [v for v in variants if v.pos == 796][0]
    assert mnp.skip != ""
    assert mnp.notes == []


def test_region_skipped_mnp_no_note(tmp_path):
    variants = read(tmp_path, "c1 10 m1 AAGC GGGA\nc1 500 m2 AAGC GGGA\n", options={"region": "c1:100-900"})

    assert variants[0].notes == []
    assert "+ strand assays end on the first (position 500)" in variants[1].notes[0]


def test_bad_alt_mnp_no_note(tmp_path):
    variants = read(tmp_path, "c1 10 m1 AAGC GGGA,GGXA\n")

    assert "+ strand assays end on the first" in variants[0].notes[1]
    assert variants[1].notes == ["ALT 2 of 2 (GGGA,GGXA) on this line"]
