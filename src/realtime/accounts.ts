import { authenticate, type AccountDeps } from "../domain/accounts.js";
import { authenticateBot } from "../domain/bots.js";
import type { BotRepository, BotRevocations } from "../domain/ports/bot-repository.js";
import type { SessionRevocations } from "../domain/ports/session-repository.js";
import type { ChatServer } from "./deps.js";
import { sessionChannel } from "./events.js";

export type SessionAdmission = Pick<AccountDeps, "tokens" | "sessions"> & {
  revocations: SessionRevocations;
  /** Bots' tokens (domain/bots.ts), and where their revocations come from. */
  bots: Pick<BotRepository, "findUsable">;
  botRevocations: BotRevocations;
};

/**
 * The accounts feature on the socket door: a handshake is admitted with the access token of a live
 * session in `auth.token` (the check HTTP's bearer makes, domain/accounts.ts `authenticate`), and a
 * session revoked on any node (logout, refresh-token reuse) closes its sockets on this one. A bot
 * is admitted with its token in `auth.botToken` instead (domain/bots.ts `authenticateBot`: the
 * bot's id takes the session id's place), and a bot revoked on any node closes its sockets here.
 */
export function admitSessions(io: ChatServer, deps: SessionAdmission) {
  io.use((socket, next) => {
    const { token, botToken } = (socket.handshake.auth ?? {}) as { token?: unknown; botToken?: unknown };
    const text = (value: unknown) => (typeof value === "string" ? value : undefined);
    const check = botToken !== undefined ? authenticateBot(deps, text(botToken)) : authenticate(deps, text(token));
    check.then(
      (claims) => {
        socket.data.userId = claims.userId;
        socket.data.sessionId = claims.sessionId;
        next();
      },
      () => next(new Error("unauthorized")),
    );
  });
  const disconnect = (ids: string[]) => {
    for (const id of ids) io.local.in(sessionChannel(id)).disconnectSockets(true);
  };
  deps.revocations.onRevoked(disconnect);
  deps.botRevocations.onRevoked(disconnect);
}
