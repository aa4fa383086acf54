// Which key presses the editor may take as shortcuts: never while the person types in a field,
// nor while a dialog is open. Also the shortcut list the help dialog shows.

const TYPING_INPUTS = new Set(["text", "search", "email", "number", "password", "tel", "url", "date", "time"]);

export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) return TYPING_INPUTS.has(target.type);
  return false;
}

export function dialogOpen(): boolean {
  return document.querySelector("dialog[open]") !== null;
}

/** True when a shortcut may act on this key press. */
export function shortcutAllowed(event: KeyboardEvent): boolean {
  return !event.defaultPrevented && !isTypingTarget(event.target) && !dialogOpen();
}

/** The label a digit key picks: "1" → 0 ... "9" → 8; null for any other key. */
export function digitIndex(event: KeyboardEvent): number | null {
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  const match = /^Digit([1-9])$/.exec(event.code) ?? /^Numpad([1-9])$/.exec(event.code);
  if (match?.[1]) return Number(match[1]) - 1;
  if (/^[1-9]$/.test(event.key)) return Number(event.key) - 1;
  return null;
}

export function isUndo(event: KeyboardEvent): boolean {
  return (event.ctrlKey || event.metaKey) && !event.shiftKey && event.key.toLowerCase() === "z";
}

export function isRedo(event: KeyboardEvent): boolean {
  const key = event.key.toLowerCase();
  return (event.ctrlKey || event.metaKey) && ((event.shiftKey && key === "z") || (!event.shiftKey && key === "y"));
}

/** Ctrl + Enter (⌘ + Enter on a Mac): submit the task. Allowed in a field too (not in a dialog). */
export function isSubmit(event: KeyboardEvent): boolean {
  return (event.ctrlKey || event.metaKey) && !event.altKey && event.key === "Enter";
}

/** Ctrl + S (Cmd + S): save the draft, from anywhere on the page (the browser's "save page" is not
 * what a person labeling means). */
export function isSaveDraft(event: KeyboardEvent): boolean {
  return (event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && event.key.toLowerCase() === "s";
}

export interface Shortcut {
  keys: string;
  action: string;
}

/** How the page is walked with the keyboard (every action has a control in this order). */
export const FOCUS_ORDER: Shortcut[] = [
  {
    keys: "Tab, Shift + Tab",
    action:
      "Move through the task's actions, the tools, the image or text, the labels, the shapes or spans, the classifications and Submit, in that order",
  },
  { keys: "Enter, Space", action: "Press the focused button; Space ticks the focused choice" },
];

export const COMMON_SHORTCUTS: Shortcut[] = [
  { keys: "Ctrl + Z", action: "Undo" },
  { keys: "Ctrl + Shift + Z, Ctrl + Y", action: "Redo" },
  { keys: "Ctrl + Enter", action: "Submit (or, when merging a consensus, approve the merge)" },
  { keys: "Ctrl + S", action: "Save a draft on the server (not submitted; you find it again anywhere)" },
];

/** What every page of a task has, read-only ones included. */
export const HELP_SHORTCUTS: Shortcut[] = [
  { keys: "?", action: "Show these shortcuts" },
  { keys: "Escape", action: "Close this dialog" },
];

export const IMAGE_SHORTCUTS: Shortcut[] = [
  { keys: "1 – 9", action: "Pick a label (and relabel the selected shape)" },
  { keys: "V", action: "Select tool: click a shape to select it, drag to move it, drag the image to pan" },
  { keys: "B", action: "Box tool: drag to draw a box" },
  { keys: "P", action: "Polygon tool: click to add points" },
  { keys: "Enter, double click", action: "Close the polygon being drawn" },
  { keys: "Backspace (while drawing)", action: "Remove the polygon's last point" },
  { keys: "Escape", action: "Cancel the drawing, or clear the selection" },
  { keys: "N", action: "Add a shape of the current label in the middle of the view (it is selected)" },
  { keys: "[ and ]", action: "Select the previous or next shape" },
  { keys: "Arrow keys (Shift: 10 px)", action: "Move the selected shape" },
  { keys: "Alt + arrow keys", action: "Resize the selected box from its lower right corner" },
  { keys: ", and .", action: "Pick the previous or next vertex of the selected polygon" },
  { keys: "Alt + arrow keys (polygon)", action: "Move the picked vertex of the selected polygon" },
  { keys: "Drag a vertex handle", action: "Move that vertex of the selected polygon (Select tool)" },
  { keys: "Delete, Backspace", action: "Delete the selected shape" },
  { keys: "+ and −, mouse wheel", action: "Zoom in and out" },
  { keys: "0", action: "Fit the image to the view" },
  { keys: "Space + drag", action: "Pan with any tool" },
];

export const TEXT_SHORTCUTS: Shortcut[] = [
  { keys: "Mouse, or Shift + arrow keys in the text", action: "Select text" },
  { keys: "Ctrl + Shift + arrow keys in the text", action: "Select by word" },
  { keys: "Home, End (with Shift)", action: "Go (select) to the start or the end of the text" },
  { keys: "1 – 9", action: "Label the selected text with that label" },
];

/** A read-only image: looking only. */
export const VIEW_IMAGE_SHORTCUTS: Shortcut[] = [
  { keys: "[ and ]", action: "Select the previous or next shape" },
  { keys: "+ and −, mouse wheel", action: "Zoom in and out" },
  { keys: "0", action: "Fit the image to the view" },
  { keys: "Drag", action: "Pan" },
  {
    keys: "Tab to a side-by-side view",
    action: "Its own zoom (+, −, 0) and shape selection ([ and ]) work while it has the focus",
  },
];

export const VIEW_TEXT_SHORTCUTS: Shortcut[] = [
  { keys: "Arrow keys, Shift + arrow keys in the text", action: "Move through the text, select it" },
];
