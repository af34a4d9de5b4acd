# SLURM: stop the run with SLURM's own reason when a job it submitted can never start.
# (The group sizes and per-job caps come from workflow/profiles/slurm/config.yaml.)


onstart:
    if getattr(workflow.executor_plugin, "name", "") == "slurm":
        from snakemake.logging import logger
        from radiodeep.cluster import SlurmWatch

        SlurmWatch(
            os.getcwd(),
            interval=float(os.environ.get("RADIODEEP_SLURM_WATCH_S", 15)),
            report=logger.error,
        ).start()
