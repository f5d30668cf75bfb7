"""Design KASP assays for one target with Primer3.

A KASP assay is two allele-specific primers, identical apart from their 3' base,
which is the first base where the two alleles differ, plus one common primer on
the other strand. Both orientations are tried:

* ``+``: the allele-specific primers read along the reference plus strand and
  end on the variant; the common primer binds downstream on the minus strand.
* ``-``: the same on the reverse complement, so the allele-specific primers
  end on the complement of the allele and the common primer binds upstream.

For each orientation Primer3 gets the reference-allele sequence with the left
primer's 3' end forced onto the first differing base and the right (common)
primer confined to the sequence both alleles share after the variant. The ALT
primer is then derived by swapping the 3' part, and both tailed oligos are
checked for hairpins and dimers.
"""

import dataclasses
import functools
import logging
from dataclasses import dataclass, field

import primer3

from .dna import is_unambiguous, reverse_complement
from .errors import SnpError
from .extract import Target
from .settings import PRIMER3_FIXED, DesignSettings

log = logging.getLogger(__name__)

# Ranking penalties added to Primer3's pair penalty.
FLAG_PENALTY = 5.0
SOFT_MASK_PENALTY = 3.0
INPUT_VARIANT_PENALTY = 3.0
INPUT_VARIANT_3PRIME_PENALTY = 10.0
ALLELE_TM_DIFF_WEIGHT = 1.0


@dataclass
class Assay:
    """One KASP assay. Genome positions are 1-based closed on the plus strand."""

    strand: str
    primer_ref: str
    primer_alt: str
    primer_common: str
    tm_ref: float
    tm_alt: float
    tm_common: float
    product_size: int
    product_size_alt: int
    as_start: int
    as_end: int
    common_start: int
    common_end: int
    penalty: float
    flags: list[str] = field(default_factory=list)


@dataclass
class _Orientation:
    """The two allele sequences of a target as the allele-specific primers read them."""

    strand: str
    ref_seq: str
    alt_seq: str
    ref_case: str
    diff: int
    shared_suffix: int


def orient(target: Target, strand: str) -> _Orientation:
    """Return the allele sequences of ``target`` read 5'->3' by the allele-specific primers."""
    ref_case = target.reference
    alt_case = target.allele_sequence(target.alt)
    if strand == "-":
        ref_case = reverse_complement(ref_case)
        alt_case = reverse_complement(alt_case)
    ref_seq, alt_seq = ref_case.upper(), alt_case.upper()

    diff = 0
    shortest = min(len(ref_seq), len(alt_seq))
    while diff < shortest and ref_seq[diff] == alt_seq[diff]:
        diff += 1
    suffix = 0
    while suffix < shortest - diff and ref_seq[-1 - suffix] == alt_seq[-1 - suffix]:
        suffix += 1
    return _Orientation(strand, ref_seq, alt_seq, ref_case, diff, suffix)


def design_assays(target: Target, settings: DesignSettings, keep: int | None = None) -> list[Assay]:
    """Return up to ``keep`` ranked assays with distinct common primers.

    ``keep`` defaults to ``settings.max_assays_per_snp``.

    Raises SnpError with a reason a breeder can act on when no assay fits.
    """
    strands = {"both": ["+", "-"], "plus": ["+"], "minus": ["-"]}[settings.strands]
    _check_room(target, strands, settings)
    if settings.input_variants == "mask" and target.neighbours:
        target = mask_neighbours(target)
    candidates: list[Assay] = []
    problems: list[str] = []
    for strand in strands:
        found, problem = _design_strand(target, orient(target, strand), settings)
        candidates.extend(found)
        if problem:
            problems.append(f"{strand} strand: {problem}")

    if not candidates:
        raise SnpError("no assay found; " + "; ".join(problems) + _hint(target, problems))
    return _select(candidates, settings, keep or settings.max_assays_per_snp)


def mask_neighbours(target: Target) -> Target:
    """Return a copy of ``target`` with the other input variants in its flanks written as N."""
    reference = list(target.reference)
    for start, end in target.neighbours:
        for position in range(start, end + 1):
            index = position - 1 - target.start
            if 0 <= index < len(reference):
                reference[index] = "N"
    masked = "".join(reference)
    left_end = len(target.left)
    right_start = left_end + len(target.ref)
    return dataclasses.replace(target, left=masked[:left_end], right=masked[right_start:])


def _neighbour_flags(target: Target, spans: list[tuple[int, int, int]], settings: DesignSettings):
    """Return (flags, penalty) for input variants under primers given as (start, end, 3' end)."""
    flags, penalty = set(), 0.0
    for start, end in target.neighbours:
        for primer_start, primer_end, three_prime in spans:
            if start > primer_end or end < primer_start:
                continue
            closest = min(abs(three_prime - p) for p in range(max(start, primer_start),
                                                               min(end, primer_end) + 1))
            if closest < settings.ambiguity_free_3prime_bases:
                flags.add("input_variant_3prime")
                penalty += INPUT_VARIANT_3PRIME_PENALTY
            else:
                flags.add("input_variant")
                penalty += INPUT_VARIANT_PENALTY
    return sorted(flags), penalty


def _check_room(target: Target, strands: list[str], settings: DesignSettings) -> None:
    """Raise SnpError when the variant is too close to a sequence end for any assay.

    The allele-specific primer needs PRIMER_MIN_SIZE - 1 bases on one side of the
    variant and the common primer PRIMER_MIN_SIZE bases on the other side.
    """
    p3 = settings.primer3
    primer_side, common_side = p3["PRIMER_MIN_SIZE"] - 1, p3["PRIMER_MIN_SIZE"]
    before, after = len(target.left), len(target.right)
    if target.chrom_length:
        after = target.chrom_length - (target.start + len(target.left) + len(target.ref))
        before = target.start + len(target.left)
    room = {"+": before >= primer_side and after >= common_side,
            "-": after >= primer_side and before >= common_side}
    total = before + after + max(len(target.ref), 1)
    if any(room[s] for s in strands) and total >= settings.min_product:
        return
    end = "start" if before < after else "end"
    raise SnpError(
        f"too close to the {end} of {target.chrom}: {before} bases before the variant and {after} "
        f"after it; an assay needs at least {primer_side} bases on one side (allele-specific "
        f"primer) and {common_side} on the other (common primer), in an amplicon of at least "
        f"{settings.min_product} bp"
    )


def _design_strand(target: Target, side: _Orientation, settings: DesignSettings):
    p3 = settings.primer3
    min_size, max_size = p3["PRIMER_MIN_SIZE"], p3["PRIMER_MAX_SIZE"]
    length = len(side.ref_seq)
    if side.diff >= min(len(side.ref_seq), len(side.alt_seq)):
        return [], "the alleles do not differ inside the extracted flank"

    common_start = length - side.shared_suffix
    if side.diff + 1 < min_size:
        return [], (f"only {side.diff} bases before the variant on this strand; "
                    f"the allele-specific primer needs at least {min_size - 1}")
    if side.shared_suffix < min_size or length - max(0, side.diff + 1 - max_size) < settings.min_product:
        return [], (f"only {side.shared_suffix} bases after the variant on this strand; "
                    f"the common primer needs an amplicon of at least {settings.min_product} bp")

    # Primer3 scores every primer in its template, so hand it only the window an
    # amplicon can span: from the longest allele-specific primer's 5' end to the
    # largest product size.
    left_start = max(0, side.diff + 1 - max_size)
    window_end = min(length, left_start + settings.max_product)
    if window_end - common_start < min_size:
        return [], (f"only {window_end - common_start} bases for the common primer inside the "
                    f"largest amplicon ({settings.max_product} bp) on this strand")
    seq_args = {
        "SEQUENCE_ID": target.variant.snp_id,
        "SEQUENCE_TEMPLATE": side.ref_seq[left_start:window_end],
        "SEQUENCE_FORCE_LEFT_END": side.diff - left_start,
        "SEQUENCE_PRIMER_PAIR_OK_REGION_LIST": [
            [0, side.diff + 1 - left_start, common_start - left_start, window_end - common_start]
        ],
    }
    if settings.soft_masked == "avoid":
        excluded = _soft_masked_regions(side.ref_case[left_start:window_end])
        if excluded:
            seq_args["SEQUENCE_EXCLUDED_REGION"] = excluded
    global_args = dict(settings.primer3)
    global_args.update(PRIMER3_FIXED)
    # The specificity check picks among more candidates, so the two strands
    # together must offer them (Primer3's search time grows with the pairs returned).
    per_strand = -(-settings.candidates_per_snp // 2) + 1
    global_args["PRIMER_NUM_RETURN"] = max(global_args["PRIMER_NUM_RETURN"], per_strand)

    clean = settings.ambiguity_free_3prime_bases
    window = side.ref_seq[max(0, side.diff - clean + 1):side.diff + 1]
    if not is_unambiguous(window):
        distance = next(side.diff - i for i in range(side.diff, side.diff - len(window), -1)
                        if side.ref_seq[i] not in "ACGT")
        return [], (f"an ambiguous base (IUPAC code or N) lies {distance} bases before the variant; "
                    f"allele-specific primers need {clean} unambiguous bases at their 3' end "
                    "(design.ambiguity_free_3prime_bases)")
    if not is_unambiguous(seq_args["SEQUENCE_TEMPLATE"]):
        # Some of Primer3's pairs will put an ambiguous base near the common
        # primer's 3' end and be dropped below, so ask for more of them.
        global_args["PRIMER_NUM_RETURN"] = max(global_args["PRIMER_NUM_RETURN"], 20)

    try:
        result = primer3.bindings.design_primers(seq_args, global_args)
    except (OSError, ValueError, RuntimeError) as exc:
        return [], f"Primer3 rejected the sequence ({exc})"

    pairs = result.get("PRIMER_PAIR_NUM_RETURNED", 0)
    assays = []
    rejected: dict[str, int] = {}
    for i in range(pairs):
        assay = _assay_from_pair(target, side, result, i, left_start, settings)
        if isinstance(assay, str):
            rejected[assay] = rejected.get(assay, 0) + 1
        else:
            assays.append(assay)
    if assays:
        return assays, ""
    if pairs:
        reasons = ", ".join(f"{reason} ({count})" for reason, count in rejected.items())
        return [], f"{pairs} primer pairs fit the REF allele but none passed: {reasons}"
    return [], _explain(result, settings)


def _assay_from_pair(target: Target, side: _Orientation, result: dict, i: int, offset: int,
                     settings: DesignSettings) -> Assay | str:
    """Build the assay of Primer3's pair ``i``, or return why it was dropped.

    ``offset`` is where Primer3's template starts in ``side``.
    """
    p3 = settings.primer3
    left_start, _ = result[f"PRIMER_LEFT_{i}"]
    right_end, right_len = result[f"PRIMER_RIGHT_{i}"]
    left_start += offset
    right_end += offset
    # Primer3 gives the right primer by its 3' end (0-based) and length.
    right_start = right_end - right_len + 1
    if not is_unambiguous(side.ref_seq[right_start:right_start + settings.ambiguity_free_3prime_bases]):
        return "ambiguous base near the common primer's 3' end"

    primer_ref = side.ref_seq[left_start:side.diff + 1]
    primer_alt = side.alt_seq[left_start:side.diff + 1]
    primer_common = reverse_complement(side.ref_seq[right_start:right_end + 1])
    tm_ref = result[f"PRIMER_LEFT_{i}_TM"]
    # calc_tm accepts only A, C, G and T; the Tm difference between the two
    # allele-specific primers is the same whichever base stands for a code.
    tm_alt = tm_ref + _tm(primer_alt, settings) - _tm(primer_ref, settings)
    if not p3["PRIMER_MIN_TM"] <= tm_alt <= p3["PRIMER_MAX_TM"]:
        return f"ALT primer Tm outside {p3['PRIMER_MIN_TM']}-{p3['PRIMER_MAX_TM']} °C"
    if abs(tm_alt - tm_ref) > settings.max_allele_tm_diff:
        return f"allele-specific primers' Tm differ by more than {settings.max_allele_tm_diff} °C"

    product = right_end - left_start + 1
    length = len(side.ref_seq)
    to_genome = (lambda i: target.start + i + 1) if side.strand == "+" else \
        (lambda i: target.start + length - i)
    as_span = sorted((to_genome(left_start), to_genome(side.diff)))
    common_span = sorted((to_genome(right_start), to_genome(right_end)))

    # Shorter amplicons work better in KASP; weighting product size inside
    # Primer3 (PRIMER_PAIR_WT_PRODUCT_SIZE_GT) slows its search several-fold, so
    # the preference is applied here to the pairs it returns.
    penalty = (result[f"PRIMER_PAIR_{i}_PENALTY"]
               + ALLELE_TM_DIFF_WEIGHT * abs(tm_alt - tm_ref)
               + settings.product_size_weight * (product - settings.min_product))
    flags = []
    if not is_unambiguous(primer_ref + primer_common):
        flags.append("degenerate_base")
    if settings.input_variants == "flag" and target.neighbours:
        plus = side.strand == "+"
        spans = [(as_span[0], as_span[1], as_span[1] if plus else as_span[0]),
                 (common_span[0], common_span[1], common_span[0] if plus else common_span[1])]
        neighbour_flags, neighbour_penalty = _neighbour_flags(target, spans, settings)
        flags.extend(neighbour_flags)
        penalty += neighbour_penalty
    masked = side.ref_case[left_start:side.diff + 1] + side.ref_case[right_start:right_end + 1]
    if settings.soft_masked == "flag" and any(base.islower() for base in masked):
        flags.append("soft_masked")
        penalty += SOFT_MASK_PENALTY

    return Assay(
        strand=side.strand,
        primer_ref=primer_ref,
        primer_alt=primer_alt,
        primer_common=primer_common,
        tm_ref=round(tm_ref, 2),
        tm_alt=round(tm_alt, 2),
        tm_common=round(result[f"PRIMER_RIGHT_{i}_TM"], 2),
        product_size=product,
        product_size_alt=product + len(side.alt_seq) - length,
        as_start=as_span[0],
        as_end=as_span[1],
        common_start=common_span[0],
        common_end=common_span[1],
        penalty=penalty,
        flags=flags,
    )


def _resolve_codes(seq: str) -> str:
    return "".join(base if base in "ACGT" else _FIRST_BASE.get(base, "A") for base in seq)


_FIRST_BASE = {"R": "A", "Y": "C", "S": "C", "W": "A", "K": "G", "M": "A",
               "B": "C", "D": "A", "H": "A", "V": "A", "N": "A"}


def _tm(seq: str, settings: DesignSettings) -> float:
    return primer3.calc_tm(_resolve_codes(seq), **settings.thermo_kwargs())


def tail_oligos(assay: Assay, settings: DesignSettings) -> tuple[str, str, str, str]:
    """Return (FAM allele, HEX allele, FAM oligo, HEX oligo) with tails, 5'->3'."""
    if settings.fam_allele == "alt":
        fam_allele, hex_allele = "alt", "ref"
    else:
        fam_allele, hex_allele = "ref", "alt"
    fam = settings.tail_fam + getattr(assay, f"primer_{fam_allele}")
    hex_ = settings.tail_hex + getattr(assay, f"primer_{hex_allele}")
    return fam_allele, hex_allele, fam, hex_


def _structure_flags(assay: Assay, settings: DesignSettings) -> list[str]:
    """Check hairpins and dimers of the full tailed oligos; return a flag per problem.

    Only structures that pair an oligo's 3' end count: those can be extended
    into primer dimers or stop the oligo priming. A hairpin inside the tail, or
    between the tail and the middle of the primer, leaves the 3' end free.
    """
    p3 = settings.primer3
    thermo = tuple(sorted(settings.thermo_kwargs().items()))
    _, _, fam, hex_ = tail_oligos(assay, settings)
    oligos = {name: "".join(b if b in "ACGT" else "N" for b in seq)
              for name, seq in (("fam", fam), ("hex", hex_), ("common", assay.primer_common))}
    flags = []
    for name, seq in oligos.items():
        tm, three_prime_paired = _hairpin(seq, thermo)
        if tm > p3["PRIMER_MAX_HAIRPIN_TH"] and three_prime_paired:
            flags.append(f"hairpin_{name}")
        if _end_stability(seq, seq, thermo) > p3["PRIMER_MAX_SELF_END_TH"]:
            flags.append(f"self_dimer_{name}")
    for first, second in (("fam", "common"), ("hex", "common"), ("fam", "hex")):
        tm = max(_end_stability(oligos[first], oligos[second], thermo),
                 _end_stability(oligos[second], oligos[first], thermo))
        if tm > p3["PRIMER_PAIR_MAX_COMPL_END_TH"]:
            flags.append(f"dimer_{first}_{second}")
    return flags


# Each thermodynamic alignment of a 45-nt tailed oligo costs about a millisecond,
# and the tailed allele-specific oligos repeat across the candidates of one SNP.
@functools.lru_cache(maxsize=4096)
def _hairpin(seq: str, thermo: tuple) -> tuple[float, bool]:
    """Return (Tm of the strongest hairpin, whether it pairs any of the last 4 bases)."""
    result = primer3.calc_hairpin(seq, output_structure=True, **dict(thermo))
    if not result.structure_found:
        return result.tm, False
    marks = result.ascii_structure_lines[0].split("\t", 1)[1]
    return result.tm, any(mark in "/\\" for mark in marks[-4:])


# Bases of an oligo's 3' end given to the 3'-anchored dimer check. A duplex
# anchored at the 3' end that is longer than this melts far above any
# threshold anyway. The shorter query makes the check faster: 0.45 to 0.12 ms
# for a 45-nt tailed oligo against a 22-nt primer, measured with primer3-py 2.4.0.
END_WINDOW = 20


@functools.lru_cache(maxsize=8192)
def _end_stability(seq: str, other: str, thermo: tuple) -> float:
    """Return the Tm of ``seq``'s 3' end annealed to ``other`` (a 3'-anchored dimer)."""
    return primer3.calc_end_stability(seq[-END_WINDOW:], other, **dict(thermo)).tm


def _select(candidates: list[Assay], settings: DesignSettings, keep: int) -> list[Assay]:
    """Rank candidates by penalty after the tail checks and keep distinct common primers.

    Tail checks only add penalty, so candidates are checked in order of their
    penalty so far and the search stops once no unchecked one can rank higher.
    """
    candidates.sort(key=lambda a: a.penalty)
    checked: list[Assay] = []
    seen_common: set[str] = set()
    for assay in candidates:
        if assay.primer_common in seen_common:
            continue
        if len(checked) >= keep:
            worst = sorted(a.penalty for a in checked)[keep - 1]
            if assay.penalty >= worst:
                break
        seen_common.add(assay.primer_common)
        structure = _structure_flags(assay, settings)
        assay.flags.extend(structure)
        assay.penalty = round(assay.penalty + FLAG_PENALTY * len(structure), 3)
        checked.append(assay)
    checked.sort(key=lambda a: a.penalty)
    return checked[:keep]


def _soft_masked_regions(seq: str) -> list[list[int]]:
    regions = []
    start = None
    for i, base in enumerate(seq + "X"):
        if base.islower() and start is None:
            start = i
        elif not base.islower() and start is not None:
            regions.append([start, i - start])
            start = None
    return regions


_EXPLAIN_WORDS = {
    "GC content failed": "GC content outside {PRIMER_MIN_GC}-{PRIMER_MAX_GC} %",
    "low tm": "Tm below {PRIMER_MIN_TM} °C",
    "high tm": "Tm above {PRIMER_MAX_TM} °C",
    "high hairpin stability": "hairpin",
    "long poly-x seq": "run of more than {PRIMER_MAX_POLY_X} identical bases",
    "too many Ns": "ambiguous base (N or IUPAC code)",
    "high any compl": "self-dimer",
    "high end compl": "3' self-dimer",
    "GC clamp failed": "GC clamp",
    "high end stability": "3' end stability",
    "unacceptable product size": "amplicon size outside PRIMER_PRODUCT_SIZE_RANGE",
    "tm diff too large": "Tm difference above {PRIMER_PAIR_MAX_DIFF_TM} °C",
    "overlap excluded region": "soft-masked base (design.soft_masked is 'avoid')",
}


def parse_explain(text: str) -> dict[str, int]:
    """Return Primer3's explain string ('considered 13, low tm 6, ok 0') as counts."""
    counts = {}
    for part in (text or "").split(","):
        words = part.strip().rsplit(" ", 1)
        if len(words) == 2 and words[1].isdigit():
            counts[words[0]] = int(words[1])
    return counts


def _explain(result: dict, settings: DesignSettings) -> str:
    """Turn Primer3's explain counts into the reason no pair was found on one strand."""
    left = parse_explain(result.get("PRIMER_LEFT_EXPLAIN", ""))
    right = parse_explain(result.get("PRIMER_RIGHT_EXPLAIN", ""))
    pair = parse_explain(result.get("PRIMER_PAIR_EXPLAIN", ""))
    p3 = settings.primer3
    if left.get("ok", 0) == 0:
        return (f"none of the {left.get('considered', 0)} allele-specific primers ending on the "
                f"variant ({p3['PRIMER_MIN_SIZE']}-{p3['PRIMER_MAX_SIZE']} nt) passed: "
                + _causes(left, settings))
    if right.get("ok", 0) == 0:
        return "no common primer fits on the other side: " + _causes(right, settings)
    return (f"{left['ok']} allele-specific and {right['ok']} common primers passed but no pair did: "
            + _causes(pair, settings))


def _causes(counts: dict[str, int], settings: DesignSettings) -> str:
    causes = []
    for key, count in counts.items():
        if key in {"considered", "ok"} or count == 0:
            continue
        if key == "not in any ok right region" or key == "not in any ok left region":
            continue
        label = _EXPLAIN_WORDS.get(key, key).format(**settings.primer3)
        causes.append(f"{label} ({count})")
    return ", ".join(causes) or "no candidate met the settings"


def _hint(target: Target, problems: list[str]) -> str:
    """Return a sentence on which setting to relax, when the rejections point to one."""
    text = " ".join(problems)
    near = (target.left[-60:] + target.ref + target.right[:60]).upper()
    if not near:
        return ""
    top_base = max("ACGT", key=near.count)
    share = 100.0 * near.count(top_base) / len(near)
    if share >= 80:
        return (f". The sequence around the variant is a low-complexity run ({share:.0f} % {top_base}); "
                "no primer can be placed on it")

    # The allele-specific primers sit in the 30 bases on either side of the variant.
    before, after = _gc(target.left[-30:]), _gc(target.right[:30])
    sides = f"{before:.0f} % GC in the 30 bases before the variant, {after:.0f} % after"
    if "GC content outside" in text:
        if min(before, after) < 40:
            return f". The sequence is AT-rich ({sides}): lower PRIMER_MIN_GC in design.primer3"
        if max(before, after) > 60:
            return f". The sequence is GC-rich ({sides}): raise PRIMER_MAX_GC in design.primer3"
        return f" ({sides}). Widen PRIMER_MIN_GC and PRIMER_MAX_GC in design.primer3"
    low, high = "Tm below" in text, "Tm above" in text
    if low and not high:
        return ". Lower PRIMER_MIN_TM and PRIMER_OPT_TM, or raise PRIMER_MAX_SIZE, in design.primer3"
    if high and not low:
        return ". Raise PRIMER_MAX_TM, or lower PRIMER_MIN_SIZE, in design.primer3"
    if low and high:
        return ". Widen the Tm window (PRIMER_MIN_TM, PRIMER_MAX_TM) in design.primer3"
    return ""


def _gc(seq: str) -> float:
    seq = seq.upper()
    return 100.0 * sum(seq.count(b) for b in "GC") / len(seq) if seq else 0.0
