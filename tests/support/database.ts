import { afterAll, inject } from 'vitest';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createDb, createMigratedDb, type Db } from '../../src/lib/server/db';
import { WRITE_LOCK } from '../../src/lib/server/db/postgres';
import { databaseUrl, TEMPLATE } from './postgres-setup';

// The database a test works on. The integration suite runs twice: on SQLite, where this is a
// fresh migrated `:memory:` database, and on PostgreSQL (the `integration-pg` project), where
// it is a fresh database copied from the template that postgres-setup.ts migrated once.

declare module 'vitest' {
	export interface ProvidedContext {
		/** The throwaway PostgreSQL server's URL, set in the `integration-pg` project only. */
		postgresUrl: string;
	}
}

const opened: Db[] = [];
/** The PostgreSQL URL of each database testDb() made there. */
const urls = new WeakMap<Db, string>();
let made = 0;
let admin: pg.Client | null = null;

/** The PostgreSQL server under test, or null when the suite runs on SQLite. */
export function postgresUnderTest(): string | null {
	try {
		return inject('postgresUrl') || null;
	} catch {
		return null;
	}
}

/**
 * A fresh migrated database's URL on the backend under test (a file on SQLite); with
 * `unmigrated`, one with no tables at all.
 */
export async function freshDatabaseUrl(
	sqliteFile: string,
	{ unmigrated = false } = {}
): Promise<string> {
	const server = postgresUnderTest();
	if (!server) {
		if (!unmigrated) await (await createMigratedDb(sqliteFile)).close();
		return sqliteFile;
	}
	if (!admin) {
		admin = new pg.Client({ connectionString: server });
		await admin.connect();
	}
	const name = `test_${process.pid}_${++made}`;
	await admin.query(`CREATE DATABASE ${name}${unmigrated ? '' : ` TEMPLATE ${TEMPLATE}`}`);
	return databaseUrl(server, name);
}

/** A fresh migrated database on the backend under test, closed when the file's tests end. */
export async function testDb(): Promise<Db> {
	const server = postgresUnderTest();
	if (server) return openDb(await freshDatabaseUrl(''));
	const db = await createMigratedDb();
	opened.push(db);
	return db;
}

/** Opens the database at `url` (from freshDatabaseUrl), to be closed when the file's tests end. */
export function openDb(url: string, options: { busyTimeoutMs?: number } = {}): Db {
	const db = createDb(url, options);
	if (postgresUnderTest()) urls.set(db, url);
	opened.push(db);
	return db;
}

/**
 * Runs SQL that has no common spelling (a trigger, a look at the raw rows) on a test's
 * database, in the dialect of the backend under test. Returns the rows of the last statement.
 */
export async function rawSql(
	db: Db,
	statements: { sqlite: string; postgres: string }
): Promise<Record<string, unknown>[]> {
	const url = urls.get(db);
	if (!url) {
		let statement;
		try {
			statement = db.$client.prepare(statements.sqlite);
		} catch {
			// More than one statement: run them all; they return no rows.
			db.$client.exec(statements.sqlite);
			return [];
		}
		if (!statement.reader) {
			statement.run();
			return [];
		}
		return statement.all() as Record<string, unknown>[];
	}
	const client = new pg.Client({ connectionString: url });
	await client.connect();
	try {
		const results = await client.query(statements.postgres);
		const list = Array.isArray(results) ? results : [results];
		return list[list.length - 1].rows;
	} finally {
		await client.end();
	}
}

/**
 * Another process's hold on the database's write lock: SQLite's, by a write transaction on the
 * file; PostgreSQL's, by the advisory lock every write transaction takes.
 */
export async function writeLocker(url: string) {
	const server = postgresUnderTest();
	if (!server) {
		const locker = new Database(url);
		return {
			hold: async () => void locker.exec('BEGIN IMMEDIATE'),
			release: async () => void locker.exec('ROLLBACK'),
			close: async () => {
				if (locker.inTransaction) locker.exec('ROLLBACK');
				locker.close();
			}
		};
	}
	const locker = new pg.Client({ connectionString: url });
	await locker.connect();
	return {
		hold: async () => void (await locker.query('select pg_advisory_lock($1)', [WRITE_LOCK])),
		release: async () => void (await locker.query('select pg_advisory_unlock($1)', [WRITE_LOCK])),
		close: () => locker.end()
	};
}

afterAll(async () => {
	for (const db of opened.splice(0)) await db.close().catch(() => {});
	await admin?.end();
	admin = null;
});
