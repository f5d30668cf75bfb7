"""Command-line entry points behind scripts/submit, scripts/design and scripts/genomes.

Exit status: 0 on success, 2 for a request that cannot be used (nothing is
created), 1 when the workflow run itself fails.
"""

import argparse
import csv
import logging
import subprocess
import sys
from pathlib import Path

from .config import DEFAULT_CONFIG, ROOT, load_config, resolve_path
from .errors import InputError, KaspflowError
from .genome import Genome, read_alias_file
from .jobs import create_job
from .settings import design_settings
from .variants import READERS, count_designable, read_variants

log = logging.getLogger("kaspflow")


def _add_request_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--genome", help="name of a genome listed under 'genomes' in the config")
    source.add_argument("--fasta", help="a FASTA file to use directly instead of a configured genome")
    source.add_argument("--no-genome", action="store_true",
                        help="design PolyMarker markers on their own sequence, unchecked against a genome")
    parser.add_argument("--snps", required=True,
                        help="SNP file: CHROM POS [ID] REF ALT table, VCF, or PolyMarker markers")
    parser.add_argument("--job", help="job name (letters, digits, '.', '_', '-'); generated if omitted")
    parser.add_argument("--format", default="auto", choices=["auto", *READERS],
                        help="input format (default: detected from the file)")
    parser.add_argument("--samples", help="VCF only: two sample names, SAMPLE1,SAMPLE2; keep the "
                        "sites where they are homozygous for different alleles (e.g. the parents)")
    parser.add_argument("--region", help="VCF only: CHROM or CHROM:START-END (1-based, inclusive)")
    parser.add_argument("--include-filtered", action="store_true",
                        help="VCF only: also design records whose FILTER is not PASS")
    parser.add_argument("--configfile", action="append", default=[],
                        help="extra YAML config merged over config/config.yaml; may be repeated")


def _input_options(args: argparse.Namespace) -> dict:
    options = {}
    if args.samples:
        options["samples"] = [name.strip() for name in args.samples.split(",")]
    if args.region:
        options["region"] = args.region
    if args.include_filtered:
        options["include_filtered"] = True
    return options


def _load(configfiles: list[str]) -> dict:
    return load_config([DEFAULT_CONFIG, *configfiles])


def submit(args: argparse.Namespace) -> Path:
    """Check a request completely, then create its job directory and return it."""
    config = _load(args.configfile)
    request: dict = {"genome": None, "fasta": None}
    if args.genome or args.fasta:
        genome_name, genome_config = _genome_config(args, config)
        fasta = resolve_path(genome_config["fasta"])
        index_dir = resolve_path(config["index_dir"])
        aliases_file = genome_config.get("aliases")
        aliases = read_alias_file(resolve_path(aliases_file)) if aliases_file else None
        with Genome(fasta, index_dir=index_dir, aliases=aliases):
            pass
        request.update(genome=genome_name, fasta=str(fasta), index_dir=str(index_dir))
        if aliases_file:
            request["aliases_file"] = str(resolve_path(aliases_file))

    settings_design = config.get("design") or {}
    design_settings(settings_design)
    options = _input_options(args)
    fmt, variants = read_variants(args.snps, args.format, options)
    usable = [v for v in variants if not v.error]
    if not usable:
        shown = "; ".join(v.error for v in variants[:3])
        raise InputError(
            f"{args.snps}: none of its {len(variants)} records can be used when read as {fmt}"
            f"{_looks_like(args.snps)}: {shown}{' ...' if len(variants) > 3 else ''}. Check the "
            "column order (CHROM POS [ID] REF ALT) or name the format with --format"
        )
    designable = count_designable(variants)
    if designable > config["max_snp_count"]:
        raise InputError(
            f"{args.snps} has {designable} SNP records to design, more than max_snp_count "
            f"({config['max_snp_count']}); split the file or raise max_snp_count in the config"
        )
    if args.no_genome and not any(v.flank_left or v.flank_right for v in variants):
        raise InputError(
            f"{args.snps} has no marker sequences (ID,CHR,SEQ[A/G]SEQ), so it needs a genome; "
            "pass --genome NAME or --fasta FILE instead of --no-genome"
        )

    request.update(format=fmt, input_options=options, snp_count=len(variants),
                   design=settings_design)
    return create_job(resolve_path(config["results_dir"]), args.snps, request, args.job)


def _looks_like(path: str) -> str:
    """Return ' (it looks like a FASTA file)' or a BED hint for a misplaced file, else ''."""
    try:
        with open(path, errors="replace") as handle:
            first = handle.readline().strip()
    except OSError:
        return ""
    fields = first.split("\t")
    if first.startswith(">"):
        return " (it looks like a FASTA file, not a SNP list)"
    if len(fields) in (3, 4, 6) and fields[1].isdigit() and fields[2].isdigit():
        return " (it looks like a BED file of regions, not a SNP list)"
    return ""


def _genome_config(args: argparse.Namespace, config: dict) -> tuple[str, dict]:
    if args.fasta:
        return Path(args.fasta).name, {"fasta": str(Path(args.fasta).resolve())}
    genomes = config.get("genomes") or {}
    if args.genome not in genomes:
        known = ", ".join(sorted(genomes)) or "none"
        raise InputError(f"unknown genome '{args.genome}'; configured genomes: {known} "
                         "(add it under 'genomes' in config/config.yaml, or pass --fasta)")
    return args.genome, genomes[args.genome]


def run_workflow(targets: list[str], configfiles: list[str], cores: int) -> int:
    """Run Snakemake on ``targets`` from the kaspflow folder; return its exit status."""
    command = [
        sys.executable, "-m", "snakemake",
        "--snakefile", str(ROOT / "workflow" / "Snakefile"),
        "--directory", str(ROOT),
        "--profile", str(ROOT / "profiles" / "default"),
        "--cores", str(cores),
    ]
    # Targets come before --configfile, which takes every following argument.
    command += targets
    if configfiles:
        command += ["--configfile", str(DEFAULT_CONFIG), *[str(Path(f).resolve()) for f in configfiles]]
    return subprocess.call(command)


def _error(message: str) -> int:
    print(f"kaspflow: error: {message}", file=sys.stderr)
    return 2


def main_submit(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="submit", description="Create a kaspflow job from a SNP file and print its name.")
    _add_request_arguments(parser)
    args = parser.parse_args(argv)
    try:
        job_dir = submit(args)
    except KaspflowError as exc:
        return _error(str(exc))
    print(job_dir.name)
    return 0


def main_design(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="design", description="Submit a SNP file and design its KASP assays in one step.")
    _add_request_arguments(parser)
    parser.add_argument("--cores", type=int, default=1, help="CPU cores for the workflow (default 1)")
    args = parser.parse_args(argv)
    try:
        job_dir = submit(args)
    except KaspflowError as exc:
        return _error(str(exc))
    print(f"job {job_dir.name} submitted; designing", file=sys.stderr)
    # The target must be spelled as the rules spell it: results_dir as configured.
    results_dir = _load(args.configfile)["results_dir"].rstrip("/")
    status = run_workflow([f"{results_dir}/{job_dir.name}/assays.tsv"], args.configfile, args.cores)
    if status != 0:
        print(f"kaspflow: the workflow failed for job {job_dir.name}; see {job_dir}/logs/",
              file=sys.stderr)
        return 1
    print(f"{summarize(job_dir)}\nresults: {job_dir}", file=sys.stderr)
    print(job_dir.name)
    return 0


def summarize(job_dir: Path) -> str:
    """Return one line with the job's designed / failed / skipped counts from snps.tsv."""
    with open(job_dir / "snps.tsv", newline="") as handle:
        statuses = [row["status"] for row in csv.DictReader(handle, delimiter="\t")]
    counts = ", ".join(f"{statuses.count(s)} {s}" for s in ("designed", "failed", "skipped")
                       if statuses.count(s))
    return f"job {job_dir.name}: {len(statuses)} SNP records: {counts}"


def main_genomes(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="genomes", description="List the configured genomes with sequence counts and sizes.")
    parser.add_argument("--configfile", action="append", default=[],
                        help="extra YAML config merged over config/config.yaml")
    args = parser.parse_args(argv)
    try:
        config = _load(args.configfile)
    except KaspflowError as exc:
        return _error(str(exc))
    status = 0
    print("genome\tsequences\ttotal_bp\tfasta")
    for name, genome_config in sorted((config.get("genomes") or {}).items()):
        fasta = resolve_path(genome_config["fasta"])
        try:
            with Genome(fasta, index_dir=resolve_path(config["index_dir"])) as genome:
                total = sum(s.length for s in genome.sequences)
                print(f"{name}\t{len(genome.sequences)}\t{total}\t{fasta}")
        except KaspflowError as exc:
            print(f"{name}\t-\t-\t{fasta}: {exc}")
            status = 1
    return status
