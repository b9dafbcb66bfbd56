import { charts, recordPlay, type PlayDeps } from "../../domain/plays.js";
import { IdParams } from "../../protocol/common.js";
import { ChartQuery, ChartReply } from "../../protocol/plays.js";
import { defineRoute, type RouteKit } from "../route.js";

export function registerPlayRoutes(kit: RouteKit, deps: PlayDeps) {
  // Documented with the tracks they count.
  const tag = "music";

  defineRoute(
    kit,
    {
      method: "post",
      path: "/tracks/:id/plays",
      summary: "Count a play (once per user per track per 30 s; repeats are accepted and not counted)",
      tag,
      params: IdParams,
      responses: { 204: { description: "Recorded" } },
    },
    async ({ auth, params }) => {
      await recordPlay(deps, auth.userId, params.id);
      return { status: 204 };
    },
  );

  defineRoute(
    kit,
    {
      method: "get",
      path: "/charts",
      summary: "Most played tracks of the current UTC day, or of the 7 UTC days ending today",
      tag,
      query: ChartQuery,
      responses: { 200: { description: "Chart", schema: ChartReply } },
    },
    async ({ query }) => ({ status: 200, body: await charts(deps, query.period, query.limit) }),
  );
}
