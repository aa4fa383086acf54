"""Consensus agreement (``enclave.tasks.agreement``): IoU for boxes and polygons, span F1 for text,
exact match for choices, one score per task and the submission that agrees best."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from enclave.tasks.agreement import TooComplex, agreement_of, pair_agreement
from enclave.tasks.geometry import Budget
from enclave.tasks.schemas import AnnotationPayload


def payload(*objects: dict[str, Any], **classifications: list[str]) -> AnnotationPayload:
    return msgspec.convert({"objects": list(objects), "classifications": classifications}, AnnotationPayload)


def box(x: float, y: float, w: float = 2, h: float = 2, label: str = "car") -> dict[str, Any]:
    return {"kind": "bbox", "label": label, "x": x, "y": y, "width": w, "height": h}


def polygon(*points: tuple[float, float], label: str = "road") -> dict[str, Any]:
    return {"kind": "polygon", "label": label, "points": [list(p) for p in points]}


def span(start: int, end: int, label: str = "PER") -> dict[str, Any]:
    return {"kind": "span", "label": label, "start": start, "end": end}


class TestRegions:
    def test_identical_boxes_agree_fully(self) -> None:
        assert pair_agreement(payload(box(0, 0)), payload(box(0, 0))) == 1.0

    def test_box_iou(self) -> None:
        assert pair_agreement(payload(box(0, 0)), payload(box(1, 0))) == pytest.approx(1 / 3)

    def test_a_missing_object_counts_against(self) -> None:
        # One box matched exactly, one box only on the left: 2 * 1 / (2 + 1).
        assert pair_agreement(payload(box(0, 0), box(10, 10)), payload(box(0, 0))) == pytest.approx(2 / 3)

    def test_labels_and_kinds_never_match_across(self) -> None:
        assert pair_agreement(payload(box(0, 0, label="car")), payload(box(0, 0, label="bus"))) == 0.0
        square = polygon((0, 0), (2, 0), (2, 2), (0, 2), label="car")
        assert pair_agreement(payload(box(0, 0)), payload(square)) == 0.0

    def test_polygon_iou(self) -> None:
        a = polygon((0, 0), (2, 0), (2, 2), (0, 2))
        b = polygon((1, 0), (3, 0), (3, 2), (1, 2))
        assert pair_agreement(payload(a), payload(b)) == pytest.approx(1 / 3)

    def test_matching_is_one_to_one_best_first(self) -> None:
        # Two boxes on the left, one on the right overlapping both: only the better pair counts.
        left = payload(box(0, 0), box(1, 0))
        assert pair_agreement(left, payload(box(0, 0))) == pytest.approx(2 * 1.0 / 3)


class TestSpansAndChoices:
    def test_span_f1_is_exact(self) -> None:
        a = payload(span(0, 4), span(10, 15))
        b = payload(span(0, 4), span(10, 16))
        assert pair_agreement(a, b) == pytest.approx(0.5)

    def test_choices_match_exactly_per_question(self) -> None:
        assert pair_agreement(payload(weather=["sunny"]), payload(weather=["sunny"])) == 1.0
        assert pair_agreement(payload(weather=["sunny"]), payload(weather=["rainy"])) == 0.0
        a = payload(weather=["sunny"], tags=["a", "b"])
        b = payload(weather=["sunny"], tags=["b", "a"])
        assert pair_agreement(a, b) == 1.0
        assert pair_agreement(payload(weather=["sunny"]), payload()) == 0.0

    def test_parts_count_equally(self) -> None:
        # Regions agree fully, choices not at all.
        assert (
            pair_agreement(payload(box(0, 0), weather=["sunny"]), payload(box(0, 0), weather=["rainy"]))
            == 0.5
        )

    def test_two_empty_payloads_agree(self) -> None:
        assert pair_agreement(payload(), payload()) == 1.0


class TestTaskAgreement:
    def test_three_that_agree(self) -> None:
        result = agreement_of([payload(box(0, 0))] * 3)
        assert result.score == 1.0
        assert result.best == 0

    def test_the_mean_of_pairs_and_the_best_agreeing(self) -> None:
        # A and B match; C is off by itself: pairs 1, 0, 0 → 1/3; C agrees with nobody.
        result = agreement_of([payload(box(0, 0)), payload(box(50, 50)), payload(box(50, 50))])
        assert result.score == pytest.approx(1 / 3)
        assert result.best == 1  # the earliest of the two that agree

    def test_needs_two(self) -> None:
        with pytest.raises(ValueError, match="two"):
            agreement_of([payload()])

    def test_too_complex_to_score(self) -> None:
        ring = [(float(10 + i % 2), float(i)) for i in range(200)] + [(5.0, 200.0), (5.0, 0.0)]
        big = payload(polygon(*ring))
        with pytest.raises(TooComplex):
            agreement_of([big, big], Budget(100))
