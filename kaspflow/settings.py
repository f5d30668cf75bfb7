"""Design settings: kaspflow's defaults in one place, merged with the user's config.

The ``primer3`` mapping contains Primer3 tags verbatim, and any ``PRIMER_*`` tag a user
adds is passed to Primer3 unchanged and overrides the default below.
"""

import copy
import difflib
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import primer3

from .dna import is_unambiguous
from .errors import ConfigError

FAM_TAIL = "GAAGGTGACCAAGTTCATGCT"
HEX_TAIL = "GAAGGTCGGAGTCAACGGATT"

PRIMER3_DEFAULTS = {
    "PRIMER_PRODUCT_SIZE_RANGE": [[50, 120]],
    "PRIMER_MIN_SIZE": 18,
    "PRIMER_OPT_SIZE": 22,
    "PRIMER_MAX_SIZE": 30,
    "PRIMER_MIN_TM": 57.0,
    "PRIMER_OPT_TM": 60.0,
    "PRIMER_MAX_TM": 65.0,
    "PRIMER_PAIR_MAX_DIFF_TM": 5.0,
    "PRIMER_MIN_GC": 30.0,
    "PRIMER_MAX_GC": 70.0,
    "PRIMER_MAX_POLY_X": 5,
    "PRIMER_MAX_NS_ACCEPTED": 1,
    "PRIMER_NUM_RETURN": 5,
    "PRIMER_MAX_HAIRPIN_TH": 47.0,
    "PRIMER_MAX_SELF_ANY_TH": 47.0,
    "PRIMER_MAX_SELF_END_TH": 47.0,
    "PRIMER_PAIR_MAX_COMPL_ANY_TH": 47.0,
    "PRIMER_PAIR_MAX_COMPL_END_TH": 47.0,
    "PRIMER_SALT_MONOVALENT": 50.0,
    "PRIMER_SALT_DIVALENT": 1.5,
    "PRIMER_DNTP_CONC": 0.6,
    "PRIMER_DNA_CONC": 50.0,
}

# Tags kaspflow sets itself because the assay layout depends on them.
PRIMER3_FIXED = {
    "PRIMER_TASK": "generic",
    "PRIMER_PICK_LEFT_PRIMER": 1,
    "PRIMER_PICK_RIGHT_PRIMER": 1,
    "PRIMER_PICK_INTERNAL_OLIGO": 0,
    "PRIMER_EXPLAIN_FLAG": 1,
    # Template IUPAC codes become N for Primer3 instead of raising an error;
    # PRIMER_MAX_NS_ACCEPTED (1 by default) bounds them per primer, and the
    # design code keeps them out of each primer's 3' end.
    "PRIMER_LIBERAL_BASE": 1,
}

DESIGN_DEFAULTS = {
    "max_assays_per_snp": 3,
    "tail_fam": FAM_TAIL,
    "tail_hex": HEX_TAIL,
    "fam_allele": "alt",
    "strands": "both",
    "max_allele_tm_diff": 2.0,
    "soft_masked": "flag",
    "product_size_weight": 0.02,
    "ambiguity_free_3prime_bases": 8,
    "input_variants": "flag",
    "specificity": {},
    "primer3": {},
}

SPECIFICITY_DEFAULTS = {
    # auto: check with BLAST+ when blastn is installed; blast: always (fail without
    # BLAST+); none: never.
    "check": "auto",
    # Candidates designed per SNP before the check; the best max_assays_per_snp
    # after it are reported.
    "candidates_per_snp": 10,
    "max_mismatches": 3,
    "max_product": 1000,
    "threads": 1,
}


@dataclass
class DesignSettings:
    """Validated design settings for one job."""

    max_assays_per_snp: int = 3
    tail_fam: str = FAM_TAIL
    tail_hex: str = HEX_TAIL
    fam_allele: str = "alt"
    strands: str = "both"
    max_allele_tm_diff: float = 2.0
    soft_masked: str = "flag"
    product_size_weight: float = 0.02
    ambiguity_free_3prime_bases: int = 8
    input_variants: str = "flag"
    specificity: dict = field(default_factory=lambda: dict(SPECIFICITY_DEFAULTS))
    primer3: dict = field(default_factory=lambda: dict(PRIMER3_DEFAULTS))

    @property
    def candidates_per_snp(self) -> int:
        """Assays kept per SNP by the design step: more when the specificity check picks among them."""
        if self.specificity["check"] == "none":
            return self.max_assays_per_snp
        return max(self.max_assays_per_snp, self.specificity["candidates_per_snp"])

    @property
    def product_sizes(self) -> list[list[int]]:
        return self.primer3["PRIMER_PRODUCT_SIZE_RANGE"]

    @property
    def max_product(self) -> int:
        return max(high for _, high in self.product_sizes)

    @property
    def min_product(self) -> int:
        return min(low for low, _ in self.product_sizes)

    def thermo_kwargs(self) -> dict:
        """Return the salt and oligo concentrations as primer3-py's calc_* keyword arguments."""
        p3 = self.primer3
        return {
            "mv_conc": p3["PRIMER_SALT_MONOVALENT"],
            "dv_conc": p3["PRIMER_SALT_DIVALENT"],
            "dntp_conc": p3["PRIMER_DNTP_CONC"],
            "dna_conc": p3["PRIMER_DNA_CONC"],
        }


def design_settings(design: dict | None) -> DesignSettings:
    """Return DesignSettings from a config ``design`` mapping, raising ConfigError on bad values."""
    merged = copy.deepcopy(DESIGN_DEFAULTS)
    for key, value in (design or {}).items():
        if key not in merged:
            raise ConfigError(
                f"unknown design setting '{key}'; valid keys: {', '.join(sorted(merged))}"
            )
        merged[key] = value

    primer3 = dict(PRIMER3_DEFAULTS)
    known = known_primer3_tags()
    for tag, value in (merged.pop("primer3") or {}).items():
        if not str(tag).startswith("PRIMER_"):
            raise ConfigError(f"design.primer3 key '{tag}' is not a Primer3 tag (PRIMER_...)")
        if known and tag not in known:
            close = difflib.get_close_matches(tag, sorted(known), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise ConfigError(f"design.primer3 tag '{tag}' is not a Primer3 setting{hint}")
        primer3[tag] = value
    primer3["PRIMER_PRODUCT_SIZE_RANGE"] = _product_ranges(primer3["PRIMER_PRODUCT_SIZE_RANGE"])

    specificity = dict(SPECIFICITY_DEFAULTS)
    for key, value in (merged.pop("specificity") or {}).items():
        if key not in specificity:
            raise ConfigError(f"unknown design.specificity setting '{key}'; valid keys: "
                              f"{', '.join(sorted(specificity))}")
        specificity[key] = value
    merged["specificity"] = specificity

    settings = DesignSettings(primer3=primer3, **merged)
    _check(settings)
    return settings


@functools.lru_cache(maxsize=1)
def known_primer3_tags() -> frozenset[str]:
    """Return the PRIMER_* tag names compiled into primer3-py's Primer3 library.

    Primer3 ignores a tag it does not know, so a misspelt setting would have no
    effect without this check. The names are read from the library files; an
    empty set (a build where they cannot be read) turns the check off.
    """
    tags: set[str] = set()
    for library in Path(primer3.__file__).parent.glob("*.so"):
        tags.update(t.decode() for t in re.findall(rb"\b(PRIMER_[A-Z0-9_]+)", library.read_bytes()))
    return frozenset(tags)


def _product_ranges(value) -> list[list[int]]:
    # Primer3's own text form "50-120 120-150" is accepted besides a YAML list.
    if isinstance(value, str):
        try:
            value = [[int(x) for x in part.split("-")] for part in value.split()]
        except ValueError:
            raise ConfigError(
                f"PRIMER_PRODUCT_SIZE_RANGE '{value}' is invalid; write it as [[50, 120]] or '50-120'"
            ) from None
    if (not isinstance(value, list) or not value
            or not all(isinstance(r, list) and len(r) == 2 and 0 < r[0] <= r[1] for r in value)):
        raise ConfigError(
            f"PRIMER_PRODUCT_SIZE_RANGE {value!r} is invalid; write it as [[50, 120]]"
        )
    return [[int(low), int(high)] for low, high in value]


def _check(settings: DesignSettings) -> None:
    _check_choices(settings)
    _check_numbers(settings)
    _check_tails(settings)
    _check_primer3(settings.primer3)


def _check_choices(settings: DesignSettings) -> None:
    if settings.fam_allele not in {"ref", "alt"}:
        raise ConfigError(f"design.fam_allele is '{settings.fam_allele}'; use 'ref' or 'alt'")
    if settings.strands not in {"both", "plus", "minus"}:
        raise ConfigError(f"design.strands is '{settings.strands}'; use both, plus or minus")
    if settings.input_variants not in {"flag", "mask", "ignore"}:
        raise ConfigError(
            f"design.input_variants is '{settings.input_variants}'; use flag, mask or ignore"
        )
    if settings.soft_masked not in {"flag", "avoid", "ignore"}:
        raise ConfigError(
            f"design.soft_masked is '{settings.soft_masked}'; use flag, avoid or ignore"
        )
    check = settings.specificity["check"]
    if check not in {"auto", "blast", "none"}:
        raise ConfigError(f"design.specificity.check is '{check}'; use auto, blast or none")


def _check_numbers(settings: DesignSettings) -> None:
    for key in ("candidates_per_snp", "max_mismatches", "max_product", "threads"):
        value = settings.specificity[key]
        minimum = 0 if key == "max_mismatches" else 1
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise ConfigError(f"design.specificity.{key} is '{value}'; use a whole number >= {minimum}")
    if not isinstance(settings.max_assays_per_snp, int) or settings.max_assays_per_snp < 1:
        raise ConfigError(
            f"design.max_assays_per_snp is '{settings.max_assays_per_snp}'; use a whole number >= 1"
        )


def _check_tails(settings: DesignSettings) -> None:
    for name in ("tail_fam", "tail_hex"):
        tail = getattr(settings, name)
        if not isinstance(tail, str) or (tail and not is_unambiguous(tail)):
            raise ConfigError(f"design.{name} '{tail}' must be a DNA sequence of A, C, G, T")
        setattr(settings, name, tail.upper())


def _check_primer3(p3: dict) -> None:
    for kind in ("SIZE", "TM"):
        low, opt, high = (p3[f"PRIMER_{level}_{kind}"] for level in ("MIN", "OPT", "MAX"))
        if not low <= opt <= high:
            raise ConfigError(
                f"design.primer3 needs PRIMER_MIN_{kind} <= PRIMER_OPT_{kind} <= PRIMER_MAX_{kind}, "
                f"but they are {low}, {opt} and {high}"
            )
