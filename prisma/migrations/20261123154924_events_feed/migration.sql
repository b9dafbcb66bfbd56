-- CreateTable
CREATE TABLE "FeedHead" (
    "userId" UUID NOT NULL,
    "lastSeq" INTEGER NOT NULL DEFAULT 0,
    "trimmedThrough" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "FeedHead_pkey" PRIMARY KEY ("userId")
);

-- CreateTable
CREATE TABLE "FeedEvent" (
    "userId" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "roomId" UUID,
    "data" JSONB,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "FeedEvent_pkey" PRIMARY KEY ("userId","seq")
);

-- CreateIndex
CREATE INDEX "FeedEvent_at_idx" ON "FeedEvent"("at");
