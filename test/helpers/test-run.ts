// Which test run this process belongs to: the id of the run's first process (mocha itself),
// inherited by the worker processes mocha --parallel forks. Loaded first by .mocharc.json's
// "require", in mocha's own process, before any worker starts. What a run makes once for all its
// processes (the migrated embedded database) is named by it, so no other run takes it for its own.
process.env.CHAT_TEST_RUN ||= String(process.pid);

export const TEST_RUN = process.env.CHAT_TEST_RUN;
