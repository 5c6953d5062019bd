"""The operators' policy tools behind ``gateway policy check|test|explain|diff``; each returns its exit status.

Exit status: 0 all is well; 1 the policy has problems, a case failed, or (diff) some decision changes; 2 a case
could not be evaluated at all (diff, explain) or the command was used wrongly.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from gateway.errors import ConfigError
from gateway.policy.cases import Case, evaluate, load_cases, outcome_differences, read_case, result_lines
from gateway.policy.compiled import CompiledPolicy
from gateway.policy.load import load_policy
from gateway.policy.source import load_yaml

__all__ = ["check", "diff", "explain", "run_tests"]


def _problems(e: ConfigError, out: TextIO) -> int:
    for problem in getattr(e, "problems", None) or (e,):
        print(problem, file=out)
    count = len(getattr(e, "problems", None) or (e,))
    print(f"{count} problem{'s' if count != 1 else ''} found", file=out)
    return 1


def _loaded(directory: Path, out: TextIO) -> CompiledPolicy | int:
    try:
        return load_policy(directory)
    except ConfigError as e:
        return _problems(e, out)


def check(directory: Path, out: TextIO) -> int:
    """Validate and compile a policy; print every problem as ``file:line:column: message``."""
    policy = _loaded(directory, out)
    if isinstance(policy, int):
        return policy
    off = f", {len(policy.disabled)} switched off ({', '.join(policy.disabled)})" if policy.disabled else ""
    print(
        f"policy {policy.name}: {len(policy.rules)} rules{off}, {len(policy.recipients)} recipients, "
        f"{len(policy.exporters)} exporters; revision {policy.revision}",
        file=out,
    )
    return 0


def _cases_dir(directory: Path) -> Path:
    """A policy directory's ``tests/``, or the directory itself when it holds no policy (a folder of cases)."""
    if (directory / "tests").is_dir():
        return directory / "tests"
    if (directory / "policy.yaml").exists():
        raise ConfigError("this policy has no tests/ folder of test cases", file=str(directory))
    return directory


def run_tests(directory: Path, out: TextIO, *, verbose: bool = False) -> int:
    """Run the cases in ``directory/tests``: a line per failure with what differs, and a summary."""
    policy = _loaded(directory, out)
    if isinstance(policy, int):
        return policy
    try:
        cases = load_cases(_cases_dir(directory))
    except ConfigError as e:
        return _problems(e, out)
    failed = 0
    exercised: set[str] = set()
    for case in cases:
        try:
            got = evaluate(policy, case)
        except (ConfigError, ValueError, TypeError) as e:
            failed += 1
            print(f"FAIL {case.where}  {case.name}\n     cannot evaluate: {e}", file=out)
            continue
        exercised.update(hit.rule_id for hit in got.decision.hits)
        if got.decision.deciding:
            exercised.add(got.decision.deciding.rule_id)
        differences = outcome_differences(case, got)
        if differences:
            failed += 1
            print(f"FAIL {case.where}  {case.name}", file=out)
            for line in differences:
                print(f"     {line}", file=out)
            for line in result_lines(got):
                print(f"       | {line}", file=out)
        elif verbose:
            print(f"ok   {case.where}  {case.name}", file=out)
    untested = [r.id for r in policy.rules if r.id not in exercised]
    if untested:
        print(f"rules no case reaches: {', '.join(untested)}", file=out)
    print(f"{len(cases)} cases: {len(cases) - failed} passed, {failed} failed", file=out)
    return 1 if failed else 0


def explain(policy_dir: Path, request_file: Path, out: TextIO, *, as_json: bool = False) -> int:
    """Decide one request (a case file holding a single case, or just its request and facts) and show the trace."""
    policy = _loaded(policy_dir, out)
    if isinstance(policy, int):
        return policy
    doc = load_yaml(request_file)  # JSON is YAML
    data = doc.data
    if isinstance(data, dict) and "request" not in data:
        data = {"name": request_file.name, "request": data, "expect": {"effect": None, "rule": None}}
        doc = replace(doc, data=data)
    elif isinstance(data, dict):
        data = {"name": request_file.name, "expect": {"effect": None, "rule": None}, **data}
        doc = replace(doc, data=data)
    case: Case = read_case(doc)
    got = evaluate(policy, case)
    if as_json:
        print(json.dumps({**got.summary(), "reason": got.reason, "trace": result_lines(got)}, indent=2), file=out)
    else:
        print("\n".join(result_lines(got)), file=out)
    return 0


def diff(old_dir: Path, new_dir: Path, cases_dir: Path, out: TextIO) -> int:
    """List the cases whose decision changes between two versions of a policy."""
    loaded = [_loaded(d, out) for d in (old_dir, new_dir)]
    old, new = loaded
    if isinstance(old, int) or isinstance(new, int):
        return 2
    cases = load_cases(_cases_dir(cases_dir))
    changed = 0
    broken = 0
    for case in cases:
        try:
            before, after = evaluate(old, case).summary(), evaluate(new, case).summary()
        except ConfigError as e:
            broken += 1
            print(f"CANNOT EVALUATE {case.where}  {case.name}: {e}", file=out)
            continue
        if before != after:
            changed += 1
            print(f"CHANGED {case.where}  {case.name}", file=out)
            for key in before:
                if before[key] != after[key]:
                    print(f"     {key}: {before[key]!r} -> {after[key]!r}", file=out)
    print(f"{len(cases)} cases: {changed} change decision ({old.revision[:19]} -> {new.revision[:19]})", file=out)
    if broken:
        return 2
    return 1 if changed else 0
