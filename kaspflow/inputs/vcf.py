"""Reader for VCF files, plain or compressed, through pysam.

Every record is returned: one Variant per ALT allele, with ``skip`` set for a record
that fails FILTER or the sample genotype test. ``line`` is the 1-based line of the
record in the decompressed file. The text is checked line by line first, so a
malformed file gets a message with its line number. pysam then reads a copy
without blank lines, which htslib rejects, and record i of that copy is the i-th
non-blank line after ``#CHROM``.
"""

import tempfile
from pathlib import Path

import pysam

from ..errors import InputError
from .records import ReadOptions, Variant, check_alleles, check_position, split_alts

FIXED_COLUMNS = ("CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO")
_VCF_HINT = "a VCF record has the tab-separated columns " + " ".join(FIXED_COLUMNS) + " [FORMAT samples...]"


def read_vcf(text: str, options: ReadOptions = ReadOptions()) -> list[Variant]:
    """Read VCF text; raise InputError for a malformed file or an unknown sample name."""
    header, records, line_numbers = _split_vcf(text)
    columns = header[-1].split("\t")

    with tempfile.TemporaryDirectory(prefix="kaspflow-vcf-") as folder:
        copy = Path(folder) / "input.vcf"
        copy.write_text("\n".join(header + records) + "\n")
        return _read_records(copy, columns, line_numbers, options)


def _split_vcf(text: str) -> tuple[list[str], list[str], list[int]]:
    """Check the layout of every line; return (header lines, record lines, their 1-based line numbers)."""
    lines = text.split("\n")
    if not lines[0].startswith("##fileformat=VCF"):
        raise InputError(f"line 1 is '{lines[0][:40]}', but a VCF must start with "
                         "##fileformat=VCFv4.x; fix the header or choose another format")

    header: list[str] = []
    records: list[str] = []
    line_numbers: list[int] = []
    columns: list[str] | None = None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if columns is None:
            header.append(line)
            if line.startswith("#CHROM"):
                columns = _check_column_line(number, line)
            elif not line.startswith("##"):
                raise InputError(f"line {number}: expected the #CHROM header line before the first "
                                 f"record; {_VCF_HINT}")
            continue

        _check_record_line(number, line, len(columns))
        records.append(line)
        line_numbers.append(number)

    if columns is None:
        raise InputError(f"no #CHROM header line found; {_VCF_HINT}")
    return header, records, line_numbers


def _check_column_line(number: int, line: str) -> list[str]:
    columns = line.lstrip("#").split("\t")
    if tuple(columns[:8]) != FIXED_COLUMNS:
        raise InputError(f"line {number}: header '{line[:80]}' does not start with the tab-separated "
                         f"columns #{chr(9).join(FIXED_COLUMNS)}; use tabs between the column names")
    return columns


def _check_record_line(number: int, line: str, column_count: int) -> None:
    fields = line.split("\t")
    if len(fields) < 8:
        raise InputError(f"line {number} has {len(fields)} tab-separated fields, fewer than 8; "
                         f"{_VCF_HINT}")
    if len(fields) != column_count:
        raise InputError(f"line {number} has {len(fields)} tab-separated fields but the #CHROM "
                         f"header names {column_count}; give every sample a value or fix the header")
    if not fields[1].isdigit():
        raise InputError(f"line {number}: POS '{fields[1]}' is not a whole number; "
                         "POS is the 1-based position of the record")


def _read_records(path: Path, columns: list[str], line_numbers: list[int],
                  options: ReadOptions) -> list[Variant]:
    # htslib warns about every contig or FILTER missing from the header. Those are
    # harmless here, so the warnings are silenced while this file is read.
    verbosity = pysam.set_verbosity(0)
    try:
        with pysam.VariantFile(str(path)) as vcf:
            _check_samples(list(vcf.header.samples), options.samples)
            variants: list[Variant] = []
            for index, record in enumerate(_records(vcf, line_numbers)):
                number = line_numbers[index]
                variants.extend(_record_variants(number, record, options))
            return variants
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the file as VCF: {exc}; {_VCF_HINT}") from None
    finally:
        pysam.set_verbosity(verbosity)


def _records(vcf: pysam.VariantFile, line_numbers: list[int]):
    index = 0
    while True:
        try:
            record = next(vcf)
        except StopIteration:
            return
        except (OSError, ValueError) as exc:
            raise InputError(f"line {line_numbers[index]}: invalid VCF record ({exc}); "
                             f"{_VCF_HINT}") from None
        yield record
        index += 1


def _check_samples(names: list[str], samples: tuple[str, str] | None) -> None:
    if samples is None:
        return
    missing = [s for s in samples if s not in names]
    if missing:
        known = ", ".join(names) if names else "none (the file has no sample columns)"
        raise InputError(f"sample(s) {', '.join(missing)} not found in the VCF; its samples are: {known}")


def _record_variants(number: int, record, options: ReadOptions) -> list[Variant]:
    pos_text = str(record.pos)
    input_id = record.id or ""
    variant = Variant(number, input_id, record.chrom, 0, record.ref, "", input_id=input_id)
    variant.pos, variant.error = check_position(number, pos_text)

    alts = list(record.alts or ())
    if not alts:
        variant.error = variant.error or (f"line {number}: the record has no ALT allele ('.'); "
                                          "there is no second allele to design for")
        return [variant]

    variants = split_alts(variant, alts)
    for index, copy in enumerate(variants, start=1):
        _check_vcf_alleles(number, copy, record.ref)
        if not copy.error:
            copy.skip = _filter_skip(record, options) or _sample_skip(record, options.samples, index)
    return variants


def _check_vcf_alleles(number: int, variant: Variant, ref: str) -> None:
    alt = variant.alt
    if alt.startswith("<") or alt == "*" or "[" in alt or "]" in alt:
        variant.error = variant.error or (
            f"line {number}: ALT '{alt}' is a symbolic allele without bases; KASP design needs "
            "the ALT sequence written out")
        return
    variant.ref, variant.alt, allele_error = check_alleles(number, ref, alt)
    variant.error = variant.error or allele_error


def _filter_skip(record, options: ReadOptions) -> str:
    filters = list(record.filter.keys())
    if not filters or filters == ["PASS"] or options.include_filtered:
        return ""
    return (f"FILTER is {';'.join(filters)}, not PASS; filtered records are skipped "
            "unless include_filtered is set")


def _genotype_text(genotype) -> str:
    return "/".join("." if allele is None else str(allele) for allele in genotype)


def _sample_skip(record, samples: tuple[str, str] | None, alt_index: int) -> str:
    """Return why the two samples do not separate REF from ALT ``alt_index`` here, or ''."""
    if samples is None:
        return ""
    rule = f"kept only where {samples[0]} and {samples[1]} are homozygous for different alleles"
    calls = {}
    for name in samples:
        genotype = tuple(record.samples[name].get("GT") or (None,))
        calls[name] = genotype
        if None in genotype:
            return f"no genotype call for {name} ({_genotype_text(genotype)}); {rule}"

    for name, genotype in calls.items():
        if len(set(genotype)) > 1:
            return f"{name} is heterozygous ({_genotype_text(genotype)}); {rule}"

    first, second = (calls[name][0] for name in samples)
    genotypes = f"{samples[0]} is {_genotype_text(calls[samples[0]])} and {samples[1]} is " \
            f"{_genotype_text(calls[samples[1]])}"
    if first == second:
        return f"{genotypes}, the same allele; {rule}"
    if {first, second} != {0, alt_index}:
        # NOTE: two samples homozygous for two different ALT alleles (1/1 against 2/2)
        # are skipped, because a Variant pairs REF with one ALT.
        return f"{genotypes}, so they do not differ by REF against ALT {alt_index}; {rule}"
    return ""
