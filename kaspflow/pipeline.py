"""The four steps of a job, as plain functions the workflow rules call.

validate_request -> extract_flanks -> design_assays -> check_specificity ->
write_report. Each step
reads and writes JSON-lines files under ``<job>/work/``, keeps every input record
(a record that failed carries its reason forward), and refreshes the job's
``.running`` marker so the retention cleanup never removes a job mid-run.
"""

import bisect
import dataclasses
import functools
import json
import logging
import time
from pathlib import Path

from .config import resolve_path
from .design import design_assays, tail_oligos
from .errors import InputError, SnpError
from .extract import Target, extract_target
from .genome import Genome, read_alias_file
from .locate import choose_hit, find_markers, mask_ambiguities, place_marker, target_from_marker
from .jobs import REQUEST_DIR, RUNNING_MARKER, mark_finished, mark_running, read_job
from .report import (ASSAY_COLUMNS, SNP_COLUMNS, allele_text, write_order, write_tsv)
from .settings import design_settings
from .specificity import (blast_available, ensure_database, find_sites, off_target_products,
                          target_sites)
from .variants import Variant, read_variants

log = logging.getLogger("kaspflow")

# Refresh the running marker after this many SNPs of a long design step.
HEARTBEAT_EVERY = 200

# Ranking penalty per possible off-target product (counted up to three).
OFF_TARGET_PENALTY = 10.0


def _write_jsonl(path, records):
    with open(path, "w") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")


def _read_jsonl(path):
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def job_step(step: str):
    """Wrap a step function: refresh the running marker, and record a failure in job.log.

    A failed step removes ``.running``, so the cleanup ages the job from its last
    activity instead of keeping it as running.
    """
    def wrap(function):
        @functools.wraps(function)
        def run(job_dir, *args, **kwargs):
            job_dir = Path(job_dir)
            mark_running(job_dir, step)
            try:
                return function(job_dir, *args, **kwargs)
            except Exception as exc:
                job_log(job_dir, f"job {job_dir.name} failed in {step}: {exc}")
                (job_dir / RUNNING_MARKER).unlink(missing_ok=True)
                raise
        return run
    return wrap


def job_log(job_dir: Path, message: str) -> None:
    """Log ``message`` and append it to the job's own ``job.log``."""
    log.info(message)
    with open(job_dir / "job.log", "a") as handle:
        handle.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S%z')} {message}\n")


@job_step("validate_request")
def validate_request(job_dir: str | Path, output: str | Path) -> None:
    """Read the submitted SNP file and write one record per input line to ``output``."""
    job = read_job(job_dir)
    snp_path = job_dir / REQUEST_DIR / job["snp_file"]
    fmt, variants = read_variants(snp_path, job.get("format", "auto"), job.get("input_options"))
    job_log(job_dir, f"job {job['job']} started: genome {job['genome']}, {len(variants)} SNP records "
                     f"({fmt}), file {job['snp_file']}")
    _write_jsonl(output, [dataclasses.asdict(v) for v in variants])


@job_step("extract_flanks")
def extract_flanks(job_dir: str | Path, variants_path: str | Path, output: str | Path) -> None:
    """Place each variant on the genome and write its flanks, or its failure reason.

    A job without a genome (PolyMarker markers only) is designed on the marker
    sequences themselves and marked as not checked against a genome.
    """
    job = read_job(job_dir)
    settings = design_settings(job.get("design"))
    variants = [Variant(**item) for item in _read_jsonl(variants_path)]
    if job.get("fasta"):
        aliases = read_alias_file(job["aliases_file"]) if job.get("aliases_file") else None
        with Genome(resolve_path(job["fasta"]),
                    index_dir=resolve_path(job.get("index_dir", "resources/index")),
                    aliases=aliases) as genome:
            records = place_variants(genome, variants, settings.max_product)
    else:
        records = [_marker_only(v) for v in variants]

    failed = sum(1 for r in records if r["target"] is None)
    log.info("placed %d records on the genome, %d not placed", len(records) - failed, failed)
    _write_jsonl(output, records)


def place_variants(genome: Genome, variants: list[Variant], flank_bp: int) -> list[dict]:
    """Return one record per variant: the variant and its Target, or the variant with an error."""
    designable = [v for v in variants if not v.error and not v.skip]
    markers = [v for v in designable if v.pos == 0 and (v.flank_left or v.flank_right)]
    hits = find_markers(genome, markers) if markers else {}
    marker_hits = {id(v): hits[i] for i, v in enumerate(markers)}

    records = []
    for variant in variants:
        record = {"variant": dataclasses.asdict(variant), "target": None}
        records.append(record)
        if variant.error or variant.skip:
            continue
        try:
            placed, hit = variant, None
            if id(variant) in marker_hits:
                hit = choose_hit(genome, variant, marker_hits[id(variant)])
                placed = place_marker(genome, variant, hit)
            target = extract_target(genome, placed, flank_bp)
            if hit is not None:
                mask_ambiguities(target, variant, hit)
        except SnpError as exc:
            record["variant"]["error"] = str(exc)
            record["variant"]["notes"] = _record_notes(record["variant"]["notes"])
            continue
        except Exception as exc:  # noqa: BLE001 - one SNP must not sink the job
            record["variant"]["error"] = _internal_error("placing", variant.snp_id, exc)
            continue
        if target.chrom != placed.chrom:
            placed.notes.append(f"sequence '{placed.chrom}' read as '{target.chrom}'")
        record["variant"] = dataclasses.asdict(placed)
        record["target"] = _target_record(target)
    add_neighbours(records)
    return records


def _internal_error(action: str, snp_id: str, exc: Exception) -> str:
    """Log an unexpected error on one SNP with its traceback and return the reason for snps.tsv."""
    log.exception("unexpected error %s %s", action, snp_id)
    return (f"internal error while {action} this SNP ({exc!r}); the traceback is in the "
            "step's log under logs/; please report it")


def _record_notes(notes: list[str]) -> list[str]:
    """Return the notes of a record that cannot be designed, without those about its design."""
    return [note for note in notes
            if "is designed on" not in note and "assays end on" not in note
            and "where the assay is designed" not in note]


def add_neighbours(records: list[dict]) -> None:
    """List in each target the other input variants inside its flanks (1-based closed spans).

    The design step keeps primers off them or flags them: a known variant under
    a primer, above all near its 3' end, makes the assay fail in some lines.
    """
    spans: dict[str, list[tuple[int, int]]] = {}
    for record in records:
        target = record["target"]
        if target is not None:
            pos = record["variant"]["pos"]
            spans.setdefault(target["chrom"], []).append((pos, pos + max(len(target["ref"]), 1) - 1))
    for chrom in spans:
        spans[chrom].sort()

    for record in records:
        target = record["target"]
        if target is None:
            continue
        first = target["start"] + 1
        last = target["start"] + len(target["left"]) + len(target["ref"]) + len(target["right"])
        own = record["variant"]["pos"]
        own_end = own + max(len(target["ref"]), 1) - 1
        sites = spans.get(target["chrom"], [])
        index = bisect.bisect_left(sites, (first, first))
        neighbours = []
        while index < len(sites) and sites[index][0] <= last:
            start, end = sites[index]
            if end < own or start > own_end:
                neighbours.append([start, end])
            index += 1
        target["neighbours"] = neighbours


def _marker_only(variant: Variant) -> dict:
    record = {"variant": dataclasses.asdict(variant), "target": None}
    if variant.error or variant.skip:
        return record
    if not (variant.flank_left or variant.flank_right):
        record["variant"]["error"] = ("this job has no genome, so only marker lines with a sequence "
                                      "(ID,CHR,SEQ[A/G]SEQ) can be designed; submit with --genome")
        return record
    target = target_from_marker(variant)
    record["variant"] = dataclasses.asdict(variant)
    record["target"] = _target_record(target)
    return record


def _target_record(target: Target) -> dict:
    fields = dataclasses.asdict(target)
    fields.pop("variant")
    return fields


@job_step("design_assays")
def design_job(job_dir: str | Path, targets_path: str | Path, output: str | Path) -> None:
    """Design assays for every placed variant and write the ranked assays or the reason."""
    job = read_job(job_dir)
    settings = design_settings(job.get("design"))
    records = _read_jsonl(targets_path)
    started = time.monotonic()
    for number, record in enumerate(records, start=1):
        if number % HEARTBEAT_EVERY == 0:
            mark_running(job_dir, "design_assays")
            log.info("designed %d of %d SNPs", number, len(records))
        record["assays"] = []
        if record["target"] is None:
            continue
        variant = Variant(**record["variant"])
        target = Target(variant=variant, **record["target"])
        try:
            assays = design_assays(target, settings, keep=settings.candidates_per_snp)
        except SnpError as exc:
            record["variant"]["error"] = str(exc)
            continue
        except Exception as exc:  # noqa: BLE001 - one SNP must not sink the job
            record["variant"]["error"] = _internal_error("designing", variant.snp_id, exc)
            continue
        record["assays"] = [_assay_row(target, assay, rank, settings)
                            for rank, assay in enumerate(assays, start=1)]
    log.info("design step took %.1f s for %d SNPs", time.monotonic() - started, len(records))
    _write_jsonl(output, records)


def _assay_row(target: Target, assay, rank: int, settings) -> dict:
    fam_allele, hex_allele, primer_fam, primer_hex = tail_oligos(assay, settings)
    variant = target.variant
    alleles = {"ref": variant.ref, "alt": variant.alt}
    tms = {"ref": assay.tm_ref, "alt": assay.tm_alt}
    return {
        "snp_id": variant.snp_id,
        "chrom": target.chrom,
        "pos": variant.pos,
        "ref": allele_text(variant.ref),
        "alt": allele_text(variant.alt),
        "rank": rank,
        "strand": assay.strand,
        "allele_fam": allele_text(alleles[fam_allele]),
        "allele_hex": allele_text(alleles[hex_allele]),
        "primer_fam": primer_fam,
        "primer_hex": primer_hex,
        "primer_common": assay.primer_common,
        "tm_fam": tms[fam_allele],
        "tm_hex": tms[hex_allele],
        "tm_common": assay.tm_common,
        "product_size": assay.product_size,
        "penalty": round(assay.penalty, 3),
        "flags": ",".join(assay.flags),
        "product_size_alt": assay.product_size_alt,
        "as_start": assay.as_start,
        "as_end": assay.as_end,
        "common_start": assay.common_start,
        "common_end": assay.common_end,
        "genome_checked": "yes" if target.genome_checked else "no",
        # Primer bodies without tails, for the specificity check; not reported.
        "body_ref": assay.primer_ref,
        "body_alt": assay.primer_alt,
    }


@job_step("check_specificity")
def check_job_specificity(job_dir: str | Path, designs_path: str | Path, output: str | Path) -> None:
    """Count each candidate's off-target products, re-rank, and keep the best per SNP."""
    job = read_job(job_dir)
    settings = design_settings(job.get("design"))
    records = _read_jsonl(designs_path)
    rows = [row for record in records for row in record["assays"]]

    mode = settings.specificity["check"]
    sites = None
    if mode != "none" and not job.get("fasta"):
        job_log(job_dir, "specificity not checked: the job has no genome")
    elif mode == "auto" and not blast_available():
        job_log(job_dir, "specificity not checked: BLAST+ (blastn, makeblastdb) is not installed; "
                         "install ncbi-blast+ or set design.specificity.check to none")
    elif mode != "none":
        if not blast_available():
            raise InputError("design.specificity.check is 'blast' but BLAST+ (blastn, makeblastdb) "
                             "is not installed; install ncbi-blast+ or set it to auto or none")
        fasta = resolve_path(job["fasta"])
        index_dir = resolve_path(job.get("index_dir", "resources/index"))
        database = ensure_database(fasta, index_dir)
        primers = [row[key] for row in rows for key in ("body_ref", "body_alt", "primer_common")]
        started = time.monotonic()
        with Genome(fasta, index_dir=index_dir) as genome:
            sites = find_sites(primers, database, settings.specificity["max_mismatches"], genome,
                               settings.specificity["threads"])
        log.info("BLAST+ found the sites of %d primers in %.1f s", len(set(primers)),
                 time.monotonic() - started)

    for record in records:
        record["assays"] = _rank_checked(record["assays"], sites, settings)
        if record["assays"] and all(r["specificity"] == "off_target" for r in record["assays"]):
            record["variant"]["notes"].append(
                "every assay may also amplify elsewhere (flag off_target_product); raise "
                "design.specificity.candidates_per_snp to search further, or test on the homeologs")
    if sites is not None:
        kept = [row for record in records for row in record["assays"]]
        off = sum(1 for row in kept if row["specificity"] == "off_target")
        job_log(job_dir, f"specificity checked with BLAST+: {off} of {len(kept)} reported assays "
                         "may also amplify elsewhere (flag off_target_product)")
    _write_jsonl(output, records)


def _rank_checked(rows: list[dict], sites: dict | None, settings) -> list[dict]:
    max_product = settings.specificity["max_product"]
    for row in rows:
        if sites is None:
            row.update(specificity="not_checked", off_target_products="", as_sites="",
                       common_sites="", other_sites="")
            continue
        as_sites = sorted(set(sites[row["body_ref"]]) | set(sites[row["body_alt"]]),
                          key=lambda s: (s.chrom, s.three_prime))
        common_sites = sites[row["primer_common"]]
        target = target_sites(row)
        products = off_target_products(as_sites, common_sites, target, max_product)
        row.update(off_target_products=products, as_sites=len(as_sites),
                   common_sites=len(common_sites),
                   other_sites=_other_sites(as_sites, common_sites, target),
                   specificity="off_target" if products else "specific")
        if products:
            flags = [f for f in row["flags"].split(",") if f] + ["off_target_product"]
            row["flags"] = ",".join(flags)
            row["penalty"] = round(row["penalty"] + OFF_TARGET_PENALTY * min(products, 3), 3)

    rows.sort(key=lambda row: row["penalty"])
    kept = rows[:settings.max_assays_per_snp]
    for rank, row in enumerate(kept, start=1):
        row["rank"] = rank
    return kept


def _other_sites(as_sites, common_sites, target, shown: int = 6) -> str:
    """Return the binding sites other than the target as 'as:chrom:pos(strand)' entries."""
    entries = [f"as:{s.chrom}:{s.three_prime}({s.strand})" for s in as_sites if s != target[0]]
    entries += [f"common:{s.chrom}:{s.three_prime}({s.strand})" for s in common_sites if s != target[1]]
    more = f",+{len(entries) - shown} more" if len(entries) > shown else ""
    return ",".join(entries[:shown]) + more


def _status(record: dict) -> str:
    if record["assays"]:
        return "designed"
    return "skipped" if record["variant"].get("skip") and not record["variant"]["error"] else "failed"


@job_step("write_report")
def write_report(job_dir: str | Path, designs_path: str | Path, assays_out: str | Path,
                 snps_out: str | Path, order_out: str | Path) -> None:
    """Write assays.tsv, snps.tsv and order.csv, then mark the job finished."""
    job = read_job(job_dir)
    records = _read_jsonl(designs_path)
    assays, snps = [], []
    for record in records:
        variant = record["variant"]
        target = record["target"] or {}
        assays.extend(record["assays"])
        snps.append({
            "snp_id": variant["snp_id"],
            "chrom": target.get("chrom", variant["chrom"]),
            "pos": variant["pos"] or "",
            "genome_checked": "yes" if target.get("genome_checked", True) else "no",
            "ref": allele_text(variant["ref"]),
            "alt": allele_text(variant["alt"]),
            "status": _status(record),
            "reason": "" if record["assays"] else (variant["error"] or variant["skip"]),
            "n_assays": len(record["assays"]),
            "line": variant["line"],
            "input_id": variant["input_id"],
            "input_chrom": variant["chrom"],
            "note": "; ".join(variant["notes"]),
        })

    write_tsv(assays_out, ASSAY_COLUMNS, assays)
    write_tsv(snps_out, SNP_COLUMNS, snps)
    write_order(order_out, assays)
    counts = {status: sum(1 for s in snps if s["status"] == status)
              for status in ("designed", "failed", "skipped")}
    job_log(job_dir, f"job {job['job']} finished: {len(snps)} SNP records, {counts['designed']} "
                     f"designed, {counts['failed']} failed, {counts['skipped']} skipped, "
                     f"{len(assays)} assays")
    mark_finished(job_dir)
