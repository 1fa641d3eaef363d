import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { backupDb, createMigratedDb } from '../../src/lib/server/db';

// The database holds password hashes, sessions and sealed keys: like secret.key, its files are
// for the owner alone, whatever the umask of the process that made them.

const dirs: string[] = [];
afterEach(() => {
	for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir() {
	const dir = mkdtempSync(join(tmpdir(), 'winnow-modes-'));
	dirs.push(dir);
	return dir;
}

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

test('a new database, its WAL and its shared-memory file are readable by the owner only', async () => {
	const file = join(tempDir(), 'data', 'winnow.db');
	const db = await createMigratedDb(file);
	expect(existsSync(`${file}-wal`)).toBe(true);
	expect(existsSync(`${file}-shm`)).toBe(true);
	expect({
		db: modeOf(file),
		wal: modeOf(`${file}-wal`),
		shm: modeOf(`${file}-shm`),
		folder: modeOf(join(file, '..'))
	}).toEqual({ db: '600', wal: '600', shm: '600', folder: '700' });
	await db.close();
});

test('an existing database and WAL made readable by others are closed to them on open', async () => {
	const file = join(tempDir(), 'winnow.db');
	await (await createMigratedDb(file)).close();
	writeFileSync(`${file}-wal`, '');
	for (const path of [file, `${file}-wal`]) chmodSync(path, 0o644);

	const db = await createMigratedDb(file);
	expect([modeOf(file), modeOf(`${file}-wal`), modeOf(`${file}-shm`)]).toEqual([
		'600',
		'600',
		'600'
	]);
	await db.close();
});

test('a backup, and the folder made for it, are readable by the owner only', async () => {
	const dir = tempDir();
	const db = await createMigratedDb(join(dir, 'winnow.db'));
	const destination = join(dir, 'backups', 'copy.db');
	await backupDb(db, destination);
	expect([modeOf(destination), modeOf(join(dir, 'backups'))]).toEqual(['600', '700']);
	await db.close();
});
