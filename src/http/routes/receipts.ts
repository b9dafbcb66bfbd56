import { markRead } from "../../domain/receipts.js";
import type { RoomDeps } from "../../domain/rooms.js";
import { IdParams } from "../../protocol/common.js";
import { ReadBody, ReadReply } from "../../protocol/receipts.js";
import { defineRoute, type RouteKit } from "../route.js";

export function registerReceiptRoutes(kit: RouteKit, deps: RoomDeps) {
  // Documented with the messages they mark read.
  const tag = "messages";

  defineRoute(
    kit,
    {
      method: "post",
      path: "/rooms/:id/read",
      summary: "Move the caller's read cursor forward (never backwards)",
      tag,
      params: IdParams,
      body: ReadBody,
      responses: { 200: { description: "Cursor", schema: ReadReply } },
    },
    async ({ auth, params, body }) => ({ status: 200, body: { lastReadSeq: await markRead(deps, auth.userId, params.id, body.seq) } }),
  );
}
