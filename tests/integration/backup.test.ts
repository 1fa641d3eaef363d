import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { count } from 'drizzle-orm';
import { backupDb, createDb, createMigratedDb } from '../../src/lib/server/db';
import { user } from '../../src/lib/server/db/schema';
import { createUser } from '../../src/lib/server/users';

const dirs: string[] = [];
afterEach(() => {
	for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

test('an online backup taken while another connection writes is a complete, consistent copy', async () => {
	const dir = mkdtempSync(join(tmpdir(), 'winnow-backup-'));
	dirs.push(dir);
	const live = await createMigratedDb(join(dir, 'live.db'));
	const writer = createDb(join(dir, 'live.db'));
	await createUser(live, {
		username: 'first',
		displayName: 'First',
		password: 'correct-horse-1',
		role: 'admin'
	});

	const backup = backupDb(live, join(dir, 'copy.db'));
	// A second connection, as the running app would be, keeps writing during the backup.
	writer.$client
		.prepare(
			"insert into user (id, username, display_name, password_hash, role, active, created_at) values ('w1', 'writer', 'W', 'x', 'annotator', 1, 0)"
		)
		.run();
	await backup;

	const copy = createDb(join(dir, 'copy.db'));
	expect(copy.$client.pragma('integrity_check', { simple: true })).toBe('ok');
	const users = (await copy.select({ n: count() }).from(user).limit(1))[0]!.n;
	expect([1, 2]).toContain(users);
	const migrations = 'select count(*) as n from __drizzle_migrations';
	expect(copy.$client.prepare(migrations).get()).toEqual(live.$client.prepare(migrations).get());
	for (const db of [live, writer, copy]) await db.close();
});
