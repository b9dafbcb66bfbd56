/** A room's shared player: which track, where, and whether it plays, as of `at`. */
export interface PlayerState {
  roomId: string;
  trackId: string | null;
  positionMs: number;
  playing: boolean;
  /** When positionMs was true (server clock, ms since the epoch). */
  at: number;
  updatedBy: string;
}

/** Shared by every node (Redis) or held in process (single node). Last writer wins. */
export interface PlayerStateStore {
  get(roomId: string): Promise<PlayerState | null>;
  set(state: PlayerState): Promise<void>;
  close(): Promise<void>;
}

/**
 * A room's shared player as sent on the wire: `positionMs` is the position at `serverTime`.
 * A client plays from positionMs + (its now - when it received this) while `playing`: that needs
 * no clock agreement between client and server, only the transit time, which is small.
 */
export interface PlayerView {
  roomId: string;
  trackId: string | null;
  positionMs: number;
  playing: boolean;
  serverTime: string;
  updatedBy: string;
}
