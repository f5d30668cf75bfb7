"""Read the SNPs a user submits.

Every reader returns one :class:`Variant` per input record, in file order, with
the 1-based line number it came from. A record that cannot be used keeps its
place with ``error`` set, so the job reports it instead of dropping it. Only a
file that is unusable as a whole raises :class:`~kaspflow.errors.InputError`.

Positions are 1-based closed, as users write them.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from .dna import IUPAC_CODES, is_unambiguous
from .errors import InputError

# Empty-allele spellings used by marker lists for the missing side of an indel.
EMPTY_ALLELE = {"*", "-", ""}

_HEADER_NAMES = {
    "chrom": "chrom", "chr": "chrom", "chromosome": "chrom", "#chrom": "chrom", "seqid": "chrom",
    "contig": "chrom", "pos": "pos", "position": "pos", "id": "snp_id", "snp_id": "snp_id",
    "name": "snp_id", "marker": "snp_id", "ref": "ref", "alt": "alt",
}


@dataclass
class Variant:
    """One submitted variant: REF and ALT at a 1-based position of a named sequence.

    An empty ``ref`` is an insertion before ``pos``; an empty ``alt`` a deletion of ``ref``.
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


def read_variants(path: str | Path, fmt: str = "auto") -> tuple[str, list[Variant]]:
    """Read the SNP file at ``path`` and return (format name, variants).

    Raises InputError when the file is empty, binary, or holds no SNP record.
    """
    path = Path(path)
    text = read_text(path)
    if fmt == "auto":
        fmt = detect_format(text)
    reader = READERS.get(fmt)
    if reader is None:
        raise InputError(f"unknown SNP file format '{fmt}'; use one of: {', '.join(READERS)}")

    variants = reader(text)
    if not variants:
        raise InputError(
            f"{path}: no SNP lines found; expected lines of CHROM POS [ID] REF ALT, "
            "for example 'chr7A 7659 T C'"
        )
    assign_ids(variants)
    return fmt, variants


def read_text(path: Path) -> str:
    """Return the file as text, rejecting binary and compressed files with a clear message."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"SNP file not found: {path}") from None
    except OSError as exc:
        raise InputError(f"cannot read SNP file {path}: {exc.strerror}") from None

    if data[:2] == b"\x1f\x8b":
        raise InputError(f"{path} is gzip-compressed; decompress it first (gunzip {path.name})")
    if b"\x00" in data[:65536]:
        raise InputError(f"{path} is a binary file, not a text SNP table; export it as tab-separated text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: byte {exc.start} is not valid UTF-8 text; save the file as UTF-8 text"
        ) from None
    if not text.strip():
        raise InputError(f"{path} is empty; it must list at least one SNP")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def detect_format(text: str) -> str:
    """Return the name of the reader for ``text``."""
    # NOTE: only the CHROM POS [ID] REF ALT table is read so far; VCF and
    # PolyMarker files are recognised so that users get a clear message.
    for line in text.splitlines():
        if line.startswith("##fileformat=VCF"):
            return "vcf"
        if line.strip() and not line.startswith("#"):
            if "[" in line and "/" in line and "]" in line:
                return "polymarker"
            return "table"
    return "table"


def _split(line: str) -> list[str]:
    if "\t" in line:
        return [f.strip() for f in line.split("\t")]
    if "," in line:
        return [f.strip() for f in line.split(",")]
    return line.split()


def read_table(text: str) -> list[Variant]:
    """Read a CHROM POS [ID] REF ALT table (tab, comma or whitespace separated, header optional)."""
    variants: list[Variant] = []
    columns: list[str] | None = None
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if not line or (line.startswith("#") and not _is_header(line)):
            continue
        fields = _split(line)

        if columns is None and not variants and _is_header(line):
            columns = [_HEADER_NAMES.get(f.lower(), f.lower()) for f in fields]
            missing = {"chrom", "pos", "ref", "alt"} - set(columns)
            if missing:
                raise InputError(
                    f"line {number}: header '{line}' lacks column(s) {', '.join(sorted(missing))}; "
                    "name the columns CHROM POS ID REF ALT"
                )
            continue
        variants.append(_table_record(number, fields, columns))
    return variants


def _is_header(line: str) -> bool:
    fields = [f.lower() for f in _split(line.lstrip("#"))]
    return "pos" in fields or "position" in fields


def _table_record(number: int, fields: list[str], columns: list[str] | None) -> Variant:
    if columns is not None:
        values = dict(zip(columns, fields))
        if len(fields) != len(columns):
            return _bad(number, fields, f"line {number} has {len(fields)} columns but the header "
                        f"names {len(columns)}; fix the line or the header")
    elif len(fields) == 4:
        values = dict(zip(("chrom", "pos", "ref", "alt"), fields))
    elif len(fields) == 5:
        values = dict(zip(("chrom", "pos", "snp_id", "ref", "alt"), fields))
    else:
        return _bad(number, fields, f"line {number} has {len(fields)} columns; expected 4 "
                    "(CHROM POS REF ALT) or 5 (CHROM POS ID REF ALT)")

    chrom, pos_text = values["chrom"], values["pos"]
    input_id = values.get("snp_id", "")
    if input_id == ".":
        input_id = ""
    variant = Variant(number, input_id, chrom, 0, values["ref"], values["alt"], input_id=input_id)

    if not re.fullmatch(r"\d+", pos_text) or int(pos_text) == 0:
        variant.error = (f"line {number}: position '{pos_text}' is not a positive whole number; "
                         "POS is the 1-based position of the SNP on its sequence")
        return variant
    variant.pos = int(pos_text)
    variant.ref, variant.alt, variant.error = check_alleles(number, values["ref"], values["alt"])
    return variant


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


def _bad(number: int, fields: list[str], reason: str) -> Variant:
    return Variant(number, "", fields[0] if fields else "", 0, "", "", error=reason)


def _read_unsupported(name: str):
    def reader(text: str) -> list[Variant]:
        raise InputError(
            f"{name} input is not supported yet; convert the file to a CHROM POS ID REF ALT table"
        )
    return reader


READERS = {
    "table": read_table,
    "vcf": _read_unsupported("VCF"),
    "polymarker": _read_unsupported("PolyMarker"),
}


def assign_ids(variants: list[Variant]) -> None:
    """Give every variant a unique ``snp_id``.

    A record without an ID gets CHROM_POS_REF_ALT. A repeated ID is renamed with
    a ``_dup2``, ``_dup3``... suffix and a note, so no record is lost.
    """
    seen: dict[str, int] = {}
    for variant in variants:
        base = variant.input_id or (
            f"{variant.chrom}_{variant.pos}_{variant.ref or '-'}_{variant.alt or '-'}"
            if variant.pos else f"line{variant.line}")
        count = seen.get(base, 0) + 1
        seen[base] = count
        if count == 1:
            variant.snp_id = base
        else:
            variant.snp_id = f"{base}_dup{count}"
            variant.notes.append(f"ID '{base}' repeats an earlier line; renamed to {variant.snp_id}")
