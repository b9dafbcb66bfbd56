import nodemailer from "nodemailer";
import type { MailMessage, MailTransport } from "../domain/ports/mail-transport.js";

export class SmtpMailTransport implements MailTransport {
  private readonly transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
  ) {
    this.transporter = nodemailer.createTransport(smtpUrl);
  }

  async send(message: MailMessage) {
    await this.transporter.sendMail({ from: this.from, to: message.to, subject: message.subject, text: message.text });
  }
}
