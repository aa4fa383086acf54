// A radio group of labels, with the digit key that picks each (1-9).

import { useId } from "react";
import type { OntologyObject } from "../api/types";
import { labelColor } from "./colors";

const KIND_WORDS: Record<OntologyObject["kind"], string> = { bbox: "box", polygon: "polygon", span: "span" };

export function LabelPicker({
  labels,
  selected,
  onSelect,
  disabled = false,
  legend = "Label",
}: {
  labels: readonly OntologyObject[];
  selected: number;
  onSelect: (index: number) => void;
  disabled?: boolean;
  legend?: string;
}) {
  const name = useId();
  return (
    <fieldset className="label-picker" disabled={disabled}>
      <legend>{legend}</legend>
      {labels.length === 0 ? <p className="status status-empty">The ontology has no labels of this kind.</p> : null}
      {labels.map((label, index) => (
        <label key={`${label.kind}:${label.name}`} className="label-option">
          <input
            type="radio"
            name={name}
            value={index}
            checked={index === selected}
            onChange={() => onSelect(index)}
          />
          <span className={`swatch ${labelColor(index).className}`} aria-hidden="true" />
          <span className="label-name">{label.name}</span>
          <span className="label-kind">{KIND_WORDS[label.kind]}</span>
          {index < 9 ? (
            <kbd className="label-key" aria-hidden="true">
              {index + 1}
            </kbd>
          ) : null}
        </label>
      ))}
    </fieldset>
  );
}
