// A job runner in a process of its own, as the server runs one: the crash test kills it
// mid-job with SIGKILL and starts another on the same database file.
import { createDb } from '../../src/lib/server/db';
import { JobRunner } from '../../src/lib/server/jobs/runner';
import { TEST_SECRET } from './jobs';

const db = createDb(process.argv[2]);
// A short lease, so that the items the killed runner held go back to the queue soon.
const runner = new JobRunner(db, {
	key: TEST_SECRET,
	pollMs: 50,
	baseBackoffMs: 20,
	leaseMs: 1_000
});
await runner.start();
process.stdout.write('started\n');
setInterval(() => {}, 60_000);
