import type { MailMessage, MailTransport } from "../../src/domain/ports/mail-transport.js";

/** Stands in for the SMTP server (outside our control): keeps every message for assertions. */
export class RecordingMail implements MailTransport {
  readonly sent: MailMessage[] = [];

  async send(message: MailMessage) {
    this.sent.push(message);
  }

  lastTo(email: string): MailMessage | undefined {
    return this.sent.filter((m) => m.to === email).at(-1);
  }
}
