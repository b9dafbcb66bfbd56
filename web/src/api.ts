/**
 * The HTTP side of the wire contract: JSON in, JSON or problem+json out, bearer tokens with
 * transparent refresh (once per 401, serialised across tabs), and typed helpers per route.
 */
import { accessTokenFresh, getSession, reloadSession, setSession, updateTokens } from "./session.js";
import type {
  AuthReply,
  BanReply,
  BansReply,
  BlockedUsersReply,
  ChangesPage,
  EventsReply,
  ExportReply,
  FriendRequestLists,
  FriendRequestReply,
  FriendsReply,
  InviteAnswerReply,
  InvitesReply,
  MessagePage,
  MessageReply,
  MuteMemberReply,
  PinsReply,
  ReadReply,
  ReportReply,
  RoomDetailReply,
  RoomReply,
  RoomsReply,
  TokenPairReply,
  UserReply,
  UsersReply,
} from "./types.js";

/** What a message may carry besides its text (src/protocol/messages.ts SendMessageBody). */
export interface SendExtras {
  replyToSeq?: number;
  mentions?: string[];
  mentionsRoom?: boolean;
}

export interface FieldError {
  path: string;
  message: string;
}

/** An RFC 9457 problem (or a network failure, code "NETWORK"). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: FieldError[] = [],
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

interface RequestOptions {
  body?: unknown;
  /** false: no Authorization header, no refresh (sign-in routes). */
  auth?: boolean;
  /**
   * false: a 401 is the answer itself, not a stale token to refresh and retry (routes that check
   * the password again, whose wrong password is 401 like login's). The token is made fresh first.
   */
  refresh?: boolean;
  signal?: AbortSignal;
}

async function toError(res: Response): Promise<ApiError> {
  let problem: { code?: string; detail?: string; title?: string; errors?: FieldError[] } = {};
  try {
    problem = (await res.json()) as typeof problem;
  } catch {
    // not JSON (a proxy's error page): keep the status
  }
  const retryAfter = Number(res.headers.get("retry-after"));
  return new ApiError(
    res.status,
    problem.code ?? (res.status >= 500 ? "UNAVAILABLE" : "HTTP_" + res.status),
    problem.detail || problem.title || `HTTP ${res.status}`,
    Array.isArray(problem.errors) ? problem.errors : [],
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  );
}

async function send(method: string, path: string, token: string | null, opts: RequestOptions, accept = "application/json"): Promise<Response> {
  const headers: Record<string, string> = { accept };
  if (token) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(opts.body);
  }
  try {
    return await fetch(path, { method, headers, body, signal: opts.signal, cache: "no-store" });
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    throw new ApiError(0, "NETWORK", "The server cannot be reached.");
  }
}

let refreshing: Promise<string | null> | null = null;

/**
 * Trades the refresh token for a new pair. One refresh at a time per tab, and across tabs
 * under a Web Lock: inside it, storage is read again, and a token another tab already rotated
 * is used as it is rather than presenting the spent one (which would revoke the login).
 * Resolves with the new access token, or null when the login is over (signed out here).
 */
export function refreshTokens(staleAccessToken?: string): Promise<string | null> {
  refreshing ??= (async () => {
    const run = async (): Promise<string | null> => {
      const session = reloadSession();
      if (!session) return null;
      if (staleAccessToken && session.accessToken !== staleAccessToken && accessTokenFresh(session.accessToken)) {
        return session.accessToken; // another tab refreshed meanwhile
      }
      const res = await send("POST", "/api/auth/refresh", null, { body: { refreshToken: session.refreshToken } });
      if (res.ok) {
        const pair = (await res.json()) as TokenPairReply;
        updateTokens(pair.accessToken, pair.refreshToken);
        return pair.accessToken;
      }
      if (res.status === 401 || res.status === 400) {
        setSession(null);
        return null;
      }
      throw await toError(res);
    };
    const locks = (navigator as Navigator & { locks?: LockManager }).locks;
    return locks ? locks.request("chat.refresh", run) : run();
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/** A token good for a while yet (refreshed first when close to expiry). */
export async function freshAccessToken(): Promise<string | null> {
  const session = getSession();
  if (!session) return null;
  if (accessTokenFresh(session.accessToken)) return session.accessToken;
  return refreshTokens(session.accessToken);
}

/** The answer of an authorised call, refreshed once on a 401 (unless `opts.refresh` is false). */
async function authorised(method: string, path: string, opts: RequestOptions, accept?: string): Promise<Response> {
  const authed = opts.auth !== false;
  let token = authed ? await freshAccessToken() : null;
  if (authed && !token) throw new ApiError(401, "UNAUTHORIZED", "Signed out.");
  let res = await send(method, path, token, opts, accept);
  if (authed && opts.refresh !== false && res.status === 401) {
    token = await refreshTokens(token ?? undefined);
    if (!token) throw new ApiError(401, "UNAUTHORIZED", "Your session has ended. Please sign in again.");
    res = await send(method, path, token, opts, accept);
  }
  if (!res.ok) throw await toError(res);
  return res;
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await authorised(method, path, opts);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** A file behind the bearer token (a data export): its bytes, held by the page as a Blob. */
export async function download(path: string, signal?: AbortSignal): Promise<Blob> {
  const res = await authorised("GET", path, { signal }, "*/*");
  return res.blob();
}

const enc = encodeURIComponent;

export const api = {
  signup: (body: { email: string; password: string; displayName: string }) => request<AuthReply>("POST", "/api/auth/signup", { body, auth: false }),
  login: (body: { email: string; password: string }) => request<AuthReply>("POST", "/api/auth/login", { body, auth: false }),
  async logout(): Promise<void> {
    const session = getSession();
    setSession(null);
    if (session) await request("POST", "/api/auth/logout", { body: { refreshToken: session.refreshToken }, auth: false }).catch(() => {});
  },
  me: () => request<UserReply>("GET", "/api/me"),
  /** DELETE /api/me: the password is checked as login checks it (wrong: 401, nothing done). */
  deleteMe: (password: string) => request<void>("DELETE", "/api/me", { body: { password }, refresh: false }),
  requestExport: () => request<ExportReply>("POST", "/api/me/export"),
  exportStatus: (id: string) => request<ExportReply>("GET", `/api/me/exports/${enc(id)}`),
  report: (target: { messageId: string } | { userId: string }, reason: string) => request<ReportReply>("POST", "/api/reports", { body: { ...target, reason } }),
  user: (id: string) => request<UserReply>("GET", `/api/users/${enc(id)}`),
  searchUsers: (q: string) => request<UsersReply>("GET", `/api/users?q=${enc(q)}&limit=20`),

  friends: () => request<FriendsReply>("GET", "/api/friends"),
  friendRequests: () => request<FriendRequestLists>("GET", "/api/friends/requests"),
  requestFriend: (userId: string) => request<FriendRequestReply>("POST", "/api/friends/requests", { body: { userId } }),
  answerFriend: (id: string, verb: "accept" | "decline") => request<FriendRequestReply>("POST", `/api/friends/requests/${enc(id)}/${verb}`),
  removeFriend: (userId: string) => request<void>("DELETE", `/api/friends/${enc(userId)}`),

  rooms: () => request<RoomsReply>("GET", "/api/rooms"),
  room: (id: string) => request<RoomDetailReply>("GET", `/api/rooms/${enc(id)}`),
  createGroup: (name: string, memberIds: string[]) => request<RoomReply>("POST", "/api/rooms", { body: { type: "group", name, memberIds } }),
  openDirect: (userId: string) => request<RoomReply>("POST", "/api/rooms", { body: { type: "direct", userId } }),
  inviteToRoom: (roomId: string, userIds: string[]) => request<InvitesReply>("POST", `/api/rooms/${enc(roomId)}/invites`, { body: { userIds } }),
  invites: () => request<InvitesReply>("GET", "/api/invites"),
  answerInvite: (id: string, verb: "accept" | "decline") => request<InviteAnswerReply>("POST", `/api/invites/${enc(id)}/${verb}`),
  leaveRoom: (roomId: string) => request<void>("POST", `/api/rooms/${enc(roomId)}/leave`),
  // Room admin (group rooms; owner and admins, roles and transfer the owner alone).
  updateRoom: (roomId: string, patch: { name?: string; topic?: string | null }) => request<RoomReply>("PATCH", `/api/rooms/${enc(roomId)}`, { body: patch }),
  setRole: (roomId: string, userId: string, role: "admin" | "member") => request<RoomReply>("PUT", `/api/rooms/${enc(roomId)}/members/${enc(userId)}/role`, { body: { role } }),
  transferRoom: (roomId: string, userId: string) => request<RoomReply>("POST", `/api/rooms/${enc(roomId)}/transfer`, { body: { userId } }),
  removeMember: (roomId: string, userId: string) => request<void>("DELETE", `/api/rooms/${enc(roomId)}/members/${enc(userId)}`),
  bans: (roomId: string) => request<BansReply>("GET", `/api/rooms/${enc(roomId)}/bans`),
  ban: (roomId: string, userId: string, reason: string) => request<BanReply>("PUT", `/api/rooms/${enc(roomId)}/bans/${enc(userId)}`, { body: reason ? { reason } : {} }),
  unban: (roomId: string, userId: string) => request<void>("DELETE", `/api/rooms/${enc(roomId)}/bans/${enc(userId)}`),
  muteMember: (roomId: string, userId: string, seconds: number) => request<MuteMemberReply>("PUT", `/api/rooms/${enc(roomId)}/mutes/${enc(userId)}`, { body: { seconds } }),
  unmuteMember: (roomId: string, userId: string) => request<void>("DELETE", `/api/rooms/${enc(roomId)}/mutes/${enc(userId)}`),

  messagesBefore: (roomId: string, before: number | null, limit = 50) =>
    request<MessagePage>("GET", `/api/rooms/${enc(roomId)}/messages?limit=${limit}${before ? `&before=${before}` : ""}`),
  messagesAfter: (roomId: string, after: number, limit = 100) =>
    request<MessagePage>("GET", `/api/rooms/${enc(roomId)}/messages?after=${after}&limit=${limit}`),
  sendMessage: (roomId: string, clientMsgId: string, text: string, extras: SendExtras = {}) =>
    request<MessageReply>("POST", `/api/rooms/${enc(roomId)}/messages`, { body: { clientMsgId, text, ...extras } }),
  /** Every message changed (or new) after `afterRev`, ascending by rev. */
  changes: (roomId: string, afterRev: number, limit = 100) => request<ChangesPage>("GET", `/api/rooms/${enc(roomId)}/changes?afterRev=${afterRev}&limit=${limit}`),
  react: (roomId: string, seq: number, emoji: string, add: boolean) =>
    request<MessageReply>(add ? "PUT" : "DELETE", `/api/rooms/${enc(roomId)}/messages/${seq}/reactions/${enc(emoji)}`),
  pins: (roomId: string) => request<PinsReply>("GET", `/api/rooms/${enc(roomId)}/pins`),
  pin: (roomId: string, seq: number, pinned: boolean) => request<MessageReply>(pinned ? "PUT" : "DELETE", `/api/rooms/${enc(roomId)}/pins/${seq}`),

  blocks: () => request<BlockedUsersReply>("GET", "/api/blocks"),
  block: (userId: string) => request<void>("PUT", `/api/blocks/${enc(userId)}`),
  unblock: (userId: string) => request<void>("DELETE", `/api/blocks/${enc(userId)}`),
  markRead: (roomId: string, seq: number) => request<ReadReply>("POST", `/api/rooms/${enc(roomId)}/read`, { body: { seq } }),

  events: (cursor: string | null, signal?: AbortSignal) =>
    request<EventsReply>("GET", cursor ? `/api/events?cursor=${enc(cursor)}&timeout=25` : "/api/events", { signal }),
};
