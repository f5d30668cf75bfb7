"""Readers for SNP tables with a 1-based position column.

``table``: CHROM POS [ID] REF ALT, separated by tabs, commas or runs of spaces, with an
optional header naming the columns. ``snp_list``: PolyMarker's ``contig,ref,pos,alt[,target]``.
``mutant_list``: PolyMarker's ``seqid,library,position,wt_base,mut_base`` with its header.

Tab- and comma-separated fields may be enclosed in double quotes, as R's ``write.csv``
and spreadsheet exports write them.
"""

import csv

from ..errors import InputError
from .records import Variant, bad_record, check_alleles, check_position, split_alts

_HEADER_NAMES = {
    "chrom": "chrom", "chr": "chrom", "chromosome": "chrom", "#chrom": "chrom", "seqid": "chrom",
    "contig": "chrom", "pos": "pos", "position": "pos", "id": "snp_id", "snp_id": "snp_id",
    "name": "snp_id", "marker": "snp_id", "snp": "snp_id", "ref": "ref", "alt": "alt",
}

MUTANT_COLUMNS = ("seqid", "library", "position", "wt_base", "mut_base")


def split_quoted(line: str, delimiter: str) -> list[str]:
    """Split one line on ``delimiter`` with the csv module, so "a,b" stays one field.

    Raises ValueError, with a message that lacks the line number, when a double quote
    is not closed or text follows a closing quote.
    """
    reader = csv.reader([line], delimiter=delimiter, skipinitialspace=True, strict=True)
    try:
        fields = next(reader, [])
    except csv.Error:
        separator = "tab" if delimiter == "\t" else f"'{delimiter}'"
        shown = line if len(line) <= 60 else line[:57] + "..."
        raise ValueError(f"'{shown}' has a double quote that is not closed, or text after a "
                         f"closing quote before the next {separator}; quote whole fields, "
                         'for example "chr7B","1051"') from None
    return [f.strip() for f in fields]


def split_fields(line: str) -> list[str]:
    """Split a table line on tabs or commas when that gives 4 or more fields, else on spaces.

    A line that mixes a tab with runs of spaces (``c1  10 . G \t A``) is split on both.
    Space-separated lines may carry comma-separated ALTs (``CT AT,AC``), so a comma only
    separates columns when it splits the line into a full record. Double quotes group
    tab- or comma-separated fields only; in a space-separated line they stay part of
    the text. Raises ValueError from :func:`split_quoted`.
    """
    for delimiter in ("\t", ","):
        # Fewer than 3 delimiters cannot give 4 fields, so quotes are not read then.
        if line.count(delimiter) >= 3:
            fields = split_quoted(line, delimiter)
            if len(fields) >= 4:
                return fields
    return line.split()


def data_lines(text: str):
    """Yield (1-based line number, stripped line) for each line that is neither blank nor a comment."""
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if line and not line.startswith("#"):
            yield number, line


def is_table_header(line: str) -> bool:
    """Tell a header from data by a POS or POSITION column; a '#' line also needs two more known names."""
    try:
        fields = [f.lower() for f in split_fields(line.lstrip("#"))]
    except ValueError:
        # Data lines report the quoting error.
        return False
    if "pos" not in fields and "position" not in fields:
        return False
    return not line.startswith("#") or len({f for f in fields if f in _HEADER_NAMES}) >= 3


def read_table(text: str) -> list[Variant]:
    """Read a CHROM POS [ID] REF ALT table; an ALT of ``A,C`` gives one Variant per ALT."""
    variants: list[Variant] = []
    columns: list[str] | None = None
    for number, raw in enumerate(text.split("\n"), start=1):
        # Leading tabs stay, because they mark an empty first column.
        line = raw.rstrip()
        if not line.strip():
            continue
        if line.startswith(" "):
            line = line.strip()

        # A '#CHROM POS ...' line is a header; any other '#' line is a comment.
        if columns is None and not variants and is_table_header(line):
            columns = _header_columns(number, line)
            continue
        if line.startswith("#"):
            continue
        try:
            fields = split_fields(line)
        except ValueError as exc:
            variants.append(bad_record(number, [], f"line {number}: {exc}"))
            continue
        variants.extend(_table_record(number, fields, columns))
    return variants


def _header_columns(number: int, line: str) -> list[str]:
    columns = [_HEADER_NAMES.get(f.lower(), f.lower()) for f in split_fields(line.lstrip("#"))]
    missing = {"chrom", "pos", "ref", "alt"} - set(columns)
    if missing:
        raise InputError(
            f"line {number}: header '{line}' lacks column(s) {', '.join(sorted(missing))}; "
            "name the columns CHROM POS ID REF ALT"
        )
    return columns


def _table_record(number: int, fields: list[str], columns: list[str] | None) -> list[Variant]:
    if columns is not None:
        if len(fields) != len(columns):
            return [bad_record(number, fields, f"line {number} has {len(fields)} columns but the "
                               f"header names {len(columns)}; fix the line or the header")]
        values = dict(zip(columns, fields))
    elif len(fields) == 4:
        values = dict(zip(("chrom", "pos", "ref", "alt"), fields))
    elif len(fields) == 5:
        values = dict(zip(("chrom", "pos", "snp_id", "ref", "alt"), fields))
    else:
        return [bad_record(number, fields, f"line {number} has {len(fields)} columns; expected 4 "
                           "(CHROM POS REF ALT) or 5 (CHROM POS ID REF ALT)")]

    input_id = values.get("snp_id", "")
    if input_id == ".":
        input_id = ""
    return make_variants(number, values["chrom"], values["pos"], input_id,
                         values["ref"], values["alt"].split(","), input_id=input_id)


def make_variants(number: int, chrom: str, pos_text: str, snp_id: str, ref: str,
                  alts: list[str], input_id: str = "") -> list[Variant]:
    """Check one positioned record and return one Variant per ALT allele."""
    variant = Variant(number, snp_id, chrom, 0, ref, "", input_id=input_id)
    variant.pos, variant.error = check_position(number, pos_text)
    if not chrom:
        variant.error = f"line {number}: the CHROM field is empty; name the sequence of the SNP"

    variants = split_alts(variant, [alt.strip() for alt in alts])
    for copy in variants:
        ref_checked, alt_checked, allele_error = check_alleles(number, ref, copy.alt)
        copy.ref, copy.alt = ref_checked, alt_checked
        copy.error = copy.error or allele_error
    return variants


def read_snp_list(text: str) -> list[Variant]:
    """Read PolyMarker ``contig,ref,pos,alt[,target]`` lines; IDs are generated later."""
    variants: list[Variant] = []
    for number, line in data_lines(text):
        try:
            fields = split_quoted(line, ",")
        except ValueError as exc:
            variants.append(bad_record(number, [], f"line {number}: {exc}"))
            continue
        if len(fields) not in (4, 5):
            variants.append(bad_record(number, fields, f"line {number} has {len(fields)} "
                                       "comma-separated fields; expected contig,ref,pos,alt[,target]"))
            continue

        records = make_variants(number, fields[0], fields[2], "", fields[1], [fields[3]])
        if len(fields) == 5 and fields[4]:
            records[0].notes.append(f"target '{fields[4]}' from the SNP list is not used")
        variants.extend(records)
    return variants


def read_mutant_list(text: str) -> list[Variant]:
    """Read a PolyMarker mutant list; each ID is ``<seqid>_<library>_<position>``."""
    variants: list[Variant] = []
    columns: list[str] | None = None
    for number, line in data_lines(text):
        try:
            fields = split_quoted(line, ",")
        except ValueError as exc:
            if columns is None:
                raise InputError(f"line {number}: in the mutant list header '{line}', {exc}") from None
            variants.append(bad_record(number, [], f"line {number}: {exc}"))
            continue
        if columns is None:
            columns = [f.lower() for f in fields]
            _check_mutant_header(number, line, columns)
            continue
        if len(fields) != len(columns):
            variants.append(bad_record(number, fields, f"line {number} has {len(fields)} fields but "
                                       f"the header names {len(columns)}; fix the line or the header"))
            continue

        values = dict(zip(columns, fields))
        snp_id = f"{values['seqid']}_{values['library']}_{values['position']}"
        variants.extend(make_variants(number, values["seqid"], values["position"], snp_id,
                                      values["wt_base"], [values["mut_base"]]))
    return variants


def _check_mutant_header(number: int, line: str, columns: list[str]) -> None:
    missing = [name for name in MUTANT_COLUMNS if name not in columns]
    if missing:
        raise InputError(f"line {number}: mutant list header '{line}' lacks column(s) "
                         f"{', '.join(missing)}; the first line must be {','.join(MUTANT_COLUMNS)}")
