/**
 * Every client-to-server Socket.IO event, as a runtime list (PROTOCOL.md, "Socket.IO"): what a
 * sweep, a doc generator or a per-event limit iterates over. It is the key list of the catalogue
 * (socket-events.ts), the same declaration `ClientToServerEvents` is derived from, so the two
 * cannot drift.
 */
import { CLIENT_EVENT_CATALOGUE } from "./socket-events.js";
import type { ClientEvent } from "./socket-maps.js";

export type { ClientEvent };

export const CLIENT_EVENTS: readonly ClientEvent[] = Object.freeze(Object.keys(CLIENT_EVENT_CATALOGUE) as ClientEvent[]);
