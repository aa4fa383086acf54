// The annotation being edited: the api's payload with a local id on each object (for selection
// and React keys), polygons as flat point lists (konva's form), spans in the api's character
// offsets (Unicode code points). Pure, immutable operations; the history reducer records them.

import type { AnnotationPayload, ObjectPayload } from "../api/types";
import { pairs, round2 } from "./geometry";

export interface BoxObject {
  id: string;
  kind: "bbox";
  label: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PolygonObject {
  id: string;
  kind: "polygon";
  label: string;
  /** Flat [x0, y0, x1, y1, ...] in image pixels. */
  points: number[];
}

export interface SpanObject {
  id: string;
  kind: "span";
  label: string;
  /** Code point offsets into the text, end exclusive (the api's). */
  start: number;
  end: number;
}

export type EditorObject = BoxObject | PolygonObject | SpanObject;

export interface AnnotationDoc {
  readonly objects: readonly EditorObject[];
  readonly classifications: Readonly<Record<string, readonly string[]>>;
}

export const EMPTY_DOC: AnnotationDoc = { objects: [], classifications: {} };

let counter = 0;

/** A local id, unique in this page's life (never sent to the api). */
export function newId(): string {
  counter += 1;
  return `o${counter}`;
}

export function fromPayload(payload: AnnotationPayload | null | undefined): AnnotationDoc {
  if (!payload) return EMPTY_DOC;
  const objects: EditorObject[] = [];
  for (const object of payload.objects ?? []) {
    switch (object.kind) {
      case "bbox":
        objects.push({ ...object, id: newId() });
        break;
      case "polygon":
        objects.push({ id: newId(), kind: "polygon", label: object.label, points: object.points.flat() });
        break;
      case "span":
        objects.push({ ...object, id: newId() });
        break;
    }
  }
  const classifications: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(payload.classifications ?? {})) classifications[name] = [...values];
  return { objects, classifications };
}

export function toPayload(doc: AnnotationDoc): AnnotationPayload {
  const objects: ObjectPayload[] = doc.objects.map((object): ObjectPayload => {
    switch (object.kind) {
      case "bbox":
        return {
          kind: "bbox",
          label: object.label,
          x: round2(object.x),
          y: round2(object.y),
          width: round2(object.width),
          height: round2(object.height),
        };
      case "polygon":
        return {
          kind: "polygon",
          label: object.label,
          points: pairs(object.points).map(([x, y]) => [round2(x), round2(y)]),
        };
      case "span":
        return { kind: "span", label: object.label, start: object.start, end: object.end };
    }
  });
  const classifications: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(doc.classifications)) {
    if (values.length > 0) classifications[name] = [...values];
  }
  return { objects, classifications };
}

export function addObject(doc: AnnotationDoc, object: EditorObject): AnnotationDoc {
  return { ...doc, objects: [...doc.objects, object] };
}

/** Replaces one object (by id) with `change(object)`; the same doc if nothing changed. */
export function updateObject(
  doc: AnnotationDoc,
  id: string,
  change: (object: EditorObject) => EditorObject,
): AnnotationDoc {
  const index = doc.objects.findIndex((object) => object.id === id);
  if (index < 0) return doc;
  const current = doc.objects[index]!;
  const next = change(current);
  if (next === current) return doc;
  const objects = doc.objects.slice();
  objects[index] = next;
  return { ...doc, objects };
}

export function removeObject(doc: AnnotationDoc, id: string): AnnotationDoc {
  const objects = doc.objects.filter((object) => object.id !== id);
  return objects.length === doc.objects.length ? doc : { ...doc, objects };
}

export function relabel(doc: AnnotationDoc, id: string, label: string): AnnotationDoc {
  return updateObject(doc, id, (object) => (object.label === label ? object : { ...object, label }));
}

/** Sets a classification's answers; a single-choice question keeps one answer. */
export function setClassification(doc: AnnotationDoc, name: string, values: readonly string[]): AnnotationDoc {
  const current = doc.classifications[name] ?? [];
  if (current.length === values.length && current.every((value, i) => value === values[i])) return doc;
  return { ...doc, classifications: { ...doc.classifications, [name]: [...values] } };
}

export function toggleOption(values: readonly string[], option: string, multiple: boolean): string[] {
  if (!multiple) return [option];
  return values.includes(option) ? values.filter((value) => value !== option) : [...values, option];
}

export function kindWord(kind: EditorObject["kind"]): string {
  return kind === "bbox" ? "Box" : kind === "polygon" ? "Polygon" : "Span";
}
