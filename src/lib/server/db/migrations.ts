import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Why the database could not be opened at start, in one line a person can act on. */
export class DatabaseStartError extends Error {}

/**
 * Refuses a database whose applied migrations (their `created_at`, drizzle's folder time)
 * include ones the journal in `folder` does not know: a newer Winnow migrated it.
 */
export function refuseUnknownMigrations(applied: number[], folder: string): void {
	const journal = JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as {
		entries: { when: number }[];
	};
	const known = new Set(journal.entries.map((entry) => entry.when));
	const unknown = applied.filter((when) => !known.has(when));
	if (unknown.length > 0) {
		throw new DatabaseStartError(
			`This database has ${unknown.length} migration(s) this version of Winnow does not know: ` +
				'a newer Winnow migrated it. Start that version, or restore a backup made before.'
		);
	}
}
