// Composition of the files-and-music feature (docs/media.md): node.ts calls wireMedia once and
// plugs the result into its routes, socket groups and shutdown. Adapters are chosen here the way
// node.ts chooses the core's: Redis when configured, the database or the process otherwise.
import type { Redis } from "ioredis";
import type { Config } from "../config.js";
import { attachmentResolver, type AttachmentDeps } from "../domain/attachments.js";
import type { AttachmentResolver } from "../domain/messages.js";
import type { PlayerDeps } from "../domain/player.js";
import type { PlaylistDeps } from "../domain/playlists.js";
import type { PlayDeps } from "../domain/plays.js";
import type { BlobStorage } from "../domain/ports/blob-storage.js";
import type { Broadcaster } from "../domain/ports/broadcaster.js";
import type { RoomRepository } from "../domain/ports/room-repository.js";
import type { TrackDeps } from "../domain/tracks.js";
import { TranscodeWorker } from "../domain/transcode-worker.js";
import { registerAttachmentRoutes } from "../http/routes/attachments.js";
import { registerPlaylistRoutes } from "../http/routes/playlists.js";
import { registerTrackRoutes } from "../http/routes/tracks.js";
import type { RouteKit } from "../http/route.js";
import type { Logger } from "../logger.js";
import type { ChatSocket, GroupDeps } from "../realtime/deps.js";
import type { Inflight } from "../realtime/inflight.js";
import * as playerEvents from "../realtime/player.js";
import type { Database } from "../store/database.js";
import { MemoryPlayerStates, RedisPlayerStates } from "../store/player-states.js";
import { PrismaAttachmentRepository } from "../store/prisma-attachments.js";
import { PrismaPlayCounter } from "../store/prisma-plays.js";
import { PrismaPlaylistRepository } from "../store/prisma-playlists.js";
import { PrismaTrackRepository } from "../store/prisma-tracks.js";
import { RedisPlayCounter } from "../store/redis-plays.js";
import { FfmpegTranscoder } from "./ffmpeg-transcoder.js";
import { SharpThumbnailer } from "./sharp-thumbnailer.js";

export interface Media {
  /** The message send path's resolver for `attachmentIds`. */
  attachments: AttachmentResolver;
  routes: ((kit: RouteKit) => void)[];
  registerSocket(socket: ChatSocket, rt: GroupDeps): void;
  /** Stops the transcode worker; its running jobs go back to the queue for the next node. */
  close(): Promise<void>;
  /** As a crash: running transcodes are killed and left claimed until their lease runs out. */
  abandon(): void;
}

export function wireMedia(opts: {
  config: Config;
  db: Database;
  redis: Redis | undefined;
  blobs: BlobStorage;
  rooms: RoomRepository;
  broadcaster: Broadcaster;
  log: Logger;
}): Media {
  const { config, db, redis, blobs, rooms, broadcaster, log } = opts;
  const tracks = new PrismaTrackRepository(db.prisma);
  const transcoder = new FfmpegTranscoder();
  const worker = new TranscodeWorker({
    tracks,
    blobs,
    transcoder,
    log,
    concurrency: config.media.transcodeConcurrency,
    leaseMs: config.media.transcodeLeaseMs,
    // The embedded database is locked to this one process (DATA_DIR lock).
    soleWorker: db.kind === "embedded",
  });
  const attachmentDeps: AttachmentDeps = {
    rooms,
    attachments: new PrismaAttachmentRepository(db.prisma),
    blobs,
    thumbnailer: new SharpThumbnailer(),
    attachmentMaxBytes: config.media.attachmentMaxBytes,
  };
  const trackDeps: TrackDeps & PlayDeps = {
    tracks,
    blobs,
    transcoder,
    trackMaxBytes: config.media.trackMaxBytes,
    onTrackQueued: () => worker.poke(),
    plays: redis ? new RedisPlayCounter(redis) : new PrismaPlayCounter(db.prisma),
  };
  const playlistDeps: PlaylistDeps = { playlists: new PrismaPlaylistRepository(db.prisma), tracks };
  const players = redis ? new RedisPlayerStates(redis) : new MemoryPlayerStates();
  const playerDeps: PlayerDeps = { rooms, tracks, players, broadcaster };
  worker.start();
  void FfmpegTranscoder.sweepStale().then(
    (n) => n && log.info({ removed: n }, "removed transcode directories left by killed processes"),
    () => {},
  );

  return {
    attachments: attachmentResolver(attachmentDeps),
    routes: [
      (kit) => registerAttachmentRoutes(kit, attachmentDeps),
      (kit) => registerTrackRoutes(kit, trackDeps),
      (kit) => registerPlaylistRoutes(kit, playlistDeps),
    ],
    registerSocket: (socket, rt) => playerEvents.register(socket, { ...playerDeps, ...rt }),
    close: async () => {
      await worker.stop();
      await players.close();
    },
    abandon: () => void worker.abandon(),
  };
}
