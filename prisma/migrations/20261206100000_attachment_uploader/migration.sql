-- An uploader's attachments (account export and deletion page through them by id): without it
-- every page of listByUploader scanned the whole table.
CREATE INDEX "Attachment_uploaderId_id_idx" ON "Attachment"("uploaderId", "id");
