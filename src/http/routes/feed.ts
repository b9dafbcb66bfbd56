import type { EventsFeed } from "../../domain/feed.js";
import type { Metrics } from "../../metrics.js";
import { EventsQuery, EventsReply } from "../../protocol/feed.js";
import { defineRoute, type RouteKit } from "../route.js";

export function registerFeedRoutes(kit: RouteKit, deps: { feed: EventsFeed; metrics: Metrics }) {
  defineRoute(
    kit,
    {
      method: "get",
      path: "/events",
      summary: "Long-poll the caller's event feed (invites, room list updates, friends). Without a cursor: the cursor of now.",
      tag: "events",
      query: EventsQuery,
      responses: {
        200: { description: "Events after the cursor (possibly none, after the timeout) and the cursor to poll next", schema: EventsReply },
      },
    },
    async ({ auth, query, req, res }) => {
      res.setHeader("Cache-Control", "no-store");
      if (!query.cursor) return { status: 200, body: { events: [], cursor: await deps.feed.currentCursor(auth.userId) } };
      // A client that goes away frees its waiter at once.
      const abort = new AbortController();
      const onClose = () => abort.abort();
      res.on("close", onClose);
      req.socket.setTimeout(0);
      deps.metrics.heldPolls.inc();
      try {
        const body = await deps.feed.poll(auth.userId, query.cursor, query.timeout * 1000, abort.signal);
        if (abort.signal.aborted) return undefined;
        return { status: 200, body };
      } finally {
        deps.metrics.heldPolls.dec();
        res.off("close", onClose);
      }
    },
  );
}
