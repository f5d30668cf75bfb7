"""Read the SNPs a user submits.

Every reader returns one :class:`Variant` per input record (per ALT allele where a
record lists several), in file order, with the 1-based line number it came from. A
record that cannot be used keeps its place with ``error`` set, and a valid record left
out on purpose keeps its place with ``skip`` set, so the job reports both instead of
dropping them. Only a file or an option that is unusable as a whole raises
:class:`~kaspflow.errors.InputError`.

Positions are 1-based closed, as users write them. The readers live in
:mod:`kaspflow.inputs`; this module chooses one and finishes its records.
"""

import gzip
import re
import zlib
from pathlib import Path

from .errors import InputError
from .inputs.polymarker import read_polymarker
from .inputs.records import (EMPTY_ALLELE, ReadOptions, Region, Variant, check_alleles,
                             note_substitution, parse_options, parse_region)
from .inputs.tables import data_lines, read_mutant_list, read_snp_list, read_table, split_quoted
from .inputs.vcf import read_vcf

__all__ = [
    "EMPTY_ALLELE", "READERS", "ReadOptions", "Region", "Variant", "assign_ids", "check_alleles",
    "count_designable", "detect_format", "parse_region", "read_text", "read_variants",
]

READERS = {
    "table": read_table,
    "vcf": read_vcf,
    "polymarker": read_polymarker,
    "snp_list": read_snp_list,
    "mutant_list": read_mutant_list,
}

EXAMPLES = {
    "table": "lines of CHROM POS [ID] REF ALT, for example 'chr7A 7659 T C'",
    "vcf": "VCF records after the #CHROM header line",
    "polymarker": "lines of ID,CHR,SEQ[A/G]SEQ",
    "snp_list": "lines of contig,ref,pos,alt[,target], for example 'contig1,T,3334,G'",
    "mutant_list": "lines of seqid,library,position,wt_base,mut_base after that header",
}

_SEQUENCE = re.compile(r"[A-Za-z]{20,}")


def read_variants(path: str | Path, fmt: str = "auto",
                  options: dict | None = None) -> tuple[str, list[Variant]]:
    """Read the SNP file at ``path`` and return (format name, variants).

    ``options`` may hold ``samples`` (two VCF sample names: keep sites where they are
    homozygous for different alleles), ``region`` (``CHROM`` or ``CHROM:START-END``,
    1-based closed) and ``include_filtered`` (design VCF records that fail FILTER).
    Raises InputError when the file is empty, binary or contains no SNP record, when the
    format or an option is invalid, or when a VCF is malformed.
    """
    path = Path(path)
    read_options = parse_options(options)
    text, compressed = read_text(path)

    if fmt == "auto":
        fmt = detect_format(text)
    reader = READERS.get(fmt)
    if reader is None:
        raise InputError(f"unknown SNP file format '{fmt}'; use one of: auto, {', '.join(READERS)}")
    if compressed and fmt != "vcf":
        raise InputError(f"{path} is gzip-compressed, but only a VCF may be compressed; "
                         f"decompress it first (gunzip {path.name})")
    _check_options_fit(path, fmt, read_options)

    try:
        variants = reader(text, read_options) if fmt == "vcf" else reader(text)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
    if not variants:
        raise InputError(f"{path}: no SNP records found, only blank lines, comments or a header; "
                         f"expected {EXAMPLES[fmt]}")

    if read_options.region is not None:
        apply_region(path, variants, read_options.region)
    # Every skip reason is known only now, and a skipped record gets no design note.
    for variant in variants:
        note_substitution(variant)
    assign_ids(variants)
    return fmt, variants


def count_designable(variants: list[Variant]) -> int:
    """Return how many variants have neither an ``error`` nor a ``skip`` reason."""
    return sum(1 for variant in variants if not variant.error and not variant.skip)


def read_text(path: Path) -> tuple[str, bool]:
    """Return (text, was gzip-compressed), rejecting binary files with a clear message.

    The text is UTF-8, or UTF-16 when it starts with a UTF-16 byte order mark (Excel's
    "Unicode Text" export). The byte order mark is removed and Windows or old Mac line
    ends are turned into '\\n'.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"SNP file not found: {path}") from None
    except OSError as exc:
        raise InputError(f"cannot read SNP file {path}: {exc.strerror}") from None

    compressed = data[:2] == b"\x1f\x8b"
    if compressed:
        data = _gunzip(path, data)
    if data[:4] == b"PK\x03\x04":
        raise InputError(f"{path} is a ZIP archive (an .xlsx workbook is one); "
                         "export the sheet as tab-separated text")

    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = _decode_utf16(path, data)
        # A UTF-32 file also starts with FF FE, and read as UTF-16 it has NUL characters.
        if "\x00" in text[:65536]:
            raise InputError(f"{path} is a binary file, not a text SNP table; export it as "
                             "tab-separated text")
    else:
        _check_not_binary(path, data)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{path}: byte {exc.start} is not valid UTF-8 text; save the file as UTF-8 text"
            ) from None

    if not text.strip():
        raise InputError(f"{path} is empty; it must list at least one SNP")
    return text.replace("\r\n", "\n").replace("\r", "\n"), compressed


def _decode_utf16(path: Path, data: bytes) -> str:
    # The "utf-16" codec reads the byte order mark to choose LE or BE, then drops it.
    try:
        return data.decode("utf-16")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} starts with a UTF-16 byte order mark but is not valid UTF-16 "
                         f"text ({exc.reason} at byte {exc.start}); save as UTF-8 text") from None


def _check_not_binary(path: Path, data: bytes) -> None:
    sample = data[:65536]
    if b"\x00" not in sample:
        return
    if _looks_like_utf16(sample):
        raise InputError(f"{path} looks like UTF-16 text without a byte order mark (every "
                         "second byte is NUL); save as UTF-8 text")
    raise InputError(f"{path} is a binary file, not a text SNP table; export it as tab-separated text")


def _looks_like_utf16(sample: bytes) -> bool:
    """Tell UTF-16 text from other binary data: one byte of each pair is NUL, the other never is.

    NOTE: only Latin text is recognised this way, because other scripts have few NUL bytes.
    """
    sample = sample[:len(sample) - len(sample) % 2]
    if not sample:
        return False
    for nul_half, text_half in ((sample[1::2], sample[0::2]), (sample[0::2], sample[1::2])):
        if b"\x00" not in text_half and nul_half.count(0) >= 0.9 * len(nul_half):
            return True
    return False


def _gunzip(path: Path, data: bytes) -> bytes:
    # gzip.decompress reads every member, so bgzip files (many gzip members) work too.
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{path} starts like a gzip file but cannot be decompressed ({exc}); "
                         "upload the file again or send it uncompressed") from None


def detect_format(text: str) -> str:
    """Return the name of the reader for ``text``.

    The first rule that matches wins, so every file gets exactly one format:

    1. ``vcf``: the file starts with ``##fileformat=VCF``.
    2. ``mutant_list``: the first line that is neither blank nor a '#' comment is the
       header ``seqid,library,position,wt_base,mut_base``.
    3. ``polymarker``: that line contains ``[x/y]``, or it has 2 or 3 comma-separated
       fields of which the last is a sequence of 20 or more letters.
    4. ``snp_list``: that line has 4 or 5 comma-separated fields, the second is not a
       number and the third is a whole number (``contig,ref,pos,alt[,target]``), whereas
       a comma-separated table has its number, POS, second.
    5. ``table``: anything else, including a file with no data line at all.

    Fields are compared without the double quotes that may enclose them.
    """
    if text.startswith("##fileformat=VCF"):
        return "vcf"
    first = next((line for _, line in data_lines(text)), "")
    try:
        fields = split_quoted(first, ",")
    except ValueError:
        # The reader reports the quoting error on its line.
        fields = [f.strip() for f in first.split(",")]

    if [f.lower() for f in fields[:5]] == ["seqid", "library", "position", "wt_base", "mut_base"]:
        return "mutant_list"
    if re.search(r"\[[^\[\]/]*/[^\[\]/]*\]", first):
        return "polymarker"
    if len(fields) in (2, 3) and _SEQUENCE.fullmatch(fields[-1]):
        return "polymarker"
    if len(fields) in (4, 5) and not fields[1].isdigit() and fields[2].isdigit():
        return "snp_list"
    return "table"


def _check_options_fit(path: Path, fmt: str, options: ReadOptions) -> None:
    if options.samples is not None and fmt != "vcf":
        raise InputError(f"{path}: the samples option needs a VCF with genotypes, but the file "
                         f"was read as {fmt}; remove samples or submit a VCF")
    if options.region is not None and fmt == "polymarker":
        raise InputError(f"{path}: the region option needs positions, but PolyMarker lines give "
                         "only a sequence; remove region or submit CHROM POS REF ALT lines")


def apply_region(path: Path, variants: list[Variant], region: Region) -> None:
    """Set ``skip`` on valid variants outside ``region``; raise InputError when no record is on its sequence."""
    chroms = sorted({variant.chrom for variant in variants if variant.chrom})
    if region.chrom not in chroms:
        listed = ", ".join(chroms[:10]) + (f" and {len(chroms) - 10} more" if len(chroms) > 10 else "")
        raise InputError(f"{path}: region '{region}' names sequence '{region.chrom}', but no record "
                         f"is on it; the file's sequences are: {listed or 'none'}")

    # The region reason replaces a FILTER or genotype reason: it is the first thing a user checks.
    for variant in variants:
        if not variant.error and not region.contains(variant.chrom, variant.pos):
            variant.skip = f"{variant.chrom}:{variant.pos} is outside the region {region}"


def assign_ids(variants: list[Variant]) -> None:
    """Give every variant a unique ``snp_id``.

    A record without an ID gets CHROM_POS_REF_ALT (``-`` for an empty allele), or
    ``line<N>`` when it has no position. A repeated ID is renamed ``<id>_dup2``,
    ``<id>_dup3``... with a note. A suffix that another record uses as its own ID is
    passed over, so a renamed ID never takes a later record's ID.
    """
    requested = [variant.snp_id or _generated_id(variant) for variant in variants]
    requested_set = set(requested)
    first_line: dict[str, int] = {}
    used: set[str] = set()

    for variant, base in zip(variants, requested):
        if base not in used:
            variant.snp_id = base
            used.add(base)
            first_line[base] = variant.line
            continue

        count = 2
        while f"{base}_dup{count}" in requested_set or f"{base}_dup{count}" in used:
            count += 1
        variant.snp_id = f"{base}_dup{count}"
        used.add(variant.snp_id)
        variant.notes.append(f"ID '{base}' is already used on line {first_line[base]}; "
                             f"renamed to {variant.snp_id}")


def _generated_id(variant: Variant) -> str:
    if not variant.pos:
        return f"line{variant.line}"
    return f"{variant.chrom}_{variant.pos}_{variant.ref or '-'}_{variant.alt or '-'}"
