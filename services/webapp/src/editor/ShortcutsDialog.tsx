// The "Keyboard shortcuts" dialog: a modal <dialog> (focus is trapped and returned by the browser;
// Escape closes it), opened by its button or by "?". It lists the editor's keys, the task's
// (undo, redo, submit) when it can be edited, and how Tab walks the page.

import { forwardRef, useId, useImperativeHandle, useRef } from "react";
import { COMMON_SHORTCUTS, FOCUS_ORDER, HELP_SHORTCUTS, type Shortcut } from "./keys";

export interface ShortcutsDialogHandle {
  open: () => void;
}

export const ShortcutsDialog = forwardRef<ShortcutsDialogHandle, { shortcuts: Shortcut[]; editing: boolean }>(
  function ShortcutsDialog({ shortcuts, editing }, ref) {
    const dialog = useRef<HTMLDialogElement>(null);
    const titleId = useId();
    useImperativeHandle(ref, () => ({
      open: () => {
        if (dialog.current && !dialog.current.open) dialog.current.showModal();
      },
    }));
    const all = [...shortcuts, ...(editing ? COMMON_SHORTCUTS : []), ...HELP_SHORTCUTS, ...FOCUS_ORDER];
    return (
      <dialog ref={dialog} className="dialog" aria-labelledby={titleId}>
        <h2 id={titleId}>Keyboard shortcuts</h2>
        <table className="table shortcuts">
          <thead>
            <tr>
              <th scope="col">Keys</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            {all.map((shortcut) => (
              <tr key={shortcut.keys + shortcut.action}>
                <td>
                  <kbd>{shortcut.keys}</kbd>
                </td>
                <td>{shortcut.action}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="dialog-actions">
          <button type="button" autoFocus onClick={() => dialog.current?.close()}>
            Close
          </button>
        </p>
      </dialog>
    );
  },
);
