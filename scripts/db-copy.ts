// Moves a team from SQLite to PostgreSQL:
//
//   npm run db:copy -- data/winnow.db postgres://winnow:…@db.internal:5432/winnow
//
// Both databases are brought to this version's schema first; the PostgreSQL one must be empty.
// Every table is copied in one transaction, so a copy that fails leaves it empty. Stop the
// servers on the SQLite file while it runs, and give the PostgreSQL servers the same
// WINNOW_SECRET (the provider keys are sealed with it).
import { existsSync } from 'node:fs';
import { DatabaseStartError, openDatabase } from '../src/lib/server/db';
import { copyDatabase } from '../src/lib/server/db/copy';
import { isPostgresUrl } from '../src/lib/server/db/postgres';

const [from, to] = process.argv.slice(2);
if (!from || !to || !existsSync(from) || !isPostgresUrl(to)) {
	console.error('Usage: npm run db:copy -- <SQLite file> <postgres://… URL of an empty database>');
	process.exit(2);
}

try {
	const source = await openDatabase(from);
	const target = await openDatabase(to);
	const started = Date.now();
	const report = await copyDatabase(source, target, (table, rows) =>
		console.log(`${table.padEnd(24)} ${rows.toLocaleString('en')} rows`)
	);
	const rows = report.tables.reduce((n, t) => n + t.rows, 0);
	console.log(
		`Copied ${rows.toLocaleString('en')} rows in ${report.tables.length} tables in ${((Date.now() - started) / 1000).toFixed(1)} s; every count matches.`
	);
	await source.close();
	await target.close();
} catch (e) {
	console.error(
		e instanceof DatabaseStartError ? e.message : `Nothing was copied: ${(e as Error).message}`
	);
	process.exit(1);
}
