-- Webhooks (src/domain/webhooks.ts, docs/integrations.md): a room's incoming and outgoing
-- webhooks, the latest delivery attempts, and the member events waiting for delivery.

-- CreateTable
CREATE TABLE "Webhook" (
    "id" UUID NOT NULL,
    "roomId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "createdById" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "name" TEXT,
    "userId" UUID,
    "secretHash" TEXT,
    "targetUrl" TEXT,
    "secret" TEXT,
    "events" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "cursorRev" INTEGER NOT NULL DEFAULT 0,
    "cursorSeq" INTEGER NOT NULL DEFAULT 0,
    "runToken" TEXT,
    "runUntil" TIMESTAMPTZ(3),
    "wanted" BOOLEAN NOT NULL DEFAULT false,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "retryAt" TIMESTAMPTZ(3),
    "pending" JSONB,

    CONSTRAINT "Webhook_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WebhookDelivery" (
    "id" BIGSERIAL NOT NULL,
    "webhookId" UUID NOT NULL,
    "eventId" TEXT NOT NULL,
    "eventType" TEXT NOT NULL,
    "status" INTEGER,
    "ok" BOOLEAN NOT NULL,
    "error" TEXT,
    "durationMs" INTEGER NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WebhookDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WebhookMemberEvent" (
    "id" BIGSERIAL NOT NULL,
    "webhookId" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "afterRev" INTEGER,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WebhookMemberEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Webhook_userId_key" ON "Webhook"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "Webhook_secretHash_key" ON "Webhook"("secretHash");

-- CreateIndex
CREATE INDEX "Webhook_roomId_createdAt_idx" ON "Webhook"("roomId", "createdAt");

-- CreateIndex
CREATE INDEX "WebhookDelivery_webhookId_id_idx" ON "WebhookDelivery"("webhookId", "id");

-- CreateIndex
CREATE INDEX "WebhookMemberEvent_webhookId_id_idx" ON "WebhookMemberEvent"("webhookId", "id");

-- AddForeignKey
ALTER TABLE "Webhook" ADD CONSTRAINT "Webhook_roomId_fkey" FOREIGN KEY ("roomId") REFERENCES "Room"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WebhookDelivery" ADD CONSTRAINT "WebhookDelivery_webhookId_fkey" FOREIGN KEY ("webhookId") REFERENCES "Webhook"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- member.joined / member.left for the room's outgoing webhooks that asked for them, written in the
-- transaction that adds or removes the membership, so no path that changes members is missed
-- (invites, direct rooms, leaves, removals, bans, account deletion). `afterRev` is the room's rev
-- then (MessageHead: the messages are in PostgreSQL), null otherwise (MongoDB: the delivery run
-- places it). Nothing is written while the
-- room itself is being deleted (its webhooks go with it), and there is no foreign key, so this can
-- never fail the membership change that fired it.
CREATE FUNCTION webhook_member_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  member "Membership"%ROWTYPE;
  event_type text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    member := NEW;
    event_type := 'member.joined';
  ELSE
    member := OLD;
    event_type := 'member.left';
  END IF;
  INSERT INTO "WebhookMemberEvent" ("webhookId", "userId", "type", "afterRev")
  SELECT w."id", member."userId", event_type, COALESCE(
    (SELECT h."rev" FROM "MessageHead" h WHERE h."roomId" = member."roomId"::text),
    -- A room with no message yet is at rev 0, where the messages are in PostgreSQL at all.
    CASE WHEN EXISTS (SELECT 1 FROM "MessageHead") THEN 0 END)
  FROM "Webhook" w
  WHERE w."roomId" = member."roomId" AND w."kind" = 'outgoing' AND event_type = ANY (w."events")
    AND EXISTS (SELECT 1 FROM "Room" r WHERE r."id" = member."roomId");
  RETURN NULL;
END;
$$;

CREATE TRIGGER "Membership_webhook_member_event" AFTER INSERT OR DELETE ON "Membership"
  FOR EACH ROW EXECUTE FUNCTION webhook_member_event();
