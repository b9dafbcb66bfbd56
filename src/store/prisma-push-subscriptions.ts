import type { PushSubscriptionRecord, PushSubscriptionRepository } from "../domain/ports/push-subscriptions.js";
import type { Prisma } from "./database.js";
import { isUniqueViolation } from "./prisma-errors.js";

export class PrismaPushSubscriptionRepository implements PushSubscriptionRepository {
  constructor(private readonly prisma: Prisma) {}

  async save(userId: string, sub: { endpoint: string; p256dh: string; auth: string }, maxPerUser: number): Promise<PushSubscriptionRecord> {
    // An upsert on the unique endpoint; two registrations of one endpoint at once both end in it.
    let saved: PushSubscriptionRecord;
    try {
      saved = await this.prisma.pushSubscription.upsert({ where: { endpoint: sub.endpoint }, create: { userId, ...sub }, update: { userId, p256dh: sub.p256dh, auth: sub.auth } });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      saved = await this.prisma.pushSubscription.update({ where: { endpoint: sub.endpoint }, data: { userId, p256dh: sub.p256dh, auth: sub.auth } });
    }
    const extra = await this.prisma.pushSubscription.findMany({ where: { userId }, orderBy: [{ createdAt: "desc" }, { id: "desc" }], skip: maxPerUser, select: { id: true } });
    if (extra.length) await this.prisma.pushSubscription.deleteMany({ where: { id: { in: extra.map((e) => e.id) }, NOT: { id: saved.id } } });
    return saved;
  }

  list(userId: string) {
    return this.prisma.pushSubscription.findMany({ where: { userId }, orderBy: { createdAt: "asc" } });
  }

  async remove(userId: string, id: string) {
    return (await this.prisma.pushSubscription.deleteMany({ where: { id, userId } })).count > 0;
  }

  async removeExpired(id: string) {
    await this.prisma.pushSubscription.deleteMany({ where: { id } });
  }

  forUsers(userIds: string[]) {
    return this.prisma.pushSubscription.findMany({ where: { userId: { in: userIds } } });
  }

  recipients(roomIds: string[]) {
    return this.prisma.membership.findMany({
      where: { roomId: { in: roomIds }, user: { pushSubscriptions: { some: {} } } },
      select: { roomId: true, userId: true, muted: true },
    });
  }
}
