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
  /** The uploader's files in id order, after `afterId` (account export and deletion). */
  listByUploader(uploaderId: string, query: { limit: number; afterId?: string }): Promise<AttachmentRecord[]>;
  /** Deletes the row (its bytes are the caller's to delete first); a missing id is fine. */
  remove(id: string): Promise<void>;
}
