import type { AttachmentRecord, AttachmentRepository } from "../domain/ports/attachment-repository.js";
import type { Prisma } from "./database.js";

export class PrismaAttachmentRepository implements AttachmentRepository {
  constructor(private readonly prisma: Prisma) {}

  create(record: Omit<AttachmentRecord, "createdAt">): Promise<AttachmentRecord> {
    return this.prisma.attachment.create({ data: record });
  }

  find(id: string): Promise<AttachmentRecord | null> {
    return this.prisma.attachment.findUnique({ where: { id } });
  }

  findMany(ids: string[]): Promise<AttachmentRecord[]> {
    return ids.length ? this.prisma.attachment.findMany({ where: { id: { in: ids } } }) : Promise.resolve([]);
  }

  // (uploaderId, id) is indexed: each page is a range of it.
  listByUploader(uploaderId: string, query: { limit: number; afterId?: string }): Promise<AttachmentRecord[]> {
    return this.prisma.attachment.findMany({
      where: { uploaderId, ...(query.afterId ? { id: { gt: query.afterId } } : {}) },
      orderBy: { id: "asc" },
      take: query.limit,
    });
  }

  async remove(id: string): Promise<void> {
    await this.prisma.attachment.deleteMany({ where: { id } });
  }
}
