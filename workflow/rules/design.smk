# The per-job design steps. Each rule is a thin adapter; see kaspflow/pipeline.py.
# job.yaml is an ancient() input throughout: editing it, for example to set a
# job's retention_hours, must not redesign a finished job.


rule validate_request:
    input:
        job=ancient(f"{RESULTS}/{{job}}/job.yaml"),
    output:
        f"{RESULTS}/{{job}}/work/variants.jsonl",
    log:
        f"{RESULTS}/{{job}}/logs/validate_request.log",
    conda:
        "../envs/kaspflow.yaml"
    script:
        "../scripts/validate_request.py"


rule extract_flanks:
    input:
        job=ancient(f"{RESULTS}/{{job}}/job.yaml"),
        variants=f"{RESULTS}/{{job}}/work/variants.jsonl",
    output:
        f"{RESULTS}/{{job}}/work/targets.jsonl",
    log:
        f"{RESULTS}/{{job}}/logs/extract_flanks.log",
    conda:
        "../envs/kaspflow.yaml"
    script:
        "../scripts/extract_flanks.py"


rule design_assays:
    input:
        job=ancient(f"{RESULTS}/{{job}}/job.yaml"),
        targets=f"{RESULTS}/{{job}}/work/targets.jsonl",
    output:
        f"{RESULTS}/{{job}}/work/designs.jsonl",
    log:
        f"{RESULTS}/{{job}}/logs/design_assays.log",
    conda:
        "../envs/kaspflow.yaml"
    script:
        "../scripts/design_assays.py"


rule check_specificity:
    input:
        job=ancient(f"{RESULTS}/{{job}}/job.yaml"),
        designs=f"{RESULTS}/{{job}}/work/designs.jsonl",
    output:
        f"{RESULTS}/{{job}}/work/checked.jsonl",
    log:
        f"{RESULTS}/{{job}}/logs/check_specificity.log",
    conda:
        "../envs/kaspflow.yaml"
    script:
        "../scripts/check_specificity.py"


rule write_report:
    input:
        job=ancient(f"{RESULTS}/{{job}}/job.yaml"),
        designs=f"{RESULTS}/{{job}}/work/checked.jsonl",
    output:
        assays=f"{RESULTS}/{{job}}/assays.tsv",
        snps=f"{RESULTS}/{{job}}/snps.tsv",
        order=f"{RESULTS}/{{job}}/order.csv",
    log:
        f"{RESULTS}/{{job}}/logs/write_report.log",
    conda:
        "../envs/kaspflow.yaml"
    script:
        "../scripts/write_report.py"
