"""Training, activating and rolling back the routing classifier.

Training is long (a minute or two on the real messages), so it is not one
transaction: ``do_queue_training`` records the version, the background task
runs ``run_training``, which reports progress with plain updates (bookkeeping,
no ledger entry), and ``do_finish_training`` or ``do_fail_training`` records
the outcome in one transaction with its ledger entry. The fitted model is
written to a file first and its SHA-256 kept, so a crash between the two
leaves a stray file, never a version pointing at a missing or altered model.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from zhengtong.core.actors import Actor
from zhengtong.core.errors import Conflict, InvalidInput
from zhengtong.core.files import write_durably
from zhengtong.core.i18n import message_of, stored_text
from zhengtong.core.leases import LeasedWork
from zhengtong.core.punctuation import listed
from zhengtong.hotline import routing
from zhengtong.hotline.categories import category_name
from zhengtong.hotline.models import (
    ClassifierVersion,
    LabelledExample,
    training_failure_text,
    without_paths,
)
from zhengtong.hotline.routing_model import (
    MIN_EXAMPLES_PER_LABEL,
    CsvFormatError,
    DataProblem,
    EvaluationReport,
    Example,
    RoutingModel,
    cross_validate,
    read_examples_csv,
    sha256_of,
    train_model,
)
from zhengtong.hotline.selectors import unmapped_categories
from zhengtong.hotline.states import TrainingState
from zhengtong.ledger.actions import record_entry

logger = logging.getLogger(__name__)


# A version is trained by one worker at a time, and trained again if its worker dies.
TRAINING = LeasedWork(
    ClassifierVersion, waiting=TrainingState.QUEUED, running=TrainingState.RUNNING
)


def _ledger(version: ClassifierVersion, action: str, actor: Actor, **data: object) -> None:
    record_entry(
        actor=actor,
        action=f"hotline.{action}",
        subject_type="hotline.classifier",
        subject_id=version.number,
        data={"state": version.state, **data},
    )


def do_queue_training(
    *, actor: Actor, data_path: Path | None, include_corrections: bool = True, source: str = ""
) -> ClassifierVersion:
    """Record a new model version to be trained from a CSV file and/or the dispatchers' labels."""
    if data_path is None and not include_corrections:
        raise InvalidInput(_("请选择训练数据。"), code="no_training_data")
    if data_path is not None and not data_path.is_file():
        raise InvalidInput(
            _("找不到训练数据文件 %(name)s。") % {"name": data_path.name},
            code="training_data_missing",
        )
    if data_path is None:
        _check_corrections()
    label = source or (data_path.name if data_path else stored_text(gettext_noop("人工派单样本")))
    with transaction.atomic(durable=True):
        version = _new_version(
            # A label for people: a file's name, never where the server keeps it.
            source=without_paths(label)[:300],
            source_message=message_of(label),
            data_path=str(data_path) if data_path else "",
            include_corrections=include_corrections,
            created_at=timezone.now(),
            created_by=actor.label[:64],
            heartbeat_at=timezone.now(),
        )
        _ledger(version, "queue_training", actor, source=version.source)
    return version


def _check_corrections() -> None:
    # Trained on the dispatchers' decisions alone, a version with too few of
    # them could only fail in the background, and with a reason in the
    # model's own terms; the administrator is told now, in their language,
    # as for an uploaded file.
    counts = dict(
        LabelledExample.objects.values_list("label").annotate(n=Count("pk")).order_by("label")
    )
    if len(counts) < 2:
        raise InvalidInput(
            _("训练数据至少要有两个类别。"),
            code="too_few_labels",
            detail={"fields": {"source": _("训练数据至少要有两个类别。")}},
        )
    scarce = [label for label, n in counts.items() if n < MIN_EXAMPLES_PER_LABEL]
    if scarce:
        message = _("每个类别至少需要 %(n)d 条样本，不足的类别：%(labels)s。") % {
            "n": MIN_EXAMPLES_PER_LABEL,
            "labels": listed(category_name(label) for label in scarce),
        }
        raise InvalidInput(
            message,
            code="too_few_examples",
            detail={"fields": {"source": message}, "labels": scarce},
        )


# More administrators than this queueing at the very same moment is not expected.
_NUMBER_ATTEMPTS = 20


def _new_version(**fields: Any) -> ClassifierVersion:
    # Two trainings queued at once both read the same highest number; the
    # second's insert then waits for the first to commit and breaks the
    # unique number. It takes the next number instead (in a savepoint, so
    # the outer transaction goes on), rather than answering with an error.
    for attempt in range(_NUMBER_ATTEMPTS):
        number = (ClassifierVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1
        try:
            with transaction.atomic():
                return ClassifierVersion.objects.create(number=number, **fields)
        except IntegrityError:
            if attempt == _NUMBER_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def training_examples(version: ClassifierVersion) -> list[Example]:
    """Return the examples a version trains on: its CSV, then the dispatchers' decisions."""
    examples: list[Example] = []
    if version.data_path:
        examples.extend(read_examples_csv(Path(version.data_path), require_label=True))
    if version.include_corrections:
        examples.extend(
            Example(title, body, label)
            for title, body, label in LabelledExample.objects.values_list("title", "body", "label")
        )
    return examples


def _progress(version: ClassifierVersion, percent: int, stage: str) -> None:
    # Also renews this worker's lease on the version.
    TRAINING.renew(version.pk, progress=percent, stage=stage[:64])


def run_training(version: ClassifierVersion, *, actor: Actor, folds: int = 5) -> ClassifierVersion:
    """Evaluate by cross-validation, train on everything and record the outcome.

    A version another worker is training (its lease not run out) is left to it;
    one whose worker died is trained again from the start.
    """
    if version.state not in (TrainingState.QUEUED, TrainingState.RUNNING):
        raise Conflict(_("该版本已训练完成。"), code="already_trained")
    if not TRAINING.claim(version.pk):
        return ClassifierVersion.objects.get(pk=version.pk)
    try:
        examples = training_examples(version)
        report = None
        if folds >= 2:
            report = cross_validate(
                examples,
                folds=folds,
                progress=lambda p, s: _progress(version, int(p * 0.7), f"evaluate {s}"),
            )
        model = train_model(
            examples, progress=lambda p, s: _progress(version, 70 + int(p * 0.25), f"train {s}")
        )
    except DataProblem as error:
        logger.warning("training of classifier version %s failed: %s", version.number, error)
        params = dict(error.params)
        if isinstance(error, CsvFormatError) and version.data_path:
            params["name"] = _data_file_name(version)
        return do_fail_training(version, error.code, params, actor=actor)
    except OSError as error:
        logger.warning("training of classifier version %s failed: %s", version.number, error)
        code = (
            "training_data_missing"
            if isinstance(error, FileNotFoundError)
            else "training_data_unreadable"
        )
        return do_fail_training(version, code, {"name": _data_file_name(version)}, actor=actor)
    # Any failure must end the version, not leave it running for ever.
    except Exception:
        logger.exception("training of classifier version %s failed", version.number)
        return do_fail_training(version, "training_failed", actor=actor)
    return do_finish_training(version, model, report, actor=actor)


def _data_file_name(version: ClassifierVersion) -> str:
    # An upload is kept under a name of the platform's making; the
    # administrator knows it by the name it had on their computer.
    values = (version.source_message or {}).get("values") or {}
    return str(values.get("name") or Path(version.data_path).name)


def _late_outcome(version: ClassifierVersion, outcome: str) -> ClassifierVersion:
    # A worker whose lease ran out while it trained is late: another worker
    # has trained the version again since (it may be ready, even routing), or
    # it waits for one. Its outcome would overwrite theirs (a late failure
    # marking an active version failed), so it is dropped; a finished run's
    # model file stays behind unused.
    logger.warning(
        "late training %s of classifier version %s ignored: the version is %s",
        outcome,
        version.number,
        version.state,
    )
    return version


def do_finish_training(
    version: ClassifierVersion,
    model: RoutingModel,
    report: EvaluationReport | None,
    *,
    actor: Actor,
) -> ClassifierVersion:
    """Store a trained model's file and report; the version becomes ready to activate."""
    payload = model.dumps()
    digest = sha256_of(payload)
    file_name = f"v{version.number}-{digest[:16]}.pickle"
    path = routing.model_directory() / file_name
    # On disk before the version says it is ready: activation checks the digest.
    write_durably(path, payload)
    with transaction.atomic(durable=True):
        locked = ClassifierVersion.objects.select_for_update().get(pk=version.pk)
        if locked.state != TrainingState.RUNNING:
            return _late_outcome(locked, "finish")
        locked.state = TrainingState.READY
        locked.progress = 100
        locked.stage = ""
        locked.file_name = file_name
        locked.sha256 = digest
        locked.labels = model.labels
        locked.examples = model.trained_examples
        locked.report = report.as_dict() if report is not None else {}
        locked.train_seconds = model.train_seconds
        locked.finished_at = timezone.now()
        locked.save()
        _ledger(
            locked,
            "finish_training",
            actor,
            sha256=digest,
            examples=model.trained_examples,
            macro_f1=locked.report.get("macro_f1_mean"),
        )
    return locked


def do_fail_training(
    version: ClassifierVersion,
    code: str,
    params: dict[str, Any] | None = None,
    *,
    actor: Actor,
) -> ClassifierVersion:
    """Record why a training run failed, by a code the pages word in the reader's language."""
    params = params or {}
    # The worker's language is nobody's: the text kept beside the code, for
    # readers of the raw data and the ledger, is in the platform's language.
    with translation.override(settings.LANGUAGE_CODE):
        text = training_failure_text(code, params) or code
    with transaction.atomic(durable=True):
        locked = ClassifierVersion.objects.select_for_update().get(pk=version.pk)
        if locked.state != TrainingState.RUNNING:
            return _late_outcome(locked, "failure")
        locked.state = TrainingState.FAILED
        locked.error = text[:2000]
        locked.error_code = code
        locked.error_params = params
        locked.finished_at = timezone.now()
        locked.save()
        _ledger(locked, "fail_training", actor, code=code, error=locked.error[:200])
    return locked


def do_activate_classifier(
    version: ClassifierVersion, *, actor: Actor, confirm_unmapped: bool = False
) -> ClassifierVersion:
    """Route with this version from now on (also how a rollback to an older one is done).

    A version predicting categories no routing rule sends anywhere is
    activated only once the administrator confirms it (``confirm_unmapped``).
    """
    if version.state != TrainingState.READY:
        raise Conflict(_("只有训练完成的版本可以启用。"), code="not_ready")
    # Every message the model puts in such a category waits for a dispatcher
    # however sure it is: a 12345 centre would add the rules first, or switch
    # knowingly (a new category the dispatchers will route by hand for now).
    unmapped = unmapped_categories(version.labels)
    if unmapped and not confirm_unmapped:
        raise Conflict(
            _(
                "v%(n)d 的以下类别没有分拨规则：%(labels)s。启用后，"
                "判为这些类别的诉求都将进入派单队列，由派单员人工派单。"
                "请先补充分拨规则，或确认仍要启用。"
            )
            % {
                "n": version.number,
                "labels": listed(category_name(label) for label in unmapped),
            },
            code="unmapped_categories",
            detail={"labels": unmapped},
        )
    # Load before switching, so a missing or altered file is refused here and
    # routing never points at a model it cannot read.
    try:
        routing.model_of(version)
    except ValueError as error:
        # The full reason, with the file's place on the server, is for the log.
        logger.warning("classifier version %s cannot be activated: %s", version.number, error)
        raise Conflict(
            _("模型文件无法读取或已被改动：%(error)s") % {"error": without_paths(str(error))},
            code="model_file_invalid",
        ) from error
    with transaction.atomic(durable=True):
        # Every version is locked, in one order, before the active one is
        # read: two activations at once (two administrators, or a rollback
        # while the command line activates) then take turns, and the second
        # finds the first's version active, instead of both finding none and
        # the second breaking the one-active-version constraint. There are a
        # few dozen versions at most.
        list(ClassifierVersion.objects.select_for_update().order_by("pk").values_list("pk"))
        locked = ClassifierVersion.objects.get(pk=version.pk)
        if locked.state != TrainingState.READY:
            raise Conflict(_("只有训练完成的版本可以启用。"), code="not_ready")
        previous = ClassifierVersion.objects.filter(is_active=True).first()
        if previous is not None and previous.pk == version.pk:
            raise Conflict(_("该版本已在使用。"), code="already_active")
        if previous is not None:
            previous.is_active = False
            previous.save(update_fields=["is_active"])
        locked.is_active = True
        locked.activated_at = timezone.now()
        locked.save(update_fields=["is_active", "activated_at"])
        _ledger(
            locked,
            "activate_classifier",
            actor,
            previous=previous.number if previous is not None else None,
            unmapped=unmapped,
        )
    return locked
