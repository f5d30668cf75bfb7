"""Tests of scripts/cleanup, run for real through Snakemake on temporary results folders."""

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WRAPPER = ROOT / "scripts" / "cleanup"
HOUR = 3600.0


def make_job(results: Path, name: str, *, finished_hours: float, running: bool = False) -> Path:
    """Create a job folder that finished ``finished_hours`` ago."""
    job = results / name
    (job / "request").mkdir(parents=True)
    (job / "request" / "snps.tsv").write_text("id\tchrom\tpos\n")
    (job / "job.yaml").write_text("genome: demo\nsnp_file: snps.tsv\n")
    stamp = time.time() - finished_hours * HOUR
    (job / ".finished").write_text("finished\n")
    for path in (job / "request" / "snps.tsv", job / "request", job / "job.yaml", job / ".finished", job):
        os.utime(path, (stamp, stamp))
    if running:
        (job / ".running").write_text("host 1 design_assays\n")
    return job


@pytest.fixture
def results_and_config(tmp_path):
    """Return a results folder and a config file that points the workflow at it."""
    results = tmp_path / "results"
    results.mkdir()
    config = tmp_path / "cleanup-test.yaml"
    config.write_text(f"results_dir: {results}\nretention_hours: 24\ncleanup_interval_seconds: 600\n")
    return results, config


def wrapper_env(**variables) -> dict:
    env = {key: value for key, value in os.environ.items()
           if key not in {"RETENTION_HOURS", "CLEANUP_INTERVAL"}}
    env.update(variables)
    return env


def run_wrapper(config: Path, *args: str, cwd: Path, **variables) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(WRAPPER), "--configfile", str(config), *args],
        cwd=cwd, env=wrapper_env(**variables), capture_output=True, text=True, timeout=120,
    )


def test_wrapper_removes_expired_jobs(results_and_config, tmp_path):
    results, config = results_and_config
    make_job(results, "expired", finished_hours=30)
    make_job(results, "fresh", finished_hours=1)
    make_job(results, "designing", finished_hours=100, running=True)
    (results / "notes.txt").write_text("admin notes\n")

    run = run_wrapper(config, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert sorted(os.listdir(results)) == [".cleanup.lock", ".cleanup.log", "designing", "fresh", "notes.txt"]
    assert "removed job 'expired' (age 30.0 h," in run.stderr
    assert "cleanup: removed 1 jobs" in run.stderr
    assert "not a job directory, left in place: notes.txt" in (results / ".cleanup.log").read_text()


def test_wrapper_dry_run_removes_nothing(results_and_config, tmp_path):
    results, config = results_and_config
    make_job(results, "expired", finished_hours=30)

    run = run_wrapper(config, "--dry-run", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert (results / "expired" / "job.yaml").is_file()
    assert "would remove job 'expired' (age 30.0 h" in run.stderr


def test_wrapper_env_override_applies(results_and_config, tmp_path):
    results, config = results_and_config
    make_job(results, "two-hours-old", finished_hours=2)

    run = run_wrapper(config, cwd=tmp_path, RETENTION_HOURS="1")
    assert run.returncode == 0, run.stderr
    assert not (results / "two-hours-old").exists()


@pytest.mark.parametrize("variable, value", [
    ("RETENTION_HOURS", "abc"),
    ("RETENTION_HOURS", "-3"),
    ("RETENTION_HOURS", ""),
    ("CLEANUP_INTERVAL", "soon"),
])
def test_wrapper_rejects_bad_env(results_and_config, tmp_path, variable, value):
    results, config = results_and_config
    make_job(results, "expired", finished_hours=30)

    run = run_wrapper(config, cwd=tmp_path, **{variable: value})
    assert run.returncode == 2
    assert f"invalid {variable}={value!r}" in run.stderr
    assert (results / "expired").is_dir()


def test_wrapper_skips_when_lock_held(results_and_config, tmp_path):
    results, config = results_and_config
    make_job(results, "expired", finished_hours=30)

    with open(results / ".cleanup.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        run = run_wrapper(config, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "another cleanup is running" in run.stderr
    assert (results / "expired").is_dir()


def test_two_wrappers_remove_once(results_and_config, tmp_path):
    results, config = results_and_config
    names = [f"job-{index:03d}" for index in range(400)]
    for name in names:
        make_job(results, name, finished_hours=30)

    command = [str(WRAPPER), "--configfile", str(config)]
    processes = [
        subprocess.Popen(command, cwd=tmp_path, env=wrapper_env(), stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120)[1] for process in processes]

    removed_counts = sorted(output.count("removed job '") for output in outputs)

    assert [process.returncode for process in processes] == [0, 0]
    assert removed_counts == [0, len(names)]
    assert sorted(os.listdir(results)) == [".cleanup.lock", ".cleanup.log"]


def test_loop_stops_on_sigterm(results_and_config, tmp_path):
    results, config = results_and_config
    make_job(results, "expired", finished_hours=30)
    log_path = tmp_path / "wrapper.log"

    with open(log_path, "w") as log:
        process = subprocess.Popen([str(WRAPPER), "--loop", "--configfile", str(config)], cwd=tmp_path,
                                   env=wrapper_env(CLEANUP_INTERVAL="600"), stderr=log)
        deadline = time.monotonic() + 60
        while "cleanup pass finished" not in log_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        status = process.wait(timeout=10)

    text = log_path.read_text()
    assert "a pass every 600 s" in text
    assert not (results / "expired").exists()
    assert status == 0
    assert "cleanup loop stopped by SIGTERM" in text


def test_wrapper_help_runs_anywhere(tmp_path):
    run = subprocess.run([sys.executable, str(WRAPPER), "--help"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 0
    assert "--loop" in run.stdout
