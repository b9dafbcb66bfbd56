import { answerFriendRequest, listFriendRequests, listFriends, removeFriend, sendFriendRequest, type FriendDeps } from "../../domain/friends.js";
import { ANSWERS, IdParams, UserIdParams } from "../../protocol/common.js";
import { FriendRequestBody, FriendRequestLists, FriendRequestReply, FriendsReply } from "../../protocol/friends.js";
import { defineRoute, type RouteKit } from "../route.js";

export function registerFriendRoutes(kit: RouteKit, deps: FriendDeps) {
  const tag = "friends";

  defineRoute(
    kit,
    {
      method: "post",
      path: "/friends/requests",
      summary: "Ask a user to be friends",
      tag,
      body: FriendRequestBody,
      responses: { 201: { description: "Request created", schema: FriendRequestReply } },
    },
    async ({ auth, body }) => ({ status: 201, body: { request: await sendFriendRequest(deps, auth.userId, body.userId) } }),
  );

  defineRoute(
    kit,
    {
      method: "get",
      path: "/friends/requests",
      summary: "Pending requests to and from the caller",
      tag,
      responses: { 200: { description: "Pending requests", schema: FriendRequestLists } },
    },
    async ({ auth }) => ({ status: 200, body: await listFriendRequests(deps, auth.userId) }),
  );

  for (const [verb, answer] of ANSWERS) {
    defineRoute(
      kit,
      {
        method: "post",
        path: `/friends/requests/:id/${verb}`,
        summary: `${verb[0]!.toUpperCase()}${verb.slice(1)} a request addressed to the caller`,
        tag,
        params: IdParams,
        responses: { 200: { description: "Request answered", schema: FriendRequestReply } },
      },
      async ({ auth, params }) => ({ status: 200, body: { request: await answerFriendRequest(deps, auth.userId, params.id, answer) } }),
    );
  }

  defineRoute(
    kit,
    {
      method: "get",
      path: "/friends",
      summary: "The caller's friends with presence",
      tag,
      responses: { 200: { description: "Friends", schema: FriendsReply } },
    },
    async ({ auth }) => ({ status: 200, body: { friends: await listFriends(deps, auth.userId) } }),
  );

  defineRoute(
    kit,
    { method: "delete", path: "/friends/:userId", summary: "End a friendship (idempotent)", tag, params: UserIdParams, responses: { 204: { description: "Removed" } } },
    async ({ auth, params }) => {
      await removeFriend(deps, auth.userId, params.userId);
      return { status: 204 };
    },
  );
}
