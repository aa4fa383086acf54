"""Exact areas of overlap for the shapes annotators draw: axis-aligned boxes and simple polygons.

Owns the arithmetic behind the consensus agreement's IoU: the area of a polygon (shoelace), and the
area of the intersection of two simple polygons, convex or not, computed exactly (up to floating
point) from their boundaries — no rasterising, no dependency. By Green's theorem the area of a region
is half the sum of ``cross(u, v)`` over its counter-clockwise boundary; the boundary of ``A ∩ B`` is
the part of ``A``'s boundary inside ``B``, the part of ``B``'s inside ``A``, and the boundary they
share running the same way (counted once; shared boundary running opposite ways bounds no common
area). Each edge is cut where the other polygon's edges meet it, and each piece is kept or dropped by
where its midpoint lies.

The work is O(n·m) edge pairs; a caller passes a ``Budget`` so that a payload of enormous polygons
cannot hold a request for long (``TooComplex`` is raised instead). Must never read input it was not
handed, nor accept a self-intersecting polygon as meaningful: the result is defined for simple
polygons only (an annotator's self-crossing outline gets a number, not a guarantee).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

Point = tuple[float, float]

#: Relative tolerance: points closer than this times the drawing's scale count as the same.
_RELATIVE_EPS = 1e-9


class TooComplex(Exception):
    """The shapes need more work than the caller's budget allows."""


@dataclass
class Budget:
    """How many edge-pair tests a caller allows across all its geometry calls."""

    remaining: int

    def spend(self, work: int) -> None:
        self.remaining -= work
        if self.remaining < 0:
            raise TooComplex("the shapes are too complex to compare")


def box_area(width: float, height: float) -> float:
    return max(width, 0.0) * max(height, 0.0)


def box_intersection_area(
    a: tuple[float, float, float, float], b: tuple[float, float, float, float]
) -> float:
    """Overlap of two boxes given as ``(x, y, width, height)``."""
    left, top = max(a[0], b[0]), max(a[1], b[1])
    right, bottom = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    return box_area(right - left, bottom - top)


def box_iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    overlap = box_intersection_area(a, b)
    union = box_area(a[2], a[3]) + box_area(b[2], b[3]) - overlap
    return overlap / union if union > 0 else 0.0


def signed_area(points: Sequence[Point]) -> float:
    """The shoelace formula: positive for a counter-clockwise ring (y pointing up)."""
    total = 0.0
    for (x0, y0), (x1, y1) in _ring(points):
        total += x0 * y1 - x1 * y0
    return total / 2


def polygon_area(points: Sequence[Point]) -> float:
    return abs(signed_area(points))


def polygon_intersection_area(a: Sequence[Point], b: Sequence[Point], budget: Budget | None = None) -> float:
    """The area common to two simple polygons (each a ring of at least three points)."""
    ring_a, ring_b = _counter_clockwise(a), _counter_clockwise(b)
    if not ring_a or not ring_b or not _bounds_overlap(ring_a, ring_b):
        return 0.0
    if budget is not None:
        budget.spend(2 * len(ring_a) * len(ring_b))
    eps = _RELATIVE_EPS * max(1.0, *(abs(c) for point in (*ring_a, *ring_b) for c in point))
    edges_a, edges_b = _edges(ring_a, eps), _edges(ring_b, eps)
    # Shared boundary running the same way is counted once: from A's side, not from B's.
    twice = _boundary_inside(edges_a, edges_b, ring_b, eps, keep_shared=True)
    twice += _boundary_inside(edges_b, edges_a, ring_a, eps, keep_shared=False)
    return max(twice / 2, 0.0)


def polygon_iou(a: Sequence[Point], b: Sequence[Point], budget: Budget | None = None) -> float:
    overlap = polygon_intersection_area(a, b, budget)
    union = polygon_area(a) + polygon_area(b) - overlap
    return min(max(overlap / union, 0.0), 1.0) if union > 0 else 0.0


# --- the boundary walk -------------------------------------------------------------------------

Edge = tuple[Point, Point]


def _ring(points: Sequence[Point]) -> Iterator[Edge]:
    for index, point in enumerate(points):
        yield point, points[(index + 1) % len(points)]


def _counter_clockwise(points: Sequence[Point]) -> list[Point]:
    ring = [(float(x), float(y)) for x, y in points]
    if len(ring) < 3 or signed_area(ring) == 0:
        return []
    return ring if signed_area(ring) > 0 else ring[::-1]


def _edges(ring: list[Point], eps: float) -> list[Edge]:
    return [(p, q) for p, q in _ring(ring) if math.dist(p, q) > eps]


def _bounds_overlap(a: list[Point], b: list[Point]) -> bool:
    return not (
        max(x for x, _ in a) < min(x for x, _ in b)
        or max(x for x, _ in b) < min(x for x, _ in a)
        or max(y for _, y in a) < min(y for _, y in b)
        or max(y for _, y in b) < min(y for _, y in a)
    )


def _cross(ox: float, oy: float, ax: float, ay: float) -> float:
    return ox * ay - oy * ax


def _cuts(p: Point, q: Point, r: Point, s: Point, eps: float) -> Iterator[float]:
    """Where along ``p → q`` (as t in [0, 1]) the segment ``r → s`` meets it."""
    dx, dy = q[0] - p[0], q[1] - p[1]
    ex, ey = s[0] - r[0], s[1] - r[1]
    length_d, length_e = math.hypot(dx, dy), math.hypot(ex, ey)
    den = _cross(dx, dy, ex, ey)
    rpx, rpy = r[0] - p[0], r[1] - p[1]
    if abs(den) > _RELATIVE_EPS * length_d * length_e:
        t = _cross(rpx, rpy, ex, ey) / den
        u = _cross(rpx, rpy, dx, dy) / den
        slack_t, slack_u = eps / length_d, eps / length_e
        if -slack_t <= t <= 1 + slack_t and -slack_u <= u <= 1 + slack_u:
            yield min(max(t, 0.0), 1.0)
        return
    if abs(_cross(rpx, rpy, dx, dy)) > eps * length_d:
        return  # parallel, apart
    for x, y in (r, s):  # collinear: the other segment's ends, where they fall on this one
        t = ((x - p[0]) * dx + (y - p[1]) * dy) / (length_d * length_d)
        if 0 < t < 1:
            yield t


def _on_boundary(point: Point, dx: float, dy: float, edges: list[Edge], eps: float) -> int:
    """1 when ``point`` lies on an edge running the way ``(dx, dy)`` does, -1 the other way, 0 off."""
    for (rx, ry), (sx, sy) in edges:
        ex, ey = sx - rx, sy - ry
        length = math.hypot(ex, ey)
        px, py = point[0] - rx, point[1] - ry
        if abs(_cross(ex, ey, px, py)) > eps * length:
            continue
        along = (px * ex + py * ey) / (length * length)
        if -eps / length <= along <= 1 + eps / length:
            return 1 if dx * ex + dy * ey > 0 else -1
    return 0


def _inside(point: Point, ring: list[Point]) -> bool:
    """Even-odd rule (the point is known not to be on the boundary)."""
    x, y = point
    inside = False
    for (x0, y0), (x1, y1) in _ring(ring):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


def _boundary_inside(
    edges: list[Edge], other_edges: list[Edge], other_ring: list[Point], eps: float, *, keep_shared: bool
) -> float:
    """Twice the area contribution of the pieces of ``edges`` that bound the intersection."""
    total = 0.0
    for p, q in edges:
        cuts = sorted({0.0, 1.0, *(t for r, s in other_edges for t in _cuts(p, q, r, s, eps))})
        dx, dy = q[0] - p[0], q[1] - p[1]
        min_step = eps / math.hypot(dx, dy)
        for t0, t1 in itertools.pairwise(cuts):
            if t1 - t0 <= min_step:
                continue
            middle = (p[0] + dx * (t0 + t1) / 2, p[1] + dy * (t0 + t1) / 2)
            shared = _on_boundary(middle, dx, dy, other_edges, eps)
            kept = keep_shared if shared == 1 else shared == 0 and _inside(middle, other_ring)
            if kept:
                ux, uy = p[0] + dx * t0, p[1] + dy * t0
                vx, vy = p[0] + dx * t1, p[1] + dy * t1
                total += ux * vy - vx * uy
    return total
