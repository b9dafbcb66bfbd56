/**
 * The domain's types that go on the wire as they are but are declared apart from the contract,
 * held equal to it (src/protocol): a field changed on either side fails the type-check here, for
 * the server and, through the SDK's types, the clients at once. The other wire-facing types of the
 * domain (Message, RoomView, UserView…) are the contract's own types, imported, and need no tie.
 *
 * These stay declared where they are because they belong to a port, the domain's contract with an
 * adapter (the presence tracker, the call relay, the ICE source, the player store, the message
 * store), which should not change its shape by importing the wire's; or to a module another
 * feature's work owns (webhooks.ts). Nothing here runs: the module holds types only.
 */
import type { z } from "zod";
import type { CallSignal as WireCallSignal, IceServer as WireIceServer, SignalKind as WireSignalKind } from "../protocol/calls.js";
import type { ChangesPage as WireChangesPage, MessagePage as WireMessagePage } from "../protocol/messages.js";
import type { Player } from "../protocol/player.js";
import type { Presence as WirePresence, PresenceStatus as WirePresenceStatus, PresenceUpdated } from "../protocol/presence.js";
import type { AssertTrue, Equals } from "../protocol/type-equality.js";
import type { DeliverySchema, WebhookSchema } from "../protocol/webhooks.js";
import type { CallSignal, SignalKind } from "./ports/call-relay.js";
import type { IceServer } from "./ports/ice-servers.js";
import type { ChangesPage, MessagePage } from "./ports/message-store.js";
import type { PlayerView } from "./ports/player-state.js";
import type { Presence, PresenceStatus } from "./ports/presence.js";
import type { PresenceChange } from "./ports/presence-tracker.js";
import type { viewDelivery, WebhookView } from "./webhooks.js";

export type WireShapesHeldEqual = [
  AssertTrue<Equals<Presence, WirePresence>>,
  AssertTrue<Equals<PresenceStatus, WirePresenceStatus>>,
  // Broadcast as presence:updated as the tracker returns it.
  AssertTrue<Equals<PresenceChange, PresenceUpdated>>,
  AssertTrue<Equals<CallSignal, WireCallSignal>>,
  AssertTrue<Equals<SignalKind, WireSignalKind>>,
  AssertTrue<Equals<IceServer, WireIceServer>>,
  AssertTrue<Equals<PlayerView, Player>>,
  // GET /api/rooms/:id/messages and …/changes answer the store's pages with reply excerpts filled in.
  AssertTrue<Equals<MessagePage, WireMessagePage>>,
  AssertTrue<Equals<ChangesPage, WireChangesPage>>,
  AssertTrue<Equals<WebhookView, z.output<typeof WebhookSchema>>>,
  AssertTrue<Equals<ReturnType<typeof viewDelivery>, z.output<typeof DeliverySchema>>>,
];
