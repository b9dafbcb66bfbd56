/**
 * Music: upload tracks, play them through hls.js, and listen together in a room. A room's player
 * (player:set / player:updated / player:get) says which track, where and whether it plays; each
 * client plays from `positionMs + (now − when it received the state)` while playing, so clients
 * agree without agreeing on clocks.
 *
 * HLS routes need the bearer token like every API route: hls.js sends it from xhrSetup. (A
 * browser without Media Source Extensions cannot add that header to native HLS and gets no player.)
 */
import "./media.css";
import type { ChatClient } from "@chat-backend/client";
import type Hls from "hls.js";
import { el, replaceChildren, setText } from "./dom.js";
import type { Player, Track } from "./types.js";

// A player further off than this from the room's position is moved to it.
const DRIFT_TOLERANCE_S = 0.75;

export class MusicController {
  /** Docked at the bottom left while open. */
  readonly panel = el("section", { class: "music-panel", "aria-label": "Music", hidden: true });
  private readonly audio = el("audio", { controls: true, preload: "none", class: "music-audio" });
  private readonly nowPlaying = el("p", { class: "music-now", role: "status" }, "Nothing playing");
  private readonly list = el("ul", { class: "music-list" });
  private readonly uploadStatus = el("p", { class: "muted music-upload-status", role: "status" });
  private hls: Hls | null = null;
  private loadedTrack: string | null = null;
  private roomId: string | null = null;
  /** The room's player as last received, with the local time it arrived. */
  private state: { player: Player; receivedAt: number } | null = null;
  private readonly tracks = new Map<string, Track>();

  constructor(private readonly client: ChatClient) {
    const close = el("button", { type: "button", class: "link" }, "Close");
    close.addEventListener("click", () => (this.panel.hidden = true));
    const pause = el("button", { type: "button", class: "secondary" }, "Pause for everyone");
    pause.addEventListener("click", () => void this.share(this.state?.player.trackId ?? this.loadedTrack, false));
    const resume = el("button", { type: "button", class: "secondary" }, "Resume for everyone");
    resume.addEventListener("click", () => void this.share(this.state?.player.trackId ?? this.loadedTrack, true));
    this.panel.append(
      el("header", { class: "music-head" }, el("strong", {}, "Music"), close),
      this.nowPlaying,
      this.audio,
      el("div", { class: "music-row" }, pause, resume),
      this.uploadForm(),
      this.list,
    );
    // A new connection (to any node) may have missed player:updated meanwhile: ask again.
    client.connection.on("player:updated", (p) => this.onPlayer(p));
    client.connection.on("connect", () => {
      if (this.roomId) void this.fetchPlayer(this.roomId);
    });
  }

  /** The chat header's button: opens the panel for this room. */
  button(roomId: string): HTMLButtonElement {
    const button = el("button", { type: "button", class: "secondary music-button" }, "♫ Music");
    button.addEventListener("click", () => void this.open(roomId));
    return button;
  }

  private async open(roomId: string) {
    this.panel.hidden = false;
    if (this.roomId !== roomId) {
      this.roomId = roomId;
      this.state = null;
      void this.fetchPlayer(roomId);
    }
    await this.refreshList();
  }

  private async fetchPlayer(roomId: string) {
    try {
      const { player } = await this.client.connection.call("player:get", { roomId });
      if (player && this.roomId === roomId) this.onPlayer(player);
    } catch {
      // offline: player:updated brings it after the reconnect
    }
  }

  private uploadForm(): HTMLElement {
    const file = el("input", { type: "file", accept: "audio/*", name: "file", required: true, "aria-label": "Audio file" });
    const title = el("input", { type: "text", name: "title", placeholder: "Title", required: true, maxlength: "200", "aria-label": "Title" });
    const artist = el("input", { type: "text", name: "artist", placeholder: "Artist (optional)", maxlength: "200", "aria-label": "Artist" });
    const form = el("form", { class: "music-upload" }, file, title, artist, el("button", { type: "submit" }, "Upload"));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const chosen = file.files?.[0];
      if (!chosen) return;
      const body = new FormData();
      body.append("file", chosen, chosen.name);
      body.append("title", title.value);
      if (artist.value.trim()) body.append("artist", artist.value);
      setText(this.uploadStatus, "Uploading…");
      try {
        const { track } = await this.client.rest.call("uploadTrack", { body });
        form.reset();
        setText(this.uploadStatus, `“${track.title}” is being transcoded…`);
        void this.waitReady(track.id);
      } catch (err) {
        setText(this.uploadStatus, `Upload failed: ${(err as Error).message}`);
      }
    });
    return el("div", {}, form, this.uploadStatus);
  }

  private async waitReady(id: string) {
    for (let i = 0; i < 600; i++) {
      const { track } = await this.client.rest.call("track", { params: { id } });
      if (track.status !== "processing") {
        setText(this.uploadStatus, track.status === "ready" ? `“${track.title}” is ready.` : `“${track.title}” failed: ${track.error ?? "unknown error"}`);
        await this.refreshList();
        return;
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }

  private async refreshList() {
    const [{ tracks }, chart] = await Promise.all([
      this.client.rest.call("tracks", { query: { limit: 30 } }),
      this.client.rest.call("charts", { query: { period: "week", limit: 10 } }).catch(() => ({ tracks: [] })),
    ]);
    const plays = new Map(chart.tracks.map((e) => [e.track.id, e.plays]));
    for (const t of tracks) this.tracks.set(t.id, t);
    replaceChildren(
      this.list,
      ...tracks
        .filter((t) => t.status === "ready")
        .map((t) => {
          const play = el("button", { type: "button", class: "link" }, "▶ Play for everyone");
          play.addEventListener("click", () => void this.share(t.id, true, 0));
          const n = plays.get(t.id);
          return el("li", {}, el("span", { class: "music-title" }, t.artist ? `${t.title} — ${t.artist}` : t.title), n ? el("span", { class: "muted" }, ` ${n} plays this week`) : null, play);
        }),
    );
  }

  /** Sets the room's player; the broadcast (to this socket too) then drives the local audio. */
  private async share(trackId: string | null, playing: boolean, positionMs = Math.round(this.audio.currentTime * 1000)) {
    if (!this.roomId || !trackId) return;
    try {
      const { player } = await this.client.connection.call("player:set", { roomId: this.roomId, trackId, positionMs, playing });
      this.onPlayer(player);
    } catch (err) {
      setText(this.nowPlaying, `Could not change the room's player: ${(err as Error).message}`);
    }
  }

  onPlayer(player: Player) {
    if (player.roomId !== this.roomId) return;
    this.state = { player, receivedAt: performance.now() };
    void this.apply();
  }

  private async apply() {
    const s = this.state;
    if (!s) return;
    const { player } = s;
    if (!player.trackId) {
      this.audio.pause();
      setText(this.nowPlaying, "Nothing playing");
      return;
    }
    if (this.loadedTrack !== player.trackId) await this.load(player.trackId);
    const target = (player.positionMs + (player.playing ? performance.now() - s.receivedAt : 0)) / 1000;
    if (Math.abs(this.audio.currentTime - target) > DRIFT_TOLERANCE_S) this.audio.currentTime = target;
    if (player.playing) await this.audio.play().catch(() => setText(this.nowPlaying, "Press play to join the room's music (the browser blocked autoplay)."));
    else this.audio.pause();
    const t = this.tracks.get(player.trackId);
    setText(this.nowPlaying, `${player.playing ? "Playing" : "Paused"}: ${t ? t.title : "a track"}`);
  }

  private async load(trackId: string) {
    this.hls?.destroy();
    this.hls = null;
    this.loadedTrack = trackId;
    if (!this.tracks.has(trackId)) {
      const { track } = await this.client.rest.call("track", { params: { id: trackId } });
      this.tracks.set(track.id, track);
    }
    const url = `/api/tracks/${trackId}/hls/index.m3u8`;
    // hls.js is most of the bundle's weight: it loads when music first plays, not with the chat.
    const { default: Hls } = await import("hls.js/light");
    if (this.loadedTrack !== trackId) return;
    if (!Hls.isSupported()) {
      setText(this.nowPlaying, "This browser cannot play HLS with authentication (no Media Source Extensions).");
      return;
    }
    const hls = new Hls({
      // Every playlist and segment request carries the (fresh) access token.
      xhrSetup: async (xhr, reqUrl) => {
        const authorization = await this.client.session.authorization().catch(() => null);
        xhr.open("GET", reqUrl, true);
        if (authorization) xhr.setRequestHeader("Authorization", authorization);
      },
    });
    this.hls = hls;
    hls.loadSource(url);
    hls.attachMedia(this.audio);
    await new Promise<void>((resolve) => hls.once(Hls.Events.MANIFEST_PARSED, () => resolve()));
    // One counted play per start (the server counts once per user per track per 30 s).
    void this.client.rest.call("recordPlay", { params: { id: trackId } }).catch(() => {});
  }
}
