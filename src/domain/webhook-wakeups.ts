// Wake-ups of outgoing webhooks (webhook-delivery.ts), where the node learns of changes.
import type { Broadcaster } from "./ports/broadcaster.js";
import type { FeedPublisher } from "./ports/feed.js";
import type { WebhookDispatcher } from "./webhook-delivery.js";

/**
 * Where the node learns of changes: every message change is broadcast to its room, every
 * membership change tells the feed. These wrap the two ports the use cases call and wake the
 * room's webhooks after each.
 */
export function wakingOnBroadcast(broadcaster: Broadcaster, dispatcher: Pick<WebhookDispatcher, "roomChanged">): Broadcaster {
  return {
    toRoom: (roomId, event, payload, opts) => {
      broadcaster.toRoom(roomId, event, payload, opts);
      if (event === "message:new" || event === "message:updated") dispatcher.roomChanged(roomId);
    },
    detachUser: (userId, roomId) => broadcaster.detachUser(userId, roomId),
    toUsers: (userIds, event, payload) => broadcaster.toUsers(userIds, event, payload),
  };
}

export function wakingOnRoomChange(feed: FeedPublisher, dispatcher: Pick<WebhookDispatcher, "roomChanged">): FeedPublisher {
  return {
    publish: (userId, event) => feed.publish(userId, event),
    roomChanged: async (roomId, userIds) => {
      await feed.roomChanged(roomId, userIds);
      dispatcher.roomChanged(roomId);
    },
  };
}
