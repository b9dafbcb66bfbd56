-- CreateTable
CREATE TABLE "MessageReply" (
    "roomId" TEXT NOT NULL,
    "toSeq" INTEGER NOT NULL,
    "seq" INTEGER NOT NULL,

    CONSTRAINT "MessageReply_pkey" PRIMARY KEY ("roomId","toSeq","seq")
);
