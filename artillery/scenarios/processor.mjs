// Artillery processor for the chat, feed and friends scenarios: pacing, send timestamps carried in the
// message text, delivery-latency capture, read receipts and error counting.
//
// The runner (artillery/runner.ts) passes the schedule as absolute epoch milliseconds, so that the
// measured window starts only once every virtual user has connected and joined:
//   LOADTEST_SEND_FROM     sending starts (every VU waits for it)
//   LOADTEST_MEASURE_FROM  start of the measured window (after the warm-up)
//   LOADTEST_MEASURE_TO    end of the measured window; sending stops here
//   LOADTEST_LEAVE_AT      VUs disconnect (a few seconds later, so the last deliveries arrive)
//   LOADTEST_RATE_PER_USER messages (chat) or requests (friends) per second per VU; 0 = no sends (chat)
//                          or no pause (friends)
//   LOADTEST_ACK_TIMEOUT_MS, LOADTEST_RECEIPTS (1: mark read with each send), LOADTEST_POLL_TIMEOUT_S
// Only events of the measured window are counted: sends made in it, deliveries of those sends.
// Metric names (in the JSON report): counters chat.* / feed.* / friends.*, summaries *.ms.

import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";

const env = (k, d) => (process.env[k] !== undefined && process.env[k] !== "" ? Number(process.env[k]) : d);
const SEND_FROM = env("LOADTEST_SEND_FROM", 0);
const MEASURE_FROM = env("LOADTEST_MEASURE_FROM", 0);
const MEASURE_TO = env("LOADTEST_MEASURE_TO", Infinity);
const LEAVE_AT = env("LOADTEST_LEAVE_AT", MEASURE_TO);
const RATE_PER_USER = env("LOADTEST_RATE_PER_USER", 0);
const ACK_TIMEOUT_MS = env("LOADTEST_ACK_TIMEOUT_MS", 5000);
const RECEIPTS = env("LOADTEST_RECEIPTS", 1) === 1;
const POLL_TIMEOUT_S = env("LOADTEST_POLL_TIMEOUT_S", 25);
const PAD = "the quick brown fox jumps over the lazy dog";

const now = () => performance.timeOrigin + performance.now();
const inWindow = (t) => t >= MEASURE_FROM && t < MEASURE_TO;
const waitUntil = (at, done) => setTimeout(done, Math.max(0, at - now()));

// ------------------------------------------------------------------ chat (socketio engine)

/** After room:join: listen for deliveries and receipts on this VU's socket. */
export function listen(context, events, done) {
  const socket = context.sockets[""];
  const v = context.vars;
  v.lastSeq = 0;
  events.emit("counter", "chat.joined", 1);
  if (SEND_FROM && now() > SEND_FROM) events.emit("counter", "chat.joined_late", 1);
  socket.on("message:new", (m) => {
    if (typeof m?.seq === "number" && m.seq > v.lastSeq) v.lastSeq = m.seq;
    const t = parseFloat(m?.text);
    if (inWindow(t)) {
      events.emit("counter", "chat.delivered", 1);
      events.emit("histogram", "chat.delivery_ms", now() - t);
    }
  });
  socket.on("receipt:updated", () => {
    if (inWindow(now())) events.emit("counter", "chat.receipt_updates", 1);
  });
  socket.on("disconnect", (reason) => {
    if (!v.leaving) events.emit("counter", `chat.disconnected.${reason}`, 1);
  });
  done();
}

export function waitForSendStart(context, events, done) {
  waitUntil(SEND_FROM, done);
}

/** Whether this VU keeps sending (checked after each pass of the loop). */
export function stillSending(context, next) {
  next(now() < MEASURE_TO);
}

/**
 * One message:send (and, with receipts, a receipt:read for the newest seq this socket has seen),
 * without waiting for the ack: the loop is paced by pace(), not by the server's answers.
 */
export function sendMessage(context, events, done) {
  const t = now();
  if (RATE_PER_USER <= 0 || t >= MEASURE_TO) return done();
  const socket = context.sockets[""];
  const v = context.vars;
  const counted = inWindow(t);
  const roomSize = Number(v.roomSize);
  if (RECEIPTS && v.lastSeq > 0) {
    socket.timeout(ACK_TIMEOUT_MS).emit("receipt:read", { roomId: v.roomId, seq: v.lastSeq }, (err, ack) => {
      if (!counted) return;
      events.emit("counter", !err && ack?.ok ? "chat.receipts_ok" : "chat.receipts_failed", 1);
    });
  }
  if (counted) events.emit("counter", "chat.sent", 1);
  socket.timeout(ACK_TIMEOUT_MS).emit("message:send", { roomId: v.roomId, clientMsgId: randomUUID(), text: `${t.toFixed(3)}|${PAD}` }, (err, ack) => {
    if (!counted) return;
    if (err) events.emit("counter", "chat.ack_timeout", 1);
    else if (!ack?.ok) events.emit("counter", `chat.ack_failed.${ack?.error?.code ?? "unknown"}`, 1);
    else {
      events.emit("counter", "chat.acked", 1);
      events.emit("counter", "chat.expected", roomSize);
      events.emit("histogram", "chat.ack_ms", now() - t);
    }
  });
  done();
}

/**
 * Waits for this VU's next slot: one send every 1/RATE_PER_USER s, the first at a random offset so
 * the VUs do not send in lockstep. A VU that falls more than a second behind drops the backlog
 * (counted as chat.skipped: the generator could not keep up).
 */
export function pace(context, events, done) {
  const v = context.vars;
  if (RATE_PER_USER <= 0) return waitUntil(MEASURE_TO, done);
  const interval = 1000 / RATE_PER_USER;
  const t = now();
  if (v.nextAt === undefined) v.nextAt = Math.max(t, SEND_FROM) + Math.random() * interval;
  else v.nextAt += interval;
  if (t - v.nextAt > 1000) {
    const behind = Math.floor((t - v.nextAt) / interval);
    if (inWindow(t)) events.emit("counter", `${v.paceMetric ?? "chat"}.skipped`, behind);
    v.nextAt += behind * interval;
  }
  waitUntil(Math.min(v.nextAt, MEASURE_TO), done);
}

export function waitForLeave(context, events, done) {
  waitUntil(LEAVE_AT, () => {
    context.vars.leaving = true;
    done();
  });
}

// ------------------------------------------------------------------ feed (http engine)

/** Before the first poll: no cursor yet (GET /api/events answers at once with the cursor of "now"). */
export function startPolling(context, events, done) {
  context.vars.pollUrl = "/api/events";
  context.vars.seenSeq = 0;
  done();
}

/** Chains the cursor and records, for each room.updated, the time since its message was sent. */
export function pollResponse(req, res, context, events, done) {
  const v = context.vars;
  const at = now();
  if (res.statusCode === 200) {
    let body;
    try {
      body = JSON.parse(res.body);
    } catch {
      events.emit("counter", "feed.bad_body", 1);
      return done();
    }
    if (v.cursor) events.emit("counter", "feed.polls", 1);
    else events.emit("counter", "feed.pollers_started", 1);
    v.cursor = body.cursor;
    for (const ev of body.events ?? []) {
      if (ev?.type !== "room.updated") continue;
      const t = parseFloat(ev.data?.room?.lastMessage?.text);
      if (inWindow(t)) {
        events.emit("counter", "feed.delivered", 1);
        events.emit("histogram", "feed.wake_ms", at - t);
      }
    }
  } else if (res.statusCode === 410) {
    events.emit("counter", "feed.gone", 1);
    v.cursor = undefined;
  } else {
    events.emit("counter", `feed.failed.${res.statusCode}`, 1);
  }
  done();
}

/** Keeps polling until LEAVE_AT; the last polls' timeouts shrink so the VU leaves on time. */
export function keepPolling(context, next) {
  const left = Math.floor((LEAVE_AT - now()) / 1000);
  if (left < 1) return next(false);
  const v = context.vars;
  v.pollUrl = v.cursor ? `/api/events?cursor=${encodeURIComponent(v.cursor)}&timeout=${Math.min(POLL_TIMEOUT_S, left)}` : "/api/events";
  next(true);
}

// ------------------------------------------------------------------ friends (http engine)

export function startFriends(context, events, done) {
  context.vars.paceMetric = "friends";
  waitUntil(SEND_FROM, done);
}

export function friendsResponse(req, res, context, events, done) {
  const t = now();
  if (inWindow(t)) {
    if (res.statusCode === 200) {
      events.emit("counter", "friends.ok", 1);
      const ms = res.timings?.phases?.total;
      if (typeof ms === "number") events.emit("histogram", "friends.response_ms", ms);
    } else {
      events.emit("counter", `friends.failed.${res.statusCode}`, 1);
    }
  }
  done();
}

/** Friends: pace only when a rate is set (RATE_PER_USER > 0); otherwise loop as fast as answers come. */
export function paceFriends(context, events, done) {
  if (RATE_PER_USER <= 0) return done();
  return pace(context, events, done);
}

export function stillRequesting(context, next) {
  next(now() < MEASURE_TO);
}
