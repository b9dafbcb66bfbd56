/**
 * Reporting a message or a person (POST /api/reports): a reason asked in a small dialog, then a
 * note that it went. A message report reaches the room's owner and admins (without the
 * reporter's name) and the operators; a person report, the operators.
 */
import { rest } from "./client.js";
import { ask } from "./ask-dialog.js";
import { showToast } from "./toast.js";
import type { Message } from "./types.js";
import { REPORT_TEXT_MAX } from "../../src/protocol/limits.js";

const REASON = { label: "Why are you reporting this?", required: true, maxLength: REPORT_TEXT_MAX, multiline: true, placeholder: "Spam, harassment, something else…" };

export async function reportMessage(message: Pick<Message, "id">, senderName: string): Promise<void> {
  const sent = await ask({
    title: `Report a message from ${senderName}`,
    text: "The room's owner and admins will see the message and your reason, but not your name; the service's operators see the report too.",
    field: REASON,
    confirm: "Send report",
    submit: async (reason) => void (await rest().call("report", { body: { messageId: message.id, reason } })),
  });
  if (sent !== null) showToast("Report sent. Thank you: the moderators will look at it.");
}

export async function reportUser(userId: string, name: string): Promise<void> {
  const sent = await ask({
    title: `Report ${name}`,
    text: "The service's operators will see your reason.",
    field: REASON,
    confirm: "Send report",
    submit: async (reason) => void (await rest().call("report", { body: { userId, reason } })),
  });
  if (sent !== null) showToast(`Report sent. Thank you: the operators will look at ${name}'s account.`);
}
