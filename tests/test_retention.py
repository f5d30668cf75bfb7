"""Tests of kaspflow.retention on real job folders aged with os.utime."""

import datetime as dt
import io
import logging
import os
import pickle
import shutil
import stat
import tempfile
import time
from pathlib import Path

import pytest

from kaspflow import retention
from kaspflow.errors import ConfigError
from kaspflow.jobs import list_jobs

HOUR = 3600.0
NOW = 1_800_000_000.0
NOBODY = 65534


def age_tree(path: Path, hours: float, now: float = NOW) -> None:
    """Set the mtime of ``path`` and everything below it to ``hours`` before ``now``."""
    stamp = now - hours * HOUR
    for parent, dirs, files in os.walk(path, topdown=False):
        for name in dirs + files:
            os.utime(os.path.join(parent, name), (stamp, stamp), follow_symlinks=False)
    os.utime(path, (stamp, stamp), follow_symlinks=False)


def make_job(results: Path, name: str, *, finished_hours=None, activity_hours=0.0,
             running_hours=None, job_yaml="genome: demo\nsnp_file: snps.tsv\n",
             now: float = NOW) -> Path:
    """Create a job folder like a submitted one, aged as requested."""
    job = results / name
    (job / "request").mkdir(parents=True)
    (job / "request" / "snps.tsv").write_text("id\tchrom\tpos\n" * 50)
    (job / "work" / "flanks").mkdir(parents=True)
    (job / "work" / "flanks" / "flanks.tsv").write_text("A" * 2000)
    if job_yaml is not None:
        (job / "job.yaml").write_text(job_yaml)
    age_tree(job, activity_hours, now)

    if finished_hours is not None:
        stamp = now - finished_hours * HOUR
        (job / ".finished").write_text("2000-01-01T00:00:00+00:00\n")
        os.utime(job / ".finished", (stamp, stamp))
    if running_hours is not None:
        stamp = now - running_hours * HOUR
        (job / ".running").write_text("host 1 design_assays\n")
        os.utime(job / ".running", (stamp, stamp))
    return job


def run_cleanup(results: Path, retention_hours: float = 24, **options):
    """Run remove_expired with a private logger and return the report and the log text."""
    stream = io.StringIO()
    logger = logging.getLogger(f"test-retention-{id(stream)}")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.addHandler(logging.StreamHandler(stream))
    options.setdefault("now", NOW)
    options.setdefault("stale_hours", 6)
    report = retention.remove_expired(results, retention_hours, log=logger, **options)
    return report, stream.getvalue()


def run_unprivileged(function):
    """Run ``function`` in a forked child without root rights and return its result.

    File modes do not stop root, so the tests of unreadable folders drop to the
    'nobody' user when they run as root.
    """
    if os.geteuid() != 0:
        return function()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            payload = pickle.dumps(function())
        except BaseException as exc:  # noqa: BLE001 - handed to the parent
            payload = pickle.dumps(exc)
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(payload)
        os._exit(0)

    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        payload = pipe.read()
    os.waitpid(pid, 0)
    result = pickle.loads(payload)
    if isinstance(result, BaseException):
        raise result
    return result


@pytest.fixture
def results(tmp_path):
    folder = tmp_path / "results"
    folder.mkdir()
    return folder


@pytest.fixture
def shared_results():
    """A results folder that the unprivileged child can use; removed afterwards."""
    base = Path(tempfile.mkdtemp(prefix="kaspflow-retention-"))
    folder = base / "results"
    folder.mkdir()
    yield folder
    for parent, dirs, _ in os.walk(base):
        for name in dirs:
            os.chmod(os.path.join(parent, name), 0o700)
    shutil.rmtree(base)


def hand_to_nobody(path: Path) -> None:
    if os.geteuid() != 0:
        return
    for parent, dirs, files in os.walk(path.parent):
        for name in dirs + files:
            os.chown(os.path.join(parent, name), NOBODY, NOBODY, follow_symlinks=False)
    os.chown(path.parent, NOBODY, NOBODY)


def test_expired_finished_job_removed(results):
    make_job(results, "old", finished_hours=30, activity_hours=30)
    report, log = run_cleanup(results)
    assert not (results / "old").exists()
    assert report.removed == ["old"]
    assert "removed job 'old' (age 30.0 h," in log
    assert report.exit_status == 0


def test_window_boundary_expired_vs_fresh(results):
    make_job(results, "at-window", finished_hours=24, activity_hours=24)
    make_job(results, "one-second-short", finished_hours=24 - 1 / HOUR, activity_hours=24)
    report, _ = run_cleanup(results, 24)
    assert not (results / "at-window").exists()
    assert (results / "one-second-short").is_dir()
    assert report.kept == ["one-second-short"]


def test_age_counts_from_finish_not_activity(results):
    make_job(results, "long-job", finished_hours=2, activity_hours=50)
    report, _ = run_cleanup(results, 24)
    assert (results / "long-job").is_dir()
    assert report.removed == []


def test_recent_file_in_subdir_keeps_job(results):
    job = make_job(results, "unfinished", activity_hours=48)
    recent = NOW - 60
    os.utime(job / "work" / "flanks" / "flanks.tsv", (recent, recent))
    report, _ = run_cleanup(results, 24)
    assert os.lstat(job).st_mtime == NOW - 48 * HOUR
    assert (results / "unfinished").is_dir()
    assert report.kept == ["unfinished"]


def test_unfinished_idle_job_removed(results):
    make_job(results, "abandoned", activity_hours=48)
    report, _ = run_cleanup(results, 24)
    assert not (results / "abandoned").exists()
    assert report.removed == ["abandoned"]


def test_running_job_kept_zero_window(results):
    make_job(results, "designing", finished_hours=100, activity_hours=100, running_hours=0.1)
    report, _ = run_cleanup(results, 0)
    assert (results / "designing" / "job.yaml").is_file()
    assert report.kept == ["designing"]


def test_stale_running_marker_allows_removal(results):
    make_job(results, "crashed", activity_hours=30, running_hours=30)
    report, _ = run_cleanup(results, 24, stale_hours=6)
    assert not (results / "crashed").exists()
    assert report.removed == ["crashed"]


def test_zero_window_removes_idle_jobs(results):
    make_job(results, "just-finished", finished_hours=0, activity_hours=0)
    report, _ = run_cleanup(results, 0)
    assert not (results / "just-finished").exists()
    assert report.removed == ["just-finished"]


def test_symlinked_job_unlinked_target_survives(results, tmp_path):
    outside = tmp_path / "elsewhere" / "panel"
    (outside / "request").mkdir(parents=True)
    (outside / "job.yaml").write_text("genome: demo\nsnp_file: snps.tsv\n")
    (outside / "request" / "snps.tsv").write_text("keep me\n")
    age_tree(outside, 100)
    link = results / "panel"
    link.symlink_to(outside, target_is_directory=True)
    os.utime(link, (NOW - 30 * HOUR,) * 2, follow_symlinks=False)

    report, log = run_cleanup(results, 24)
    assert not os.path.lexists(link)
    assert (outside / "request" / "snps.tsv").read_text() == "keep me\n"
    assert (outside / "job.yaml").is_file()
    assert "removed job link 'panel'" in log
    assert report.removed == ["panel"]


def test_fresh_job_link_kept(results, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (results / "recent-link").symlink_to(outside)
    os.utime(results / "recent-link", (NOW - HOUR,) * 2, follow_symlinks=False)
    report, _ = run_cleanup(results, 24)
    assert os.path.islink(results / "recent-link")
    assert report.kept == ["recent-link"]


def test_symlink_inside_job_not_followed(results, tmp_path):
    outside = tmp_path / "reference"
    outside.mkdir()
    (outside / "genome.fa").write_text(">chr1\nACGT\n")
    job = make_job(results, "linked-inside", finished_hours=0, activity_hours=0)
    (job / "work" / "genome").symlink_to(outside, target_is_directory=True)
    (job / "work" / "genome.fa").symlink_to(outside / "genome.fa")
    age_tree(job, 30)

    run_cleanup(results, 24)
    assert not (results / "linked-inside").exists()
    assert (outside / "genome.fa").read_text() == ">chr1\nACGT\n"


def test_dangling_and_looping_links_unlinked(results, tmp_path):
    (results / "dangling").symlink_to(tmp_path / "deleted-long-ago")
    (results / "loop").symlink_to(results / "loop")
    for name in ("dangling", "loop"):
        os.utime(results / name, (NOW - 30 * HOUR,) * 2, follow_symlinks=False)
    report, _ = run_cleanup(results, 24)
    assert not os.path.lexists(results / "dangling")
    assert not os.path.lexists(results / "loop")
    assert report.removed == ["dangling", "loop"]


def test_odd_symlink_left_in_place(results, tmp_path):
    (results / "not a job name").symlink_to(tmp_path)
    os.utime(results / "not a job name", (NOW - 100 * HOUR,) * 2, follow_symlinks=False)
    report, log = run_cleanup(results, 24)
    assert os.path.islink(results / "not a job name")
    assert "not a job directory, left in place: not a job name" in log
    assert report.left == ["not a job name"]


def test_job_name_spaces_unicode_removed(results):
    name = "Weizen 7B – Körner ü"
    make_job(results, name, finished_hours=30, activity_hours=30)
    make_job(results, "keep ü", finished_hours=1, activity_hours=1)
    report, log = run_cleanup(results, 24)
    assert not (results / name).exists()
    assert (results / "keep ü").is_dir()
    assert f"removed job '{name}'" in log
    assert report.removed == [name]


def test_non_utf8_job_name_removed(results):
    raw = os.fsencode(results) + b"/job-\xff-latin1"
    os.mkdir(raw)
    os.mkdir(raw + b"/request")
    age_tree(Path(os.fsdecode(raw)), 30)
    report, log = run_cleanup(results, 24)
    assert not os.path.lexists(raw)
    assert "removed job 'job-\\xff-latin1'" in log
    assert len(report.removed) == 1


def test_non_job_entries_reported_and_left(results):
    (results / "README.txt").write_text("results of the design service\n")
    (results / "scratch").mkdir()
    (results / "scratch" / "notes.txt").write_text("mine\n")
    age_tree(results / "scratch", 100)
    os.utime(results / "README.txt", (NOW - 100 * HOUR,) * 2)

    report, log = run_cleanup(results, 0)
    assert (results / "README.txt").is_file()
    assert (results / "scratch" / "notes.txt").is_file()
    assert "not a job directory, left in place: README.txt" in log
    assert "not a job directory, left in place: scratch" in log
    assert report.left == ["README.txt", "scratch"]


def test_scratch_entries_skipped_silently(results):
    (results / ".submit-abc" / "request").mkdir(parents=True)
    age_tree(results / ".submit-abc", 100)
    report, log = run_cleanup(results, 0)
    assert (results / ".submit-abc" / "request").is_dir()
    assert ".submit-abc" not in log
    assert report.left == []


def test_half_deleted_job_removed(results):
    job = make_job(results, "half-gone", finished_hours=40, activity_hours=40)
    (job / "job.yaml").unlink()
    shutil.rmtree(job / "request")
    os.utime(job, (NOW - 40 * HOUR,) * 2)
    report, _ = run_cleanup(results, 24)
    assert not (results / "half-gone").exists()
    assert report.removed == ["half-gone"]


def test_unreadable_subdir_keeps_unfinished_job(shared_results):
    job = make_job(shared_results, "locked", activity_hours=48, now=time.time())
    hand_to_nobody(shared_results)
    os.chmod(job / "work", 0)

    report, log = run_unprivileged(lambda: run_cleanup(shared_results, 24, now=time.time()))
    assert (shared_results / "locked").is_dir()
    assert report.errors == ["locked"]
    assert "cannot read" in log
    assert report.exit_status == 1


def test_unreadable_job_dir_kept_with_error(shared_results):
    job = make_job(shared_results, "closed", finished_hours=48, activity_hours=48, now=time.time())
    hand_to_nobody(shared_results)
    os.chmod(job, 0)

    report, log = run_unprivileged(lambda: run_cleanup(shared_results, 24, now=time.time()))
    assert (shared_results / "closed").is_dir()
    assert "kept job 'closed': cannot read job directory: Permission denied" in log
    assert report.exit_status == 1


def test_unlistable_results_dir_logged_error(shared_results):
    make_job(shared_results, "old", finished_hours=48, activity_hours=48, now=time.time())
    hand_to_nobody(shared_results)
    os.chmod(shared_results, 0o300)

    report, log = run_unprivileged(lambda: run_cleanup(shared_results, 24, now=time.time()))
    os.chmod(shared_results, 0o700)
    assert "cannot list the results folder" in log
    assert report.exit_status == 1
    assert (shared_results / "old" / "job.yaml").is_file()


def test_failed_removal_logged_pass_continues(shared_results):
    now = time.time()
    stuck = make_job(shared_results, "a-stuck", finished_hours=48, activity_hours=48, now=now)
    make_job(shared_results, "b-expired", finished_hours=48, activity_hours=48, now=now)
    hand_to_nobody(shared_results)
    os.chmod(stuck / "work" / "flanks", 0o500)

    report, log = run_unprivileged(lambda: run_cleanup(shared_results, 24, now=now))
    assert "failed to remove job 'a-stuck' (age 48.0 h): Permission denied" in log
    assert not (shared_results / "b-expired").exists()
    assert report.errors == ["a-stuck"]
    assert report.exit_status == 1
    assert list_jobs(shared_results) == []


def test_leftover_of_failed_removal_retried(shared_results):
    now = time.time()
    stuck = make_job(shared_results, "stuck", finished_hours=48, activity_hours=48, now=now)
    hand_to_nobody(shared_results)
    os.chmod(stuck / "work" / "flanks", 0o500)
    run_unprivileged(lambda: run_cleanup(shared_results, 24, now=now))
    leftovers = [p for p in shared_results.iterdir() if p.name.startswith(".removing-")]
    os.chmod(leftovers[0] / "work" / "flanks", 0o700)

    report, log = run_unprivileged(lambda: run_cleanup(shared_results, 24, now=now))
    assert len(leftovers) == 1
    assert not leftovers[0].exists()
    assert "deleted the rest of an earlier removal" in log
    assert report.exit_status == 0


def test_job_started_after_scan_kept(results):
    job = make_job(results, "restarted", finished_hours=30, activity_hours=30)
    [entry] = retention.scan(results, 24, NOW, 6)
    (job / ".running").write_text("host 1 design_assays\n")
    os.utime(job / ".running", (NOW, NOW))

    with pytest.raises(retention.KeepJob, match="state changed since the scan"):
        retention._remove_job(entry, results.resolve(), 24, NOW, 6)
    assert entry.decision == retention.REMOVE
    assert (results / "restarted" / "job.yaml").is_file()
    assert sorted(os.listdir(results)) == ["restarted"]


def test_dry_run_removes_nothing(results):
    make_job(results, "old", finished_hours=30, activity_hours=30)
    make_job(results, "new", finished_hours=1, activity_hours=1)
    before = sorted(p.relative_to(results) for p in results.rglob("*"))

    report, log = run_cleanup(results, 24, dry_run=True)
    assert sorted(p.relative_to(results) for p in results.rglob("*")) == before
    assert "would remove job 'old' (age 30.0 h, size" in log
    assert "cleanup (dry run): would remove 1 jobs" in log
    assert report.removed == ["old"]


def test_job_retention_overrides_global(results):
    make_job(results, "reference-panel", finished_hours=500, activity_hours=500,
             job_yaml="genome: demo\nsnp_file: s.tsv\nretention_hours: 720\n")
    make_job(results, "forever", finished_hours=9000, activity_hours=9000,
             job_yaml="genome: demo\nsnp_file: s.tsv\nretention_hours: .inf\n")
    make_job(results, "short-lived", finished_hours=2, activity_hours=2,
             job_yaml="genome: demo\nsnp_file: s.tsv\nretention_hours: 1\n")
    make_job(results, "global", finished_hours=30, activity_hours=30,
             job_yaml="genome: demo\nsnp_file: s.tsv\nretention_hours: null\n")
    report, _ = run_cleanup(results, 24)
    assert (results / "reference-panel").is_dir()
    assert (results / "forever").is_dir()
    assert not (results / "short-lived").exists()
    assert not (results / "global").exists()
    assert sorted(report.removed) == ["global", "short-lived"]


@pytest.mark.parametrize("value", ["'forever'", "-5", "true", "[24]"])
def test_invalid_job_retention_keeps_job(results, value):
    make_job(results, "typo", finished_hours=100, activity_hours=100,
             job_yaml=f"genome: demo\nsnp_file: s.tsv\nretention_hours: {value}\n")
    report, log = run_cleanup(results, 24)
    assert (results / "typo").is_dir()
    assert "invalid retention_hours" in log
    assert report.errors == ["typo"]


def test_broken_job_yaml_keeps_job(results):
    make_job(results, "broken", finished_hours=100, activity_hours=100, job_yaml="genome: [unclosed\n")
    report, log = run_cleanup(results, 24)
    assert (results / "broken").is_dir()
    assert "cannot read job.yaml" in log
    assert report.exit_status == 1


def test_removed_job_gone_from_workflow(results):
    make_job(results, "gone", finished_hours=30, activity_hours=30)
    make_job(results, "stays", finished_hours=1, activity_hours=1)
    run_cleanup(results, 24)
    assert list_jobs(results) == ["stays"]
    assert sorted(os.listdir(results)) == ["stays"]


def test_future_finish_mtime_uses_content(results):
    job = make_job(results, "skewed", activity_hours=30)
    written = dt.datetime.fromtimestamp(NOW - 36 * HOUR, dt.timezone.utc).isoformat()
    (job / ".finished").write_text(written + "\n")
    future = NOW + 10 * HOUR
    os.utime(job / ".finished", (future, future))
    report, log = run_cleanup(results, 24)
    assert not (results / "skewed").exists()
    assert "removed job 'skewed' (age 36.0 h" in log


def test_summary_line_counts_everything(results):
    make_job(results, "old-1", finished_hours=30, activity_hours=30)
    make_job(results, "old-2", finished_hours=30, activity_hours=30)
    make_job(results, "new", finished_hours=1, activity_hours=1)
    (results / "notes.txt").write_text("x")
    report, log = run_cleanup(results, 24)
    freed = report.bytes_freed
    assert f"cleanup: removed 2 jobs, freed {freed} bytes, kept 1 jobs, 0 errors, left 1 other entries" in log
    assert freed > 2 * 2000


def test_missing_results_dir_is_not_error(tmp_path):
    report, log = run_cleanup(tmp_path / "never-created", 24)
    assert report.exit_status == 0
    assert "does not exist yet" in log


def test_scan_reports_ages_and_decisions(results):
    make_job(results, "old", finished_hours=30, activity_hours=30)
    make_job(results, "busy", activity_hours=30, running_hours=0)
    entries = {entry.name: entry for entry in retention.scan(results, 24, NOW, 6)}
    assert entries["old"].decision == retention.REMOVE
    assert entries["old"].age_hours == pytest.approx(30)
    assert entries["old"].age_source == "finished"
    assert entries["busy"].decision == retention.KEEP_RUNNING


def test_env_overrides_read_both_variables():
    overrides = retention.read_env_overrides({"RETENTION_HOURS": "0", "CLEANUP_INTERVAL": "90.5"})
    assert overrides == {"retention_hours": 0.0, "cleanup_interval_seconds": 90.5}


def test_env_overrides_absent_variables_ignored():
    assert retention.read_env_overrides({"PATH": "/usr/bin"}) == {}


@pytest.mark.parametrize("variable", ["RETENTION_HOURS", "CLEANUP_INTERVAL"])
@pytest.mark.parametrize("value", ["", "  ", "abc", "-1", "nan", "12h"])
def test_env_overrides_reject_bad_values(variable, value):
    with pytest.raises(ConfigError) as raised:
        retention.read_env_overrides({variable: value})
    assert f"{variable}={value!r}" in str(raised.value)


def test_env_interval_zero_rejected():
    with pytest.raises(ConfigError, match="CLEANUP_INTERVAL='0'"):
        retention.read_env_overrides({"CLEANUP_INTERVAL": "0"})


def test_cleanup_lock_excludes_second_holder(results):
    with retention.cleanup_lock(results) as first:
        with retention.cleanup_lock(results) as second:
            assert first is True
            assert second is False
    with retention.cleanup_lock(results) as again:
        assert again is True
    assert stat.S_ISREG(os.lstat(results / retention.LOCK_FILE).st_mode)
