/** Deleting one's own account (PROTOCOL.md, "Accounts and rooms over their life"; docs/accounts.md). */
import { z } from "zod";

/** As login: no password policy, any wrong password is 401, never 400. */
export const DeleteMeBody = z.object({ password: z.string() });
