"""Which submitted tasks a project reviews when it reviews a sample: a reproducible, exact choice.

A project that reviews ``p`` % of its work counts its first-time submissions (``n`` = 0, 1, 2, …, in
the order they commit) and reviews submission ``n`` when ``⌊(n + 1)·p + φ⌋ > ⌊n·p + φ⌋``: the
sequence steps over an integer exactly then. Over any run of ``N`` submissions this reviews
``⌊N·p⌋`` or ``⌈N·p⌉`` of them — 300 ± 1 of 1,000 at 30 % — spread evenly, where a hash of each task
against a threshold would review a binomial number (± 15 at that size). The phase ``φ`` in [0, 1) is
the first 8 bytes of HMAC-SHA256(the project's sampling seed, a fixed label), so two projects with
different seeds review different positions, and the same seed with the same submission order reviews
the same set again. The counter is the project's, advanced under its row lock by the submission that
uses it (``db.repositories.tasks``).

Pure arithmetic in integers (no float rounding). Must never use a random source: a rerun must choose
the same tasks.
"""

from __future__ import annotations

import hashlib
import hmac

_PHASE_LABEL = b"enclave review sampling phase v1"
_PHASE_SCALE = 1 << 64


def sampling_phase(seed: str) -> int:
    """φ as an integer in [0, 2^64): the seed's HMAC, first 8 bytes, big-endian."""
    digest = hmac.new(seed.encode(), _PHASE_LABEL, hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big")


def _steps(position: int, percent: int, phase: int) -> int:
    """⌊position · percent/100 + phase/2^64⌋ in integers."""
    return (position * percent * _PHASE_SCALE + phase * 100) // (100 * _PHASE_SCALE)


def selected_for_review(seed: str, percent: int, position: int) -> bool:
    """Whether the ``position``-th (0-based) first-time submission is reviewed at ``percent`` %."""
    if percent >= 100:
        return True
    if percent <= 0:
        return False
    phase = sampling_phase(seed)
    return _steps(position + 1, percent, phase) > _steps(position, percent, phase)
