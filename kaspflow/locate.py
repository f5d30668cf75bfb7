"""Place PolyMarker-style markers (``flank[x/y]flank``) on the genome.

A marker carries no position, so its flanks are searched for: the ANCHOR bases
on each side of the variant must match the genome exactly (an IUPAC code in the
flank matches any base), on either strand. Which allele the genome
carries decides REF. When several places match, the one on the sequence named in
the marker's CHR field wins, then the one whose whole flank has the fewest
mismatches; a tie is reported rather than guessed.
"""

import logging
import re
from dataclasses import dataclass

from .dna import reverse_complement
from .errors import SnpError
from .extract import Target
from .genome import Genome, normalize_name
from .variants import Variant

log = logging.getLogger(__name__)

ANCHOR = 20

_BASES = {"A": "A", "C": "C", "G": "G", "T": "T"}


@dataclass
class Hit:
    """One place where a marker's anchors match: 0-based start of the variant on the plus strand."""

    chrom: str
    strand: str
    start: int
    allele: str
    mismatches: int = 0


def _regex(seq: str) -> str:
    # An IUPAC code in a flank marks a neighbouring variant; the genome may carry
    # any base there (even one outside the code), so it matches every base.
    return "".join(_BASES.get(base, "[ACGTN]") for base in seq.upper())


def marker_patterns(variant: Variant) -> dict[str, re.Pattern]:
    """Return the plus- and minus-strand search patterns of a marker, capturing the allele."""
    left = variant.flank_left[-ANCHOR:]
    right = variant.flank_right[:ANCHOR]
    alleles = sorted({variant.ref, variant.alt}, key=len, reverse=True)
    plus = _regex(left) + "(" + "|".join(alleles) + ")" + _regex(right)
    minus_alleles = "|".join(reverse_complement(a) for a in alleles)
    minus = _regex(reverse_complement(right)) + "(" + minus_alleles + ")" + _regex(reverse_complement(left))
    return {"+": re.compile(f"(?=({plus}))"), "-": re.compile(f"(?=({minus}))")}


def find_markers(genome: Genome, variants: list[Variant]) -> dict[int, list[Hit]]:
    """Return, for each marker (by list index), every place its anchors match.

    Each sequence is read once and searched for all markers.
    """
    # NOTE: the search reads one whole sequence at a time into memory and scans it
    # per marker; fine for contigs and small genomes, slow for whole wheat chromosomes.
    patterns = {i: marker_patterns(v) for i, v in enumerate(variants)}
    hits: dict[int, list[Hit]] = {i: [] for i in patterns}
    anchors = {i: min(len(v.flank_left), ANCHOR) for i, v in enumerate(variants)}
    for info in genome.sequences:
        sequence = genome.fetch(info.name, 0, info.length).upper()
        for i, by_strand in patterns.items():
            for strand, pattern in by_strand.items():
                for match in pattern.finditer(sequence):
                    hits[i].append(_hit(info.name, strand, match, anchors[i], variants[i], sequence))
    return hits


def _hit(chrom: str, strand: str, match: re.Match, left_anchor: int, variant: Variant,
         sequence: str) -> Hit:
    whole, allele = match.group(1), match.group(2)
    if strand == "+":
        start = match.start() + left_anchor
        allele_plus = allele
    else:
        right_anchor = min(len(variant.flank_right), ANCHOR)
        start = match.start() + right_anchor
        allele_plus = allele
    hit = Hit(chrom, strand, start, allele_plus)
    hit.mismatches = _flank_mismatches(hit, variant, sequence)
    return hit


def _flank_mismatches(hit: Hit, variant: Variant, sequence: str) -> int:
    """Count mismatches between the whole marker flanks and the genome around ``hit``."""
    left, right = variant.flank_left.upper(), variant.flank_right.upper()
    if hit.strand == "-":
        left, right = reverse_complement(right), reverse_complement(left)
    genome_left = sequence[max(0, hit.start - len(left)):hit.start]
    end = hit.start + len(hit.allele)
    genome_right = sequence[end:end + len(right)]
    mismatches = len(left) - len(genome_left) + len(right) - len(genome_right)
    for marker, genomic in ((left[len(left) - len(genome_left):], genome_left), (right, genome_right)):
        for m, g in zip(marker, genomic):
            if m in "ACGT" and m != g:
                mismatches += 1
    return mismatches


def choose_hit(genome: Genome, variant: Variant, hits: list[Hit]) -> Hit:
    """Return the one place of a marker, or raise SnpError saying why there is none."""
    if not hits:
        raise SnpError(
            f"marker flank not found in the genome: the {ANCHOR} bases on each side of "
            f"[{variant.ref or '-'}/{variant.alt or '-'}] match no sequence on either strand; "
            "check that the marker comes from this genome, or give its CHROM and POS in a table"
        )
    if variant.chrom:
        wanted = normalize_name(variant.chrom)
        named = [h for h in hits if h.chrom == variant.chrom or normalize_name(h.chrom) == wanted]
        hits = named or hits
    best = min(h.mismatches for h in hits)
    hits = [h for h in hits if h.mismatches == best]
    if len(hits) > 1:
        places = ", ".join(f"{h.chrom}:{h.start + 1}({h.strand})" for h in hits[:5])
        raise SnpError(
            f"marker flank matches {len(hits)} places equally well ({places}); "
            "name the sequence in the CHR field or give CHROM and POS in a table"
        )
    return hits[0]


def place_marker(genome: Genome, variant: Variant, hit: Hit) -> Variant:
    """Return a copy of ``variant`` with the genome's sequence, 1-based position and REF/ALT.

    The allele found in the genome becomes REF; alleles are written on the plus strand.
    """
    first, second = variant.ref, variant.alt
    if hit.strand == "-":
        first, second = reverse_complement(first), reverse_complement(second)
    ref, alt = (first, second) if hit.allele == first else (second, first)
    notes = list(variant.notes)
    if hit.strand == "-":
        notes.append("marker sequence lies on the minus strand; alleles given on the plus strand")
    if ref != first:
        notes.append(f"the genome carries the second allele of [{variant.ref or '-'}/{variant.alt or '-'}]")
    if hit.mismatches:
        notes.append(f"marker flank differs from the genome at {hit.mismatches} bases")
    if variant.chrom and normalize_name(variant.chrom) != normalize_name(hit.chrom):
        notes.append(f"marker names '{variant.chrom}' but was found on {hit.chrom}")
    notes.append(f"marker located at {hit.chrom}:{hit.start + 1}")
    return Variant(line=variant.line, snp_id=variant.snp_id, chrom=hit.chrom, pos=hit.start + 1,
                   ref=ref, alt=alt, input_id=variant.input_id, notes=notes,
                   flank_left=variant.flank_left, flank_right=variant.flank_right)


def mask_ambiguities(target: Target, marker: Variant, strand: str) -> Target:
    """Copy the IUPAC codes of the marker's flanks onto the genome flanks of ``target``.

    They mark neighbouring variants the genome sequence does not show, so primers
    must not rely on those bases.
    """
    left, right = marker.flank_left, marker.flank_right
    if strand == "-":
        left, right = reverse_complement(right), reverse_complement(left)
    target.left = _overlay(target.left, left, from_end=True)
    target.right = _overlay(target.right, right, from_end=False)
    return target


def _overlay(genomic: str, marker: str, from_end: bool) -> str:
    bases = list(genomic)
    for i in range(min(len(genomic), len(marker))):
        g = len(genomic) - 1 - i if from_end else i
        m = len(marker) - 1 - i if from_end else i
        if marker[m].upper() not in "ACGT":
            bases[g] = marker[m].upper()
    return "".join(bases)


def target_from_marker(variant: Variant) -> Target:
    """Return a Target on the marker sequence itself, for a job without a genome.

    Positions are then 1-based on the submitted marker sequence (flank + REF + flank).
    """
    variant.pos = len(variant.flank_left) + 1
    variant.notes.append("designed on the marker sequence alone, not checked against a genome; "
                         "positions are on the marker sequence")
    return Target(variant, variant.chrom or variant.snp_id, 0, variant.flank_left, variant.ref,
                  variant.alt, variant.flank_right, genome_checked=False)
