"""Areas of overlap (``enclave.tasks.geometry``): exact on known shapes, convex or not, whatever the
orientation, with shared edges counted once; and the same as a fine grid's count on random polygons."""

from __future__ import annotations

import math
import random

import pytest

from enclave.tasks.geometry import (
    Budget,
    TooComplex,
    box_iou,
    polygon_area,
    polygon_intersection_area,
    polygon_iou,
)

SQUARE = [(0.0, 0.0), (2.0, 0.0), (2.0, 2.0), (0.0, 2.0)]
L_SHAPE = [(0.0, 0.0), (4.0, 0.0), (4.0, 1.0), (1.0, 1.0), (1.0, 4.0), (0.0, 4.0)]


def shifted(points: list[tuple[float, float]], dx: float, dy: float) -> list[tuple[float, float]]:
    return [(x + dx, y + dy) for x, y in points]


class TestBoxes:
    def test_identical_boxes(self) -> None:
        assert box_iou((1, 2, 30, 40), (1, 2, 30, 40)) == 1.0

    def test_half_overlap(self) -> None:
        # 2x2 boxes overlapping in a 1x2 strip: 2 / (4 + 4 - 2).
        assert box_iou((0, 0, 2, 2), (1, 0, 2, 2)) == pytest.approx(1 / 3)

    def test_touching_and_apart(self) -> None:
        assert box_iou((0, 0, 2, 2), (2, 0, 2, 2)) == 0.0
        assert box_iou((0, 0, 2, 2), (5, 5, 1, 1)) == 0.0


class TestPolygonIntersection:
    @pytest.mark.parametrize(
        ("other", "area"),
        [
            (SQUARE, 4.0),  # the same square: every edge shared, counted once
            (shifted(SQUARE, 1, 1), 1.0),
            (shifted(SQUARE, 2, 0), 0.0),  # sharing an edge, running the other way
            ([(0.0, 0.0), (2.0, 0.0), (2.0, 1.0), (0.0, 1.0)], 2.0),  # inside, sharing three edges
            ([(0.5, 0.5), (1.5, 0.5), (1.5, 1.5), (0.5, 1.5)], 1.0),  # strictly inside
            (
                [(1.0, -1.0), (3.0, 1.0), (1.0, 3.0), (-1.0, 1.0)],
                4.0,
            ),  # a diamond whose sides touch its corners
            ([(0.0, 0.0), (1.0, 1.0), (0.0, 2.0)], 1.0),  # a triangle on one edge
            (shifted(SQUARE, 5, 5), 0.0),
        ],
    )
    def test_known_overlaps_with_a_square(self, other: list[tuple[float, float]], area: float) -> None:
        assert polygon_intersection_area(SQUARE, other) == pytest.approx(area)
        assert polygon_intersection_area(other, SQUARE) == pytest.approx(area)

    def test_orientation_does_not_matter(self) -> None:
        clockwise = SQUARE[::-1]
        assert polygon_intersection_area(clockwise, shifted(SQUARE, 1, 1)[::-1]) == pytest.approx(1.0)

    def test_a_concave_polygon(self) -> None:
        assert polygon_area(L_SHAPE) == pytest.approx(7.0)
        assert polygon_intersection_area(L_SHAPE, [(0, 0), (4, 0), (4, 4), (0, 4)]) == pytest.approx(7.0)
        # The notch of the L is empty.
        assert polygon_intersection_area(L_SHAPE, [(2, 2), (5, 2), (5, 5), (2, 5)]) == 0.0
        # Both arms, partly: [0.5, 3] x [0.5, 1] and [0.5, 1] x [1, 3].
        inner = [(0.5, 0.5), (3.0, 0.5), (3.0, 3.0), (0.5, 3.0)]
        assert polygon_intersection_area(L_SHAPE, inner) == pytest.approx(1.25 + 1.0)

    def test_two_concave_polygons_crossing_twice(self) -> None:
        # A U and an upside-down U interlocking: the overlap is two 1x1 squares.
        cup = [(0, 0), (3, 0), (3, 3), (2, 3), (2, 1), (1, 1), (1, 3), (0, 3)]
        cap = shifted([(0, 3), (0, 0), (1, 0), (1, 2), (2, 2), (2, 0), (3, 0), (3, 3)], 0, 2)
        assert polygon_intersection_area(cup, cap) == pytest.approx(2.0)

    def test_degenerate_rings_have_no_area(self) -> None:
        line = [(0.0, 0.0), (1.0, 1.0), (2.0, 2.0)]
        assert polygon_intersection_area(SQUARE, line) == 0.0
        assert polygon_iou(line, line) == 0.0

    @pytest.mark.parametrize("seed", range(6))
    def test_agrees_with_a_fine_grid_on_random_star_shaped_polygons(self, seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311 — shapes for a test, not a secret
        a, b = star(rng, 5.0, 5.0), star(rng, 6.0, 5.5)
        exact = polygon_intersection_area(a, b)
        step = 0.02
        inside = 0
        for i in range(int(12 / step)):
            for j in range(int(12 / step)):
                x, y = (i + 0.5) * step, (j + 0.5) * step
                inside += contains(a, x, y) and contains(b, x, y)
        assert exact == pytest.approx(inside * step * step, abs=0.15)

    def test_a_budget_stops_enormous_shapes(self) -> None:
        circle = [(math.cos(t / 500 * math.tau) + 1, math.sin(t / 500 * math.tau) + 1) for t in range(500)]
        with pytest.raises(TooComplex):
            polygon_intersection_area(circle, circle, Budget(1000))
        assert polygon_intersection_area(circle, circle, Budget(10_000_000)) == pytest.approx(
            polygon_area(circle)
        )


class TestPolygonIou:
    def test_iou_of_overlapping_squares(self) -> None:
        assert polygon_iou(SQUARE, shifted(SQUARE, 1, 0)) == pytest.approx(2 / 6)
        assert polygon_iou(SQUARE, SQUARE) == pytest.approx(1.0)


def star(rng: random.Random, cx: float, cy: float) -> list[tuple[float, float]]:
    """A simple, usually concave polygon: points at increasing angles, random radii."""
    count = rng.randint(5, 12)
    angles = sorted(rng.uniform(0, math.tau) for _ in range(count))
    return [(cx + (r := rng.uniform(1, 5)) * math.cos(t), cy + r * math.sin(t)) for t in angles]


def contains(points: list[tuple[float, float]], x: float, y: float) -> bool:
    inside = False
    for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside
