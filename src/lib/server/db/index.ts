import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';
import * as schema from './schema';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };
/** The database or a transaction on it: what helpers that run inside a transaction take. */
export type Queryable = BaseSQLiteDatabase<'sync', Database.RunResult, typeof schema>;

/**
 * Opens (and creates) the SQLite database at `url`, a file path or `:memory:`.
 * WAL lets readers go on while one writer writes; the busy timeout makes a second
 * connection wait for the write lock instead of failing at once.
 */
export function createDb(url: string): Db {
	if (url !== ':memory:') {
		mkdirSync(dirname(resolve(url)), { recursive: true, mode: 0o700 });
		// SQLite gives the WAL and shared-memory files the database file's own mode, so they
		// follow it once it is the owner's alone; ones left from before are closed too.
		for (const path of [url, `${url}-wal`, `${url}-shm`]) ownerOnly(path, path === url);
	}
	const client = new Database(url);
	client.pragma('journal_mode = WAL');
	client.pragma('foreign_keys = ON');
	client.pragma('busy_timeout = 5000');
	client.pragma('synchronous = NORMAL');
	return drizzle(client, { schema }) as Db;
}

export function migrationsFolder(): string {
	return resolve(process.env.MIGRATIONS_DIR ?? 'drizzle');
}

export function migrateDb(db: Db): void {
	migrate(db, { migrationsFolder: migrationsFolder() });
}

/** A fresh migrated database, for tests, scripts and benchmarks. */
export function createMigratedDb(url = ':memory:'): Db {
	const db = createDb(url);
	migrateDb(db);
	return db;
}

/**
 * Makes the file readable and writable by its owner only, as secret.key is: the database holds
 * password hashes, sessions and sealed keys. Creates it (empty) when `create` is set.
 */
function ownerOnly(path: string, create = false): void {
	if (create && !existsSync(path)) closeSync(openSync(path, 'a', 0o600));
	if (existsSync(path)) chmodSync(path, 0o600);
}

/** Copies the live database with SQLite's online backup; safe while the app writes. */
export async function backupDb(db: Db, destination: string): Promise<void> {
	mkdirSync(dirname(resolve(destination)), { recursive: true, mode: 0o700 });
	ownerOnly(destination, true);
	await db.$client.backup(destination);
}

export { schema };
