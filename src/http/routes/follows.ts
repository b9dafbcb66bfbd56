import { follow, listFollows, unfollow, type FollowDeps } from "../../domain/follows.js";
import { IdParams, PageQuery, UserIdParams } from "../../protocol/common.js";
import { UserPage } from "../../protocol/users.js";
import { defineRoute, type RouteKit } from "../route.js";

export function registerFollowRoutes(kit: RouteKit, deps: FollowDeps) {
  const tag = "follows";

  defineRoute(
    kit,
    { method: "put", path: "/follows/:userId", summary: "Follow a user (idempotent)", tag, params: UserIdParams, responses: { 204: { description: "Following" } } },
    async ({ auth, params }) => {
      await follow(deps, auth.userId, params.userId);
      return { status: 204 };
    },
  );

  defineRoute(
    kit,
    { method: "delete", path: "/follows/:userId", summary: "Unfollow a user (idempotent)", tag, params: UserIdParams, responses: { 204: { description: "Not following" } } },
    async ({ auth, params }) => {
      await unfollow(deps, auth.userId, params.userId);
      return { status: 204 };
    },
  );

  for (const direction of ["followers", "following"] as const) {
    defineRoute(
      kit,
      {
        method: "get",
        path: `/users/:id/${direction}`,
        summary: `Users ${direction === "followers" ? "following this user" : "this user follows"}, ordered by id`,
        tag,
        params: IdParams,
        query: PageQuery,
        responses: { 200: { description: "A page of users", schema: UserPage } },
      },
      async ({ auth, params, query }) => ({
        status: 200,
        body: await listFollows(deps, auth.userId, params.id, direction, { limit: query.limit, cursor: query.cursor ?? null }),
      }),
    );
  }
}
