/** An uploaded file as stored (src/domain/attachments.ts). */
export interface AttachmentRecord {
  id: string;
  roomId: string;
  uploaderId: string;
  name: string;
  size: number;
  contentType: string;
  storageKey: string;
  thumbnailKey: string | null;
  createdAt: Date;
}

export interface AttachmentRepository {
  create(record: Omit<AttachmentRecord, "createdAt">): Promise<AttachmentRecord>;
  find(id: string): Promise<AttachmentRecord | null>;
  findMany(ids: string[]): Promise<AttachmentRecord[]>;
}
