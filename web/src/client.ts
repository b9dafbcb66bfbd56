/**
 * The page's chat client (packages/client, the SDK): one per login. It holds the REST calls, the
 * socket that reconnects and resyncs, the rooms open on screen, the outbox and typing. The log-in
 * form signs in through one made while signed out; each signed-in session gets a new one
 * (main.ts drops the old one when the user changes).
 */
import { ChatClient, type ChatRest } from "@chat-backend/client";
import { LocalSession } from "./token-store.js";

export const login = new LocalSession();

let current: ChatClient | null = null;

/** The client of the login kept in this browser (made at first use after each change of login). */
export function client(): ChatClient {
  current ??= new ChatClient({
    urls: [location.origin],
    tokenStore: login,
    // The tabs share one login: one refresh at a time across them.
    refreshLock: (fn) => (navigator.locks ? (navigator.locks.request("chat.refresh", fn) as ReturnType<typeof fn>) : fn()),
    // Without a socket (blocked, reconnecting), sends go over HTTP with the same clientMsgId.
    httpFallback: true,
  });
  return current;
}

/** The REST calls of the current client. */
export function rest(): ChatRest {
  return client().rest;
}

/** The login changed: the old client stops (its unsent messages stay in storage for next time). */
export function dropClient(): void {
  current?.close();
  current = null;
}
