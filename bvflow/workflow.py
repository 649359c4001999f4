"""Workflow definitions: TOML data describing stages and phases, validated on load.

A definition (``workflows/<name>.toml``) has ``[workflow]`` (name, title),
``[stages.<name>]`` (title, kind, optional) and an ordered list ``[[phases]]``
(name, state, role, stages). See ``workflows/handlingsplan.toml`` for the
meaning of each kind. Loading rejects, with file, key and value named:
unknown keys, an unknown stage or kind, a stage no phase reaches, stages that
cannot be reached after a resolution or approval stage, a phase after the
final approval, and state names that clash.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import DefinitionError

__all__ = [
    "PLAN_FIXED_STATES",
    "CASE_FIXED_STATES",
    "STAGE_KINDS",
    "OUTCOMES",
    "Phase",
    "Stage",
    "WorkflowDefinition",
    "load_workflow",
    "parse_workflow",
]

STAGE_KINDS = ("recommendation", "resolution", "approval", "final_approval")

#: Outcomes a body can record, per stage kind (DOMAIN.md: utsett / avvist /
#: vedteke med endringar; KDD's returns from the issue).
OUTCOMES: dict[str, tuple[str, ...]] = {
    "recommendation": ("passed", "passed_with_amendments", "rejected", "postponed"),
    "resolution": ("passed", "passed_with_amendments", "rejected", "postponed"),
    "approval": ("approved", "rejected", "postponed"),
    "final_approval": ("approved", "returned_non_principled", "returned_principled"),
}

PLAN_FIXED_STATES = ("draft", "returned", "approved", "superseded")
CASE_FIXED_STATES = ("waiting", "deviating", "rejected", "passed", "returned")


@dataclass(frozen=True)
class Stage:
    """One step a party goes through: a body's meeting or a formal approval."""

    name: str
    title: str
    kind: str
    optional: bool = False


@dataclass(frozen=True)
class Phase:
    """Parties of one ``role`` run in parallel through ``stages`` while the plan
    is in ``state``; the plan leaves the phase when all of them have passed."""

    name: str
    state: str
    role: str
    stages: tuple[str, ...]
    title: str = ""


@dataclass(frozen=True)
class WorkflowDefinition:
    """A validated workflow. ``source`` is the file it came from."""

    name: str
    title: str
    stages: dict[str, Stage]
    phases: tuple[Phase, ...]
    source: str

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(p.role for p in self.phases)

    def phase(self, name: str) -> Phase:
        for p in self.phases:
            if p.name == name:
                return p
        raise KeyError(name)

    def phase_of_role(self, role: str) -> Phase | None:
        for p in self.phases:
            if p.role == role:
                return p
        return None

    def phase_of_stage(self, stage: str) -> Phase | None:
        for p in self.phases:
            if stage in p.stages:
                return p
        return None

    def phase_by_state(self, state: str) -> Phase | None:
        for p in self.phases:
            if p.state == state:
                return p
        return None

    @property
    def final_phase(self) -> Phase:
        return self.phases[-1]

    @property
    def plan_states(self) -> tuple[str, ...]:
        return ("draft",) + tuple(p.state for p in self.phases) + PLAN_FIXED_STATES[1:]

    @property
    def case_states(self) -> tuple[str, ...]:
        stages = tuple(s for p in self.phases for s in p.stages)
        return ("waiting",) + stages + CASE_FIXED_STATES[1:]


_WF_KEYS = {"name", "title"}
_STAGE_KEYS = {"title", "kind", "optional"}
_PHASE_KEYS = {"name", "state", "role", "stages", "title"}


def load_workflow(path: str | Path) -> WorkflowDefinition:
    """Read and validate a workflow file.

    Raises:
        DefinitionError: naming the file, the key and the value at fault.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DefinitionError(str(path), "(file)", str(path), "file not found") from exc
    except OSError as exc:
        raise DefinitionError(str(path), "(file)", str(path), f"cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise DefinitionError(str(path), "(file)", str(path), "not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(str(path), "(syntax)", str(exc), "not valid TOML") from exc
    return parse_workflow(data, str(path))


def _req(file: str, table: dict[str, Any], key: str, prefix: str, typ: type) -> Any:
    if key not in table:
        raise DefinitionError(file, f"{prefix}{key}", None, "is required")
    value = table[key]
    if not isinstance(value, typ) or (typ is str and not value.strip()):
        raise DefinitionError(file, f"{prefix}{key}", value, f"must be a non-empty {typ.__name__}")
    return value


def _no_unknown(file: str, table: dict[str, Any], allowed: set[str], prefix: str) -> None:
    for key in table:
        if key not in allowed:
            raise DefinitionError(
                file, f"{prefix}{key}", table[key], f"unknown key; allowed: {sorted(allowed)}"
            )


def parse_workflow(data: dict[str, Any], file: str) -> WorkflowDefinition:
    """Validate parsed TOML ``data`` (from ``file``) into a :class:`WorkflowDefinition`.

    Raises:
        DefinitionError: for the first problem found.
    """
    _no_unknown(file, data, {"workflow", "stages", "phases"}, "")
    wf = data.get("workflow")
    if not isinstance(wf, dict):
        raise DefinitionError(file, "workflow", wf, "a [workflow] table is required")
    _no_unknown(file, wf, _WF_KEYS, "workflow.")
    name = _req(file, wf, "name", "workflow.", str)
    title = wf.get("title", name)
    if not isinstance(title, str):
        raise DefinitionError(file, "workflow.title", title, "must be text")

    raw_stages = data.get("stages")
    if not isinstance(raw_stages, dict) or not raw_stages:
        raise DefinitionError(file, "stages", raw_stages, "at least one [stages.<name>] is required")
    stages: dict[str, Stage] = {}
    for sname, st in raw_stages.items():
        prefix = f"stages.{sname}."
        if not isinstance(st, dict):
            raise DefinitionError(file, f"stages.{sname}", st, "must be a table")
        _no_unknown(file, st, _STAGE_KEYS, prefix)
        kind = _req(file, st, "kind", prefix, str)
        if kind not in STAGE_KINDS:
            raise DefinitionError(file, f"{prefix}kind", kind, f"unknown kind; use one of {STAGE_KINDS}")
        optional = st.get("optional", False)
        if not isinstance(optional, bool):
            raise DefinitionError(file, f"{prefix}optional", optional, "must be true or false")
        if optional and kind != "recommendation":
            raise DefinitionError(
                file, f"{prefix}optional", optional, "only a recommendation stage can be optional"
            )
        if sname in CASE_FIXED_STATES or sname in PLAN_FIXED_STATES:
            raise DefinitionError(file, f"stages.{sname}", sname, "name is reserved for a state")
        stitle = st.get("title", sname)
        if not isinstance(stitle, str):
            raise DefinitionError(file, f"{prefix}title", stitle, "must be text")
        stages[sname] = Stage(sname, stitle, kind, optional)

    raw_phases = data.get("phases")
    if not isinstance(raw_phases, list) or not raw_phases:
        raise DefinitionError(file, "phases", raw_phases, "at least one [[phases]] is required")
    phases: list[Phase] = []
    seen_states: set[str] = set(PLAN_FIXED_STATES)
    seen_names: set[str] = set()
    seen_roles: set[str] = set()
    used: dict[str, str] = {}
    for i, ph in enumerate(raw_phases):
        prefix = f"phases[{i}]."
        if not isinstance(ph, dict):
            raise DefinitionError(file, f"phases[{i}]", ph, "must be a table")
        _no_unknown(file, ph, _PHASE_KEYS, prefix)
        pname = _req(file, ph, "name", prefix, str)
        pstate = _req(file, ph, "state", prefix, str)
        role = _req(file, ph, "role", prefix, str)
        plist = _req(file, ph, "stages", prefix, list)
        if pname in seen_names:
            raise DefinitionError(file, f"{prefix}name", pname, "phase name used twice")
        if pstate in seen_states or pstate in stages:
            raise DefinitionError(file, f"{prefix}state", pstate, "state name used twice or reserved")
        if role in seen_roles:
            raise DefinitionError(file, f"{prefix}role", role, "role already has a phase")
        if not plist:
            raise DefinitionError(file, f"{prefix}stages", plist, "a phase needs at least one stage")
        ptitle = ph.get("title", pname)
        if not isinstance(ptitle, str):
            raise DefinitionError(file, f"{prefix}title", ptitle, "must be text")
        for j, s in enumerate(plist):
            key = f"{prefix}stages[{j}]"
            if not isinstance(s, str):
                raise DefinitionError(file, key, s, "must be a stage name (text)")
            if s not in stages:
                raise DefinitionError(file, key, s, f"unknown stage; defined: {sorted(stages)}")
            if s in used:
                raise DefinitionError(file, key, s, f"stage already used in phase '{used[s]}'")
            used[s] = pname
            kind = stages[s].kind
            last = j == len(plist) - 1
            if kind == "recommendation" and last:
                raise DefinitionError(
                    file, key, s, "a recommendation stage needs a following stage in its phase"
                )
            if kind != "recommendation" and not last:
                raise DefinitionError(
                    file, f"{prefix}stages[{j + 1}]", plist[j + 1],
                    f"unreachable: stage '{s}' ({kind}) ends the phase",
                )
            if kind == "final_approval" and i != len(raw_phases) - 1:
                raise DefinitionError(
                    file, f"phases[{i + 1}].name", raw_phases[i + 1].get("name"),
                    f"unreachable: phase after the final approval stage '{s}'",
                )
        seen_states.add(pstate)
        seen_names.add(pname)
        seen_roles.add(role)
        phases.append(Phase(pname, pstate, role, tuple(plist), ptitle or pname))

    for sname in stages:
        if sname not in used:
            raise DefinitionError(file, f"stages.{sname}", sname, "unreachable: no phase uses it")
    last_stage = stages[phases[-1].stages[-1]]
    if last_stage.kind != "final_approval":
        raise DefinitionError(
            file, f"phases[{len(phases) - 1}].stages", list(phases[-1].stages),
            "the last phase must end with a final_approval stage (the approver)",
        )
    return WorkflowDefinition(name, str(title), stages, tuple(phases), file)
