"""Every check of ``verify_locate`` fires: a genuine plan passes, the same plan tampered in one
way is rejected with that check's finding (issue 13, part 4; ``tests/mutation_verifiers.py``
switches each check off and expects one of these tests to fail).

Tampers change one thing of the result (a field, an index) or, where the check compares the
plan with a limit the caller gives (capacities), the limit; other findings may follow from the
same change, but the match names the finding of the check under test.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from optimizer import locate
from optimizer.verify import VerificationError, verify_locate

INF = np.inf
COST = np.array(
    [
        [2, 9, INF, 12],
        [4, 3, 11, INF],
        [INF, 5, 2, 8],
        [10, INF, 3, 6],
        [7, 8, INF, 1],
        [INF, 6, 9, 4],
    ]
)
W = np.array([5, 3, 4, 2, 6, 1.0])
N, M = COST.shape
FIXED = np.array([10, 30, 9, 11.0])  # site 1 dear: the capacitated plans leave it closed

ARGS = {
    "p-median": {"p": 2, "required": [0], "barred": [2]},
    "p-center": {"p": 2},
    "mclp": {"p": 2, "radius": 5.0},
    "lscp": {"radius": 6.0},
    "capacitated": {"capacities": np.array([6.0, 9, 9, 9]), "fixed_costs": FIXED},
    "single-source": {
        "capacities": np.array([12.0, 12, 12, 12]),
        "fixed_costs": FIXED,
        "single_source": True,
    },
}


@pytest.fixture(scope="module")
def solved():
    """One genuine, verified result per problem, solved once for the module."""
    out = {}
    for name, args in ARGS.items():
        problem = "capacitated" if name == "single-source" else name
        result = locate(problem, COST, weights=W, **args)
        verify_locate(result, COST, weights=W, **args)
        out[name] = result
    return out


def closed(r) -> int:
    return int(np.setdiff1d(np.arange(M), r.open_sites)[0])


def reaching_closed(r) -> tuple[int, int]:
    """A unit and a closed site it reaches."""
    shut = ~np.isin(np.arange(M), r.open_sites)
    i, j = np.argwhere(np.isfinite(COST) & shut[None, :])[0]
    return int(i), int(j)


def unreachable_open(r) -> tuple[int, int]:
    """A unit and an open site it cannot reach."""
    i, j = np.argwhere(~np.isfinite(COST[:, r.open_sites]))[0]
    return int(i), int(r.open_sites[j])


def farther_open(r) -> tuple[int, int]:
    """A unit and an open site it reaches but is not its nearest open one."""
    for i in range(N):
        for j in r.open_sites:
            if np.isfinite(COST[i, j]) and COST[i, j] > COST[i, r.assignment[i]]:
                return i, int(j)
    raise AssertionError("no unit has a farther open site")


def with_assignment(r, i: int, j: int):
    a = r.assignment.copy()
    a[i] = j
    return replace(r, assignment=a)


def with_allocation(r, unit: int, *, site=None, share=None):
    """Unit ``unit``'s first allocation entry moved to ``site`` or given ``share``."""
    d, s, x = (np.array(a) for a in r.allocation)
    k = int(np.flatnonzero(d == unit)[0])
    if site is not None:
        s[k] = site
    if share is not None:
        x[k] = share
    return replace(r, allocation=(d, s, x))


def split_one(r):
    """Unit 0 half at its site, half at another open site it reaches."""
    d, s, x = (np.array(a) for a in r.allocation)
    k = int(np.flatnonzero(d == 0)[0])
    other = next(j for j in r.open_sites if j != s[k] and np.isfinite(COST[0, j]))
    x[k] = 0.5
    return replace(r, allocation=(np.append(d, 0), np.append(s, other), np.append(x, 0.5)))


def overloaded(r, args):
    """The same plan against a capacity one below the load of its busiest site."""
    d, s, x = r.allocation
    load = np.bincount(s, weights=W[d] * x, minlength=M)
    cap = np.array(args["capacities"], dtype=float)
    j = int(np.argmax(load))
    cap[j] = load[j] - 1
    return {**args, "capacities": cap}


# (check, problem, tamper of the result, tamper of the verifier's arguments, finding)
CASES = [
    ("open_sites_range", "p-median",
     lambda r: replace(r, open_sites=np.append(r.open_sites, M)), None,
     "open_sites holds an index outside the site range"),
    ("open_sites_twice", "p-median",
     lambda r: replace(r, open_sites=np.append(r.open_sites, r.open_sites[-1])), None,
     "open_sites lists a site twice"),
    ("required_closed", "p-median",
     lambda r: replace(r, open_sites=np.array([1, 3])), None,
     "required site 0 is closed"),
    ("barred_open", "p-median",
     lambda r: replace(r, open_sites=np.array([0, 2])), None,
     "barred site 2 is open"),
    ("p_count", "p-median",
     lambda r: replace(r, open_sites=np.array([0, 1, 3])), None,
     r"3 sites open, p = 2"),
    ("assignment_shape", "p-median",
     lambda r: replace(r, assignment=r.assignment[:-1]), None,
     r"assignment has shape \(5,\), expected \(6,\)"),
    ("assignment_range", "p-median",
     lambda r: with_assignment(r, 0, M), None,
     "assignment holds a site index outside the site range"),
    ("assigned_to_closed", "p-median",
     lambda r: with_assignment(r, *reaching_closed(r)), None,
     r"demand \d+ is assigned to closed site"),
    ("assigned_unreachable", "p-median",
     lambda r: with_assignment(r, *unreachable_open(r)), None,
     "which it cannot reach"),
    ("coverage_misreported", "mclp",
     lambda r: with_assignment(r, int(np.flatnonzero(r.assignment >= 0)[0]), -1), None,
     r"coverage of demand \[\d+\] is misreported"),
    ("lscp_uncovered", "lscp",
     lambda r: replace(r, open_sites=r.open_sites[:-1]), None,
     r"demand \[[\d, ]+\] is uncovered"),
    ("reaches_no_open_site", "p-center",
     lambda r: replace(r, open_sites=np.array([0])), None,
     "some demand unit reaches no open site"),
    ("unassigned", "p-median",
     lambda r: with_assignment(r, 4, -1), None,
     r"demand \[4\] unassigned"),
    ("not_nearest", "p-median",
     lambda r: with_assignment(r, *farther_open(r)), None,
     "is not assigned to its nearest open site"),
    ("no_allocation", "capacitated",
     lambda r: replace(r, allocation=None), None,
     "capacitated result carries no allocation"),
    ("served_in_full", "capacitated",
     lambda r: with_allocation(r, 0, share=0.5), None,
     r"demand \[0\] is not served in full"),
    ("allocated_to_closed", "capacitated",
     lambda r: with_allocation(r, 0, site=closed(r)), None,
     "demand is allocated to a closed site"),
    ("allocated_unreachable", "capacitated",
     lambda r: with_allocation(r, 2, site=0), None,
     "demand is allocated over a pair that is not reachable"),
    ("capacity", "capacitated", None, overloaded,
     r"sites \[\d+\] exceed their capacity"),
    ("single_source_split", "single-source", split_one, None,
     "single-source plan splits a demand unit"),
    ("unknown_problem", "p-median",
     lambda r: replace(r, problem="p-mean"), None,
     "unknown problem 'p-mean'"),
    ("objective", "p-median",
     lambda r: replace(r, objective=r.objective + 1), None,
     "objective claimed 77.0, recomputed 76.0"),
    ("bound_above_minimum", "p-median",
     lambda r: replace(r, bound=r.objective + 1), None,
     "is above the objective of a minimisation"),
    ("bound_below_maximum", "mclp",
     lambda r: replace(r, bound=r.objective - 1), None,
     "is below the objective of a maximisation"),
    ("optimal_with_gap", "p-median",
     lambda r: replace(r, gap=0.1), None,
     "status optimal with gap 0.1 above mip_gap 0"),
]  # fmt: skip


@pytest.mark.parametrize(
    "problem, tamper, tamper_args, finding",
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_verify_locate_reports_the_tampered_plan(solved, problem, tamper, tamper_args, finding):
    result, args = solved[problem], ARGS[problem]
    bad = tamper(result) if tamper else result
    bad_args = tamper_args(result, args) if tamper_args else args
    with pytest.raises(VerificationError, match=finding):
        verify_locate(bad, COST, weights=W, **bad_args)


def test_every_problem_of_the_plan_is_listed(solved):
    r = solved["p-median"]
    bad = replace(r, objective=r.objective + 1, gap=0.1)
    with pytest.raises(VerificationError) as info:
        verify_locate(bad, COST, weights=W, **ARGS["p-median"])
    assert len(info.value.problems) == 2
