import type { Broadcaster } from "./ports/broadcaster.js";
import type { PlayerState, PlayerStateStore, PlayerView } from "./ports/player-state.js";
import type { RoomRepository } from "./ports/room-repository.js";
import type { TrackRepository } from "./ports/track-repository.js";
import { requireMember } from "./rooms.js";
import { requireReadyTrack } from "./tracks.js";

export type { PlayerView };

export interface PlayerDeps {
  rooms: RoomRepository;
  tracks: TrackRepository;
  players: PlayerStateStore;
  broadcaster: Broadcaster;
}


function viewAt(state: PlayerState, now: number): PlayerView {
  const positionMs = state.playing ? state.positionMs + Math.max(0, now - state.at) : state.positionMs;
  return { roomId: state.roomId, trackId: state.trackId, positionMs, playing: state.playing, serverTime: new Date(now).toISOString(), updatedBy: state.updatedBy };
}

/** Sets the room's player (last writer wins) and tells every joined socket, on every node. */
export async function setPlayer(
  deps: PlayerDeps,
  userId: string,
  input: { roomId: string; trackId: string | null; positionMs: number; playing: boolean },
): Promise<PlayerView> {
  await requireMember(deps, input.roomId, userId);
  if (input.trackId !== null) await requireReadyTrack(deps, input.trackId);
  const now = Date.now();
  const state: PlayerState = {
    roomId: input.roomId,
    trackId: input.trackId,
    positionMs: Math.round(input.positionMs),
    playing: input.trackId !== null && input.playing,
    at: now,
    updatedBy: userId,
  };
  await deps.players.set(state);
  const view = viewAt(state, now);
  deps.broadcaster.toRoom(input.roomId, "player:updated", view);
  return view;
}

/** The room's player now (position advanced to this moment while playing); null when never set. */
export async function getPlayer(deps: PlayerDeps, userId: string, roomId: string): Promise<PlayerView | null> {
  await requireMember(deps, roomId, userId);
  const state = await deps.players.get(roomId);
  return state ? viewAt(state, Date.now()) : null;
}
