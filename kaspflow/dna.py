"""Small helpers for DNA strings."""

IUPAC_CODES = frozenset("ACGTRYSWKMBDHVN")
UNAMBIGUOUS = frozenset("ACGT")

_COMPLEMENT = str.maketrans(
    "ACGTRYSWKMBDHVNacgtryswkmbdhvn",
    "TGCAYRSWMKVHDBNtgcayrswmkvhdbn",
)


def reverse_complement(seq: str) -> str:
    """Return the reverse complement of ``seq``, keeping case and IUPAC codes."""
    return seq.translate(_COMPLEMENT)[::-1]


def is_unambiguous(seq: str) -> bool:
    """Return True when ``seq`` is non-empty and made only of A, C, G and T (any case)."""
    return bool(seq) and set(seq.upper()) <= UNAMBIGUOUS


def gc_percent(seq: str) -> float:
    """Return the G+C share of ``seq`` in percent."""
    if not seq:
        return 0.0
    upper = seq.upper()
    return 100.0 * (upper.count("G") + upper.count("C")) / len(upper)


_CODE_BASES = {
    "R": "AG", "Y": "CT", "S": "CG", "W": "AT", "K": "GT", "M": "AC",
    "B": "CGT", "D": "AGT", "H": "ACT", "V": "ACG", "N": "ACGT",
}


def covers(genome: str, bases: str) -> bool:
    """Return True when ``genome`` equals ``bases`` or has IUPAC codes that include them (any case)."""
    if len(genome) != len(bases):
        return False
    return all(g == b or b in _CODE_BASES.get(g, "")
               for g, b in zip(genome.upper(), bases.upper()))


_CODE_FOR_BASES = {frozenset(bases): code for code, bases in _CODE_BASES.items()}


def merge_code(genome_base: str, code: str) -> str:
    """Return the IUPAC code for the genome base together with the bases of ``code``.

    A marker's ambiguity code usually includes the genome base (R at an A).
    When it does not (R at a C), the merged code (V) covers all of them.
    """
    bases = set(_CODE_BASES.get(code.upper(), code.upper())) | {genome_base.upper()}
    bases &= set("ACGT")
    return _CODE_FOR_BASES.get(frozenset(bases), "N") if len(bases) > 1 else genome_base.upper()
