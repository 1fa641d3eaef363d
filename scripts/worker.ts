// A Winnow process of one role, from the sources: what `WINNOW_ROLE=worker npm start` runs from
// the build, for the tests and benchmarks that start several processes on one database.
//
//   DATABASE_URL=data/winnow.db WINNOW_SECRET=… WINNOW_ROLE=worker tsx scripts/worker.ts
//
// It prints "started <worker id>" once it works, and stops (handing its items back) on SIGTERM.
// With WINNOW_ROLE=web it runs no worker and only wakes the workers when told to: each line
// "wake jobs" on its standard input notifies them, as a web process does when a job starts.
import { createInterface } from 'node:readline';
import { loadConfig } from '../src/lib/server/config';
import { openForRole, startBackground } from '../src/lib/server/roles';

const config = loadConfig(process.env);
const opened = await openForRole(config);
if (!opened.ok) {
	console.error(opened.message);
	process.exit(1);
}
const { db, key } = opened;
const background = await startBackground(db, key, config, (message) => console.error(message));
process.stdout.write(`started ${config.role} ${process.pid}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
	if (line.trim() === 'wake jobs') background.jobs.wake();
});
process.once('SIGTERM', () => {
	void background.stop().then(() => process.exit(0));
});
setInterval(() => {}, 1 << 30);
