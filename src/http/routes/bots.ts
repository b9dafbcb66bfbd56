import { createBot, deleteBot, listBots, type BotDeps } from "../../domain/bots.js";
import { BotsReply, CreateBotBody, CreatedBotReply } from "../../protocol/bots.js";
import { IdParams } from "../../protocol/common.js";
import { defineRoute, type RouteKit } from "../route.js";

/** POST /api/bots, GET /api/bots, DELETE /api/bots/:id (docs/integrations.md). */
export function registerBotRoutes(kit: RouteKit, deps: BotDeps) {
  const tag = "bots";

  defineRoute(
    kit,
    {
      method: "post",
      path: "/bots",
      summary: "Create a bot (a user owned by the caller); its token is in this reply only (Authorization: Bot <token>, or auth: { botToken } in the handshake)",
      tag,
      body: CreateBotBody,
      responses: { 201: { description: "The bot and its token", schema: CreatedBotReply } },
    },
    async ({ auth, body }) => ({ status: 201, body: await createBot(deps, auth.userId, body.name) }),
  );

  defineRoute(
    kit,
    { method: "get", path: "/bots", summary: "The caller's bots, oldest first (never a token)", tag, responses: { 200: { description: "Bots", schema: BotsReply } } },
    async ({ auth }) => ({ status: 200, body: { bots: await listBots(deps, auth.userId) } }),
  );

  defineRoute(
    kit,
    {
      method: "delete",
      path: "/bots/:id",
      summary: "Delete a bot: its token is revoked and its sockets closed on every node, and it leaves every room",
      tag,
      params: IdParams,
      responses: { 204: { description: "Deleted" } },
    },
    async ({ auth, params }) => {
      await deleteBot(deps, auth.userId, params.id);
      return { status: 204 };
    },
  );
}
