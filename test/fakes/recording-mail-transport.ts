import type { MailMessage, MailTransport } from "../../src/domain/ports/mail-transport.js";

/** MailTransport (src/domain/ports/mail-transport.ts) that keeps every message instead of sending it. */
export class RecordingMailTransport implements MailTransport {
  readonly sent: MailMessage[] = [];

  async send(message: MailMessage): Promise<void> {
    this.sent.push({ ...message });
  }

  lastTo(email: string): MailMessage | undefined {
    return this.sent.filter((m) => m.to === email).at(-1);
  }

  /** The 6-digit verification code in the last mail to `email`. */
  codeFor(email: string): string {
    const code = /\b(\d{6})\b/.exec(this.lastTo(email)?.text ?? "")?.[1];
    if (!code) throw new Error(`no verification code was mailed to ${email}`);
    return code;
  }
}
