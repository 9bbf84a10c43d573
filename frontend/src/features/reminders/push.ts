// This browser's Web Push subscription: made with the server's VAPID public key, handed to the
// API, and taken back. The service worker (public/sw-push.js) shows what arrives.

export function pushSupported(): boolean {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

/** A base64url string (the VAPID key as the API gives it) as bytes. */
export function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const raw = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

function sameKey(a: ArrayBuffer | null, b: Uint8Array): boolean {
  if (!a || a.byteLength !== b.byteLength) return false;
  const bytes = new Uint8Array(a);
  return bytes.every((value, index) => value === b[index]);
}

/** The subscription of this browser, if it has one (no service worker yet: none). */
export async function currentSubscription(): Promise<PushSubscription | null> {
  const registration = await navigator.serviceWorker.getRegistration();
  return (await registration?.pushManager.getSubscription()) ?? null;
}

export class PermissionDenied extends Error {}

/** Asks for permission and subscribes with `publicKey`: the JSON the API keeps. */
export async function subscribePush(publicKey: string): Promise<PushSubscriptionJSON> {
  if ((await Notification.requestPermission()) !== "granted") throw new PermissionDenied();
  const registration = await navigator.serviceWorker.ready;
  const key = keyBytes(publicKey);
  const existing = await registration.pushManager.getSubscription();
  // A subscription made with another key (the server's key changed) cannot be reused.
  if (existing && !sameKey(existing.options.applicationServerKey, key)) await existing.unsubscribe();
  const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  return subscription.toJSON();
}

// The API answers a subscription without its id, and lists push channels by host only: the id
// is found as the one channel that was not there before, and kept on this device (per person).
const storageKey = (userId: number) => `push-channel:${userId}`;

export function rememberedChannel(userId: number): number | null {
  try {
    const value = Number(localStorage.getItem(storageKey(userId)));
    return Number.isInteger(value) && value > 0 ? value : null;
  } catch {
    return null;
  }
}

export function rememberChannel(userId: number, id: number | null): void {
  try {
    if (id) localStorage.setItem(storageKey(userId), String(id));
    else localStorage.removeItem(storageKey(userId));
  } catch {
    // Without storage this browser's channel is removed from the list instead.
  }
}

