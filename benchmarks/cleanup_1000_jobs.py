"""Time one run of scripts/cleanup on a results folder of 1,000 jobs, half of them expired.

Each job has the files of a finished design job (job.yaml, request/, work/,
logs/, reports, .finished), about 20 kB in 9 files. Expired jobs finished 48 h
ago and the others 1 h ago, with the default 24 h window. The folder is built
in a temporary directory and deleted afterwards.

Run: python benchmarks/cleanup_1000_jobs.py [--jobs N]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOUR = 3600.0

JOB_FILES = {
    "job.yaml": "genome: wheat_7abd\nsnp_file: snps.tsv\nsubmitted: '2026-01-01T00:00:00+00:00'\n",
    "request/snps.tsv": "id\tchrom\tpos\tref\talt\n" + "snp\tchr7A\t1000\tA\tG\n" * 100,
    "work/flanks.tsv": "A" * 6000,
    "work/candidates.tsv": "C" * 8000,
    "logs/design_assays.log": "design finished\n" * 20,
    "assays.tsv": "G" * 2500,
    "snps.tsv": "T" * 500,
    "order.csv": "name,sequence\n" * 20,
    ".finished": "2026-01-01T00:00:00+00:00\n",
}


def build_job(job: Path, finished_hours: float) -> None:
    """Write one finished job and set every mtime to ``finished_hours`` ago."""
    for relative, text in JOB_FILES.items():
        path = job / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    stamp = time.time() - finished_hours * HOUR
    for parent, dirs, files in os.walk(job, topdown=False):
        for name in dirs + files:
            os.utime(os.path.join(parent, name), (stamp, stamp))
    os.utime(job, (stamp, stamp))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000, help="number of jobs to build (half expire)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kaspflow-cleanup-bench-") as temp:
        results = Path(temp) / "results"
        for index in range(args.jobs):
            expired = index % 2 == 0
            build_job(results / f"bench-{index:04d}", 48 if expired else 1)
        config = Path(temp) / "bench.yaml"
        config.write_text(f"results_dir: {results}\nretention_hours: 24\n")

        env = {key: value for key, value in os.environ.items()
               if key not in {"RETENTION_HOURS", "CLEANUP_INTERVAL"}}
        started = time.monotonic()
        run = subprocess.run([str(ROOT / "scripts" / "cleanup"), "--configfile", str(config)],
                             cwd=temp, env=env, capture_output=True, text=True)
        elapsed = time.monotonic() - started
        remaining = len([name for name in os.listdir(results) if not name.startswith(".")])

    lines = run.stderr.splitlines()
    removed = [line for line in lines if "removed job '" in line]
    print(f"jobs built: {args.jobs} ({args.jobs - args.jobs // 2} expired)")
    print(f"wrapper exit status: {run.returncode}, wall time: {elapsed:.2f} s")
    print(f"jobs left afterwards: {remaining}")
    print(f"log lines: {len(lines)}, 'removed job' lines: {len(removed)}")
    print("first and last removal lines:")
    for line in removed[:2] + removed[-1:]:
        print("  " + line)
    print("summary and closing lines:")
    for line in lines[-2:]:
        print("  " + line)
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
