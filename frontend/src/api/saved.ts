// The last answer of the reads a person needs on the go (who they are, their households, what
// is due, the chores) is kept on the device, so these screens stay readable offline: it is shown
// at once and fetched again (updated at 0: always stale). Logging in or out forgets it.
const SAVED = "saved:";

export function saved<T>(key: readonly unknown[]) {
  const id = SAVED + JSON.stringify(key);
  return {
    initialData: (): T | undefined => {
      try {
        const raw = localStorage.getItem(id);
        return raw ? (JSON.parse(raw) as T) : undefined;
      } catch {
        return undefined;
      }
    },
    initialDataUpdatedAt: 0,
    save: (data: T): T => {
      try {
        localStorage.setItem(id, JSON.stringify(data));
      } catch {
        // Full or refused storage: only offline reading is lost.
      }
      return data;
    },
  };
}

/** Forgets every saved answer (another person may use the device next). */
export function forgetSaved(): void {
  try {
    for (const key of Object.keys(localStorage)) if (key.startsWith(SAVED)) localStorage.removeItem(key);
  } catch {
    // Nothing was saved without storage.
  }
}
