-- CreateTable
CREATE TABLE "MessageChunk" (
    "roomId" TEXT NOT NULL,
    "firstSeq" INTEGER NOT NULL,
    "lastSeq" INTEGER NOT NULL,
    "bucket" TIMESTAMPTZ(3) NOT NULL,
    "count" INTEGER NOT NULL,
    "bytes" INTEGER NOT NULL,
    "messages" JSONB NOT NULL,

    CONSTRAINT "MessageChunk_pkey" PRIMARY KEY ("roomId","firstSeq")
);

-- CreateTable
CREATE TABLE "MessageHead" (
    "roomId" TEXT NOT NULL,
    "lastSeq" INTEGER NOT NULL,
    "lastMessage" JSONB,
    "openFirstSeq" INTEGER NOT NULL,
    "openBucket" TIMESTAMPTZ(3) NOT NULL,
    "openCount" INTEGER NOT NULL,
    "openBytes" INTEGER NOT NULL,

    CONSTRAINT "MessageHead_pkey" PRIMARY KEY ("roomId")
);

-- CreateTable
CREATE TABLE "MessageKey" (
    "roomId" TEXT NOT NULL,
    "senderId" TEXT NOT NULL,
    "clientMsgId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,

    CONSTRAINT "MessageKey_pkey" PRIMARY KEY ("roomId","senderId","clientMsgId")
);
