"""Cut the flanks of each variant out of the genome and check its REF allele."""

from dataclasses import dataclass, field

from .dna import covers
from .errors import SnpError
from .genome import Genome
from .variants import Variant


@dataclass
class Target:
    """A variant placed on the genome, with the sequence around it (case kept).

    ``start`` is the 0-based genome position of the first base of ``left``, so
    ``left + ref + right`` is the plus-strand reference from ``start`` onwards.
    ``chrom_length`` is the whole sequence's length (0 when unknown).
    ``neighbours`` are the [start, end] spans (1-based closed, plus strand) of
    the job's other input variants inside the flanks.
    """

    variant: Variant
    chrom: str
    start: int
    left: str
    ref: str
    alt: str
    right: str
    genome_checked: bool = True
    chrom_length: int = 0
    neighbours: list[list[int]] = field(default_factory=list)

    @property
    def reference(self) -> str:
        return self.left + self.ref + self.right

    def allele_sequence(self, allele: str) -> str:
        return self.left + allele + self.right


def extract_target(genome: Genome, variant: Variant, flank_bp: int) -> Target:
    """Return the Target of ``variant`` with up to ``flank_bp`` bases on each side.

    Raises SnpError when the sequence is unknown, the position lies past its end,
    or the genome's bases disagree with REF (compared without regard to case,
    because soft-masked bases are still the reference).
    """
    chrom = genome.resolve(variant.chrom)
    length = genome.length(chrom)
    # 1-based closed POS to 0-based half-open [ref_start, ref_end).
    ref_start = variant.pos - 1
    ref_end = ref_start + len(variant.ref)
    if ref_end > length or ref_start >= length:
        raise SnpError(
            f"position {variant.pos} is past the end of {chrom} ({length} bp); "
            "check that POS is 1-based and belongs to this genome"
        )

    genome_ref = genome.fetch(chrom, ref_start, ref_end)
    if genome_ref.upper() != variant.ref and covers(genome_ref, variant.ref):
        # An IUPAC code in the genome that includes REF: design on REF itself.
        note = f"the genome has '{genome_ref}' at the variant; REF taken as '{variant.ref}'"
        if note not in variant.notes:
            variant.notes.append(note)
        genome_ref = variant.ref
    if genome_ref.upper() != variant.ref:
        swapped = variant.alt and genome_ref.upper() == variant.alt
        advice = ("REF and ALT look swapped: the genome carries ALT" if swapped
                  else "check that the file and the genome are the same assembly version")
        raise SnpError(
            f"REF mismatch at {chrom}:{variant.pos}: the file gives '{variant.ref}' but the genome has "
            f"'{genome_ref}'; {advice}"
        )

    left_start = max(0, ref_start - flank_bp)
    left = genome.fetch(chrom, left_start, ref_start)
    right = genome.fetch(chrom, ref_end, min(length, ref_end + flank_bp))
    return Target(variant, chrom, left_start, left, genome_ref, variant.alt, right,
                  chrom_length=length)
