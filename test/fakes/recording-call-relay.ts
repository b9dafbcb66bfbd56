import type { CallRelay, CallSignal } from "../../src/domain/ports/call-relay.js";

/** CallRelay (src/domain/ports/call-relay.ts) that records each delivery instead of reaching sockets. */
export class RecordingCallRelay implements CallRelay {
  readonly deliveries: { connectionIds: string[]; signal: CallSignal }[] = [];

  toConnections(connectionIds: string[], signal: CallSignal): void {
    this.deliveries.push({ connectionIds: [...connectionIds], signal: structuredClone(signal) });
  }
}
