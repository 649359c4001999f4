"""bvflow: carries an inter-municipal plan through political approval.

The public surface: build a :class:`Site` (configuration, database, clock),
then call the service functions in :mod:`bvflow.services` (changes) and
:mod:`bvflow.queries` (views). Errors are under :class:`BvflowError`.
"""

from __future__ import annotations

from .clock import Clock, SimulatedClock, SystemClock
from .errors import (
    BvflowError,
    ConflictError,
    DefinitionError,
    DeliveryError,
    InputError,
    NotFoundError,
    TransitionNotAllowed,
)
from .findings import Finding, compute_findings
from .site import Scope, Site
from .textcompare import Comparison, compare_texts
from .workflow import WorkflowDefinition, load_workflow

__all__ = [
    "BvflowError",
    "Clock",
    "Comparison",
    "ConflictError",
    "DefinitionError",
    "DeliveryError",
    "Finding",
    "InputError",
    "NotFoundError",
    "Scope",
    "SimulatedClock",
    "Site",
    "SystemClock",
    "TransitionNotAllowed",
    "WorkflowDefinition",
    "compare_texts",
    "compute_findings",
    "load_workflow",
]
__version__ = "0.1.0"
