"""State machines built from workflow definitions, shared by every stored row.

One ``transitions.Machine`` per workflow definition and kind of object (plan
version, party case), built once and cached (PITFALLS T1). Rows are never
models themselves (T2): a thin adapter carries the row and exposes ``state``
as a property mapped to the row's column, and events are fired through
``machine.events[name].trigger(adapter, **kwargs)`` without ``add_model`` — the
FAQ pattern for many models, so loading 10,000 rows builds no machine and
decorates no object. Conditions are pure functions of the event's arguments
and the adapter; no callback does I/O (T5): the service writes the new state,
the audit record and the outbox in one transaction after the machine agreed.

Party-case states: ``waiting``, one per stage, ``deviating``, ``rejected``,
``passed``, ``returned``. Events: ``open``, ``record`` (kwargs ``stage``,
``result``), ``decide`` (``stage``, ``result``), ``accept_equivalent``,
``resubmit``.
Plan-version states: ``draft``, one per phase, ``returned``, ``approved``,
``superseded``. Events: ``submit``, ``advance``, ``approve``,
``return_non_principled``, ``return_principled``, ``resubmit``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from transitions import EventData, Machine, MachineError

from .errors import TransitionNotAllowed
from .workflow import WorkflowDefinition

__all__ = ["CaseFSM", "PlanFSM", "WorkflowMachines", "machines_for", "MACHINES_BUILT"]

#: How many ``transitions.Machine`` objects this process has built (benchmarks read it).
MACHINES_BUILT = 0


class _Adapter:
    """Base adapter: ``state`` reads and writes ``row.state``."""

    __slots__ = ("row",)

    def __init__(self, row: Any) -> None:
        self.row = row

    @property
    def state(self) -> str:
        return self.row.state

    @state.setter
    def state(self, value: str) -> None:
        self.row.state = value


class CaseFSM(_Adapter):
    """Adapter for a party case. ``path`` is the tuple of stages this party goes
    through in its phase (an optional stage is left out when the party has no
    such body)."""

    __slots__ = ("path",)

    def __init__(self, row: Any, path: tuple[str, ...]) -> None:
        super().__init__(row)
        self.path = path


class PlanFSM(_Adapter):
    """Adapter for a plan version. ``cases`` maps phase name to the states of
    that phase's party cases; ``populated`` is the set of phases that have
    parties in this partnership."""

    __slots__ = ("cases", "populated")

    def __init__(self, row: Any, cases: dict[str, list[str]], populated: Iterable[str]) -> None:
        super().__init__(row)
        self.cases = cases
        self.populated = frozenset(populated)


# -- conditions: functions of EventData only -------------------------------

def _kw(name: str, value: str) -> Callable[[EventData], bool]:
    def cond(ev: EventData) -> bool:
        return ev.kwargs.get(name) == value

    cond.__name__ = f"{name}_is_{value}"
    return cond


def _starts_at(stage: str) -> Callable[[EventData], bool]:
    def cond(ev: EventData) -> bool:
        return bool(ev.model.path) and ev.model.path[0] == stage

    return cond


def _on_path(ev: EventData) -> bool:
    return ev.kwargs.get("stage") in ev.model.path


def _next_populated(after: int, target: str, order: list[str]) -> Callable[[EventData], bool]:
    def cond(ev: EventData) -> bool:
        nxt = next((p for p in order[after + 1 :] if p in ev.model.populated), None)
        return nxt == target

    return cond


def _phase_complete(phase: str) -> Callable[[EventData], bool]:
    def cond(ev: EventData) -> bool:
        states = ev.model.cases.get(phase, [])
        return bool(states) and all(s == "passed" for s in states)

    return cond


@dataclass
class WorkflowMachines:
    """The two machines of one workflow definition."""

    definition: WorkflowDefinition
    plan: Machine = field(init=False)
    case: Machine = field(init=False)

    def __post_init__(self) -> None:
        global MACHINES_BUILT
        wf = self.definition
        self.plan = Machine(
            model=None, states=list(wf.plan_states), transitions=_plan_transitions(wf),
            initial=None, auto_transitions=False, send_event=True,
        )
        self.case = Machine(
            model=None, states=list(wf.case_states), transitions=_case_transitions(wf),
            initial=None, auto_transitions=False, send_event=True,
        )
        MACHINES_BUILT += 2

    def fire(self, kind: str, fsm: _Adapter, event: str, subject: str, **kwargs: Any) -> str:
        """Fire ``event`` on ``fsm`` (kind ``"plan"`` or ``"case"``); return the new state.

        Raises:
            TransitionNotAllowed: the event is unknown, not allowed from the
                current state, or no transition's conditions hold. The state is
                unchanged in every such case.
        """
        machine = self.plan if kind == "plan" else self.case
        before = fsm.state
        ev = machine.events.get(event)
        if ev is None:
            raise TransitionNotAllowed(subject, event, before)
        try:
            ok = ev.trigger(fsm, **kwargs)
        except MachineError as exc:
            fsm.state = before
            raise TransitionNotAllowed(subject, event, before) from exc
        if not ok:
            fsm.state = before
            raise TransitionNotAllowed(subject, event, before)
        return fsm.state

    def can(self, kind: str, fsm: _Adapter, event: str, **kwargs: Any) -> bool:
        """Whether ``event`` would succeed now; never changes the state."""
        machine = self.plan if kind == "plan" else self.case
        ev = machine.events.get(event)
        if ev is None or fsm.state not in ev.transitions:
            return False
        evd = EventData(machine.get_state(fsm.state), ev, machine, fsm, (), kwargs)
        return any(all(c.check(evd) for c in t.conditions) for t in ev.transitions[fsm.state])


def _plan_transitions(wf: WorkflowDefinition) -> list[dict[str, Any]]:
    order = [p.name for p in wf.phases]
    trans: list[dict[str, Any]] = []
    for p in wf.phases:
        trans.append({"trigger": "submit", "source": "draft", "dest": p.state,
                      "conditions": [_next_populated(-1, p.name, order)]})
    for i, p in enumerate(wf.phases[:-1]):
        for q in wf.phases[i + 1 :]:
            trans.append({"trigger": "advance", "source": p.state, "dest": q.state,
                          "conditions": [_phase_complete(p.name), _next_populated(i, q.name, order)]})
    last = wf.final_phase
    trans += [
        {"trigger": "approve", "source": last.state, "dest": "approved",
         "conditions": [_phase_complete(last.name)]},
        {"trigger": "return_non_principled", "source": last.state, "dest": "returned"},
        {"trigger": "resubmit", "source": "returned", "dest": last.state},
        {"trigger": "return_principled", "source": last.state, "dest": "superseded"},
    ]
    return trans


def _case_transitions(wf: WorkflowDefinition) -> list[dict[str, Any]]:
    trans: list[dict[str, Any]] = []
    for phase in wf.phases:
        for s in phase.stages:
            trans.append({"trigger": "open", "source": "waiting", "dest": s,
                          "conditions": [_starts_at(s)]})
        for j, s in enumerate(phase.stages):
            stage = wf.stages[s]
            # An optional stage before s may be skipped: recording s is allowed there too.
            earlier: list[str] = []
            k = j - 1
            while k >= 0 and wf.stages[phase.stages[k]].optional:
                earlier.append(phase.stages[k])
                k -= 1
            at = [_kw("stage", s), _on_path]
            if stage.kind == "recommendation":
                nxt = phase.stages[j + 1]
                src = [s, *earlier]
                trans.append({"trigger": "record", "source": src, "dest": nxt,
                              "conditions": [*at, _kw("result", "recommended")]})
                trans.append({"trigger": "record", "source": src, "dest": s,
                              "conditions": [*at, _kw("result", "postponed")]})
            elif stage.kind == "resolution":
                src = [s, "deviating", "rejected", *earlier]
                for result, dest in (("identical", "passed"), ("deviating", "deviating"),
                                     ("rejected", "rejected"), ("postponed", s)):
                    trans.append({"trigger": "record", "source": src, "dest": dest,
                                  "conditions": [*at, _kw("result", result)]})
                trans.append({"trigger": "accept_equivalent", "source": "deviating",
                              "dest": "passed", "conditions": at})
            elif stage.kind == "approval":
                src = [s, "rejected", *earlier]
                for result, dest in (("approved", "passed"), ("rejected", "rejected"),
                                     ("postponed", s)):
                    trans.append({"trigger": "decide", "source": src, "dest": dest,
                                  "conditions": [*at, _kw("result", result)]})
            else:  # final_approval
                src = [s, *earlier]
                for result, dest in (("approved", "passed"), ("returned", "returned")):
                    trans.append({"trigger": "decide", "source": src, "dest": dest,
                                  "conditions": [*at, _kw("result", result)]})
                trans.append({"trigger": "resubmit", "source": "returned", "dest": s})
    return trans


_CACHE: dict[tuple[str, str], WorkflowMachines] = {}


def machines_for(definition: WorkflowDefinition) -> WorkflowMachines:
    """The cached machines for ``definition`` (built on first use, keyed by
    workflow name and source file)."""
    key = (definition.name, definition.source)
    wm = _CACHE.get(key)
    if wm is None or wm.definition != definition:
        wm = WorkflowMachines(definition)
        _CACHE[key] = wm
    return wm
