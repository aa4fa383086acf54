"""Review sampling (``enclave.tasks.sampling``): exact counts, spread evenly, the same choice for the
same seed and order, another for another seed."""

from __future__ import annotations

import math

import pytest

from enclave.tasks.sampling import sampling_phase, selected_for_review


def chosen(seed: str, percent: int, count: int) -> list[int]:
    return [n for n in range(count) if selected_for_review(seed, percent, n)]


class TestSelectedForReview:
    @pytest.mark.parametrize("seed", ["a", "project-seed", "0" * 32, "ünïcode"])
    @pytest.mark.parametrize("percent", [1, 7, 30, 33, 50, 99])
    def test_every_prefix_reviews_floor_or_ceil_of_its_share(self, seed: str, percent: int) -> None:
        picked = set(chosen(seed, percent, 1000))
        running = 0
        for n in range(1000):
            running += n in picked
            share = (n + 1) * percent / 100
            assert math.floor(share) <= running <= math.ceil(share), (n, running)

    def test_thirty_percent_of_a_thousand_is_three_hundred_give_or_take_one(self) -> None:
        for seed in (f"seed-{i}" for i in range(50)):
            assert abs(len(chosen(seed, 30, 1000)) - 300) <= 1

    def test_the_same_seed_chooses_the_same_positions(self) -> None:
        assert chosen("s", 30, 500) == chosen("s", 30, 500)

    def test_another_seed_chooses_other_positions(self) -> None:
        assert chosen("s", 30, 500) != chosen("t", 30, 500)

    def test_all_and_nothing(self) -> None:
        assert chosen("s", 100, 10) == list(range(10))
        assert chosen("s", 0, 10) == []

    def test_the_phase_is_the_seeds_hmac(self) -> None:
        assert 0 <= sampling_phase("s") < 2**64
        assert sampling_phase("s") == sampling_phase("s") != sampling_phase("t")
