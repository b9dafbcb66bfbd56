import type { RoomRepository } from "../domain/ports/room-repository.js";
import type { ClusterBus } from "./cluster-bus.js";

const CHANNEL = "room-members";
// A safety net only: every membership change is announced on the bus, so entries are normally
// dropped within milliseconds of a change on any node.
const MEMBERS_TTL_MS = 30_000;
const MAX_ROOMS = 50_000;

interface Entry {
  ids: Set<string>;
  at: number;
}

/**
 * The room repository with each room's member set cached on this node: the membership check and
 * the member list behind every message stop costing a query each. A change on any node
 * invalidates the room everywhere through the cluster bus. A per-room version guards against a
 * read that started before an invalidation storing a stale set after it.
 */
export function withMemberCache(inner: RoomRepository, bus: ClusterBus): RoomRepository {
  const cache = new Map<string, Entry>();
  const versions = new Map<string, number>();
  const dropLocal = (roomIds: string[]) => {
    for (const id of roomIds) {
      cache.delete(id);
      versions.set(id, (versions.get(id) ?? 0) + 1);
    }
  };
  bus.subscribe(CHANNEL, dropLocal);
  const changed = (roomId: string) => bus.publish(CHANNEL, [roomId]);

  const members = async (roomId: string): Promise<Set<string>> => {
    const hit = cache.get(roomId);
    if (hit && Date.now() - hit.at < MEMBERS_TTL_MS) return hit.ids;
    const version = versions.get(roomId) ?? 0;
    const ids = new Set(await inner.memberIds(roomId));
    if ((versions.get(roomId) ?? 0) === version) {
      if (cache.size >= MAX_ROOMS) cache.delete(cache.keys().next().value!);
      cache.set(roomId, { ids, at: Date.now() });
      if (versions.size > MAX_ROOMS) versions.clear();
    }
    return ids;
  };

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
    removeMember: async (roomId, userId) => {
      const removed = await inner.removeMember(roomId, userId);
      changed(roomId);
      return removed;
    },
    answerInvite: async (id, status, now) => {
      const invite = await inner.answerInvite(id, status, now);
      if (invite?.status === "accepted") changed(invite.roomId);
      return invite;
    },
  };
}
