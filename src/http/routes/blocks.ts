import { blockUser, listBlocked, unblockUser, type BlockDeps } from "../../domain/blocks.js";
import { UserIdParams } from "../../protocol/common.js";
import { BlockedUsersReply } from "../../protocol/blocks.js";
import { defineRoute, type RouteKit } from "../route.js";

export function registerBlockRoutes(kit: RouteKit, deps: BlockDeps) {
  const tag = "blocks";

  defineRoute(
    kit,
    { method: "put", path: "/blocks/:userId", summary: "Block a user (idempotent): they can no longer reach the caller", tag, params: UserIdParams, responses: { 204: { description: "Blocked" } } },
    async ({ auth, params }) => {
      await blockUser(deps, auth.userId, params.userId);
      return { status: 204 };
    },
  );

  defineRoute(
    kit,
    { method: "delete", path: "/blocks/:userId", summary: "Unblock a user (idempotent)", tag, params: UserIdParams, responses: { 204: { description: "Not blocked" } } },
    async ({ auth, params }) => {
      await unblockUser(deps, auth.userId, params.userId);
      return { status: 204 };
    },
  );

  defineRoute(
    kit,
    { method: "get", path: "/blocks", summary: "The users the caller has blocked, oldest block first", tag, responses: { 200: { description: "Blocked users", schema: BlockedUsersReply } } },
    async ({ auth }) => ({ status: 200, body: { users: await listBlocked(deps, auth.userId) } }),
  );
}
