"""What the operations module keeps: signs of life of running background tasks."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskHeartbeat(models.Model):
    """The last sign of life of a task a database worker is running (see ``task_watch``)."""

    # The task store's id of the task (django_tasks_db's DBTaskResult, a UUID).
    task_id = models.UUIDField(primary_key=True)
    beat_at = models.DateTimeField()

    class Meta:
        verbose_name = _("后台任务心跳")
        verbose_name_plural = _("后台任务心跳")

    def __str__(self) -> str:
        return f"{self.task_id} {self.beat_at:%Y-%m-%d %H:%M:%S}"
