/**
 * @chat-backend/client: the client SDK of the chat backend (PROTOCOL.md, "Integrations"). Start
 * with ChatClient; the parts it is made of are exported too, for apps that compose their own.
 */
export { ChatClient, type ChatClientOptions, type ClientState } from "./client.js";
export { Connection, type ChatSocket, type ConnectInfo, type ConnectionOptions, type ConnectionState } from "./connection.js";
export { ChatError, type LocalErrorCode } from "./errors.js";
export { FeedPoller, type FeedOptions } from "./feed.js";
export { Http, type HttpMethod, type HttpOptions, type RequestOptions } from "./http.js";
export { newClientMsgId } from "./ids.js";
export { mergeMessage } from "./message-merge.js";
export { Outbox, type OutboxOptions, type QueuedSend, type SendTransport } from "./outbox.js";
export { defaultOutboxStorage, MemoryOutboxStorage, WebStorageOutbox, type OutboxItem, type OutboxStorage, type WebStorageLike } from "./outbox-storage.js";
export { PresenceBook, type PresenceEntry } from "./presence.js";
export { ChatRest, type SendExtras } from "./rest.js";
export { resync, type ResyncReport, type ResyncTarget, type SyncCall } from "./resync.js";
export { ROUTES, type RouteArgs, type RouteName, type RouteResult } from "./routes.js";
export { accessTokenFresh, MemoryTokenStore, Session, type HandshakeAuth, type RefreshLock, type Refresher, type Tokens, type TokenStore } from "./session.js";
export { RoomTimeline, type PageReader, type RoomPosition, type TimelineOptions } from "./timeline.js";
export { TypingNotifier, TypingRoster, type TypingOptions } from "./typing.js";
export { backoffDelay, type BackoffOptions } from "./backoff.js";
export type * from "./protocol.js";
