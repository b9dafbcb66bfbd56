import type { Logger } from "../logger.js";
import type { MailMessage, MailTransport } from "../domain/ports/mail-transport.js";

/**
 * With no SMTP configured, mail goes to the log so a developer can read verification codes.
 * This is the one place a code appears in a log, on purpose, and only without SMTP.
 */
export class LogMailTransport implements MailTransport {
  constructor(private readonly log: Logger) {}

  async send(message: MailMessage) {
    this.log.info({ mail: { to: message.to, subject: message.subject, text: message.text } }, "mail (no SMTP_URL configured)");
  }
}
