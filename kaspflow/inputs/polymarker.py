"""Reader for PolyMarker marker lines: ``ID,CHR,SEQ[A/G]SEQ`` or ``ID,SEQ[A/G]SEQ``.

Fields may be enclosed in double quotes, as spreadsheet exports write them.

The record has no position: ``pos`` is 0 and the design code locates
``flank_left`` + allele + ``flank_right`` in the genome. Flanks are kept exactly as given,
including lower-case (soft-masked) bases and IUPAC codes for neighbouring variants.
"""

import re

from ..dna import IUPAC_CODES
from .records import Variant, bad_record, check_alleles
from .tables import data_lines, split_quoted

_MARKER = re.compile(r"([^\[\]]*)\[([^\[\]/]*)/([^\[\]/]*)\]([^\[\]]*)")
_FLANK_LETTERS = IUPAC_CODES | {c.lower() for c in IUPAC_CODES}
_HEADER_WORDS = {"sequence", "seq", "marker", "id"}

FORMAT_HINT = "write each marker as ID,CHR,SEQ[A/G]SEQ or ID,SEQ[A/G]SEQ"


def read_polymarker(text: str) -> list[Variant]:
    """Read PolyMarker lines; a first line of column names such as ``Marker,Chr,Sequence`` is skipped."""
    variants: list[Variant] = []
    for number, line in data_lines(text):
        try:
            fields = split_quoted(line, ",")
        except ValueError as exc:
            variants.append(bad_record(number, [], f"line {number}: {exc}"))
            continue
        if not variants and "[" not in line and _HEADER_WORDS & {f.lower() for f in fields}:
            continue
        variants.append(_marker_record(number, fields))
    return variants


def _marker_record(number: int, fields: list[str]) -> Variant:
    if len(fields) == 3:
        marker_id, chrom, sequence = fields
    elif len(fields) == 2:
        marker_id, sequence = fields
        chrom = ""
    else:
        return bad_record(number, fields, f"line {number} has {len(fields)} comma-separated "
                          f"fields; {FORMAT_HINT}")

    variant = Variant(number, marker_id, chrom, 0, "", "", input_id=marker_id)
    match = _MARKER.fullmatch(sequence)
    if match is None:
        variant.error = _explain_missing_marker(number, sequence)
        return variant

    left, first, second, right = match.groups()
    first, second = first.strip(), second.strip()
    variant.flank_left, variant.flank_right = left, right
    variant.error = _check_flanks(number, left, right)
    if variant.error:
        return variant

    variant.ref, variant.alt, allele_error = check_alleles(number, first, second)
    variant.error = _explain_allele_error(number, first, second, allele_error)
    return variant


def _explain_missing_marker(number: int, sequence: str) -> str:
    if sequence.count("[") > 1:
        return f"line {number}: the sequence has more than one [ ] pair; mark only the SNP, {FORMAT_HINT}"
    if "[" in sequence or "]" in sequence:
        return (f"line {number}: the [ ] in the sequence is not a pair of alleles such as [A/G] "
                f"or [C/-]; {FORMAT_HINT}")

    # Some marker files mark the SNP as the only lower-case base of an upper-case sequence.
    lower = [i for i, c in enumerate(sequence) if c.islower()]
    if len(lower) == 1:
        i = lower[0]
        return (f"line {number}: the sequence has no [x/y] allele pair; its only lower-case base "
                f"'{sequence[i]}' (base {i + 1}) looks like the SNP, but both alleles are needed: "
                f"write it as ...{sequence[max(0, i - 5):i]}[{sequence[i].upper()}/x]"
                f"{sequence[i + 1:i + 6]}... with x the other allele")
    return f"line {number}: the sequence has no [x/y] allele pair; {FORMAT_HINT}"


def _check_flanks(number: int, left: str, right: str) -> str:
    for side, flank in (("left", left), ("right", right)):
        bad = sorted(set(flank) - _FLANK_LETTERS)
        if bad:
            return (f"line {number}: the {side} flank contains '{bad[0]}', which is not a DNA "
                    "letter; flanks may hold A, C, G, T, N and IUPAC codes only")
    if not left and not right:
        return f"line {number}: the marker has no flanking sequence; give the bases around [x/y]"
    return ""


def _explain_allele_error(number: int, first: str, second: str, allele_error: str) -> str:
    # check_alleles speaks of REF and ALT; a PolyMarker line only has the pair [x/y].
    if not allele_error:
        return ""
    pair = f"[{first}/{second}]"
    for allele in (first, second):
        upper = allele.upper()
        if upper and set(upper) <= IUPAC_CODES and not set(upper) <= set("ACGT"):
            return (f"line {number}: {pair} is not a pair of alleles because '{allele}' is an "
                    "IUPAC ambiguity code; write the two bases, for example [A/G]")
    if first.upper() == second.upper() and first not in ("-", ""):
        return f"line {number}: {pair} gives the same allele twice; a SNP needs two different alleles"
    if allele_error.endswith("give at least one base"):
        return f"line {number}: {pair} has no base on either side; give at least one allele"
    return (f"line {number}: {pair} is not a pair of DNA alleles; use A, C, G, T, "
            "or - for the missing side of an indel")
