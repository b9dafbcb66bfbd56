import { participantsOf, type CallChange, type CallEntry, type CallJoin, type CallRegistry } from "../domain/ports/call-registry.js";

/**
 * Calls of a single node, in process (no Redis). Nothing expires: a crash takes the sockets and
 * this table down together. Same semantics as RedisCallRegistry.
 */
export class MemoryCallRegistry implements CallRegistry {
  /** roomId -> connectionId -> entry */
  private readonly rooms = new Map<string, Map<string, CallEntry>>();
  /** connectionId -> the rooms whose call it is in */
  private readonly byConnection = new Map<string, Set<string>>();
  private stopped = false;
  private readonly listeners: ((change: CallChange) => void)[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  async join(roomId: string, userId: string, connectionId: string, maxParticipants: number): Promise<CallJoin> {
    const call = this.rooms.get(roomId) ?? new Map<string, CallEntry>();
    const before = participantsOf([...call.values()]);
    if (this.stopped) return { joined: false, participants: before };
    if (!before.includes(userId) && before.length >= maxParticipants) return { joined: false, participants: before };
    if (!call.has(connectionId)) call.set(connectionId, { userId, connectionId, joinedAt: this.now() });
    this.rooms.set(roomId, call);
    let mine = this.byConnection.get(connectionId);
    if (!mine) this.byConnection.set(connectionId, (mine = new Set()));
    mine.add(roomId);
    return { joined: true, participants: participantsOf([...call.values()]), changed: !before.includes(userId) };
  }

  async leave(roomId: string, userId: string, connectionId: string): Promise<CallChange | null> {
    if (this.stopped) return null;
    this.byConnection.get(connectionId)?.delete(roomId);
    const call = this.rooms.get(roomId);
    const entry = call?.get(connectionId);
    if (!call || !entry || entry.userId !== userId) return null;
    call.delete(connectionId);
    if (!call.size) this.rooms.delete(roomId);
    const participants = participantsOf([...call.values()]);
    return participants.includes(userId) ? null : { roomId, participants };
  }

  async leaveAll(userId: string, connectionId: string): Promise<CallChange[]> {
    const rooms = [...(this.byConnection.get(connectionId) ?? [])];
    this.byConnection.delete(connectionId);
    const changes: CallChange[] = [];
    for (const roomId of rooms) {
      const change = await this.leave(roomId, userId, connectionId);
      if (change) changes.push(change);
    }
    return changes;
  }

  async entries(roomId: string): Promise<CallEntry[]> {
    return [...(this.rooms.get(roomId)?.values() ?? [])];
  }

  async evict(roomId: string, userId: string): Promise<void> {
    const mine = [...(this.rooms.get(roomId)?.values() ?? [])].filter((e) => e.userId === userId);
    for (const { connectionId } of mine) {
      const change = await this.leave(roomId, userId, connectionId);
      if (change) for (const listener of this.listeners) listener(change);
    }
  }

  /** Nothing expires in one process: only evictions are told here. */
  onChange(listener: (change: CallChange) => void) {
    this.listeners.push(listener);
  }

  async close() {
    this.stopped = true;
  }

  abandon() {
    this.stopped = true;
  }
}
