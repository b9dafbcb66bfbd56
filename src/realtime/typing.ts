import { reportTyping, TypingThrottle, type TypingDeps } from "../domain/typing.js";
import { acked, type AckDeps } from "./ack.js";
import type { ChatSocket } from "./deps.js";

/** typing: the rule is the domain's (src/domain/typing.ts); the throttle's memory is this connection's. */
export function register(socket: ChatSocket, deps: TypingDeps & AckDeps) {
  const throttle = new TypingThrottle();
  socket.on(
    "typing",
    acked(socket, deps, "typing", async (input) => {
      await reportTyping(deps, socket.data.userId, input, throttle);
      return {};
    }),
  );
}
