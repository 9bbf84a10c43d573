// The app's one queue of offline taps: what the screens read, and when it is sent.
import type { QueryClient } from "@tanstack/react-query";
import { useSyncExternalStore } from "react";
import { api, ApiError, call } from "../api/client";
import { createQueue, indexedDbStorage, type PendingAction, type Rejected } from "./queue";

export const pending = createQueue(indexedDbStorage);

export function usePending(): PendingAction[] {
  return useSyncExternalStore(pending.subscribe, pending.snapshot);
}

function send(action: PendingAction): Promise<unknown> {
  const params = { path: { household_id: action.householdId, chore_id: action.choreId } };
  const headers = action.key ? { "Idempotency-Key": action.key } : {};
  if (action.kind === "complete") {
    return call(
      api.POST("/api/households/{household_id}/chores/{chore_id}/complete", {
        params,
        headers,
        body: { done_by: action.doneBy ?? null, done_at: action.doneAt },
      }),
    );
  }
  if (action.kind === "skip") {
    return call(
      api.POST("/api/households/{household_id}/chores/{chore_id}/skip", {
        params,
        headers,
        body: { done_at: action.doneAt },
      }),
    );
  }
  return call(api.POST("/api/households/{household_id}/chores/{chore_id}/undo", { params, headers }));
}

type RejectedListener = (rejected: Rejected[]) => void;
const rejectedListeners = new Set<RejectedListener>();

/** Called with the taps the server refused when they were finally sent (shown to the user). */
export function onRejected(listener: RejectedListener): () => void {
  rejectedListeners.add(listener);
  return () => rejectedListeners.delete(listener);
}

const RETRY_MS = 30_000;

/** Loads the queue and sends it now, whenever the network returns, and every 30 s meanwhile. */
export function startSync(client: QueryClient): void {
  const flush = async () => {
    if (!navigator.onLine || pending.snapshot().length === 0) return;
    const rejected = await pending.flush(send);
    void client.invalidateQueries();
    if (rejected.length) for (const listener of rejectedListeners) listener(rejected);
  };
  // Without IndexedDB (some private modes) nothing is kept across reloads.
  pending.load().then(flush, () => undefined);
  window.addEventListener("online", () => void flush());
  // The service worker records a notification's 完了 through the same queue (public/sw-push.js).
  navigator.serviceWorker?.addEventListener("message", (event: MessageEvent<{ type?: string }>) => {
    if (event.data?.type !== "queue-changed") return;
    // What the worker could not send goes with the app's next flush: now, if the network is
    // back (its "online" event may have come before this load had read the entries).
    void pending.load().then(flush, () => undefined);
    void client.invalidateQueries();
  });
  window.setInterval(() => void flush(), RETRY_MS);
}

/** Whether a failed request never reached the server, so the tap should wait on the device. */
export function isOffline(error: unknown): boolean {
  return !navigator.onLine || (error instanceof ApiError && error.status === 0);
}
