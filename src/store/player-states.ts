import type { PlayerState, PlayerStateStore } from "../domain/ports/player-state.js";
import type { RedisClient } from "./redis-connections.js";

// A room nobody touched for a day has no player worth resuming.
const STATE_TTL_MS = 86_400_000;

/** Single node: the state lives in this process. */
export class MemoryPlayerStates implements PlayerStateStore {
  private readonly states = new Map<string, PlayerState>();

  async get(roomId: string) {
    const state = this.states.get(roomId);
    if (state && Date.now() - state.at > STATE_TTL_MS) this.states.delete(roomId);
    return this.states.get(roomId) ?? null;
  }

  async set(state: PlayerState) {
    this.states.set(state.roomId, state);
  }

  async close() {}
}

/** Several nodes: one Redis hash per room, so a player:get on any node sees the last player:set. */
export class RedisPlayerStates implements PlayerStateStore {
  constructor(private readonly redis: RedisClient) {}

  private key(roomId: string) {
    return `media:player:${roomId}`;
  }

  async get(roomId: string): Promise<PlayerState | null> {
    const h = await this.redis.hgetall(this.key(roomId));
    if (!h.at) return null;
    const at = Number(h.at);
    const positionMs = Number(h.positionMs);
    if (!Number.isFinite(at) || !Number.isFinite(positionMs)) return null;
    return { roomId, trackId: h.trackId || null, positionMs, playing: h.playing === "1", at, updatedBy: h.updatedBy ?? "" };
  }

  async set(state: PlayerState) {
    const key = this.key(state.roomId);
    await this.redis
      .multi()
      .hset(key, { trackId: state.trackId ?? "", positionMs: String(state.positionMs), playing: state.playing ? "1" : "0", at: String(state.at), updatedBy: state.updatedBy })
      .pexpire(key, STATE_TTL_MS)
      .exec();
  }

  async close() {}
}
