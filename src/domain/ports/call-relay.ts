export type SignalKind = "offer" | "answer" | "candidate";

/** What the addressed peer receives as `call:signal`. */
export interface CallSignal {
  roomId: string;
  fromUserId: string;
  kind: SignalKind;
  data: unknown;
}

/** Delivers a signal to given connections wherever they are (any node), once each. */
export interface CallRelay {
  toConnections(connectionIds: string[], signal: CallSignal): void;
}
