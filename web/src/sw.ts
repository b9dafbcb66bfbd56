/**
 * The service worker (built to /sw.js, scope "/"): shows one notification per push and opens
 * the room when it is clicked. A push's payload is the server's PushPayload (src/protocol/push.ts);
 * the tag is the room, so a newer push of a room replaces its notification instead of stacking.
 * This file imports types only: it is its own bundle entry, apart from the page's code.
 */
import type { PushPayload } from "./types.js";

interface ExtendableEventLike extends Event {
  waitUntil(work: Promise<unknown>): void;
}
interface PushEventLike extends ExtendableEventLike {
  data: { json(): unknown } | null;
}
interface NotificationEventLike extends ExtendableEventLike {
  notification: Notification;
}
interface WindowClientLike {
  url: string;
  focus(): Promise<unknown>;
  navigate(url: string): Promise<unknown>;
}
declare const self: {
  addEventListener(type: "install" | "activate", listener: (e: ExtendableEventLike) => void): void;
  addEventListener(type: "push", listener: (e: PushEventLike) => void): void;
  addEventListener(type: "notificationclick", listener: (e: NotificationEventLike) => void): void;
  registration: ServiceWorkerRegistration;
  clients: {
    matchAll(opts: { type: "window"; includeUncontrolled: boolean }): Promise<WindowClientLike[]>;
    openWindow(url: string): Promise<unknown>;
    claim(): Promise<void>;
  };
  skipWaiting(): Promise<void>;
  location: Location;
};

// Each field is checked before use: a push may come from an older server, or be malformed.
type Payload = Partial<PushPayload>;

// A new version takes over at once: it holds no caches that an old page could depend on.
self.addEventListener("install", (e) => e.waitUntil(self.skipWaiting()));
self.addEventListener("activate", (e) => e.waitUntil(self.clients.claim()));

self.addEventListener("push", (e) => {
  let payload: Payload = {};
  try {
    payload = (e.data?.json() ?? {}) as Payload;
  } catch {
    // not JSON: still show something (a push must be visible: userVisibleOnly)
  }
  const url = typeof payload.url === "string" && payload.url.startsWith("/") ? payload.url : "/";
  e.waitUntil(
    self.registration.showNotification(payload.title || "Chat", {
      body: payload.body || "New message",
      tag: payload.roomId ? `room:${payload.roomId}` : "chat",
      data: { url },
    }),
  );
});

self.addEventListener("notificationclick", (e) => {
  e.notification.close();
  const url = new URL((e.notification.data as { url?: string } | null)?.url ?? "/", self.location.origin).href;
  e.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const open = windows.find((w) => new URL(w.url).origin === self.location.origin);
      if (open) {
        await open.navigate(url).catch(() => {});
        await open.focus();
      } else await self.clients.openWindow(url);
    })(),
  );
});

export {};
