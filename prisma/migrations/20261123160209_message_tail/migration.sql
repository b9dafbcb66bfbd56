-- CreateTable
CREATE TABLE "MessageTail" (
    "roomId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "message" JSONB NOT NULL,

    CONSTRAINT "MessageTail_pkey" PRIMARY KEY ("roomId","seq")
);
