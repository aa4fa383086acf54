"""The figures a run's security evidence adds up to, printed at its end (``tests/conftest.py``).

Tests add what they tried and what they found — cases of the authorization matrix, fuzz cases,
faults injected, acknowledged writes checked, lost and duplicated writes, plaintext markers found,
egress attempts, TLS ports scanned and failed, CSP violations — under fixed names, so that
``make security`` ends with one table a reviewer can read, and ``ENCLAVE_EVIDENCE_FILE`` (when set)
gets the same figures as JSON. A figure is counted only by the test that checked it: a test that did
not run adds nothing, and the table says which figures no test reported. Never a pass or fail of its
own: each test asserts what it counts.
"""

from __future__ import annotations

#: The summary's rows, in the order the issue lists them; the text after the colon is the goal.
FIGURES = {
    "routes x roles x tenants tried": "",
    "fuzz cases run": "",
    "faults injected": "",
    "acknowledged writes checked": "",
    "lost writes": "0",
    "duplicated writes": "0",
    "5xx other than 503": "0",
    "slowest response (ms)": "< 10000",
    "plaintext markers found": "0",
    "egress attempts": "0",
    "TLS ports scanned": "",
    "TLS ports failed": "0",
    "CSP violations": "0",
    "session and account cases": "",
    "hostile input cases": "",
}

_counted: dict[str, int] = {}


def add(name: str, value: int = 1) -> None:
    """Adds ``value`` to the figure ``name`` (one of ``FIGURES``)."""
    if name not in FIGURES:
        raise KeyError(f"{name!r} is not a figure of the evidence: {sorted(FIGURES)}")
    _counted[name] = _counted.get(name, 0) + value


def counted() -> dict[str, int]:
    return dict(_counted)
