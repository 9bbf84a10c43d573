// Reminders by Web Push (imported by sw.js). A reminder of a chore carries a 完了 action that
// records it without opening the app: the tap goes into the app's offline queue (IndexedDB, the
// same store as src/offline/queue.ts, with an Idempotency-Key) and is sent from here at once,
// or, without a network, by Background Sync or the app when it next opens. Either way once.

const QUEUE_DB = "household-offline";
const QUEUE_STORE = "actions";
const SYNC_TAG = "offline-queue";
const LOCK = "offline-queue"; // the app's lock (src/offline/queue.ts)
const japanese = (self.navigator.language || "").toLowerCase().startsWith("ja");
const TEXT = japanese
  ? { done: "完了", refused: "記録できませんでした" }
  : { done: "Done", refused: "Could not be recorded" };

self.addEventListener("push", (event) => {
  let message;
  try {
    message = event.data ? event.data.json() : {};
  } catch {
    message = { body: event.data.text() };
  }
  const data = { household_id: message.household_id, chore_id: message.chore_id, due_date: message.due_date, name: message.title };
  event.waitUntil(
    self.registration.showNotification(message.title || "", {
      body: message.body || "",
      tag: message.tag,
      icon: "/icon-192.png",
      data,
      actions: message.chore_id ? [{ action: "done", title: TEXT.done }] : [],
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  const notification = event.notification;
  const data = notification.data || {};
  notification.close();
  if (event.action === "done" && data.chore_id && data.household_id) {
    event.waitUntil(completeLater(data).then(flushQueue));
    return;
  }
  const path = data.household_id ? `/h/${data.household_id}/today` : "/";
  event.waitUntil(openApp(path));
});

self.addEventListener("sync", (event) => {
  if (event.tag === SYNC_TAG) {
    // Rejecting asks the browser to try again later (with its own back-off).
    event.waitUntil(
      flushQueue().then((left) => {
        if (left) throw new Error("the network is still down");
      }),
    );
  }
});

async function openApp(path) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const open = windows.find((client) => new URL(client.url).origin === self.location.origin);
  if (open) {
    // Brought to the front only while the browser deems it the user's doing; shown either way.
    await open.focus().catch(() => undefined);
    return open.navigate(path).catch(() => undefined);
  }
  return self.clients.openWindow(path);
}

function store(mode, use) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(QUEUE_DB, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(QUEUE_STORE, { keyPath: "id", autoIncrement: true });
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const transaction = db.transaction(QUEUE_STORE, mode);
      const request = use(transaction.objectStore(QUEUE_STORE));
      transaction.oncomplete = () => {
        db.close();
        resolve(request.result);
      };
      transaction.onerror = () => {
        db.close();
        reject(transaction.error);
      };
    };
  });
}

function completeLater(data) {
  return store("readwrite", (actions) =>
    actions.add({
      householdId: Number(data.household_id),
      choreId: Number(data.chore_id),
      choreName: data.name || "",
      kind: "complete",
      doneAt: new Date().toISOString(),
      doneBy: null,
      key: self.crypto.randomUUID(),
    }),
  );
}

function send(action) {
  const base = `/api/households/${action.householdId}/chores/${action.choreId}`;
  const body =
    action.kind === "complete"
      ? { done_by: action.doneBy ?? null, done_at: action.doneAt }
      : action.kind === "skip"
        ? { done_at: action.doneAt }
        : undefined;
  return fetch(`${base}/${action.kind}`, {
    method: "POST",
    credentials: "same-origin",
    headers: {
      "Content-Type": "application/json",
      "X-Requested-With": "XMLHttpRequest",
      ...(action.key ? { "Idempotency-Key": action.key } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Sends the queue in tap order, as the app does (src/offline/queue.ts), under the same lock so
 * that the app and this worker never send one entry twice. Resolves with how many are left. */
async function flushQueue() {
  const run = async () => {
    for (const action of await store("readonly", (actions) => actions.getAll())) {
      let response;
      try {
        response = await send(action);
      } catch {
        break; // no network
      }
      const status = response.status;
      if (status >= 500 || status === 408 || status === 429) break;
      if (!response.ok) {
        await self.registration.showNotification(action.choreName, { body: TEXT.refused, tag: `refused-${action.id}` });
      }
      await store("readwrite", (actions) => actions.delete(action.id));
    }
    return store("readonly", (actions) => actions.count());
  };
  const left = await (self.navigator.locks ? self.navigator.locks.request(LOCK, run) : run());
  if (left && self.registration.sync) await self.registration.sync.register(SYNC_TAG).catch(() => undefined);
  // An open app shows the queue and the due list: it reads both again.
  for (const client of await self.clients.matchAll({ type: "window" })) client.postMessage({ type: "queue-changed" });
  return left;
}
