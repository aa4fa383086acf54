// The "Keyboard shortcuts" dialog: a modal <dialog> (focus is trapped and returned by the browser;
// Escape closes it), opened by its button or by "?".

import { forwardRef, useId, useImperativeHandle, useRef } from "react";
import { COMMON_SHORTCUTS, type Shortcut } from "./keys";

export interface ShortcutsDialogHandle {
  open: () => void;
}

export const ShortcutsDialog = forwardRef<ShortcutsDialogHandle, { shortcuts: Shortcut[] }>(
  function ShortcutsDialog({ shortcuts }, ref) {
    const dialog = useRef<HTMLDialogElement>(null);
    const titleId = useId();
    useImperativeHandle(ref, () => ({
      open: () => {
        if (dialog.current && !dialog.current.open) dialog.current.showModal();
      },
    }));
    const all = [...shortcuts, ...COMMON_SHORTCUTS];
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
