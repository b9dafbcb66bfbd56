// The domain's wire types are the contract's own (src/domain/message.ts, room-views.ts, user.ts …)
// or held equal to it (src/domain/wire-shapes.ts) with Equals (src/protocol/type-equality.ts).
// The first half is proved by the type-check (npm test's pretest), not by mocha: each drifted copy
// of a schema below is marked `@ts-expect-error`, so were Equals to let that drift through, the
// directive would be unused and the type-check would fail. The second half runs: what the types
// cannot see (a record spread into a view adds keys TypeScript does not report) is parsed strictly.
import { expect } from "chai";
import { z } from "zod";
import { viewAttachment } from "../../src/domain/attachments.js";
import { viewExport } from "../../src/domain/exports.js";
import type { Message } from "../../src/domain/message.js";
import type { FeedEventDraft } from "../../src/domain/ports/feed.js";
import type { Presence } from "../../src/domain/ports/presence.js";
import type { RoomView } from "../../src/domain/room-views.js";
import { viewTrack } from "../../src/domain/tracks.js";
import { viewUser, type UserRecord } from "../../src/domain/user.js";
import { AttachmentSchema } from "../../src/protocol/attachments.js";
import { ExportSchema } from "../../src/protocol/exports.js";
import { MessageSchema } from "../../src/protocol/messages.js";
import { PresenceSchema } from "../../src/protocol/presence.js";
import { RoomSchema } from "../../src/protocol/rooms.js";
import { TrackSchema } from "../../src/protocol/tracks.js";
import type { AssertTrue, Equals } from "../../src/protocol/type-equality.js";
import { UserSchema } from "../../src/protocol/users.js";

// The contract as a changed field would leave it.
const MessageWithNewOptional = MessageSchema.extend({ threadId: z.string().optional() });
const MessageWithOptionalMadeRequired = MessageSchema.extend({ editedAt: z.string() });
const MessageWithNullable = MessageSchema.extend({ text: z.string().nullable() });
const MessageWithoutField = MessageSchema.omit({ pinnedBy: true });
const RoomWithWiderType = RoomSchema.extend({ type: z.string() });
const PresenceWithNewStatus = PresenceSchema.extend({ status: z.enum(["online", "away", "offline", "busy"]) });

export type HeldToday = [
  AssertTrue<Equals<Message, z.output<typeof MessageSchema>>>,
  AssertTrue<Equals<RoomView, z.output<typeof RoomSchema>>>,
  AssertTrue<Equals<Presence, z.output<typeof PresenceSchema>>>,
];

export type RefusedDrifts = [
  // @ts-expect-error an optional field added to the schema
  AssertTrue<Equals<Message, z.output<typeof MessageWithNewOptional>>>,
  // @ts-expect-error an optional field made required
  AssertTrue<Equals<Message, z.output<typeof MessageWithOptionalMadeRequired>>>,
  // @ts-expect-error a field made nullable
  AssertTrue<Equals<Message, z.output<typeof MessageWithNullable>>>,
  // @ts-expect-error a field dropped
  AssertTrue<Equals<Message, z.output<typeof MessageWithoutField>>>,
  // @ts-expect-error an enum widened to a string
  AssertTrue<Equals<RoomView, z.output<typeof RoomWithWiderType>>>,
  // @ts-expect-error a value added to a port's union (ports/presence.ts is held, not derived)
  AssertTrue<Equals<Presence, z.output<typeof PresenceWithNewStatus>>>,
];

// A feed event's data is the contract's for its type (ports/feed.ts): what a publisher may hand over.
export const feedDrafts: FeedEventDraft[] = [
  { type: "room.removed", data: { roomId: "r1" } },
  // @ts-expect-error a field the contract does not have for this type
  { type: "room.removed", data: { roomId: "r1", reason: "banned" } },
  // @ts-expect-error another type's data
  { type: "friend.updated", data: { roomId: "r1" } },
  // @ts-expect-error room.updated is rendered by the feed, never published
  { type: "room.updated", data: { room: {} } },
];

const at = new Date("2026-01-02T03:04:05.000Z");
const user: UserRecord = {
  id: "0190a000-0000-7000-8000-000000000001",
  email: "ann@example.com",
  passwordHash: "hash",
  displayName: "Ann",
  statusMessage: "",
  avatarKey: "a1",
  emailVerified: true,
  createdAt: at,
  operator: true,
  suspendedAt: at,
  suspendReason: "spam",
};

describe("protocol: the domain's views carry only what the contract declares", () => {
  it("a user's own view and another's hold no field of the record beyond the schema's (no hash, no moderation state)", () => {
    expect(UserSchema.strict().parse(viewUser(user, user.id))).to.include({ email: "ann@example.com" });
    expect(UserSchema.strict().parse(viewUser(user, "someone else"))).not.to.have.property("email");
  });

  it("a track, an attachment and an export are shown with the schema's fields only", () => {
    const track = { id: "t1", ownerId: "u1", title: "Song", artist: null, status: "ready" as const, durationMs: 1000, loudnessLufs: -14, error: null, createdAt: at };
    expect(TrackSchema.strict().parse(viewTrack(track))).to.include({ hlsUrl: "/api/tracks/t1/hls/index.m3u8" });
    const file = { id: "f1", roomId: "r1", uploaderId: "u1", name: "a.png", size: 3, contentType: "image/png", storageKey: "k", thumbnailKey: "k2", createdAt: at };
    expect(AttachmentSchema.strict().parse(viewAttachment(file))).to.include({ thumbnailUrl: "/api/attachments/f1/thumbnail" });
    const done = { id: "e1", userId: "u1", status: "ready" as const, blobKey: "b", error: null, createdAt: at, expiresAt: new Date(at.getTime() + 86_400_000) };
    expect(ExportSchema.strict().parse(viewExport(done, at))).to.have.property("downloadUrl");
  });
});
