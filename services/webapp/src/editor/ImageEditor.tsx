// The image editor: the image on a konva stage, boxes and polygons over it in image pixels.
// Draw boxes (drag) and polygons (click points, Enter or double click to close), select, move,
// resize (konva's Transformer), delete, relabel, zoom and pan; every main action also has a key
// and a button, and the shapes are listed as buttons so the editor works without a mouse.
// A selected polygon shows a handle on each vertex: drag one (or pick it with , and . and move it
// with Alt + arrow keys) to reshape the polygon. Changes go to the parent as pure document
// changes, which its undo history records.
//
// Read-only and `compact` (the review's side-by-side views), the editor is a view: no tools, no
// side panel, and its keys (zoom, pan) act only while it has the focus, so several can share a page.
//
// Speed (500 boxes and 50 polygons): every shape is one node of a single layer, memoised so a
// change re-renders only the shapes it touched; shapes listen to the pointer only with the Select
// tool; perfect drawing and stroke shadows are off; stroke widths follow the zoom on the nodes
// themselves (no React render to zoom, no extra canvas state per shape); konva batches the
// redraws (one per frame) and skips the hit graph while something is dragged; a vertex being
// dragged reshapes its polygon's node directly, and the document changes once, when the drag ends.
//
// Only konva's core and the five shapes used are imported, to keep the bundle small.

import "konva/lib/shapes/Circle";
import "konva/lib/shapes/Image";
import "konva/lib/shapes/Line";
import "konva/lib/shapes/Rect";
import "konva/lib/shapes/Transformer";
import type Konva from "konva";
import { memo, useCallback, useEffect, useId, useLayoutEffect, useMemo, useRef, useState } from "react";
import { Circle, Image as KonvaImage, Layer, Line, Rect, Stage, Transformer } from "react-konva/lib/ReactKonvaCore";
import type { OntologyObject } from "../api/types";
import { labelColor } from "./colors";
import {
  addObject,
  kindWord,
  relabel,
  removeObject,
  updateObject,
  newId,
  type AnnotationDoc,
  type BoxObject,
  type EditorObject,
  type PolygonObject,
} from "./document";
import {
  MIN_BOX,
  boxAround,
  clampPoint,
  clampRect,
  distance,
  doubledArea,
  dropRepeatedPoints,
  fitView,
  flatten,
  isBoxBigEnough,
  keepRectInside,
  moveVertex,
  normalizeRect,
  resizeRect,
  stepVertex,
  toImage,
  translatePoints,
  translateRect,
  wheelFactor,
  zoomAt,
  type Point,
  type Rect as RectShape,
  type Size,
  type View,
} from "./geometry";
import { digitIndex, shortcutAllowed } from "./keys";
import { LabelPicker } from "./LabelPicker";

export type Tool = "select" | "bbox" | "polygon";
type ImageObject = BoxObject | PolygonObject;
type Change = (doc: AnnotationDoc) => AnnotationDoc;

const ZOOM_STEP = 1.25;
/** The konva name of the nodes that draw the document's shapes (not handles, not drafts). */
const SHAPE_NAME = "shape";
/** How close (screen pixels) a click must be to the first point to close a polygon. */
const CLOSE_RADIUS = 8;
/** Two clicks this close in time (ms) and space (screen pixels) are a double click. */
const DOUBLE_CLICK_MS = 400;
const DOUBLE_CLICK_SLOP = 5;

export interface ImageEditorProps {
  image: HTMLImageElement;
  imageName: string;
  objects: readonly EditorObject[];
  /** The ontology's box and polygon labels. */
  labels: readonly OntologyObject[];
  readOnly: boolean;
  onChange: (change: Change) => void;
  /** The view's accessible name (default "Image <imageName>"). */
  name?: string;
  /** A small read-only view (side by side with others): no tools or side panel, keys only when focused. */
  compact?: boolean;
}

function isImageObject(object: EditorObject): object is ImageObject {
  return object.kind === "bbox" || object.kind === "polygon";
}

/** A control that Space and Enter activate (the editor leaves those keys to it). */
function isControl(target: EventTarget | null): boolean {
  return isFormField(target) || target instanceof HTMLButtonElement || target instanceof HTMLAnchorElement;
}

/** A form field that uses the arrow keys, Delete and Backspace itself (radio groups included). */
function isFormField(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLInputElement || target instanceof HTMLSelectElement || target instanceof HTMLTextAreaElement
  );
}

export default function ImageEditor({
  image,
  imageName,
  objects,
  labels,
  readOnly,
  onChange,
  name,
  compact = false,
}: ImageEditorProps) {
  const bounds: Size = useMemo(
    () => ({ width: image.naturalWidth || image.width, height: image.naturalHeight || image.height }),
    [image],
  );
  const shapes = useMemo(() => objects.filter(isImageObject), [objects]);
  // Work that has shapes already (rejected work to fix, a submission to merge) opens with the
  // Select tool; an empty one with the first label's drawing tool.
  const [tool, setTool] = useState<Tool>(() =>
    readOnly || objects.some(isImageObject) ? "select" : ((labels[0]?.kind as Tool | undefined) ?? "select"),
  );
  const [labelIndex, setLabelIndex] = useState(0);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  /** The selected polygon's vertex that Alt + arrow keys move (picked with , and .). */
  const [activeVertex, setActiveVertex] = useState<number | null>(null);
  const [view, setView] = useState<View>({ scale: 1, x: 0, y: 0 });
  const [size, setSize] = useState<Size>({ width: 0, height: 0 });
  const [draftBox, setDraftBox] = useState<{ start: Point; end: Point } | null>(null);
  const [draftPolygon, setDraftPolygon] = useState<Point[]>([]);
  const [hover, setHover] = useState<Point | null>(null);
  const [panning, setPanning] = useState(false);
  const [message, setMessage] = useState("");
  const containerRef = useRef<HTMLDivElement>(null);
  const stageRef = useRef<Konva.Stage>(null);
  const transformerRef = useRef<Konva.Transformer>(null);
  const shapesLayerRef = useRef<Konva.Layer>(null);
  const fitted = useRef(false);
  const lastClick = useRef<{ at: number; screen: Point } | null>(null);
  const instructionsId = useId();

  const effectiveTool: Tool = readOnly ? "select" : tool;
  const selected = shapes.find((shape) => shape.id === selectedId) ?? null;
  const label = labels[labelIndex] ?? null;

  // The stage follows its container's size; the first size fits the image into it. The first
  // size comes from the observer too (after the page's layout), not from a measure here: the
  // page (the shape list among it) is laid out and painted once, and the stage with its shapes
  // is built in the next task, so no single task does both.
  useLayoutEffect(() => {
    const element = containerRef.current;
    if (!element) return;
    const measure = () => {
      const next = { width: element.clientWidth, height: element.clientHeight };
      setSize((previous) => (previous.width === next.width && previous.height === next.height ? previous : next));
      if (!fitted.current && next.width > 0 && next.height > 0) {
        fitted.current = true;
        setView(fitView(bounds, next));
      }
    };
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [bounds]);

  // Strokes: 2 screen pixels (3 and dashed for the selected shape) at any zoom, set on the nodes.
  useLayoutEffect(() => {
    const layer = shapesLayerRef.current;
    if (!layer) return;
    const width = 2 / view.scale;
    const chosen = 3 / view.scale;
    const dash = [8 / view.scale, 4 / view.scale];
    for (const node of layer.getChildren()) {
      if (node.name() !== SHAPE_NAME) continue;
      const shape = node as Konva.Shape;
      const isSelected = shape.id() === selectedId;
      const strokeWidth = isSelected ? chosen : width;
      if (shape.strokeWidth() !== strokeWidth) shape.strokeWidth(strokeWidth);
      if (isSelected) shape.dash(dash);
      else if (shape.getAttr("dash") !== undefined) shape.setAttr("dash", undefined);
    }
    layer.batchDraw();
  }, [view.scale, selectedId, shapes, size]);

  // The transformer (resize handles) follows the selected box.
  useEffect(() => {
    const transformer = transformerRef.current;
    const stage = stageRef.current;
    if (!transformer || !stage) return;
    const node = selected?.kind === "bbox" && !readOnly ? stage.findOne(`#${selected.id}`) : undefined;
    transformer.nodes(node ? [node] : []);
    transformer.getLayer()?.batchDraw();
  }, [selected, readOnly]);

  // A selection whose shape went away (undo, delete) is dropped.
  useEffect(() => {
    if (selectedId && !shapes.some((shape) => shape.id === selectedId)) setSelectedId(null);
  }, [shapes, selectedId]);

  // A new selection has no active vertex; one that is no longer there (undo) is dropped.
  useEffect(() => setActiveVertex(null), [selectedId]);
  const vertexCount = selected?.kind === "polygon" ? selected.points.length / 2 : 0;
  useEffect(() => {
    if (activeVertex !== null && activeVertex >= vertexCount) setActiveVertex(null);
  }, [activeVertex, vertexCount]);

  const say = useCallback((words: string) => setMessage(words), []);

  const labelIndexOf = useCallback(
    (object: { kind: string; label: string }) => {
      const exact = labels.findIndex((l) => l.kind === object.kind && l.name === object.label);
      return exact >= 0 ? exact : labels.findIndex((l) => l.name === object.label);
    },
    [labels],
  );

  // --- commands (buttons, keys and pointer all end here) ------------------------------------

  function pickLabel(index: number) {
    const next = labels[index];
    if (!next) return;
    setLabelIndex(index);
    if (readOnly) return;
    if (selected && selected.kind === next.kind && selected.label !== next.name) {
      onChange((doc) => relabel(doc, selected.id, next.name));
      say(`${kindWord(selected.kind)} relabelled ${next.name}.`);
      return;
    }
    if ((tool === "bbox" || tool === "polygon") && next.kind !== tool && next.kind !== "span") {
      cancelDraft();
      setTool(next.kind);
    }
    say(`Label ${next.name}.`);
  }

  function pickTool(next: Tool) {
    if (readOnly) return;
    cancelDraft();
    if (next !== "select" && label?.kind !== next) {
      const index = labels.findIndex((l) => l.kind === next);
      if (index < 0) {
        say(`The ontology has no ${next === "bbox" ? "box" : "polygon"} labels.`);
        return;
      }
      setLabelIndex(index);
    }
    setTool(next);
    say(
      next === "select"
        ? "Select tool."
        : next === "bbox"
          ? "Box tool: drag on the image to draw a box."
          : "Polygon tool: click to add points; Enter or double click closes the polygon.",
    );
  }

  function cancelDraft() {
    setDraftBox(null);
    setDraftPolygon([]);
    setHover(null);
  }

  /** Adds a shape; `select` it when it was made with the keyboard (so the arrow keys move it).
   * One drawn with the mouse is not selected, so the next digit key picks the next label. */
  function add(object: ImageObject, select = false) {
    onChange((doc) => addObject(doc, object));
    setSelectedId(select ? object.id : null);
    say(`${kindWord(object.kind)} added: ${object.label}.`);
  }

  function remove(id: string) {
    const object = shapes.find((shape) => shape.id === id);
    if (!object || readOnly) return;
    onChange((doc) => removeObject(doc, id));
    if (selectedId === id) setSelectedId(null);
    say(`${kindWord(object.kind)} ${object.label} deleted.`);
  }

  const removeStable = useStableCallback(remove);

  function closePolygon(points: Point[]) {
    const cleaned = dropRepeatedPoints(points, 2 / view.scale);
    setDraftPolygon([]);
    setHover(null);
    const flat = flatten(cleaned);
    if (cleaned.length < 3 || Math.abs(doubledArea(flat)) < 1e-6) {
      say("A polygon needs at least three points that are not on one line.");
      return;
    }
    if (!label || label.kind !== "polygon") return;
    add({ id: newId(), kind: "polygon", label: label.name, points: flat });
  }

  function viewCentre(): Point {
    return clampPoint(toImage(view, { x: size.width / 2, y: size.height / 2 }), bounds);
  }

  function addAtCentre() {
    if (readOnly || !label) return;
    const rect = boxAround(viewCentre(), bounds);
    if (label.kind === "bbox") {
      add({ id: newId(), kind: "bbox", label: label.name, ...rect }, true);
    } else if (label.kind === "polygon") {
      const { x, y, width, height } = rect;
      add(
        { id: newId(), kind: "polygon", label: label.name, points: [x, y, x + width, y, x + width, y + height, x, y + height] },
        true,
      );
    }
  }

  function nudge(dx: number, dy: number, resize: boolean) {
    if (!selected || readOnly) return;
    const id = selected.id;
    if (resize && selected.kind === "polygon") {
      const vertex = activeVertex ?? 0;
      if (activeVertex === null) {
        setActiveVertex(0);
        say(`Vertex 1 of ${vertexCount} picked.`);
      }
      onChange((doc) =>
        updateObject(doc, id, (object) => {
          if (object.kind !== "polygon") return object;
          const x = object.points[2 * vertex];
          const y = object.points[2 * vertex + 1];
          if (x === undefined || y === undefined) return object;
          const points = moveVertex(object.points, vertex, { x: x + dx, y: y + dy }, bounds);
          return points === object.points ? object : { ...object, points };
        }),
      );
      return;
    }
    onChange((doc) =>
      updateObject(doc, id, (object) => {
        if (object.kind === "bbox") {
          const rect = resize ? resizeRect(object, dx, dy, bounds) : translateRect(object, dx, dy, bounds);
          return { ...object, ...rect };
        }
        if (object.kind === "polygon" && !resize) return { ...object, points: translatePoints(object.points, dx, dy, bounds) };
        return object;
      }),
    );
  }

  function pickVertex(step: 1 | -1) {
    if (selected?.kind !== "polygon" || readOnly) return;
    const next = stepVertex(activeVertex, step, vertexCount);
    setActiveVertex(next);
    if (next !== null) say(`Vertex ${next + 1} of ${vertexCount} picked: Alt and the arrow keys move it.`);
  }

  function selectStep(step: 1 | -1) {
    if (shapes.length === 0) return;
    const index = shapes.findIndex((shape) => shape.id === selectedId);
    const next = shapes[(index + step + shapes.length) % shapes.length] ?? shapes[0]!;
    setSelectedId(next.id);
    say(`${kindWord(next.kind)} ${shapes.indexOf(next) + 1} of ${shapes.length} selected: ${next.label}.`);
  }

  function zoomBy(factor: number, anchor?: Point) {
    setView((current) => zoomAt(current, anchor ?? { x: size.width / 2, y: size.height / 2 }, factor));
  }

  function fit() {
    setView(fitView(bounds, size));
  }

  // --- keyboard ---------------------------------------------------------------------------

  const keyHandler = useRef<(event: KeyboardEvent) => void>(() => undefined);
  keyHandler.current = (event: KeyboardEvent) => {
    if (!shortcutAllowed(event)) return;
    // A compact view (several on a page) takes keys only while it has the focus; the main
    // editor takes those of the whole page but for the ones another view has the focus for.
    const inside = event.target instanceof Node && (containerRef.current?.contains(event.target) ?? false);
    if (compact && !inside) return;
    if (!inside && event.target instanceof Element && event.target.closest(".editor-canvas")) return;
    const key = event.key;
    const plain = !event.ctrlKey && !event.metaKey && !event.altKey;
    const control = isControl(event.target);
    const digit = digitIndex(event);
    if (digit !== null) {
      if (digit < labels.length) {
        event.preventDefault();
        pickLabel(digit);
      }
      return;
    }
    if (key === " " && !control && !event.repeat) {
      event.preventDefault();
      setPanning(true);
      return;
    }
    if (plain && (key === "+" || key === "=")) {
      event.preventDefault();
      zoomBy(ZOOM_STEP);
      return;
    }
    if (plain && (key === "-" || key === "_")) {
      event.preventDefault();
      zoomBy(1 / ZOOM_STEP);
      return;
    }
    if (plain && key === "0") {
      event.preventDefault();
      fit();
      return;
    }
    if (plain && (key === "[" || key === "]")) {
      event.preventDefault();
      selectStep(key === "]" ? 1 : -1);
      return;
    }
    if (readOnly) return;
    if (plain && !event.shiftKey) {
      const lower = key.toLowerCase();
      if (lower === "v" || lower === "b" || lower === "p") {
        event.preventDefault();
        pickTool(lower === "v" ? "select" : lower === "b" ? "bbox" : "polygon");
        return;
      }
      if (lower === "n") {
        event.preventDefault();
        addAtCentre();
        return;
      }
      if ((key === "," || key === ".") && selected?.kind === "polygon") {
        event.preventDefault();
        pickVertex(key === "." ? 1 : -1);
        return;
      }
    }
    if (key === "Enter" && draftPolygon.length > 0 && !control) {
      event.preventDefault();
      closePolygon(draftPolygon);
      return;
    }
    if (key === "Escape") {
      if (draftPolygon.length > 0 || draftBox) {
        event.preventDefault();
        cancelDraft();
        say("Drawing cancelled.");
      } else if (selectedId) {
        event.preventDefault();
        setSelectedId(null);
      }
      return;
    }
    if (isFormField(event.target)) return;
    if (key === "Backspace" && draftPolygon.length > 0) {
      event.preventDefault();
      setDraftPolygon((points) => points.slice(0, -1));
      return;
    }
    if ((key === "Delete" || key === "Backspace") && selectedId) {
      event.preventDefault();
      remove(selectedId);
      return;
    }
    const arrows: Record<string, [number, number]> = {
      ArrowLeft: [-1, 0],
      ArrowRight: [1, 0],
      ArrowUp: [0, -1],
      ArrowDown: [0, 1],
    };
    const arrow = arrows[key];
    if (arrow && selected && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      const step = event.shiftKey ? 10 : 1;
      nudge(arrow[0] * step, arrow[1] * step, event.altKey);
    }
  };

  useEffect(() => {
    const down = (event: KeyboardEvent) => keyHandler.current(event);
    const up = (event: KeyboardEvent) => {
      if (event.key === " ") setPanning(false);
    };
    const blur = () => setPanning(false);
    window.addEventListener("keydown", down);
    window.addEventListener("keyup", up);
    window.addEventListener("blur", blur);
    return () => {
      window.removeEventListener("keydown", down);
      window.removeEventListener("keyup", up);
      window.removeEventListener("blur", blur);
    };
  }, []);

  // --- pointer ----------------------------------------------------------------------------

  function pointer(): Point | null {
    const stage = stageRef.current;
    const position = stage?.getRelativePointerPosition();
    return position ? { x: position.x, y: position.y } : null;
  }

  function handlePointerDown(event: Konva.KonvaEventObject<PointerEvent>) {
    const stage = stageRef.current;
    if (!stage) return;
    containerRef.current?.focus({ preventScroll: true });
    if (event.evt.button !== 0 || panning) return;
    const onStage = event.target === stage;
    if (effectiveTool === "select") {
      if (onStage) setSelectedId(null);
      else if (shapes.some((shape) => shape.id === event.target.id())) setSelectedId(event.target.id());
      return;
    }
    const at = pointer();
    if (!at || !label) return;
    const point = clampPoint(at, bounds);
    if (effectiveTool === "bbox") {
      if (!onStage) return; // the transformer's handles
      setSelectedId(null);
      setDraftBox({ start: point, end: point });
      return;
    }
    // polygon: a click near the first point, or a second click on the same spot soon after the
    // first (a double click), closes it. Konva's own dblclick fires for any two quick clicks on
    // the stage, however far apart, so it cannot tell a double click from two quick points.
    const screen = { x: event.evt.clientX, y: event.evt.clientY };
    const previous = lastClick.current;
    lastClick.current = { at: event.evt.timeStamp, screen };
    const first = draftPolygon[0];
    if (first && draftPolygon.length >= 3 && distance(first, point) * view.scale <= CLOSE_RADIUS) {
      closePolygon(draftPolygon);
      return;
    }
    if (
      previous &&
      draftPolygon.length >= 3 &&
      event.evt.timeStamp - previous.at < DOUBLE_CLICK_MS &&
      distance(previous.screen, screen) <= DOUBLE_CLICK_SLOP
    ) {
      lastClick.current = null;
      closePolygon(draftPolygon);
      return;
    }
    setSelectedId(null);
    setDraftPolygon((points) => [...points, point]);
  }

  function handlePointerMove() {
    if (draftBox) {
      const at = pointer();
      if (at) setDraftBox((draft) => (draft ? { ...draft, end: clampPoint(at, bounds) } : draft));
    } else if (draftPolygon.length > 0) {
      const at = pointer();
      if (at) setHover(clampPoint(at, bounds));
    }
  }

  // A box being drawn ends where the pointer is released, even outside the stage.
  const finishBox = useRef<() => void>(() => undefined);
  finishBox.current = () => {
    if (!draftBox || !label || label.kind !== "bbox") {
      setDraftBox(null);
      return;
    }
    const rect = clampRect(normalizeRect(draftBox.start, draftBox.end), bounds);
    setDraftBox(null);
    if (isBoxBigEnough(rect)) add({ id: newId(), kind: "bbox", label: label.name, ...rect });
  };
  const drawing = draftBox !== null;
  useEffect(() => {
    if (!drawing) return;
    const up = () => finishBox.current();
    window.addEventListener("pointerup", up);
    return () => window.removeEventListener("pointerup", up);
  }, [drawing]);

  function handleWheel(event: Konva.KonvaEventObject<WheelEvent>) {
    event.evt.preventDefault();
    const stage = stageRef.current;
    const anchor = stage?.getPointerPosition();
    if (!anchor) return;
    zoomBy(wheelFactor(event.evt.deltaY, event.evt.deltaMode), anchor);
  }

  function handleStageDragEnd(event: Konva.KonvaEventObject<DragEvent>) {
    const stage = stageRef.current;
    if (!stage || event.target !== stage) return;
    setView((current) => ({ ...current, x: stage.x(), y: stage.y() }));
  }

  // Shape handlers read the latest props through a ref, so the memoised shapes keep one callback.
  const latest = useRef({ onChange, bounds, readOnly });
  latest.current = { onChange, bounds, readOnly };
  const shapeHandlers = useMemo<ShapeHandlers>(
    () => ({
      onBoxMoved(id, node) {
        const { bounds: b } = latest.current;
        const rect = keepRectInside({ x: node.x(), y: node.y(), width: node.width(), height: node.height() }, b);
        node.position({ x: rect.x, y: rect.y });
        latest.current.onChange((doc) =>
          updateObject(doc, id, (object) =>
            object.kind === "bbox" && (object.x !== rect.x || object.y !== rect.y) ? { ...object, x: rect.x, y: rect.y } : object,
          ),
        );
      },
      onBoxResized(id, node) {
        const { bounds: b } = latest.current;
        const width = Math.max(MIN_BOX, node.width() * node.scaleX());
        const height = Math.max(MIN_BOX, node.height() * node.scaleY());
        node.scale({ x: 1, y: 1 });
        const rect = clampRect({ x: node.x(), y: node.y(), width, height }, b);
        node.setAttrs(rect);
        latest.current.onChange((doc) => updateObject(doc, id, (object) => ({ ...object, ...rect })));
      },
      onVertexMoved(id, index, point) {
        const { bounds: b } = latest.current;
        latest.current.onChange((doc) =>
          updateObject(doc, id, (object) => {
            if (object.kind !== "polygon") return object;
            const points = moveVertex(object.points, index, point, b);
            return points === object.points ? object : { ...object, points };
          }),
        );
      },
      onPolygonMoved(id, node) {
        const dx = node.x();
        const dy = node.y();
        node.position({ x: 0, y: 0 });
        if (dx === 0 && dy === 0) return;
        const { bounds: b } = latest.current;
        latest.current.onChange((doc) =>
          updateObject(doc, id, (object) =>
            object.kind === "polygon" ? { ...object, points: translatePoints(object.points, dx, dy, b) } : object,
          ),
        );
      },
    }),
    [],
  );

  const boundBox = useCallback(
    <B extends { width: number; height: number }>(previous: B, next: B): B =>
      next.width < MIN_BOX * view.scale || next.height < MIN_BOX * view.scale ? previous : next,
    [view.scale],
  );

  // --- render -----------------------------------------------------------------------------

  const draftRect: RectShape | null = draftBox ? normalizeRect(draftBox.start, draftBox.end) : null;
  const draftColor = labelColor(labelIndex);
  const draftPoints = hover ? [...draftPolygon, hover] : draftPolygon;
  const stageDraggable = effectiveTool === "select" || panning;
  const interactive = effectiveTool === "select" && !panning;
  const stageClass = [
    "editor-canvas",
    compact ? "is-compact" : "",
    panning ? "is-panning" : "",
    effectiveTool === "select" ? "tool-select" : "tool-draw",
  ].join(" ");
  const editingPolygon = !readOnly && interactive && selected?.kind === "polygon" ? selected : null;

  const toolbar = compact ? null : (
    <div className="toolbar" role="toolbar" aria-label="Image tools">
      {!readOnly ? (
        <>
          <ToolButton tool="select" current={effectiveTool} onPick={pickTool} keyHint="V">
            Select
          </ToolButton>
          <ToolButton tool="bbox" current={effectiveTool} onPick={pickTool} keyHint="B">
            Box
          </ToolButton>
          <ToolButton tool="polygon" current={effectiveTool} onPick={pickTool} keyHint="P">
            Polygon
          </ToolButton>
          <span className="toolbar-sep" aria-hidden="true" />
        </>
      ) : null}
      <button type="button" onClick={() => zoomBy(1 / ZOOM_STEP)} aria-keyshortcuts="-">
        Zoom out
      </button>
      <button type="button" onClick={() => zoomBy(ZOOM_STEP)} aria-keyshortcuts="+">
        Zoom in
      </button>
      <button type="button" onClick={fit} aria-keyshortcuts="0">
        Fit to view
      </button>
      <output className="zoom-level" aria-label="Zoom level">
        {Math.round(view.scale * 100)}%
      </output>
      {!readOnly ? (
        <>
          <span className="toolbar-sep" aria-hidden="true" />
          <button type="button" onClick={addAtCentre} disabled={!label} aria-keyshortcuts="N">
            Add shape
          </button>
          <button
            type="button"
            onClick={() => selectedId && remove(selectedId)}
            disabled={!selectedId}
            aria-keyshortcuts="Delete"
          >
            Delete shape
          </button>
        </>
      ) : null}
    </div>
  );

  const instructions = compact
    ? "Read only. With the focus here: plus and minus zoom, 0 fits the image, the square brackets select shapes; drag to pan, the mouse wheel zooms."
    : readOnly
      ? "Read only. Zoom with the mouse wheel or the plus and minus keys; drag to pan. The shapes are listed beside the image."
      : "Draw with the Box or Polygon tool, or press N to add a shape of the current label; the arrow keys move the selected shape. Press question mark for all keyboard shortcuts.";

  return (
    <div className={compact ? "image-editor is-compact" : "image-editor"}>
      <div className="editor-main">
        {toolbar}
        <div
          ref={containerRef}
          className={stageClass}
          tabIndex={0}
          role="application"
          aria-roledescription="image editor"
          aria-label={name ?? `Image ${imageName}`}
          aria-describedby={instructionsId}
        >
          {size.width > 0 && size.height > 0 ? (
            <Stage
              ref={stageRef}
              width={size.width}
              height={size.height}
              scaleX={view.scale}
              scaleY={view.scale}
              x={view.x}
              y={view.y}
              draggable={stageDraggable}
              onPointerDown={handlePointerDown}
              onPointerMove={handlePointerMove}
              onWheel={handleWheel}
              onDragEnd={handleStageDragEnd}
            >
              <Layer listening={false}>
                <KonvaImage image={image} width={bounds.width} height={bounds.height} perfectDrawEnabled={false} />
              </Layer>
              <Layer ref={shapesLayerRef}>
                <ShapesLayer
                  shapes={shapes}
                  labelIndexOf={labelIndexOf}
                  interactive={interactive}
                  draggable={!readOnly}
                  handlers={shapeHandlers}
                />
                <Transformer
                  ref={transformerRef}
                  rotateEnabled={false}
                  flipEnabled={false}
                  keepRatio={false}
                  ignoreStroke
                  anchorSize={9}
                  borderStroke="#111"
                  anchorStroke="#111"
                  boundBoxFunc={boundBox}
                />
                {editingPolygon ? (
                  <VertexHandles
                    polygon={editingPolygon}
                    bounds={bounds}
                    scale={view.scale}
                    active={activeVertex}
                    color={labelColor(Math.max(0, labelIndexOf(editingPolygon))).stroke}
                    handlers={shapeHandlers}
                    onPick={setActiveVertex}
                  />
                ) : null}
              </Layer>
              <Layer listening={false}>
                {draftRect ? (
                  <Rect
                    {...draftRect}
                    stroke={draftColor.stroke}
                    strokeWidth={2}
                    dash={[6, 4]}
                    strokeScaleEnabled={false}
                  />
                ) : null}
                {draftPoints.length > 0 ? (
                  <Line
                    points={flatten(draftPoints)}
                    stroke={draftColor.stroke}
                    strokeWidth={2}
                    dash={[6, 4]}
                    strokeScaleEnabled={false}
                  />
                ) : null}
                {draftPolygon.map((point, index) => (
                  <Circle
                    key={index}
                    x={point.x}
                    y={point.y}
                    radius={(index === 0 ? CLOSE_RADIUS : 3) / view.scale}
                    stroke={draftColor.stroke}
                    strokeWidth={1.5}
                    strokeScaleEnabled={false}
                    fill={index === 0 ? draftColor.fill : draftColor.stroke}
                  />
                ))}
              </Layer>
            </Stage>
          ) : null}
        </div>
        <p id={instructionsId} className="visually-hidden">
          {instructions}
        </p>
        {compact ? null : (
          <p className="editor-status" role="status" aria-live="polite">
            {draftPolygon.length > 0
              ? `Polygon: ${draftPolygon.length} point${draftPolygon.length === 1 ? "" : "s"}. Click the first point, press Enter or double click to close it; Escape cancels.`
              : message}
          </p>
        )}
      </div>
      {compact ? (
        <details className="compact-list">
          <summary>Shapes ({shapes.length})</summary>
          <ShapeList
            shapes={shapes}
            selectedId={selectedId}
            labelIndexOf={labelIndexOf}
            readOnly
            onSelect={setSelectedId}
            onRemove={removeStable}
          />
        </details>
      ) : (
        <aside className="editor-side" aria-label="Labels and shapes">
          {!readOnly ? <LabelPicker labels={labels} selected={labelIndex} onSelect={pickLabel} /> : null}
          <ShapeList
            shapes={shapes}
            selectedId={selectedId}
            labelIndexOf={labelIndexOf}
            readOnly={readOnly}
            onSelect={setSelectedId}
            onRemove={removeStable}
          />
        </aside>
      )}
    </div>
  );
}

/** A callback whose identity never changes but which always runs the latest `fn` (memoised children). */
function useStableCallback<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  const ref = useRef(fn);
  ref.current = fn;
  return useCallback((...args: A) => ref.current(...args), []);
}

function ToolButton({
  tool,
  current,
  onPick,
  keyHint,
  children,
}: {
  tool: Tool;
  current: Tool;
  onPick: (tool: Tool) => void;
  keyHint: string;
  children: string;
}) {
  return (
    <button
      type="button"
      className="tool"
      aria-pressed={current === tool}
      aria-keyshortcuts={keyHint}
      onClick={() => onPick(tool)}
    >
      {children}
      <kbd aria-hidden="true">{keyHint}</kbd>
    </button>
  );
}

interface ShapeHandlers {
  onBoxMoved: (id: string, node: Konva.Node) => void;
  onBoxResized: (id: string, node: Konva.Node) => void;
  onPolygonMoved: (id: string, node: Konva.Node) => void;
  onVertexMoved: (id: string, index: number, point: Point) => void;
}

const ShapesLayer = memo(function ShapesLayer({
  shapes,
  labelIndexOf,
  interactive,
  draggable,
  handlers,
}: {
  shapes: readonly ImageObject[];
  labelIndexOf: (object: ImageObject) => number;
  interactive: boolean;
  draggable: boolean;
  handlers: ShapeHandlers;
}) {
  return (
    <>
      {shapes.map((shape) => (
        <ShapeView
          key={shape.id}
          shape={shape}
          colorIndex={labelIndexOf(shape)}
          interactive={interactive}
          draggable={draggable && interactive}
          handlers={handlers}
        />
      ))}
    </>
  );
});

/** One shape. Its stroke's width and dash are not props: they follow the zoom and the selection
 * and are set on the nodes directly (see `useStrokes`), so zooming or selecting re-renders no
 * shape, and the stroke scales with the stage (no extra canvas state per shape and frame). */
const ShapeView = memo(function ShapeView({
  shape,
  colorIndex,
  interactive,
  draggable,
  handlers,
}: {
  shape: ImageObject;
  colorIndex: number;
  interactive: boolean;
  draggable: boolean;
  handlers: ShapeHandlers;
}) {
  const color = colorIndex >= 0 ? labelColor(colorIndex) : labelColor(9);
  const common = {
    id: shape.id,
    name: SHAPE_NAME,
    stroke: color.stroke,
    fill: color.fill,
    perfectDrawEnabled: false,
    shadowForStrokeEnabled: false,
    listening: interactive,
    draggable,
  };
  if (shape.kind === "bbox") {
    return (
      <Rect
        {...common}
        x={shape.x}
        y={shape.y}
        width={shape.width}
        height={shape.height}
        onDragEnd={(event) => handlers.onBoxMoved(shape.id, event.target)}
        onTransformEnd={(event) => handlers.onBoxResized(shape.id, event.target)}
      />
    );
  }
  return (
    <Line
      {...common}
      points={shape.points}
      closed
      onDragEnd={(event) => handlers.onPolygonMoved(shape.id, event.target)}
    />
  );
});

/** The selected polygon's vertices as handles: drag one to move it. While it is dragged the
 * polygon's node is reshaped directly (no React render per frame); the document changes once,
 * when the drag ends. */
const VertexHandles = memo(function VertexHandles({
  polygon,
  bounds,
  scale,
  active,
  color,
  handlers,
  onPick,
}: {
  polygon: PolygonObject;
  bounds: Size;
  scale: number;
  active: number | null;
  color: string;
  handlers: ShapeHandlers;
  onPick: (index: number) => void;
}) {
  const drag = useRef<{ line: Konva.Line | null; points: number[] } | null>(null);
  const count = Math.floor(polygon.points.length / 2);
  const handles = [];
  for (let index = 0; index < count; index++) {
    const x = polygon.points[2 * index]!;
    const y = polygon.points[2 * index + 1]!;
    handles.push(
      <Circle
        key={index}
        name="vertex-handle"
        x={x}
        y={y}
        radius={(index === active ? 7 : 5.5) / scale}
        fill={index === active ? color : "#ffffff"}
        stroke={index === active ? "#ffffff" : color}
        strokeWidth={2}
        strokeScaleEnabled={false}
        hitStrokeWidth={8}
        perfectDrawEnabled={false}
        shadowForStrokeEnabled={false}
        draggable
        onDragStart={(event) => {
          const layer = event.target.getLayer();
          const line = layer?.findOne<Konva.Line>(`#${polygon.id}`) ?? null;
          drag.current = { line, points: polygon.points.slice() };
          onPick(index);
        }}
        onDragMove={(event) => {
          const node = event.target;
          const at = clampPoint({ x: node.x(), y: node.y() }, bounds);
          if (at.x !== node.x() || at.y !== node.y()) node.position(at);
          const current = drag.current;
          if (!current?.line) return;
          current.points[2 * index] = at.x;
          current.points[2 * index + 1] = at.y;
          current.line.points(current.points.slice());
        }}
        onDragEnd={(event) => {
          drag.current = null;
          handlers.onVertexMoved(polygon.id, index, { x: event.target.x(), y: event.target.y() });
        }}
      />,
    );
  }
  return <>{handles}</>;
});

const ShapeList = memo(function ShapeList({
  shapes,
  selectedId,
  labelIndexOf,
  readOnly,
  onSelect,
  onRemove,
}: {
  shapes: readonly ImageObject[];
  selectedId: string | null;
  labelIndexOf: (object: ImageObject) => number;
  readOnly: boolean;
  onSelect: (id: string) => void;
  onRemove: (id: string) => void;
}) {
  const headingId = useId();
  return (
    <section className="shape-list" aria-labelledby={headingId}>
      <h2 id={headingId}>Shapes ({shapes.length})</h2>
      {shapes.length === 0 ? <p className="status status-empty">No shapes yet.</p> : null}
      <ol>
        {shapes.map((shape, index) => (
          <ShapeRow
            key={shape.id}
            shape={shape}
            number={index + 1}
            colorIndex={Math.max(0, labelIndexOf(shape))}
            selected={shape.id === selectedId}
            readOnly={readOnly}
            onSelect={onSelect}
            onRemove={onRemove}
          />
        ))}
      </ol>
    </section>
  );
});

/** One row of the shape list; memoised, so a change to one shape re-renders one row. */
const ShapeRow = memo(function ShapeRow({
  shape,
  number,
  colorIndex,
  selected,
  readOnly,
  onSelect,
  onRemove,
}: {
  shape: ImageObject;
  number: number;
  colorIndex: number;
  selected: boolean;
  readOnly: boolean;
  onSelect: (id: string) => void;
  onRemove: (id: string) => void;
}) {
  const name = `${kindWord(shape.kind)} ${number}: ${shape.label}`;
  return (
    <li className={selected ? "is-selected" : undefined}>
      <span className={`swatch ${labelColor(colorIndex).className}`} aria-hidden="true" />
      <button type="button" className="shape-name" aria-pressed={selected} onClick={() => onSelect(shape.id)}>
        {name}
      </button>
      {!readOnly ? (
        <button type="button" className="small" aria-label={`Remove ${name}`} onClick={() => onRemove(shape.id)}>
          Remove
        </button>
      ) : null}
    </li>
  );
});
