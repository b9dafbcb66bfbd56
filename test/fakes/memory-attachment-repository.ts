import type { AttachmentRecord, AttachmentRepository } from "../../src/domain/ports/attachment-repository.js";
import type { TestClock } from "./clock.js";

/** AttachmentRepository (src/domain/ports/attachment-repository.ts) in memory, as PrismaAttachmentRepository behaves. */
export class MemoryAttachmentRepository implements AttachmentRepository {
  readonly records = new Map<string, AttachmentRecord>();
  private failures: Error[] = [];

  constructor(private readonly clock: TestClock) {}

  async create(record: Omit<AttachmentRecord, "createdAt">): Promise<AttachmentRecord> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    // The id is the caller's (the domain makes it); a taken id is a unique violation.
    if (this.records.has(record.id)) throw new Error(`attachment ${record.id} exists`);
    const stored = { ...record, createdAt: this.clock.now() };
    this.records.set(stored.id, stored);
    return { ...stored };
  }

  async find(id: string) {
    const r = this.records.get(id);
    return r ? { ...r } : null;
  }

  async findMany(ids: string[]) {
    return [...new Set(ids)].flatMap((id) => {
      const r = this.records.get(id);
      return r ? [{ ...r }] : [];
    });
  }

  async listByUploader(uploaderId: string, query: { limit: number; afterId?: string }) {
    return [...this.records.values()]
      .filter((r) => r.uploaderId === uploaderId && (query.afterId === undefined || r.id > query.afterId))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, query.limit)
      .map((r) => ({ ...r }));
  }

  async remove(id: string) {
    this.records.delete(id);
  }

  /** The next create() calls reject with these errors, one each (not part of the port). */
  failNextCreates(...errors: Error[]): void {
    this.failures.push(...errors);
  }
}
