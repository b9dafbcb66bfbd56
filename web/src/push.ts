/**
 * Web Push in the page: registers the service worker (sw.ts, built to /sw.js) at start, and
 * turns notifications on (permission, subscribe with the server's VAPID key, register the
 * subscription) or off. Notifications arrive only while no tab of this user is connected: the
 * server pushes to members without a connected socket.
 */
import { rest } from "./client.js";
import { el, setText } from "./dom.js";

const supported = () => "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;

let registration: Promise<ServiceWorkerRegistration | null> | null = null;

/** Registers /sw.js once per page; null where the browser has no service workers (or not on https/localhost). */
export function registerServiceWorker(): Promise<ServiceWorkerRegistration | null> {
  registration ??= supported() ? navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => null) : Promise.resolve(null);
  return registration;
}

function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const b64 = base64url.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(base64url.length / 4) * 4, "=");
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

async function saveSubscription(sub: PushSubscription): Promise<void> {
  const { endpoint = "", keys, expirationTime } = sub.toJSON();
  await rest().call("subscribePush", { body: { endpoint, keys: { p256dh: keys?.p256dh ?? "", auth: keys?.auth ?? "" }, expirationTime } });
}

async function currentSubscription(): Promise<PushSubscription | null> {
  const reg = await registerServiceWorker();
  return reg ? reg.pushManager.getSubscription() : null;
}

export async function enablePush(): Promise<boolean> {
  const reg = await registerServiceWorker();
  if (!reg || (await Notification.requestPermission()) !== "granted") return false;
  const { key } = await rest().call("vapidKey");
  let sub = await reg.pushManager.getSubscription();
  // Subscribed with another server key (the server's key changed): start over.
  const current = sub?.options.applicationServerKey;
  if (sub && current && btoa(String.fromCharCode(...new Uint8Array(current))) !== btoa(String.fromCharCode(...keyBytes(key)))) {
    await sub.unsubscribe();
    sub = null;
  }
  sub ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
  await saveSubscription(sub);
  return true;
}

/** Unsubscribing in the browser is enough: the push service then answers 410 and the server forgets it. */
export async function disablePush(): Promise<void> {
  await (await currentSubscription())?.unsubscribe();
}

/** The top bar's switch: "Notifications: on/off". Re-registers an existing subscription at start. */
export function pushToggle(): HTMLElement {
  const button = el("button", { type: "button", class: "link push-toggle", hidden: true });
  const render = (on: boolean) => {
    setText(button, on ? "Notifications on" : "Enable notifications");
    button.setAttribute("aria-pressed", String(on));
  };
  if (!supported()) return button;
  void (async () => {
    const sub = await currentSubscription().catch(() => null);
    const on = Boolean(sub) && Notification.permission === "granted";
    if (sub && on) await saveSubscription(sub).catch(() => {}); // this login may be new on this browser
    render(on);
    button.hidden = false;
  })();
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      if (button.getAttribute("aria-pressed") === "true") {
        await disablePush();
        render(false);
      } else render(await enablePush());
    } catch {
      render(false);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}
