"""The reminder sender: a CronJob that runs the backend image's `python -m app.cli send-reminders`
with the backend's own settings. Each run sends what is due now, once; the app keeps a ledger,
so a run that overlaps, fails or is skipped never sends twice and the next run catches up. The
backend's pods send nothing on their own (REMINDER_SENDER=off in its ConfigMap)."""

from __future__ import annotations

from collections.abc import Sequence

import cdk8s_plus_33 as kplus
from constructs import Construct

import cdk8s

from .config import Resources
from .network_policies import NOTIFIER_LABELS
from .pods import (
    TMP,
    container_security,
    mount_all,
    pod_metadata,
    pod_security,
    resources,
    scratch_volumes,
    seconds,
    select_pods,
)

NAME = "reminder-sender"
COMMAND = ["python", "-m", "app.cli", "send-reminders"]


class ReminderSender(Construct):
    """CronJob ``reminder-sender``; exposes ``pod_labels`` for the network policies."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        image: str,
        env: Sequence[kplus.EnvFrom],
        resources_job: Resources,
        uid: int,
    ) -> None:
        super().__init__(scope, id)
        self.pod_labels = {"app.kubernetes.io/name": NAME}
        job = kplus.CronJob(
            self,
            "cronjob",
            metadata=cdk8s.ApiObjectMetadata(name=NAME),
            # Every minute: members set reminders to the minute (a due time, N minutes before).
            # A run costs one Python start, about 1.2 s of CPU on a server core, so an estimated
            # 4-5 s of one Pi 4 core with the pod's start: under a tenth of one of its four
            # cores. A slower schedule would only make every reminder that much later.
            schedule=cdk8s.Cron.every_minute(),
            # Overlapping runs would still send once; a second Python process is only cost.
            concurrency_policy=kplus.ConcurrencyPolicy.FORBID,
            # A run that cannot start within 30 s is dropped: the next minute's sends its
            # messages (the app catches up on missed minutes).
            starting_deadline=seconds(30),
            # Ends a run stuck on a receiver, which Forbid would let block the next ones.
            active_deadline=seconds(240),
            # No retry of a failed run: the next minute is one.
            backoff_limit=0,
            # A failed run's Job and log stay an hour, then stop looking like a current failure.
            ttl_after_finished=cdk8s.Duration.hours(1),
            select=False,
            pod_metadata=pod_metadata(NAME, "reminders", NOTIFIER_LABELS),
            restart_policy=kplus.RestartPolicy.NEVER,
            security_context=pod_security(user=uid, group=uid),
        )
        select_pods(job, NAME)
        # Within that hour, the last run and three failures at most. cdk8s-plus refuses history
        # limits beside a TTL (which may delete a Job first); Kubernetes applies both.
        for field, count in (("successfulJobsHistoryLimit", 1), ("failedJobsHistoryLimit", 3)):
            cdk8s.ApiObject.of(job).add_json_patch(cdk8s.JsonPatch.add(f"/spec/{field}", count))
        container = job.add_container(
            name=NAME,
            image=image,
            image_pull_policy=kplus.ImagePullPolicy.IF_NOT_PRESENT,
            command=COMMAND,
            env_from=list(env),
            resources=resources(resources_job),
            security_context=container_security(),
        )
        mount_all(container, scratch_volumes(self, {"tmp": TMP}))
