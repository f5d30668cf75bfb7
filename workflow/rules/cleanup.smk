# Retention cleanup: remove the job directories under results_dir whose retention
# window has passed (see docs/cleanup.md). The rule has no output files, so it runs
# whenever it is requested: `snakemake cleanup` or `snakemake cleanup_expired_jobs`.
# `--config cleanup_dry_run=true` lists what would be removed and deletes nothing.


rule cleanup_expired_jobs:
    localrule: True
    log:
        # Dot-named entries in results_dir are kaspflow's own files, never jobs.
        f"{config['results_dir'].rstrip('/')}/.cleanup.log",
    params:
        results_dir=config["results_dir"],
        retention_hours=config["retention_hours"],
        running_stale_hours=config["running_stale_hours"],
        dry_run=config.get("cleanup_dry_run", False),
    conda:
        "../envs/kaspflow.yaml"
    script:
        "../scripts/cleanup_expired_jobs.py"


use rule cleanup_expired_jobs as cleanup with:
    localrule: True
