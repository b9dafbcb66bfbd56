import type { RoomRepository } from "../domain/ports/room-repository.js";
import { publishWithin, type ClusterBus } from "./cluster-bus.js";
import { LoadingCache } from "./loading-cache.js";

const CHANNEL = "room-members";
// A safety net only: every membership change is announced on the bus, so entries are normally
// dropped within milliseconds of a change on any node.
const MEMBERS_TTL_MS = 30_000;
const MAX_ROOMS = 50_000;

// How long a removal or a mute waits for Redis to take its notice (as blocks do, cached-blocks.ts):
// the change then binds on every node when the client gets its answer. Past it the answer goes
// out and the other nodes learn by the notice or the TTL.
const NOTICE_WAIT_MS = 1_000;
// Nearly every room has nobody muted: one map for all of them.
const NO_MUTES: ReadonlyMap<string, number> = new Map();

interface Entry {
  ids: Set<string>;
  /** Members muted by an admin: user id → until (epoch ms). Read by every send (room-mutes.ts). */
  mutes: ReadonlyMap<string, number>;
}

/**
 * The room repository with each room's member set cached on this node: the membership check and
 * the member list behind every message stop costing a query each; each member's send mute rides
 * along, so the mute check of every send costs no query either. A change on any node invalidates
 * the room everywhere through the cluster bus; a read that started before the change does not
 * store the old set after it (LoadingCache).
 */
export function withMemberCache(inner: RoomRepository, bus: ClusterBus): RoomRepository {
  // Reads are shared: every send into a room whose entry just expired waits for the one read
  // instead of starting its own (a busy room sends many times during one read).
  const cache = new LoadingCache<Entry>(
    async (roomId) => {
      const rows = await inner.members(roomId);
      const muted = rows.filter((m) => m.mutedUntil);
      return {
        ids: new Set(rows.map((m) => m.userId)),
        mutes: muted.length ? new Map(muted.map((m) => [m.userId, m.mutedUntil!.getTime()])) : NO_MUTES,
      };
    },
    { ttlMs: MEMBERS_TTL_MS, maxEntries: MAX_ROOMS },
  );
  const dropLocal = (roomIds: string[]) => {
    for (const id of roomIds) cache.drop(id);
  };
  bus.subscribe(CHANNEL, dropLocal);
  const changed = (roomId: string) => bus.publish(CHANNEL, [roomId]);
  /** The same, resolving once Redis has the notice (bounded), for changes that must bind everywhere at once. */
  const changedEverywhere = (roomId: string) => announceRoomsChanged(bus, [roomId]);
  const load = (roomId: string) => cache.get(roomId);
  const members = async (roomId: string) => (await load(roomId)).ids;

  // Bind every method so the cache sees calls made through the returned object only.
  const base = Object.fromEntries(
    (Object.getOwnPropertyNames(Object.getPrototypeOf(inner)) as (keyof RoomRepository)[])
      .filter((k) => k !== ("constructor" as never) && typeof inner[k] === "function")
      .map((k) => [k, (inner[k] as (...a: unknown[]) => unknown).bind(inner)]),
  ) as unknown as RoomRepository;

  return {
    ...base,
    isMember: async (roomId, userId) => (await members(roomId)).has(userId),
    memberIds: async (roomId) => [...(await members(roomId))],
    ensureDirect: async (a, b) => {
      const result = await inner.ensureDirect(a, b);
      changed(result.room.id);
      return result;
    },
    mutedUntil: async (roomId, userId) => {
      const until = (await load(roomId)).mutes.get(userId);
      return until === undefined ? null : new Date(until);
    },
    setMutedUntil: async (roomId, userId, until) => {
      const set = await inner.setMutedUntil(roomId, userId, until);
      await changedEverywhere(roomId);
      return set;
    },
    // A removal (leave, removal, ban) must hold on every node when answered: a banned user's next
    // send through another node is refused, not let through by that node's stale member set.
    removeMember: async (roomId, userId) => {
      const removed = await inner.removeMember(roomId, userId);
      await changedEverywhere(roomId);
      return removed;
    },
    answerInvite: async (id, status, now) => {
      const invite = await inner.answerInvite(id, status, now);
      if (invite?.status === "accepted") changed(invite.roomId);
      return invite;
    },
  };
}

/**
 * Tells every node's member cache that these rooms changed outside the repository (an operator
 * deleted them: src/store/prisma-moderation.ts). Resolves once Redis has the notice, or after
 * NOTICE_WAIT_MS, as a removal does.
 */
export async function announceRoomsChanged(bus: ClusterBus, roomIds: string[]): Promise<void> {
  await publishWithin(bus, CHANNEL, roomIds, NOTICE_WAIT_MS);
}
