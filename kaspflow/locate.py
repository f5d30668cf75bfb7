"""Place PolyMarker-style markers (``flank[x/y]flank``) on the genome.

A marker carries no position, so its flanks are searched for on both strands.
Exact 12-base seeds next to the variant propose places. A place is kept when
the flanks fit it without gaps and with few mismatches, either whole or, for a
marker whose flank crosses an intron, for at least MIN_LOCAL_FIT bases around
the variant. IUPAC codes in the flank match any base. The allele the genome
carries decides REF. When several places fit, those on the sequence named in
the marker's CHR field win, then whole fits, then the closest fit. A tie is
reported rather than guessed.
"""

import logging
import re
from dataclasses import dataclass

from .dna import covers, is_unambiguous, merge_code, reverse_complement
from .errors import SnpError
from .extract import Target
from .genome import Genome, normalize_name
from .variants import Variant

log = logging.getLogger(__name__)

SEED = 12
SEEDS_PER_SIDE = 3
# A flank fits when at most this share of its bases mismatch (ignoring IUPAC
# codes), or MIN_MISMATCHES, whichever is larger. Wheat homeologs differ at 2-4 %
# of bases, so all copies are found and the closest one wins.
MAX_MISMATCH_SHARE = 0.08
MIN_MISMATCHES = 2
# Markers taken from transcripts often have an intron near the SNP, so a place
# is also accepted when the flank fits only up to an exon boundary, as long as at
# least this many flank bases around the variant fit.
MIN_LOCAL_FIT = 40

@dataclass
class Hit:
    """One place a marker fits: ``start`` is the 0-based plus-strand start of the variant.

    ``allele`` is the genome's plus-strand bases there; ``matched`` is which marker
    allele they are ('first', 'second', or '' when neither). ``fit`` is 'both' when
    the whole of both flanks fits, else 'partial'; ``left_fit`` and ``right_fit``
    count the flank bases next to the variant that fit, along the plus strand.
    """

    chrom: str
    strand: str
    start: int
    allele: str
    mismatches: int
    matched: str
    fit: str = "both"
    left_fit: int = 0
    right_fit: int = 0

    @property
    def fitted(self) -> int:
        return self.left_fit + self.right_fit


def _oriented(variant: Variant, strand: str) -> tuple[str, str, str, str]:
    """Return (left, right, first, second) of the marker as read along the genome's plus strand."""
    left, right = variant.flank_left.upper(), variant.flank_right.upper()
    first, second = variant.ref, variant.alt
    if strand == "-":
        return (reverse_complement(right), reverse_complement(left),
                reverse_complement(first), reverse_complement(second))
    return left, right, first, second


def _seeds(left: str, right: str, allele_lengths: set[int]) -> list[tuple[str, list[int]]]:
    """Return (k-mer, offsets) pairs: variant start = seed position + offset."""
    seeds = []
    for k in range(SEEDS_PER_SIDE):
        piece = left[len(left) - (k + 1) * SEED:len(left) - k * SEED] if len(left) >= (k + 1) * SEED else ""
        if len(piece) == SEED and is_unambiguous(piece):
            seeds.append((piece, [(k + 1) * SEED]))
        piece = right[k * SEED:(k + 1) * SEED]
        if len(piece) == SEED and is_unambiguous(piece):
            seeds.append((piece, [-(k * SEED) - n for n in allele_lengths]))
    return seeds


def find_markers(genome: Genome, variants: list[Variant]) -> dict[int, list[Hit]]:
    """Return, for each marker (by list index), every place where its flanks fit.

    Exact 12-base seeds from the flanks next to the variant propose places on
    both strands, and :func:`_fit` decides which of them the flanks fit. Each
    sequence is read once and searched for all markers.
    """
    # NOTE: the search reads one whole sequence at a time into memory and scans it
    # once per seed. That is fine for contigs and genomes of some tens of Mb but
    # slow for whole wheat chromosomes, where a CHROM POS table is the better input.
    hits: dict[int, list[Hit]] = {i: [] for i in range(len(variants))}
    for info in genome.sequences:
        sequence = genome.fetch(info.name, 0, info.length).upper()
        for i, variant in enumerate(variants):
            for strand in ("+", "-"):
                hits[i].extend(_fit_strand(info.name, sequence, variant, strand))
    return hits


def _fit_strand(chrom: str, sequence: str, variant: Variant, strand: str) -> list[Hit]:
    left, right, first, second = _oriented(variant, strand)
    lengths = {len(first), len(second)}

    candidates = set()
    for seed, offsets in _seeds(left, right, lengths):
        position = sequence.find(seed)
        while position != -1:
            candidates.update(position + offset for offset in offsets)
            position = sequence.find(seed, position + 1)

    hits = []
    for start in sorted(c for c in candidates if c >= 0):
        best = None
        for allele, name in ((first, "first"), (second, "second")):
            hit = _fit(chrom, sequence, start, left, right, allele, strand)
            if hit is None:
                continue
            hit.matched = name if covers(hit.allele, allele) else ""
            key = (hit.fit != "both", -hit.fitted, hit.mismatches, hit.matched == "")
            if best is None or key < best[0]:
                best = (key, hit)
        if best is not None:
            hits.append(best[1])
    return hits


def _allowed(length: int) -> int:
    return max(MIN_MISMATCHES, int(MAX_MISMATCH_SHARE * length))


def _extent(marker_outward: str, genome_outward: str) -> tuple[int, int]:
    """Return (bases that fit, mismatches among them), walking away from the variant.

    The fit ends on the last matching base before the mismatches exceed the
    allowed share, such as at an exon boundary. A few random matches beyond
    the boundary may still count.
    """
    fitted, fitted_mismatches, mismatches = 0, 0, 0
    for i, base in enumerate(marker_outward):
        genomic = genome_outward[i] if i < len(genome_outward) else ""
        if base in "ACGT" and base != genomic:
            mismatches += 1
        elif mismatches <= _allowed(i + 1):
            fitted, fitted_mismatches = i + 1, mismatches
    return fitted, fitted_mismatches


def _fit(chrom: str, sequence: str, start: int, left: str, right: str, allele: str,
         strand: str) -> Hit | None:
    """Return the Hit of the marker with its variant at ``start``, or None when it does not fit."""
    end = start + len(allele)
    left_fit, left_mm = _extent(left[::-1], sequence[max(0, start - len(left)):start][::-1])
    right_fit, right_mm = _extent(right, sequence[end:end + len(right)])
    whole = left_fit == len(left) and right_fit == len(right)
    if not whole and left_fit + right_fit < MIN_LOCAL_FIT:
        return None
    hit = Hit(chrom, strand, start, sequence[start:end], left_mm + right_mm, "",
              "both" if whole else "partial")
    hit.left_fit, hit.right_fit = left_fit, right_fit
    return hit


def _named(variant: Variant, chrom: str) -> bool:
    """Return True when the marker's CHR field names ``chrom``.

    The field is compared with the whole name and with each part of it split at
    '_', '.', ':' or '-', also with a chromosome-arm letter (S/L) added, so '2A'
    names 'IWGSC_CSS_2AS_scaff_5222932'. Parts are compared whole: '1A' never
    names '11A'.
    """
    wanted = normalize_name(variant.chrom)
    if not wanted:
        return False
    if normalize_name(chrom) == wanted:
        return True
    parts = {normalize_name(part) for part in re.split(r"[_.:\-]", chrom)}
    return bool(parts & {wanted, wanted + "s", wanted + "l"})


def choose_hit(genome: Genome, variant: Variant, hits: list[Hit]) -> Hit:
    """Return the one place of a marker, or raise SnpError saying why there is none."""
    fitting = [h for h in hits if h.matched]
    if not fitting and hits:
        hit = min(hits, key=lambda h: h.mismatches)
        shown = hit.allele if hit.strand == "+" else reverse_complement(hit.allele)
        raise SnpError(
            f"REF mismatch: the marker's flanks fit {hit.chrom} at {hit.start + 1} ({hit.strand} strand, "
            f"{hit.mismatches} mismatches), but the genome has '{shown}' there, not either allele of "
            f"[{variant.ref or '-'}/{variant.alt or '-'}]; check the alleles or the genome version"
        )
    if not fitting:
        raise SnpError(
            "marker flank not found in the genome: no place on either strand fits at least "
            f"{MIN_LOCAL_FIT} flank bases around the variant with at most "
            f"{int(MAX_MISMATCH_SHARE * 100)} % mismatches; check that the marker comes from this "
            "genome, or give its CHROM and POS in a table"
        )

    named = [h for h in fitting if _named(variant, h.chrom)]
    fitting = named or fitting
    both = [h for h in fitting if h.fit == "both"]
    fitting = both or fitting
    best = min((-h.fitted, h.mismatches) for h in fitting)
    fitting = [h for h in fitting if (-h.fitted, h.mismatches) == best]
    if len(fitting) > 1:
        places = ", ".join(f"{h.chrom}:{h.start + 1}({h.strand})" for h in fitting[:5])
        raise SnpError(
            f"marker flank fits {len(fitting)} places equally well ({places}); "
            "name the sequence in the CHR field or give CHROM and POS in a table"
        )
    return fitting[0]


def place_marker(genome: Genome, variant: Variant, hit: Hit) -> Variant:
    """Return a copy of ``variant`` with the genome's sequence, 1-based position and REF/ALT.

    The allele found in the genome becomes REF; alleles are written on the plus strand.
    """
    _, _, first, second = _oriented(variant, hit.strand)
    ref, alt = (first, second) if hit.matched == "first" else (second, first)
    notes = list(variant.notes)
    if hit.strand == "-":
        notes.append("marker sequence lies on the minus strand; alleles given on the plus strand")
    if ref != first:
        notes.append(f"the genome carries the second allele of [{variant.ref or '-'}/{variant.alt or '-'}]")
    if hit.fit != "both":
        total = len(variant.flank_left) + len(variant.flank_right)
        notes.append(f"only {hit.fitted} of the marker's {total} flank bases fit the genome here "
                     f"({hit.left_fit} before and {hit.right_fit} after the variant on the plus "
                     "strand); the rest differs, for example at introns of a marker taken from "
                     "transcript sequence")
    if hit.mismatches:
        notes.append(f"marker flank differs from the genome at {hit.mismatches} bases")
    if variant.chrom and not _named(variant, hit.chrom):
        notes.append(f"marker names '{variant.chrom}' but was found on {hit.chrom}")
    notes.append(f"marker located at {hit.chrom}:{hit.start + 1}")
    return Variant(line=variant.line, snp_id=variant.snp_id, chrom=hit.chrom, pos=hit.start + 1,
                   ref=ref, alt=alt, input_id=variant.input_id, notes=notes,
                   flank_left=variant.flank_left, flank_right=variant.flank_right)


def mask_ambiguities(target: Target, marker: Variant, hit: Hit) -> Target:
    """Copy the IUPAC codes of the marker's fitting flanks onto the genome flanks of ``target``.

    They mark neighbouring variants the genome sequence does not show, so primers
    must not rely on those bases.
    """
    left, right, _, _ = _oriented(marker, hit.strand)
    left = left[len(left) - hit.left_fit:] if hit.left_fit else ""
    right = right[:hit.right_fit]
    genome_left, genome_right = target.left, target.right
    target.left = _overlay(target.left, left, from_end=True)
    target.right = _overlay(target.right, right, from_end=False)

    # Say where a marker code excludes the genome base, since the merged code
    # then matches neither input.
    first = target.start + 1
    sides = ((genome_left, left, True, 0),
             (genome_right, right, False, len(genome_left) + len(target.ref)))
    for genomic, flank, from_end, offset in sides:
        for i, base in enumerate(genomic.upper()):
            code = _marker_code(flank, genomic, i, from_end)
            if code and code not in "ACGT" and base in "ACGT" and not covers(code, base):
                target.variant.notes.append(
                    f"the marker has {code} at {target.chrom}:{first + offset + i} where the genome "
                    f"has {base}; primers read it as {merge_code(base, code)}")
    return target


def _marker_code(marker_flank: str, genomic: str, index: int, from_end: bool) -> str:
    """Return the marker base that was laid over genome position ``index`` of a flank."""
    if from_end:
        k = len(genomic) - 1 - index
        return marker_flank[len(marker_flank) - 1 - k] if k < len(marker_flank) else ""
    return marker_flank[index] if index < len(marker_flank) else ""


def _overlay(genomic: str, marker: str, from_end: bool) -> str:
    bases = list(genomic)
    for i in range(min(len(genomic), len(marker))):
        g = len(genomic) - 1 - i if from_end else i
        m = len(marker) - 1 - i if from_end else i
        if marker[m].upper() not in "ACGT":
            bases[g] = merge_code(genomic[g], marker[m])
    return "".join(bases)


def target_from_marker(variant: Variant) -> Target:
    """Return a Target on the marker sequence itself, for a job without a genome.

    Positions are then 1-based on the submitted marker sequence (flank + REF + flank),
    and ``chrom`` stays the marker's CHR field, empty when it has none.
    """
    variant.pos = len(variant.flank_left) + 1
    variant.notes.append("designed on the marker sequence alone, not checked against a genome; "
                         "positions are on the marker sequence")
    return Target(variant, variant.chrom, 0, variant.flank_left, variant.ref,
                  variant.alt, variant.flank_right, genome_checked=False)
