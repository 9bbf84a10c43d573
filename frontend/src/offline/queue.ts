// Taps made without a network (完了, skip, undo) are kept on the device, in order, and sent
// when it returns: in IndexedDB, so a reload or a closed tab loses nothing. Each entry carries
// the time of the tap, which becomes the completion's time.
import { ApiError } from "../api/client";

export type PendingKind = "complete" | "skip" | "undo";
export type PendingAction = {
  id?: number;
  householdId: number;
  choreId: number;
  choreName: string;
  kind: PendingKind;
  /** ISO instant of the tap (complete and skip). */
  doneAt: string;
  /** Recorded for someone else (complete); null: the person who tapped. */
  doneBy?: number | null;
  /** Sent as Idempotency-Key, so that a server which honours it records a resent tap once. */
  key?: string;
};

function newKey(): string {
  // randomUUID exists only in secure contexts (https, localhost); a LAN http address is not one.
  return crypto.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** Where the entries live: IndexedDB in the browser, memory in unit tests. */
export type QueueStorage = {
  all: () => Promise<PendingAction[]>;
  add: (action: PendingAction) => Promise<number>;
  remove: (id: number) => Promise<void>;
};

/** Sends one entry to the API; throws an ApiError when it fails. */
export type Sender = (action: PendingAction) => Promise<unknown>;

/** Entries the server refused (4xx: the chore was deleted, nothing to undo...). */
export type Rejected = { action: PendingAction; error: ApiError };

export function createQueue(storage: QueueStorage) {
  let entries: PendingAction[] = [];
  const listeners = new Set<() => void>();
  const changed = async () => {
    const now = await storage.all();
    // An empty queue stays the same snapshot: loading it renders nothing again.
    if (now.length === 0 && entries.length === 0) return;
    entries = now;
    for (const listener of listeners) listener();
  };
  let flushing: Promise<Rejected[]> | null = null;

  async function sendAll(send: Sender): Promise<Rejected[]> {
    const rejected: Rejected[] = [];
    for (const action of await storage.all()) {
      try {
        await send(action);
      } catch (error) {
        // Unreachable or a server failure: keep it and the ones after it, in order.
        if (!(error instanceof ApiError) || error.status === 0 || error.status >= 500) break;
        // 408 and 429 are "not now", not "never".
        if (error.status === 408 || error.status === 429) break;
        rejected.push({ action, error });
      }
      await storage.remove(action.id as number);
      await changed();
    }
    return rejected;
  }

  return {
    load: changed,
    /** The entries in tap order (a snapshot for useSyncExternalStore). */
    snapshot: () => entries,
    subscribe(listener: () => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async add(action: PendingAction): Promise<number> {
      const id = await storage.add({ ...action, key: newKey() });
      await changed();
      return id;
    },
    /** Takes back a tap not sent yet (undo while still offline). */
    async cancel(id: number): Promise<void> {
      await storage.remove(id);
      await changed();
    },
    /** Sends everything, once at a time across calls; resolves with what the server refused. */
    flush(send: Sender): Promise<Rejected[]> {
      if (flushing) return flushing;
      const run = async () => {
        try {
          // One tab at a time, so that two open tabs never send the same entry twice.
          if (navigator.locks) return await navigator.locks.request("offline-queue", () => sendAll(send));
          return await sendAll(send);
        } finally {
          flushing = null;
        }
      };
      flushing = run();
      return flushing;
    },
  };
}

export type Queue = ReturnType<typeof createQueue>;

const DB = "household-offline";
const STORE = "actions";

function request<T>(make: (store: IDBObjectStore) => IDBRequest<T>, mode: IDBTransactionMode): Promise<T> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(DB, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
    open.onerror = () => reject(open.error ?? new Error("IndexedDB unavailable"));
    open.onsuccess = () => {
      const db = open.result;
      const transaction = db.transaction(STORE, mode);
      const req = make(transaction.objectStore(STORE));
      transaction.oncomplete = () => {
        db.close();
        resolve(req.result);
      };
      transaction.onerror = () => {
        db.close();
        reject(transaction.error ?? new Error("IndexedDB failed"));
      };
    };
  });
}

export const indexedDbStorage: QueueStorage = {
  all: () => request((store) => store.getAll() as IDBRequest<PendingAction[]>, "readonly"),
  add: (action) => request((store) => store.add(action) as IDBRequest<number>, "readwrite"),
  remove: (id) => request((store) => store.delete(id), "readwrite"),
};
