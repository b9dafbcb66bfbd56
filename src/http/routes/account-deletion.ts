import { deleteAccount, type AccountDeletionDeps } from "../../domain/account-deletion.js";
import { DeleteMeBody } from "../../protocol/account-deletion.js";
import { defineRoute, type RouteKit } from "../route.js";

/** DELETE /api/me (docs/accounts.md, "Deletion"): the caller's own account, confirmed by password. */
export function registerAccountDeletionRoutes(kit: RouteKit, deps: AccountDeletionDeps) {
  defineRoute(
    kit,
    {
      method: "delete",
      path: "/me",
      summary: "Delete your account: messages kept as tombstones, everything else removed, every session ended; safe to retry",
      tag: "account",
      body: DeleteMeBody,
      responses: { 204: { description: "Deleted" } },
    },
    async ({ auth, body }) => {
      await deleteAccount(deps, auth, body.password);
      return { status: 204 };
    },
  );
}
