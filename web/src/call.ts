/**
 * Calls: a mesh of RTCPeerConnections, one per other participant, signaled over the socket
 * (call:join / call:signal / call:leave; call:updated says who is in each room's call).
 * Whoever joins offers to everyone already in the call and the others answer, so two peers
 * never offer to each other at once. One call at a time; it survives switching rooms.
 */
import "./call.css";
import type { ChatClient } from "@chat-backend/client";
import { el, replaceChildren, setText } from "./dom.js";
import type { Store } from "./store.js";
import type { CallSignal, SignalKind } from "./types.js";

interface Peer {
  pc: RTCPeerConnection;
  tile: HTMLElement;
  /** Candidates that came before the remote description (they cannot be added yet). */
  early: RTCIceCandidateInit[];
}

export class CallController {
  /** Fixed at the bottom of the window while a call runs. */
  readonly panel = el("section", { class: "call-panel", "aria-label": "Call", hidden: true });
  private roomId: string | null = null;
  private local: MediaStream | null = null;
  private iceServers: RTCIceServer[] = [];
  private readonly peers = new Map<string, Peer>();
  /** Participants of each room's call, as the last call:updated said (for the join buttons). */
  private readonly calls = new Map<string, string[]>();
  private readonly listeners = new Set<() => void>();
  private readonly status = el("p", { class: "call-status", role: "status" });
  private readonly videos = el("div", { class: "call-videos" });

  constructor(
    private readonly client: ChatClient,
    private readonly store: Store,
  ) {
    const hangUp = el("button", { type: "button", class: "danger call-hangup" }, "Hang up");
    hangUp.addEventListener("click", () => void this.hangUp());
    this.panel.append(this.status, this.videos, hangUp);
    client.connection.on("call:updated", (u) => this.onUpdated(u.roomId, u.participants));
    client.connection.on("call:signal", (s) => void this.onSignal(s).catch((err) => this.fail(err)));
    client.connection.on("disconnect", () => {
      // The server drops a closed socket from its calls: the call ended for this tab.
      if (this.roomId) this.end("Call ended: the connection was lost.");
    });
  }

  /** The chat header's button: start the call, join it (with how many are in), or show that we are in it. */
  button(roomId: string): HTMLButtonElement {
    const button = el("button", { type: "button", class: "secondary call-button" });
    const render = () => {
      const inCall = this.calls.get(roomId)?.length ?? 0;
      const mine = this.roomId === roomId;
      setText(button, mine ? "In call" : inCall ? `Join call (${inCall})` : "Call");
      button.disabled = mine;
    };
    // The chat view inserts the button at once; once it is out of the page, it stops listening.
    const listener = () => (button.isConnected ? render() : this.listeners.delete(listener));
    this.listeners.add(listener);
    render();
    button.addEventListener("click", () => void this.start(roomId).catch((err) => this.fail(err)));
    // Someone may be in the call already; call:updated only tells of changes from now on.
    void this.client.rest.call("callParticipants", { params: { id: roomId } }).then(
      ({ participants }) => {
        if (!this.calls.has(roomId)) this.onUpdated(roomId, participants);
      },
      () => {},
    );
    return button;
  }

  async start(roomId: string): Promise<void> {
    if (this.roomId === roomId) return;
    if (this.roomId) await this.hangUp();
    this.roomId = roomId;
    this.show("Starting the call…");
    try {
      const { iceServers } = await this.client.rest.call("iceServers");
      this.iceServers = iceServers;
      this.local = await navigator.mediaDevices.getUserMedia({ audio: true, video: true }).catch(() => navigator.mediaDevices.getUserMedia({ audio: true }));
      if (this.roomId !== roomId) return; // hung up meanwhile
      this.addTile(this.store.me.id, this.local, true);
      const { participants } = await this.client.connection.call("call:join", { roomId });
      this.calls.set(roomId, participants);
      for (const id of participants) if (id !== this.store.me.id) await this.offer(id);
      this.renderStatus();
    } catch (err) {
      this.end();
      throw err;
    }
  }

  async hangUp(): Promise<void> {
    const roomId = this.roomId;
    this.end();
    if (roomId && this.client.connection.connected) await this.client.connection.call("call:leave", { roomId }).catch(() => {});
  }

  private end(message = ""): void {
    for (const peer of this.peers.values()) peer.pc.close();
    this.peers.clear();
    for (const track of this.local?.getTracks() ?? []) track.stop();
    this.local = null;
    this.roomId = null;
    replaceChildren(this.videos);
    this.panel.hidden = !message;
    setText(this.status, message);
    this.panel.dataset.state = "ended";
    this.notify();
  }

  private onUpdated(roomId: string, participants: string[]): void {
    this.calls.set(roomId, participants);
    if (roomId === this.roomId) {
      for (const [id, peer] of this.peers) {
        if (participants.includes(id)) continue;
        peer.pc.close();
        peer.tile.remove();
        this.peers.delete(id);
      }
      this.renderStatus();
    }
    this.notify();
  }

  private async onSignal(s: CallSignal): Promise<void> {
    if (s.roomId !== this.roomId) return;
    if (s.kind === "offer") {
      const peer = this.peers.get(s.fromUserId) ?? this.peer(s.fromUserId);
      await peer.pc.setRemoteDescription(s.data as RTCSessionDescriptionInit);
      await this.flushEarly(peer);
      await peer.pc.setLocalDescription(await peer.pc.createAnswer());
      await this.send(s.fromUserId, "answer", peer.pc.localDescription!.toJSON());
      return;
    }
    const peer = this.peers.get(s.fromUserId);
    if (!peer) return;
    if (s.kind === "answer") {
      await peer.pc.setRemoteDescription(s.data as RTCSessionDescriptionInit);
      await this.flushEarly(peer);
    } else if (s.data) {
      if (peer.pc.remoteDescription) await peer.pc.addIceCandidate(s.data as RTCIceCandidateInit);
      else peer.early.push(s.data as RTCIceCandidateInit);
    }
  }

  private async flushEarly(peer: Peer) {
    for (const c of peer.early.splice(0)) await peer.pc.addIceCandidate(c);
  }

  private async offer(userId: string): Promise<void> {
    const peer = this.peer(userId);
    await peer.pc.setLocalDescription(await peer.pc.createOffer());
    await this.send(userId, "offer", peer.pc.localDescription!.toJSON());
  }

  private send(toUserId: string, kind: SignalKind, data: unknown) {
    const roomId = this.roomId;
    if (!roomId) return Promise.resolve();
    return this.client.connection.call("call:signal", { roomId, toUserId, kind, data }).then(() => undefined);
  }

  private peer(userId: string): Peer {
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    const remote = new MediaStream();
    const peer: Peer = { pc, tile: this.addTile(userId, remote, false), early: [] };
    this.peers.set(userId, peer);
    for (const track of this.local?.getTracks() ?? []) pc.addTrack(track, this.local!);
    pc.addEventListener("icecandidate", (e) => void this.send(userId, "candidate", e.candidate ? e.candidate.toJSON() : null).catch(() => {}));
    pc.addEventListener("track", (e) => remote.addTrack(e.track));
    pc.addEventListener("connectionstatechange", () => {
      peer.tile.dataset.state = pc.connectionState;
      this.renderStatus();
    });
    return peer;
  }

  private addTile(userId: string, stream: MediaStream, self: boolean): HTMLElement {
    const video = el("video", { autoplay: true, playsinline: true });
    video.muted = self; // never play our own microphone back
    video.srcObject = stream;
    const tile = el("figure", { class: "call-tile", "data-user-id": userId, "data-state": self ? "local" : "new" }, video, el("figcaption", {}, self ? "You" : this.store.userName(userId)));
    this.videos.append(tile);
    return tile;
  }

  private renderStatus(): void {
    if (!this.roomId) return;
    const connected = [...this.peers.values()].filter((p) => p.pc.connectionState === "connected").length;
    const others = (this.calls.get(this.roomId)?.length ?? 1) - 1;
    this.show(others === 0 ? "Waiting for others to join…" : `In call · ${connected} of ${others} connected`);
    this.panel.dataset.state = others > 0 && connected === others ? "connected" : "connecting";
  }

  private show(text: string): void {
    setText(this.status, text);
    this.panel.hidden = false;
    this.notify();
  }

  private fail(err: unknown): void {
    setText(this.status, `Call problem: ${(err as Error).message || "unknown error"}`);
    this.panel.hidden = false;
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }
}
