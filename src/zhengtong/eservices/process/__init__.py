"""The process engine of online services: BPMN 2.0 and DMN run by SpiffWorkflow.

Pure Python, no models: applications store ``Instance.serialize()`` in a
JSONField and call ``Instance.restore`` for each step. Conventions for the
process files are in docs/eservices-process.md.
"""

import logging

from .definitions import (
    PROCESS_DIRECTORY,
    Outcome,
    ProcessDefinition,
    ProcessFiles,
    StepKind,
    UserTaskSpec,
    available_processes,
    load_process,
    parse_process,
    parse_process_files,
    read_process_files,
)
from .errors import ProcessError
from .runtime import Instance, UserTask, VersionLookup, start

restore = Instance.restore

# SpiffWorkflow logs every task state change at INFO, a dozen lines per step,
# which floods the platform log and halves throughput. Quiet it unless the
# deployment configured the "spiff" logger itself.
if logging.getLogger("spiff").level == logging.NOTSET:
    logging.getLogger("spiff").setLevel(logging.WARNING)

__all__ = [
    "PROCESS_DIRECTORY",
    "Instance",
    "Outcome",
    "ProcessDefinition",
    "ProcessError",
    "ProcessFiles",
    "StepKind",
    "UserTask",
    "UserTaskSpec",
    "VersionLookup",
    "available_processes",
    "load_process",
    "parse_process",
    "parse_process_files",
    "read_process_files",
    "restore",
    "start",
]
