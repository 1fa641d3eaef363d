// Copies the database with SQLite's online backup API, safe while Winnow is running:
//   npm run backup                 → data/backups/winnow-<date>.db
//   npm run backup -- path/to.db   → that file
import { chmodSync, existsSync } from 'node:fs';
import { createDb, backupDb } from '../src/lib/server/db';

const source = process.env.DATABASE_URL ?? 'data/winnow.db';
if (!existsSync(source)) {
	console.error(`No database at ${source}. Set DATABASE_URL to the database you want to copy.`);
	process.exit(1);
}
const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
const destination = process.argv[2] ?? `data/backups/winnow-${stamp}.db`;
if (existsSync(destination)) {
	console.error(`${destination} exists already; choose another file name.`);
	process.exit(1);
}
const db = createDb(source);
const started = performance.now();
await backupDb(db, destination);
// Backups are the database: the default folder is the owner's alone, even one made before.
if (!process.argv[2]) chmodSync('data/backups', 0o700);
db.$client.close();
console.log(
	`Backed up ${source} to ${destination} in ${Math.round(performance.now() - started)} ms.`
);
