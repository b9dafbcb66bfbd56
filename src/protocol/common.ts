/**
 * Wire pieces every feature uses: ids, sequence numbers, paging, the payload that names one room,
 * the empty ack. Strings and numbers only: no operator objects get through.
 */
import { z } from "zod";
import { PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX } from "./limits.js";

export const Id = z.uuid({ error: "must be an id" });
export const IdParams = z.object({ id: Id });
/** A friend request or an invite is answered by POST …/:id/<verb>, which records the answer. */
export const ANSWERS = [
  ["accept", "accepted"],
  ["decline", "declined"],
] as const;
export const UserIdParams = z.object({ userId: Id });

/** The room a socket event is about; HTTP names it in the path (`:id`) instead. */
export const RoomId = z.uuid({ error: "must be a room id" });
/** A message's position in its room (1, 2, 3 …); 0 means "before the first". */
export const Seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** The same number in a query string, where every value arrives as text. */
export const SeqParam = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** PROTOCOL: `limit` defaults to 50 and is capped at 100 on every paged route. */
export const PageLimit = z.coerce.number().int().min(1).max(PAGE_LIMIT_MAX).default(PAGE_LIMIT_DEFAULT);
export const PageQuery = z.object({ limit: PageLimit, cursor: Id.optional() });

/** A socket payload naming one room and nothing else (room:leave, call:join, player:get …). */
export const RoomPayload = z.strictObject({ roomId: RoomId });

/** The ack of an event that answers nothing but success: `{ ok: true }`. */
export const OkAck = z.object({});

/** A response body of raw bytes (files, images, HLS), for the OpenAPI document. */
export const Binary = z.string().meta({ format: "binary" });
