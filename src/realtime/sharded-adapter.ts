import { createShardedAdapter } from "@socket.io/redis-adapter";
import type { Cluster, Redis } from "ioredis";
import type { Namespace } from "socket.io";

/*
 * The Socket.IO adapter on a Redis Cluster: @socket.io/redis-adapter's sharded adapter (SSUBSCRIBE,
 * SPUBLISH; Redis 7) in "dynamic" mode, one channel per room (`chat#/#room:<id>#`), subscribed while
 * this node has a socket in the room, so a node receives only the broadcasts of its own rooms and
 * each room's traffic stays on the shard its channel hashes to.
 *
 * One thing is added: `socket.join` resolves once the node's subscription to a room it had no
 * socket in is in place. room:join reads what it missed after joining ("join before reading",
 * realtime/rooms.ts); with one Redis every node always listens to every room, but here a message
 * published between the join and the subscription would reach neither the read nor the socket.
 * The adapter drops the SSUBSCRIBE's reply, so the subscriber connection is wrapped to keep it.
 */

// A shard failing over answers no SSUBSCRIBE until its replica takes over: a join waits this long
// at most, then goes on (the room's broadcasts are lost meanwhile anyway; clients resync).
const SUBSCRIBE_WAIT_MS = 2_000;

type Client = Redis | Cluster;

/** The sub client with each SSUBSCRIBE's reply kept per channel until it settles. */
function recordingSubscriber(sub: Client, pending: Map<string, Promise<unknown>>): Client {
  const ssubscribe = (...channels: string[]) => {
    const reply = (sub.ssubscribe as (...c: string[]) => Promise<unknown>)(...channels).catch(() => undefined);
    for (const channel of channels) {
      pending.set(channel, reply);
      void reply.then(() => pending.get(channel) === reply && pending.delete(channel));
    }
    return reply;
  };
  return new Proxy(sub, {
    get(target, prop) {
      if (prop === "ssubscribe") return ssubscribe;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
    set: (target, prop, value) => Reflect.set(target, prop, value, target),
  });
}

export function createShardedRoomsAdapter(pub: Client, sub: Client, opts: { channelPrefix: string }) {
  const pending = new Map<string, Promise<unknown>>();
  const factory = createShardedAdapter(pub, recordingSubscriber(sub, pending), { channelPrefix: opts.channelPrefix, subscriptionMode: "dynamic" });
  // A function, not an arrow: Socket.IO calls it with `new` (and takes the object it returns).
  return function shardedRoomsAdapter(nsp: Namespace) {
    const adapter = factory(nsp);
    const addAll = adapter.addAll.bind(adapter);
    adapter.addAll = (id, rooms) => {
      void addAll(id, rooms);
      const waits = [...rooms].flatMap((room) => pending.get(`${opts.channelPrefix}#${nsp.name}#${room}#`) ?? []);
      if (!waits.length) return;
      return Promise.race([Promise.all(waits), new Promise((resolve) => setTimeout(resolve, SUBSCRIBE_WAIT_MS).unref())]).then(() => {});
    };
    return adapter;
  };
}
