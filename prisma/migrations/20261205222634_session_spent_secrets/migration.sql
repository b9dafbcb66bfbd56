-- AlterTable
ALTER TABLE "Session" ADD COLUMN     "spentHashes" TEXT[] DEFAULT ARRAY[]::TEXT[];
