// One colour per label (by its place in the ontology), the same on the canvas and in the page's
// CSS (the `.label-color-N` classes in editor.css carry the same values).

const PALETTE = [
  "#1f77b4",
  "#d62728",
  "#2ca02c",
  "#9467bd",
  "#ff7f0e",
  "#17becf",
  "#e377c2",
  "#8c564b",
  "#bcbd22",
  "#7f7f7f",
] as const;

export function labelColor(index: number): { stroke: string; fill: string; className: string } {
  const slot = ((index % PALETTE.length) + PALETTE.length) % PALETTE.length;
  const stroke = PALETTE[slot]!;
  return { stroke, fill: `${stroke}33`, className: `label-color-${slot}` };
}
