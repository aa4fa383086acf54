// The text editor: the item's text with its spans highlighted. Select text with the mouse, or
// with Shift + arrow keys once the text has focus, then press a label button (or its digit key)
// to make a span. Spans are listed with "Remove" buttons. Offsets go to the api in code points.

import { memo, useCallback, useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from "react";
import type { OntologyObject } from "../api/types";
import { labelColor } from "./colors";
import { addObject, newId, removeObject, type AnnotationDoc, type EditorObject, type SpanObject } from "./document";
import { digitIndex, shortcutAllowed } from "./keys";
import { excerpt, offsetMap, segments, wordBoundary, type OffsetMap } from "./text";

type Change = (doc: AnnotationDoc) => AnnotationDoc;

export interface TextEditorProps {
  text: string;
  objects: readonly EditorObject[];
  /** The ontology's span labels. */
  labels: readonly OntologyObject[];
  readOnly: boolean;
  onChange: (change: Change) => void;
  /** The text's accessible name (default "Text to label"). */
  name?: string;
  /** A small read-only view (side by side with others): no side panel. */
  compact?: boolean;
}

interface Selection {
  /** Code units, anchor and focus (focus may be before anchor). */
  anchor: number;
  focus: number;
}

/** The code unit offset of a DOM position inside `root`. */
function offsetIn(root: Node, node: Node, offset: number): number {
  const range = document.createRange();
  range.setStart(root, 0);
  range.setEnd(node, offset);
  return range.toString().length;
}

/** The DOM position of a code unit offset inside `root`. */
function positionOf(root: Node, offset: number): { node: Node; offset: number } {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let remaining = offset;
  let last: Text | null = null;
  for (let node = walker.nextNode() as Text | null; node; node = walker.nextNode() as Text | null) {
    if (remaining <= node.length) return { node, offset: remaining };
    remaining -= node.length;
    last = node;
  }
  return last ? { node: last, offset: last.length } : { node: root, offset: 0 };
}

function readSelection(root: HTMLElement): Selection | null {
  const selection = window.getSelection();
  if (!selection || selection.rangeCount === 0 || !selection.anchorNode || !selection.focusNode) return null;
  if (!root.contains(selection.anchorNode) || !root.contains(selection.focusNode)) return null;
  return {
    anchor: offsetIn(root, selection.anchorNode, selection.anchorOffset),
    focus: offsetIn(root, selection.focusNode, selection.focusOffset),
  };
}

function writeSelection(root: HTMLElement, next: Selection): void {
  const selection = window.getSelection();
  if (!selection) return;
  const anchor = positionOf(root, next.anchor);
  const focus = positionOf(root, next.focus);
  selection.setBaseAndExtent(anchor.node, anchor.offset, focus.node, focus.offset);
}

/** One character (a whole surrogate pair) left or right of `unit`. */
function stepChar(map: OffsetMap, unit: number, direction: 1 | -1): number {
  const point = map.toCodePoint(unit);
  return map.toCodeUnit(point + direction);
}

export default function TextEditor({
  text,
  objects,
  labels,
  readOnly,
  onChange,
  name,
  compact = false,
}: TextEditorProps) {
  const map = useMemo(() => offsetMap(text), [text]);
  const spans = useMemo(() => objects.filter((o): o is SpanObject => o.kind === "span"), [objects]);
  const rootRef = useRef<HTMLDivElement>(null);
  const caret = useRef<Selection>({ anchor: 0, focus: 0 });
  const lastSelection = useRef<Selection | null>(null);
  const [selectionWords, setSelectionWords] = useState("No text selected.");
  const [message, setMessage] = useState("");
  const labelsId = useId();
  const instructionsId = useId();

  const labelIndexOf = useCallback(
    (span: SpanObject) => {
      const exact = labels.findIndex((l) => l.name === span.label);
      return exact >= 0 ? exact : 9;
    },
    [labels],
  );

  // Follow the selection the person makes, with the mouse or the keyboard.
  useEffect(() => {
    const update = () => {
      const root = rootRef.current;
      if (!root) return;
      const current = readSelection(root);
      if (!current) return;
      caret.current = current;
      const start = Math.min(current.anchor, current.focus);
      const end = Math.max(current.anchor, current.focus);
      if (start === end) {
        lastSelection.current = null;
        setSelectionWords("No text selected.");
        return;
      }
      lastSelection.current = current;
      setSelectionWords(
        `Selected characters ${map.toCodePoint(start) + 1} to ${map.toCodePoint(end)}: “${excerpt(text.slice(start, end), 60)}”.`,
      );
    };
    document.addEventListener("selectionchange", update);
    return () => document.removeEventListener("selectionchange", update);
  }, [map, text]);

  function makeSpan(index: number) {
    const label = labels[index];
    if (!label || readOnly) return;
    const root = rootRef.current;
    const current = (root ? readSelection(root) : null) ?? lastSelection.current;
    if (!current || current.anchor === current.focus) {
      setMessage("Select some text first, then pick its label.");
      return;
    }
    let start = Math.min(current.anchor, current.focus);
    let end = Math.max(current.anchor, current.focus);
    while (start < end && /\s/.test(text[start] ?? "")) start++;
    while (end > start && /\s/.test(text[end - 1] ?? "")) end--;
    if (start === end) {
      setMessage("The selection is only white space.");
      return;
    }
    const span: SpanObject = {
      id: newId(),
      kind: "span",
      label: label.name,
      start: map.toCodePoint(start),
      end: map.toCodePoint(end),
    };
    if (spans.some((s) => s.label === span.label && s.start === span.start && s.end === span.end)) {
      setMessage(`That text is already labelled ${label.name}.`);
      return;
    }
    onChange((doc) => addObject(doc, span));
    lastSelection.current = null;
    window.getSelection()?.removeAllRanges();
    setMessage(`Span added: ${label.name}, “${excerpt(text.slice(start, end))}”.`);
    root?.focus({ preventScroll: true });
  }

  const removeSpan = useCallback(
    (span: SpanObject) => {
      onChange((doc) => removeObject(doc, span.id));
      setMessage(`Span ${span.label} removed.`);
    },
    [onChange],
  );

  // Digit keys label the selection (wherever the focus is, except in a field).
  const keyHandler = useRef<(event: globalThis.KeyboardEvent) => void>(() => undefined);
  keyHandler.current = (event) => {
    if (readOnly || !shortcutAllowed(event)) return;
    const digit = digitIndex(event);
    if (digit !== null && digit < labels.length) {
      event.preventDefault();
      makeSpan(digit);
    }
  };
  useEffect(() => {
    const down = (event: globalThis.KeyboardEvent) => keyHandler.current(event);
    window.addEventListener("keydown", down);
    return () => window.removeEventListener("keydown", down);
  }, []);

  // Keyboard selection inside the text (static text has no caret of its own).
  function handleTextKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    const root = rootRef.current;
    if (!root) return;
    const current = readSelection(root) ?? caret.current;
    const byWord = event.ctrlKey || event.altKey;
    let focus: number | null = null;
    switch (event.key) {
      case "ArrowRight":
        focus = byWord ? wordBoundary(text, current.focus, 1) : stepChar(map, current.focus, 1);
        break;
      case "ArrowLeft":
        focus = byWord ? wordBoundary(text, current.focus, -1) : stepChar(map, current.focus, -1);
        break;
      case "Home":
        focus = 0;
        break;
      case "End":
        focus = text.length;
        break;
      case "a":
      case "A":
        if (event.ctrlKey || event.metaKey) {
          event.preventDefault();
          writeSelection(root, { anchor: 0, focus: text.length });
        }
        return;
      default:
        return;
    }
    event.preventDefault();
    const next = event.shiftKey ? { anchor: current.anchor, focus } : { anchor: focus, focus };
    caret.current = next;
    writeSelection(root, next);
  }

  const pieces = useMemo(() => {
    const unitSpans = spans.map((span) => ({ start: map.toCodeUnit(span.start), end: map.toCodeUnit(span.end) }));
    return segments(text.length, unitSpans);
  }, [spans, map, text.length]);

  return (
    <div className={compact ? "text-editor is-compact" : "text-editor"}>
      <div className="editor-main">
        {!readOnly ? (
          <div className="toolbar" role="group" aria-labelledby={labelsId}>
            <span id={labelsId} className="toolbar-label">
              Label the selection:
            </span>
            {labels.length === 0 ? <span className="status-empty">The ontology has no span labels.</span> : null}
            {labels.map((label, index) => (
              <button
                key={label.name}
                type="button"
                className="label-button"
                aria-keyshortcuts={index < 9 ? String(index + 1) : undefined}
                onMouseDown={(event) => event.preventDefault()}
                onClick={() => makeSpan(index)}
              >
                <span className={`swatch ${labelColor(index).className}`} aria-hidden="true" />
                {label.name}
                {index < 9 ? <kbd aria-hidden="true">{index + 1}</kbd> : null}
              </button>
            ))}
          </div>
        ) : null}
        <div
          ref={rootRef}
          className="text-content"
          tabIndex={0}
          role="textbox"
          aria-readonly="true"
          aria-multiline="true"
          aria-label={name ?? "Text to label"}
          aria-describedby={instructionsId}
          onKeyDown={handleTextKeyDown}
        >
          {pieces.map((piece) => {
            const slice = text.slice(piece.start, piece.end);
            if (piece.covering.length === 0) return slice;
            const first = spans[piece.covering[0]!]!;
            const names = piece.covering.map((i) => spans[i]!.label).join(", ");
            const color = labelColor(labelIndexOf(first)).className;
            return (
              <mark
                key={piece.start}
                className={`span-mark ${color}${piece.covering.length > 1 ? " is-overlap" : ""}`}
                title={names}
              >
                {slice}
              </mark>
            );
          })}
        </div>
        <p id={instructionsId} className="visually-hidden">
          {readOnly
            ? "Read only. The labelled spans are marked in the text."
            : "Select text with the mouse, or with Shift and the arrow keys, then press a label button or its number key."}
        </p>
        {compact ? null : (
          <p className="editor-status" role="status" aria-live="polite">
            {selectionWords} {message}
          </p>
        )}
      </div>
      {compact ? (
        <details className="compact-list">
          <summary>Spans ({spans.length})</summary>
          <SpanList text={text} map={map} spans={spans} readOnly labelIndexOf={labelIndexOf} onRemove={removeSpan} />
        </details>
      ) : (
        <aside className="editor-side" aria-label="Spans">
          <SpanList text={text} map={map} spans={spans} readOnly={readOnly} labelIndexOf={labelIndexOf} onRemove={removeSpan} />
        </aside>
      )}
    </div>
  );
}

const SpanList = memo(function SpanList({
  text,
  map,
  spans,
  readOnly,
  labelIndexOf,
  onRemove,
}: {
  text: string;
  map: OffsetMap;
  spans: readonly SpanObject[];
  readOnly: boolean;
  labelIndexOf: (span: SpanObject) => number;
  onRemove: (span: SpanObject) => void;
}) {
  const headingId = useId();
  return (
    <section className="shape-list" aria-labelledby={headingId}>
      <h2 id={headingId}>Spans ({spans.length})</h2>
      {spans.length === 0 ? <p className="status status-empty">No spans yet.</p> : null}
      <ol>
        {spans.map((span) => {
          const words = excerpt(text.slice(map.toCodeUnit(span.start), map.toCodeUnit(span.end)));
          return (
            <li key={span.id}>
              <span className={`swatch ${labelColor(labelIndexOf(span)).className}`} aria-hidden="true" />
              <span className="span-text">
                <strong>{span.label}</strong> “{words}”
              </span>
              {!readOnly ? (
                <button
                  type="button"
                  className="small"
                  aria-label={`Remove span ${span.label} “${words}”`}
                  onClick={() => onRemove(span)}
                >
                  Remove
                </button>
              ) : null}
            </li>
          );
        })}
      </ol>
    </section>
  );
});
