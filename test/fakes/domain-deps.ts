// One builder for the deps objects every use case takes, wired from the in-memory fakes. One call
// makes one consistent world: the room repository, the message store and the users seen by
// rooms.ts are the same ones accounts.ts, friends.ts and invites.ts see, as in src/composition/services.ts.

import type { AccountDeps } from "../../src/domain/accounts.js";
import { attachmentResolver, type AttachmentDeps } from "../../src/domain/attachments.js";
import type { BlockDeps } from "../../src/domain/blocks.js";
import type { BotDeps } from "../../src/domain/bots.js";
import type { CallDeps } from "../../src/domain/calls.js";
import type { FollowDeps } from "../../src/domain/follows.js";
import type { FriendDeps } from "../../src/domain/friends.js";
import type { Message } from "../../src/domain/message.js";
import type { AttachmentResolver, MessageDeps } from "../../src/domain/messages.js";
import { ReceiptBatches } from "../../src/domain/receipt-batches.js";
import type { UserDeps } from "../../src/domain/users.js";
import { TestClock } from "./clock.js";
import { FakeAccessTokens } from "./fake-access-tokens.js";
import { FastPasswordHasher } from "./fast-password-hasher.js";
import { MemoryAttachmentRepository } from "./memory-attachment-repository.js";
import { MemoryBlobStorage } from "./memory-blob-storage.js";
import { MemoryBlockRepository } from "./memory-block-repository.js";
import { MemoryBotRepository } from "./memory-bot-repository.js";
import { MemoryCallRegistry } from "./memory-call-registry.js";
import { MemoryMentionIndex } from "./memory-mention-index.js";
import { MemoryMessageStore } from "./memory-message-store.js";
import { MemoryPresenceReader } from "./memory-presence-reader.js";
import { MemoryRateLimiter } from "./memory-rate-limiter.js";
import { MemoryReplyIndex } from "./memory-reply-index.js";
import { MemoryRoomRepository } from "./memory-room-repository.js";
import { MemoryEmailCodeRepository, MemorySessionRepository } from "./memory-session-repository.js";
import { MemoryFollowRepository, MemoryFriendRepository } from "./memory-social-repository.js";
import { MemoryUserRepository } from "./memory-user-repository.js";
import { RecordingBroadcaster } from "./recording-broadcaster.js";
import { RecordingCallRelay } from "./recording-call-relay.js";
import { RecordingFeedPublisher } from "./recording-feed-publisher.js";
import { RecordingMailTransport } from "./recording-mail-transport.js";
import { StubImageThumbnailer } from "./stub-image-thumbnailer.js";

/** PROTOCOL's floor for failed logins (src/domain/accounts.ts AccountDeps.loginFailures). */
export const LOGIN_FAILURES_PER_WINDOW = 5;
export const LOGIN_FAILURE_WINDOW_MS = 15 * 60_000;
export const REFRESH_TTL_MS = 30 * 86_400_000;
export const ACCESS_TTL_MS = 15 * 60_000;

/**
 * Satisfies AccountDeps, RoomDeps, MessageDeps, FriendDeps, FollowDeps, BlockDeps, UserDeps, CallDeps and BotDeps
 * at once (they share field names and meanings, as NodeDeps does in src/composition/services.ts), each field typed
 * as its fake so tests can set up and inspect. AttachmentDeps names its repository `attachments`,
 * which MessageDeps uses for the resolver: it is its own object, `attachmentDeps`, sharing rooms
 * and blobs.
 */
export interface FakeDeps extends AccountDeps, MessageDeps, FriendDeps, FollowDeps, BlockDeps, UserDeps, CallDeps, BotDeps {
  clock: TestClock;
  now: () => Date;
  users: MemoryUserRepository;
  sessions: MemorySessionRepository;
  emailCodes: MemoryEmailCodeRepository;
  hasher: FastPasswordHasher;
  tokens: FakeAccessTokens;
  mail: RecordingMailTransport;
  loginFailures: MemoryRateLimiter;
  rooms: MemoryRoomRepository;
  messages: MemoryMessageStore;
  mentions: MemoryMentionIndex;
  replies: MemoryReplyIndex;
  presence: MemoryPresenceReader;
  feed: RecordingFeedPublisher;
  broadcaster: RecordingBroadcaster;
  friends: MemoryFriendRepository;
  follows: MemoryFollowRepository;
  blocks: MemoryBlockRepository;
  bots: MemoryBotRepository;
  blobs: MemoryBlobStorage;
  calls: MemoryCallRegistry;
  callRelay: RecordingCallRelay;
  /** The resolver the send path uses (attachmentResolver over attachmentRepo, as src/composition/services.ts). */
  attachments: AttachmentResolver;
  attachmentRepo: MemoryAttachmentRepository;
  thumbnailer: StubImageThumbnailer;
  attachmentDeps: AttachmentDeps;
  /** What onMessageStored and onMessageChanged were called with, in order. */
  hooks: { stored: Message[]; changed: Message[] };
}

/**
 * A fresh world of fakes. `overrides` replaces any field after wiring; the fakes that others are
 * built on (clock, users, messages) are taken from it before wiring, so they stay shared.
 */
export function fakeDeps(overrides: Partial<FakeDeps> = {}): FakeDeps {
  const clock = overrides.clock ?? new TestClock();
  const users = overrides.users ?? new MemoryUserRepository(clock);
  const rooms = overrides.rooms ?? new MemoryRoomRepository(clock);
  const blobs = overrides.blobs ?? new MemoryBlobStorage();
  const attachmentRepo = overrides.attachmentRepo ?? new MemoryAttachmentRepository(clock);
  const thumbnailer = overrides.thumbnailer ?? new StubImageThumbnailer();
  const hooks: FakeDeps["hooks"] = { stored: [], changed: [] };
  const blocks = overrides.blocks ?? new MemoryBlockRepository(users, clock);
  const messages = overrides.messages ?? new MemoryMessageStore();
  const deps: FakeDeps = {
    clock,
    now: () => clock.now(),
    users,
    sessions: new MemorySessionRepository(),
    emailCodes: new MemoryEmailCodeRepository(),
    hasher: new FastPasswordHasher(),
    tokens: new FakeAccessTokens(clock, ACCESS_TTL_MS),
    mail: new RecordingMailTransport(),
    loginFailures: new MemoryRateLimiter({ points: LOGIN_FAILURES_PER_WINDOW, durationMs: LOGIN_FAILURE_WINDOW_MS }, clock),
    refreshTtlMs: REFRESH_TTL_MS,
    rooms,
    messages,
    receipts: new ReceiptBatches(messages),
    mentions: new MemoryMentionIndex((blocker, blocked) => blocks.has(blocker, blocked)),
    replies: new MemoryReplyIndex(),
    presence: new MemoryPresenceReader(),
    feed: new RecordingFeedPublisher(),
    broadcaster: new RecordingBroadcaster(),
    friends: new MemoryFriendRepository(users, clock),
    follows: new MemoryFollowRepository(users),
    blocks,
    bots: new MemoryBotRepository(users, clock),
    blobs,
    calls: new MemoryCallRegistry(() => clock.nowMs()),
    callRelay: new RecordingCallRelay(),
    attachments: attachmentResolver({ attachments: attachmentRepo }),
    attachmentRepo,
    thumbnailer,
    attachmentDeps: { rooms, attachments: attachmentRepo, blobs, thumbnailer, attachmentMaxBytes: 1024 * 1024 },
    hooks,
    onMessageStored: (m) => hooks.stored.push(m),
    onMessageChanged: (m) => hooks.changed.push(m),
  };
  const wired = Object.assign(deps, overrides);
  // User -> Session ON DELETE CASCADE (MemoryUserRepository.remove, account deletion).
  wired.users.cascade.push((id) => wired.sessions.dropUser(id));
  // User -> Bot ON DELETE CASCADE, both ways: the bot's own user, and its owner.
  wired.users.cascade.push((id) => (wired.bots.dropUser(id), []));
  return wired;
}
