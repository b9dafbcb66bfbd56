/**
 * The wire contract's numbers (PROTOCOL.md, "Details every client relies on"): what the schemas of
 * both doors enforce and what the use cases check again. They live here, in a file that imports
 * nothing, so the browser client can type-check against the schemas without pulling in the domain
 * (whose modules use Node APIs); the domain imports them from here.
 */

/** PROTOCOL: passwords are 8–128 characters of any kind. */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
/** PROTOCOL: displayName 1–50 characters. */
export const DISPLAY_NAME_MAX = 50;
export const STATUS_MESSAGE_MAX = 200;

/** PROTOCOL: message text at most 4,000 characters. */
export const MESSAGE_TEXT_MAX = 4_000;
/** PROTOCOL: paged routes default to 50 and cap at 100. */
export const PAGE_LIMIT_DEFAULT = 50;
export const PAGE_LIMIT_MAX = 100;
/** One sync asks for at most this many rooms: a client in more rooms syncs in several calls. */
export const SYNC_ROOMS_MAX = 200;
export const ATTACHMENTS_PER_MESSAGE_MAX = 10;

export const ROOM_NAME_MAX = 100;
export const GROUP_INVITES_MAX = 100;
/** A group's topic (PATCH /api/rooms/:id): a line or two under its name. */
export const ROOM_TOPIC_MAX = 500;
/** Why someone was banned, as the room's admins read it in GET /api/rooms/:id/bans. */
export const BAN_REASON_MAX = 500;
/** The longest mute, in seconds (a year): longer than that is a ban. */
export const MUTE_SECONDS_MAX = 365 * 86_400;

/** PROTOCOL: a report's reason is 1–500 characters; an operator's resolution and suspension reason too. */
export const REPORT_TEXT_MAX = 500;

export const PLAYLIST_NAME_MAX = 100;
export const PLAYLIST_TRACKS_MAX = 500;
export const CHART_LIMIT_MAX = 100;
/** Longer than any track may be (the upload limit would be hit first); bounds what a client sets. */
export const POSITION_MAX_MS = 24 * 3_600_000;

/** Long enough for every push service's endpoint URL seen in the wild (about 500 characters). */
export const PUSH_ENDPOINT_MAX = 2_048;
/** PROTOCOL: search `q` is 1–200 characters. */
export const SEARCH_QUERY_MAX = 200;
/** People one message may mention by id. */
export const MENTIONS_PER_MESSAGE_MAX = 50;
/** Characters of a :shortcode: reaction between its colons. */
export const SHORTCODE_MAX = 32;
