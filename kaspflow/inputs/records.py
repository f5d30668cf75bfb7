"""The Variant record, the read options and the checks that every reader shares.

Positions are 1-based closed throughout, as users and VCF write them.
"""

import re
from dataclasses import dataclass, field

from ..dna import IUPAC_CODES, is_unambiguous
from ..errors import InputError

# Empty-allele spellings used by marker lists for the missing side of an indel.
EMPTY_ALLELE = {"*", "-", ""}

OPTION_NAMES = ("samples", "region", "include_filtered")


@dataclass
class Variant:
    """One submitted variant: REF and ALT at a 1-based position of a named sequence.

    An empty ``ref`` is an insertion before ``pos``; an empty ``alt`` a deletion of ``ref``.
    ``pos`` is 0 for a PolyMarker record, whose place is only known once the design code
    finds ``flank_left`` + allele + ``flank_right`` in the genome. ``error`` is the reason a
    record cannot be designed. ``skip`` is the reason a valid record was left out on purpose,
    because of a VCF FILTER, the sample genotypes or the region.
    """

    line: int
    snp_id: str
    chrom: str
    pos: int
    ref: str
    alt: str
    input_id: str = ""
    error: str = ""
    notes: list[str] = field(default_factory=list)
    skip: str = ""
    flank_left: str = ""
    flank_right: str = ""


@dataclass(frozen=True)
class Region:
    """A sequence name with an optional 1-based closed range; ``start``/``end`` are None for all of it."""

    chrom: str
    start: int | None = None
    end: int | None = None

    def __str__(self) -> str:
        if self.start is None:
            return self.chrom
        return f"{self.chrom}:{self.start}-{self.end}"

    def contains(self, chrom: str, pos: int) -> bool:
        if chrom != self.chrom:
            return False
        return self.start is None or self.start <= pos <= self.end


@dataclass(frozen=True)
class ReadOptions:
    """Checked form of the ``options`` dict that :func:`kaspflow.variants.read_variants` takes."""

    samples: tuple[str, str] | None = None
    region: Region | None = None
    include_filtered: bool = False


def parse_options(options: dict | None) -> ReadOptions:
    """Check the ``options`` dict and return it as ReadOptions; raise InputError on a bad value."""
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise InputError(f"SNP reading options must be a mapping such as {{'region': 'chr1'}}, "
                         f"not {options!r}")
    unknown = sorted(set(options) - set(OPTION_NAMES))
    if unknown:
        raise InputError(f"unknown SNP reading option(s) {', '.join(unknown)}; "
                         f"valid options: {', '.join(OPTION_NAMES)}")

    samples = options.get("samples")
    if samples is not None:
        samples = _parse_samples(samples)

    region = options.get("region")
    if region is not None:
        region = parse_region(region)

    include_filtered = options.get("include_filtered", False)
    if not isinstance(include_filtered, bool):
        raise InputError(f"include_filtered must be true or false, not '{include_filtered}'")
    return ReadOptions(samples, region, include_filtered)


def _parse_samples(samples) -> tuple[str, str]:
    if not isinstance(samples, (list, tuple)) or len(samples) != 2 or not all(isinstance(s, str) and s for s in samples):
        raise InputError(f"samples must name exactly two VCF samples, for example "
                         f"['parentA', 'parentB'], not {samples!r}")
    if samples[0] == samples[1]:
        raise InputError(f"samples lists '{samples[0]}' twice; give two different samples")
    return samples[0], samples[1]


def parse_region(text) -> Region:
    """Parse ``CHROM`` or ``CHROM:START-END`` (1-based closed, commas allowed in numbers)."""
    expected = "expected CHROM or CHROM:START-END with 1-based positions, for example chr7A:1000-2000"
    if not isinstance(text, str) or not text.strip() or any(c.isspace() for c in text.strip()):
        raise InputError(f"invalid region {text!r}; {expected}")
    text = text.strip()

    # A sequence name may itself contain ':' (for example HLA-A*01:01), so only a
    # numeric tail after the last ':' is read as the range.
    chrom, colon, tail = text.rpartition(":")
    if not colon or not re.fullmatch(r"[\d,\-]*", tail):
        return Region(text)
    match = re.fullmatch(r"([\d,]+)-([\d,]+)", tail)
    if not chrom or not match:
        raise InputError(f"invalid region '{text}'; {expected}")

    start, end = (int(group.replace(",", "")) for group in match.groups())
    if start < 1 or end < start:
        raise InputError(f"invalid region '{text}': START must be at least 1 and END at least "
                         f"START; {expected}")
    return Region(chrom, start, end)


def check_alleles(number: int, ref: str, alt: str) -> tuple[str, str, str]:
    """Return (REF, ALT, error) with the alleles upper-cased and '*'/'-' read as empty."""
    ref_u, alt_u = ref.upper(), alt.upper()
    ref_u = "" if ref_u in EMPTY_ALLELE else ref_u
    alt_u = "" if alt_u in EMPTY_ALLELE else alt_u

    for name, allele, shown in (("REF", ref_u, ref), ("ALT", alt_u, alt)):
        if allele and not is_unambiguous(allele):
            if set(allele) <= IUPAC_CODES:
                reason = (f"line {number}: {name} '{shown}' contains an IUPAC ambiguity code; "
                          "give the two alleles as A, C, G or T, for example [A/G]")
            else:
                reason = (f"line {number}: {name} '{shown}' is not a DNA allele; "
                          "use A, C, G, T, or * / - for a deleted allele")
            return ref_u, alt_u, reason
    if not ref_u and not alt_u:
        return ref_u, alt_u, f"line {number}: both alleles are empty; give at least one base"
    if ref_u == alt_u:
        return ref_u, alt_u, (f"line {number}: REF and ALT are both '{ref}'; "
                              "a SNP needs two different alleles")
    return ref_u, alt_u, ""


def check_position(number: int, text: str) -> tuple[int, str]:
    """Return (1-based position, error) for the POS text of one record."""
    text = text.strip()
    if re.fullmatch(r"-\d+", text):
        return 0, (f"line {number}: position '{text}' is negative; "
                   "POS is the 1-based position of the SNP on its sequence")
    if not re.fullmatch(r"\d+", text):
        return 0, (f"line {number}: position '{text}' is not a whole number; "
                   "POS is the 1-based position of the SNP on its sequence")
    if int(text) == 0:
        return 0, (f"line {number}: position 0 is not valid because positions are 1-based "
                   "(the first base is 1); add 1 to 0-based positions such as BED starts")
    return int(text), ""


def note_substitution(variant: Variant) -> None:
    """Add a note to a multi-base substitution (MNP) saying which base the assay targets.

    The note speaks of the design, so a variant with ``error`` or ``skip`` set gets none.
    """
    ref, alt = variant.ref, variant.alt
    if variant.error or variant.skip or len(ref) < 2 or len(ref) != len(alt):
        return
    offsets = [i for i, (a, b) in enumerate(zip(ref, alt)) if a != b]

    def where(offset: int) -> str:
        return f"position {variant.pos + offset}" if variant.pos else f"base {offset + 1} of the allele"

    if len(offsets) == 1:
        variant.notes.append(f"{ref}>{alt} differs only at {where(offsets[0])}, where the assay is designed")
        return
    # Allele-specific primers end on the first differing base in their own
    # reading direction: the first on the plus strand, the last on the minus strand.
    variant.notes.append(
        f"multi-base substitution {ref}>{alt} with {len(offsets)} differing bases; + strand "
        f"assays end on the first ({where(offsets[0])}), - strand assays on the last "
        f"({where(offsets[-1])})")


def bad_record(number: int, fields: list[str], reason: str) -> Variant:
    """Return a placeholder Variant for a line that could not be split into its fields."""
    return Variant(number, "", fields[0] if fields else "", 0, "", "", error=reason)


def split_alts(variant: Variant, alts: list[str]) -> list[Variant]:
    """Return one copy of ``variant`` per ALT; a given ID becomes ``<id>_alt1``, ``<id>_alt2``...

    Without an ID each copy later gets CHROM_POS_REF_ALT, which already differs by ALT.
    """
    if len(alts) == 1:
        variant.alt = alts[0]
        return [variant]

    copies = []
    for index, alt in enumerate(alts, start=1):
        copy = Variant(variant.line, variant.snp_id, variant.chrom, variant.pos, variant.ref, alt,
                       input_id=variant.input_id, error=variant.error, notes=list(variant.notes),
                       skip=variant.skip)
        if variant.snp_id:
            copy.snp_id = f"{variant.snp_id}_alt{index}"
        copy.notes.append(f"ALT {index} of {len(alts)} ({','.join(alts)}) on this line")
        copies.append(copy)
    return copies
