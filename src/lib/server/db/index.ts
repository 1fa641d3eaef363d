import { AsyncLocalStorage } from 'node:async_hooks';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema';

// The one database interface the domain code sees. Everything is asynchronous, so the same
// code runs over a driver that is (PostgreSQL) or is not (better-sqlite3) asynchronous itself.
//
// On SQLite there are two connections to one file. Reads outside a transaction go to the
// reader; in WAL mode it sees everything committed and never waits for the writer. Writes
// only happen inside `transaction`, on the writer, under BEGIN IMMEDIATE and a lock that lets
// one transaction at a time use that connection: a transaction's statements can await, and no
// other request's statement slips in between them. A `:memory:` database is private to its
// connection, so there the reader is the writer.

type Drizzle = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

/** Reads, inside a transaction or outside one. */
export type Queryable = Pick<Drizzle, 'select' | 'selectDistinct' | '$with' | 'with'>;

/** A write transaction: its reads see its own writes; others see them once it commits. */
export type Tx = Queryable & Pick<Drizzle, 'insert' | 'update' | 'delete'>;

export type Db = Queryable & {
	/**
	 * Runs `work` as one write transaction and returns what it returns; a throw rolls it
	 * back. Transactions do not nest: pass the `tx` on to what runs inside.
	 */
	transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
	/**
	 * Statements prepared once on the writer for a hot path, each run with `.execute(values)`
	 * and only inside `transaction`.
	 */
	prepareWrites<T>(build: (tx: Tx) => T): T;
	/** Copies the live database to `destination`; safe while others write. */
	backup(destination: string): Promise<void>;
	close(): Promise<void>;
	/** The SQLite connection that writes, for tests that look at the file itself. */
	readonly $client: Database.Database;
};

/** Set while a transaction runs, so that a nested one fails at once instead of waiting forever. */
const inTransaction = new AsyncLocalStorage<true>();

/** How many prepared statements a connection keeps for reuse, the least recently used going first. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Makes the connection prepare each distinct SQL text once and reuse the statement: drizzle asks
 * for a fresh one on every call, and preparing is a large part of a short query's cost.
 */
function reuseStatements(client: Database.Database) {
	const prepare = client.prepare.bind(client);
	const cache = new Map<string, Database.Statement>();
	client.prepare = ((source: string) => {
		const kept = cache.get(source);
		if (kept) {
			cache.delete(source);
			cache.set(source, kept);
			// drizzle switches a statement to raw rows for some reads and never back.
			return kept.reader ? kept.raw(false) : kept;
		}
		const made = prepare(source);
		cache.set(source, made);
		if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
		return made;
	}) as typeof client.prepare;
}

/** How long a statement waits for another process's write lock before it fails. */
const BUSY_TIMEOUT_MS = 5000;

function connect(url: string, readonly: boolean, busyTimeoutMs: number): Drizzle {
	const client = new Database(url, { readonly });
	reuseStatements(client);
	if (!readonly) client.pragma('journal_mode = WAL');
	client.pragma('foreign_keys = ON');
	client.pragma(`busy_timeout = ${busyTimeoutMs}`);
	client.pragma('synchronous = NORMAL');
	return drizzle(client, { schema }) as Drizzle;
}

/**
 * Opens (and creates) the SQLite database at `url`, a file path or `:memory:`.
 * WAL lets readers go on while one writer writes; the busy timeout makes another process's
 * writer wait for the write lock instead of failing at once.
 */
export function createDb(url: string, options: { busyTimeoutMs?: number } = {}): Db {
	const busyTimeoutMs = options.busyTimeoutMs ?? BUSY_TIMEOUT_MS;
	if (url !== ':memory:') {
		mkdirSync(dirname(resolve(url)), { recursive: true, mode: 0o700 });
		// SQLite gives the WAL and shared-memory files the database file's own mode, so they
		// follow it once it is the owner's alone; ones left from before are closed too.
		for (const path of [url, `${url}-wal`, `${url}-shm`]) ownerOnly(path, path === url);
	}
	const writer = connect(url, false, busyTimeoutMs);
	const reader = url === ':memory:' ? writer : connect(url, true, busyTimeoutMs);
	let queue: Promise<unknown> = Promise.resolve();

	async function transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
		if (inTransaction.getStore()) {
			throw new Error('A transaction was started inside another: pass its tx on instead.');
		}
		const turn = queue.then(() =>
			inTransaction.run(true, async () => {
				writer.$client.exec('BEGIN IMMEDIATE');
				try {
					const result = await work(writer);
					writer.$client.exec('COMMIT');
					return result;
				} catch (e) {
					if (writer.$client.inTransaction) writer.$client.exec('ROLLBACK');
					throw e;
				}
			})
		);
		queue = turn.catch(() => {});
		return turn;
	}

	return {
		select: reader.select.bind(reader),
		selectDistinct: reader.selectDistinct.bind(reader),
		$with: reader.$with.bind(reader),
		with: reader.with.bind(reader),
		transaction,
		prepareWrites: (build) => build(writer),
		backup: async (destination) => {
			mkdirSync(dirname(resolve(destination)), { recursive: true, mode: 0o700 });
			ownerOnly(destination, true);
			await writer.$client.backup(destination);
		},
		close: async () => {
			await queue;
			if (reader !== writer) reader.$client.close();
			writer.$client.close();
		},
		$client: writer.$client,
		[writerOf]: writer
	} as Db;
}

/** The writer connection behind a Db: for migrations, and to tell a Db from a transaction. */
const writerOf = Symbol('writer');

export function migrationsFolder(): string {
	return resolve(process.env.MIGRATIONS_DIR ?? 'drizzle');
}

/** Applies the migrations in `drizzle/` that this database has not seen. */
export async function migrateDb(db: Db): Promise<void> {
	migrate((db as unknown as { [writerOf]: Drizzle })[writerOf], {
		migrationsFolder: migrationsFolder()
	});
}

/** A fresh migrated database, for tests, scripts and benchmarks. */
export async function createMigratedDb(url = ':memory:'): Promise<Db> {
	const db = createDb(url);
	await migrateDb(db);
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
	await db.backup(destination);
}

/**
 * Runs `work` inside the transaction `on` already is, or in a new one when `on` is the
 * database: for functions that callers use alone and as part of a larger change.
 */
export async function within<T>(on: Db | Tx, work: (tx: Tx) => Promise<T>): Promise<T> {
	return writerOf in on ? await (on as Db).transaction(work) : await work(on as Tx);
}

/** One value per database, made the first time it is asked for. */
function perDb<T>(make: (db: Db) => T): (db: Db) => T {
	const made = new WeakMap<Db, T>();
	return (db) => {
		let found = made.get(db);
		if (found === undefined) {
			found = make(db);
			made.set(db, found);
		}
		return found;
	};
}

/**
 * A hot read built and prepared once per database, with `sql.placeholder()`s for its values:
 * building the SQL with drizzle on every call costs more than running it.
 */
export function preparedRead<T>(build: (q: Queryable) => T): (db: Db) => T {
	return perDb((db) => build(db));
}

/** The same for statements run inside `db.transaction`, on the writer. */
export function preparedInTransaction<T>(build: (tx: Tx) => T): (db: Db) => T {
	return perDb((db) => db.prepareWrites(build));
}

/** How many rows an insert, update or delete changed. */
export async function changedRows(write: PromiseLike<{ changes: number }>): Promise<number> {
	return (await write).changes;
}

export { schema };
/** A second name for a table in one query (a self-join); the dialect's own, kept here. */
export { alias } from 'drizzle-orm/sqlite-core';
