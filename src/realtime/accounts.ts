import { authenticate, type AccountDeps } from "../domain/accounts.js";
import type { SessionRevocations } from "../domain/ports/session-repository.js";
import type { ChatServer } from "./deps.js";
import { sessionChannel } from "./events.js";

export type SessionAdmission = Pick<AccountDeps, "tokens" | "sessions"> & { revocations: SessionRevocations };

/**
 * The accounts feature on the socket door: a handshake is admitted with the access token of a live
 * session in `auth.token` (the check HTTP's bearer makes, domain/accounts.ts `authenticate`), and a
 * session revoked on any node (logout, refresh-token reuse) closes its sockets on this one.
 */
export function admitSessions(io: ChatServer, deps: SessionAdmission) {
  io.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    authenticate(deps, typeof token === "string" ? token : undefined).then(
      (claims) => {
        socket.data.userId = claims.userId;
        socket.data.sessionId = claims.sessionId;
        next();
      },
      () => next(new Error("unauthorized")),
    );
  });
  deps.revocations.onRevoked((ids) => {
    for (const id of ids) io.local.in(sessionChannel(id)).disconnectSockets(true);
  });
}
