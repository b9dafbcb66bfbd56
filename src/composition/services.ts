// The domain put together over the adapters: the ports each use case takes, and the parts of the
// domain that run on their own (the feed's batching and trimming, push notices, search indexing,
// presence fan-out, call expiry notices, the transcode worker). Started here; closed by root.ts.
import type { Config } from "../config.js";
import type { AccountDeps } from "../domain/accounts.js";
import { attachmentResolver, type AttachmentDeps } from "../domain/attachments.js";
import type { BlockDeps } from "../domain/blocks.js";
import type { BotDeps } from "../domain/bots.js";
import { announceExpiries, type CallDeps } from "../domain/calls.js";
import { EventsFeed } from "../domain/feed.js";
import type { FollowDeps } from "../domain/follows.js";
import type { FriendDeps } from "../domain/friends.js";
import type { MessageDeps } from "../domain/messages.js";
import type { PlayerDeps } from "../domain/player.js";
import type { PlaylistDeps } from "../domain/playlists.js";
import type { PlayDeps } from "../domain/plays.js";
import type { RateLimiter } from "../domain/ports/rate-limiter.js";
import { PresenceFanout, type PresenceDeps } from "../domain/presence.js";
import { PushNotifier } from "../domain/push-notifier.js";
import type { PushDeps } from "../domain/push.js";
import { ReceiptBatches } from "../domain/receipt-batches.js";
import { SearchIndexFeeder } from "../domain/search-index-feeder.js";
import type { SearchDeps } from "../domain/search.js";
import type { TrackDeps } from "../domain/tracks.js";
import { TranscodeWorker } from "../domain/transcode-worker.js";
import type { UserDeps } from "../domain/users.js";
import { WebhookDispatcher } from "../domain/webhook-delivery.js";
import { wakingOnBroadcast, wakingOnRoomChange } from "../domain/webhook-wakeups.js";
import type { WebhookDeps } from "../domain/webhooks.js";
import type { Logger } from "../logger.js";
import { FfmpegTranscoder } from "../media/ffmpeg-transcoder.js";
import { startAccountData, type AccountData } from "./account-data.js";
import type { Adapters } from "./adapters.js";

// Events older than this are trimmed; a cursor from before the trim point gets 410.
const EVENT_RETENTION_MS = 3 * 86_400_000;
const EVENT_TRIM_EVERY_MS = 10 * 60_000;
// Outgoing webhooks (webhook-delivery.ts): retries wait at most an hour between attempts; a run's
// lease outlasts several 10 s attempts (it is renewed every third of it), so only a dead node's
// lapses; the sweep picks up what a lost wake-up or a lapsed lease left behind.
const WEBHOOK_RETRY_MAX_MS = 3_600_000;
const WEBHOOK_LEASE_MS = 30_000;
const WEBHOOK_SWEEP_MS = 10_000;

/**
 * The ports of the core use cases as one object: their Deps types share field names and meanings
 * (test/fakes/domain-deps.ts builds the same object from fakes).
 */
export type NodeDeps = AccountDeps & UserDeps & FriendDeps & FollowDeps & BlockDeps & MessageDeps & BotDeps & { authPerIp: RateLimiter; perUser: RateLimiter };

export interface Services {
  deps: NodeDeps;
  feed: EventsFeed;
  search: SearchDeps;
  calls: CallDeps;
  presence: PresenceDeps;
  push: PushDeps;
  attachments: AttachmentDeps;
  tracks: TrackDeps & PlayDeps;
  playlists: PlaylistDeps;
  player: PlayerDeps;
  pushNotifier: PushNotifier;
  searchFeeder: SearchIndexFeeder;
  transcodeWorker: TranscodeWorker;
  /** Export and deletion of one's own account, with the export worker (account-data.ts). */
  accountData: AccountData;
  /** Stops the feed's periodic trim. */
  stopTrimming(): void;
  /** A room's webhooks, and the deliveries of the outgoing ones (started here, stopped by root.ts). */
  webhooks: WebhookDeps;
  webhookDispatcher: WebhookDispatcher;
}

export function startServices(a: Adapters, config: Config, log: Logger): Services {
  const { rooms, users, broadcaster, presence } = a;
  const onError = (level: "warn" | "error") => (err: unknown, what: string) => log[level]({ err }, what);
  const searchFeeder = new SearchIndexFeeder(a.messageBackend.search, { onError: onError("warn") });
  const calls: CallDeps = { rooms, broadcaster, calls: a.calls, callRelay: a.callRelay };
  announceExpiries(calls);
  const pushNotifier = new PushNotifier({
    rooms,
    users,
    presence,
    pushSubscriptions: a.pushSubscriptions,
    pushSender: a.pushSender,
    pushCoalescer: a.pushCoalescer,
    blocks: a.blocks,
    windowMs: config.push.coalesceMs,
    onError: onError("warn"),
  });
  const messages = a.messageBackend.messages;
  const feed = new EventsFeed({ feedLog: a.feedLog, waker: a.waker, broadcaster, rooms, users, messages, mentions: a.mentions, blocks: a.blocks, onError: onError("error") });
  const trimFeed = setInterval(() => {
    feed.trim(new Date(Date.now() - EVENT_RETENTION_MS)).catch((err) => log.warn({ err }, "feed trim failed"));
  }, EVENT_TRIM_EVERY_MS).unref();

  // Files and music (docs/media.md): attachments, tracks with their transcode worker, plays, playlists, player.
  const media = a.media;
  const mediaLog = log.child({ component: "media" });
  const transcodeWorker = new TranscodeWorker({
    tracks: media.tracks,
    blobs: a.blobs,
    transcoder: media.transcoder,
    log: mediaLog,
    concurrency: config.media.transcodeConcurrency,
    leaseMs: config.media.transcodeLeaseMs,
    // The embedded database is locked to this one process (DATA_DIR lock).
    soleWorker: a.db.kind === "embedded",
  });
  const attachments: AttachmentDeps = {
    rooms,
    attachments: media.attachments,
    blobs: a.blobs,
    thumbnailer: media.thumbnailer,
    attachmentMaxBytes: config.media.attachmentMaxBytes,
  };
  transcodeWorker.start();
  void FfmpegTranscoder.sweepStale().then(
    (n) => n && mediaLog.info({ removed: n }, "removed transcode directories left by killed processes"),
    () => {},
  );

  const webhookDispatcher = new WebhookDispatcher({
    webhooks: a.webhooks.store,
    messages,
    sender: a.webhooks.sender,
    scheduler: a.webhooks.scheduler,
    retry: { baseMs: config.webhooks.retryBaseMs, maxMs: WEBHOOK_RETRY_MAX_MS },
    leaseMs: WEBHOOK_LEASE_MS,
    sweepMs: WEBHOOK_SWEEP_MS,
    onError: onError("warn"),
  });
  void webhookDispatcher.start().catch((err) => log.error({ err }, "webhook deliveries did not start"));

  const deps: NodeDeps = {
    users,
    sessions: a.sessions,
    emailCodes: a.emailCodes,
    bots: a.bots,
    hasher: a.hasher,
    tokens: a.tokens,
    mail: a.mail,
    loginFailures: a.limits.loginFailures,
    refreshTtlMs: config.refreshTokenTtlDays * 86_400_000,
    blobs: a.blobs,
    friends: a.friends,
    follows: a.follows,
    blocks: a.blocks,
    rooms,
    messages,
    mentions: a.mentions,
    replies: a.replies,
    calls: a.calls,
    receipts: new ReceiptBatches(messages),
    presence,
    // Message and membership changes wake the room's outgoing webhooks (webhook-delivery.ts).
    feed: wakingOnRoomChange(feed, webhookDispatcher),
    broadcaster: wakingOnBroadcast(broadcaster, webhookDispatcher),
    attachments: attachmentResolver(attachments),
    onMessageStored: (message) => {
      a.metrics.messagesSent.inc();
      pushNotifier.messageStored(message);
      searchFeeder.put(message);
    },
    onMessageChanged: (message) => searchFeeder.put(message),
    authPerIp: a.limits.authPerIp,
    perUser: a.limits.perUser,
  };

  return {
    deps,
    feed,
    search: { rooms, users, search: a.messageBackend.search },
    calls,
    presence: {
      presenceTracker: presence,
      presenceFanout: new PresenceFanout({ friends: a.friends, rooms, broadcaster, presenceTracker: presence, onError: onError("error") }),
    },
    push: { pushSubscriptions: a.pushSubscriptions, pushSender: a.pushSender, hostPolicy: a.pushSender, allowHttpEndpoints: config.push.allowHttpEndpoints },
    attachments,
    tracks: {
      tracks: media.tracks,
      blobs: a.blobs,
      transcoder: media.transcoder,
      trackMaxBytes: config.media.trackMaxBytes,
      onTrackQueued: () => transcodeWorker.poke(),
      plays: media.plays,
    },
    playlists: { playlists: media.playlists, tracks: media.tracks },
    player: { rooms, tracks: media.tracks, players: media.players, broadcaster },
    pushNotifier,
    searchFeeder,
    transcodeWorker,
    accountData: startAccountData(a, deps, config, log),
    stopTrimming: () => clearInterval(trimFeed),
    webhooks: {
      ...deps,
      webhooks: a.webhooks.store,
      hostPolicy: a.webhooks.sender,
      allowHttpTargets: config.webhooks.allowHttpTargets,
      incomingLimiter: a.webhooks.incomingLimiter,
    },
    webhookDispatcher,
  };
}
