// Work not yet submitted, kept in this tab's memory only: a person who leaves a task (after the
// app asked) and comes back finds their changes again, until they reload or close the tab.
// Never written to localStorage, sessionStorage or IndexedDB: those would keep a customer's
// labels unencrypted on the computer after the session. Pure (drafts.test.ts).

/** A draft belongs to one task as it was when the draft began: its version, and the annotation
 * version the editor started from. A task changed since (reviewed, reassigned) drops its draft. */
export interface DraftBasis {
  taskVersion: number;
  startVersionId: string | null;
}

export interface Draft<T> extends DraftBasis {
  value: T;
}

export class DraftStore<T> {
  private readonly drafts = new Map<string, Draft<T>>();

  constructor(private readonly limit = 20) {}

  /** The draft for `key` made on the same basis, or null (a stale one is dropped). */
  get(key: string, basis: DraftBasis): T | null {
    const draft = this.drafts.get(key);
    if (!draft) return null;
    if (draft.taskVersion !== basis.taskVersion || draft.startVersionId !== basis.startVersionId) {
      this.drafts.delete(key);
      return null;
    }
    return draft.value;
  }

  /** Keeps `value` for `key`; the oldest drafts go past `limit` (memory is not unbounded). */
  set(key: string, basis: DraftBasis, value: T): void {
    this.drafts.delete(key);
    this.drafts.set(key, { ...basis, value });
    while (this.drafts.size > this.limit) {
      const oldest = this.drafts.keys().next().value;
      if (oldest === undefined) break;
      this.drafts.delete(oldest);
    }
  }

  delete(key: string): void {
    this.drafts.delete(key);
  }

  has(key: string): boolean {
    return this.drafts.has(key);
  }

  get size(): number {
    return this.drafts.size;
  }
}
