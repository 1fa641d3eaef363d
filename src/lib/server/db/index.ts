import { AsyncLocalStorage } from 'node:async_hooks';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema';
import { dialects, DIALECT, type Dialect } from './dialect';
import { DatabaseStartError, refuseUnknownMigrations } from './migrations';
import {
	connectPostgres,
	currentTransaction,
	isPostgresUrl,
	migratePostgres,
	preparedOnce
} from './postgres';

// The one database interface the domain code sees. Everything is asynchronous, so the same
// code runs over a driver that is (PostgreSQL) or is not (better-sqlite3) asynchronous itself.
//
// The URL picks the backend: `postgres://…` is PostgreSQL (postgres.ts), anything else a
// SQLite file. What differs between the two in SQL text is in dialect.ts.
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
	/**
	 * Tells every server watching `channel` to look now. On PostgreSQL a NOTIFY; on SQLite
	 * nothing, as watchers there poll (see signals.ts).
	 */
	announce(channel: string): Promise<void>;
	/**
	 * Calls `onNotify` when another server announces on `channel` (PostgreSQL's LISTEN) and
	 * returns how to stop; null where the backend cannot, and the caller polls.
	 */
	listen(channel: string, onNotify: () => void): (() => void) | null;
	/**
	 * Tells the query planner that `added` rows of examples just arrived. PostgreSQL plans from
	 * statistics that autovacuum refreshes only a minute or so later; until then a big import's
	 * examples would be planned as the few there were before, and the queue's claim could read
	 * them all. Past a few thousand rows it analyzes the example tables now. SQLite needs
	 * nothing.
	 */
	refreshStatistics(added: number): Promise<void>;
	/** Copies the live database to `destination`; safe while others write. */
	backup(destination: string): Promise<void>;
	close(): Promise<void>;
	/** The SQLite connection that writes, for tests that look at the file itself. */
	readonly $client: Database.Database;
	readonly dialect: Dialect;
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

/** How long a statement waits for another process's write lock before it fails (both backends). */
const BUSY_TIMEOUT_MS = 5000;

function connect(url: string, readonly: boolean, busyTimeoutMs: number): Drizzle {
	const client = new Database(url, { readonly });
	reuseStatements(client);
	if (!readonly) client.pragma('journal_mode = WAL');
	client.pragma('foreign_keys = ON');
	client.pragma(`busy_timeout = ${busyTimeoutMs}`);
	client.pragma('synchronous = NORMAL');
	const connected = drizzle(client, { schema }) as Drizzle;
	Object.assign(connected, { [DIALECT]: dialects.sqlite });
	return connected;
}

/**
 * Takes the write lock, waiting for another process that holds it without stopping this one:
 * SQLite's own busy handler sleeps on the thread, and everything the process serves (other
 * requests, a worker's calls coming back) would wait with it. Gives up after `timeoutMs` with
 * SQLite's own SQLITE_BUSY error.
 */
async function beginImmediate(client: Database.Database, timeoutMs: number): Promise<void> {
	const giveUpAt = Date.now() + timeoutMs;
	for (let attempt = 0; ; attempt++) {
		try {
			client.exec('BEGIN IMMEDIATE');
			return;
		} catch (e) {
			if ((e as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= giveUpAt) throw e;
		}
		// Another transaction is a fraction of a millisecond to a few: look again soon, less
		// often the longer it lasts.
		await new Promise((resolve) => setTimeout(resolve, Math.min(5, 1 + (attempt >> 3))));
	}
}

/** Rows added at once past which PostgreSQL's statistics are refreshed at once. */
const ANALYZE_AFTER_ROWS = 5000;

/** The same for PostgreSQL: `url` is `postgres://user:password@host:port/database`. */
function createPostgresDb(url: string, poolSize: number | undefined, lockTimeoutMs: number): Db {
	const parts = connectPostgres(url, { poolSize, lockTimeoutMs, inTransaction });
	const routed = parts.routed as unknown as Drizzle;
	Object.assign(routed, { [DIALECT]: dialects.postgres });
	return {
		select: routed.select.bind(routed),
		selectDistinct: routed.selectDistinct.bind(routed),
		$with: routed.$with.bind(routed),
		with: routed.with.bind(routed),
		transaction: async (work) => {
			if (inTransaction.getStore()) {
				throw new Error('A transaction was started inside another: pass its tx on instead.');
			}
			return await parts.transaction(() => work(routed));
		},
		prepareWrites: (build) => build(routed),
		announce: parts.announce,
		listen: parts.listen,
		refreshStatistics: async (added) => {
			if (added >= ANALYZE_AFTER_ROWS) await parts.analyze(['example', 'revision', 'example_tag']);
		},
		backup: async () => {
			throw new Error('A PostgreSQL database is backed up with pg_dump (see the README).');
		},
		close: parts.close,
		get $client(): never {
			throw new Error('$client is the SQLite connection; this database is PostgreSQL.');
		},
		dialect: dialects.postgres,
		[writerOf]: routed,
		[migrator]: (folder: string) => migratePostgres(url, join(folder, 'pg'))
	} as Db;
}

/**
 * Opens (and creates) the SQLite database at `url`, a file path or `:memory:`.
 * WAL lets readers go on while one writer writes; the busy timeout makes another process's
 * writer wait for the write lock instead of failing at once.
 */
export function createDb(
	url: string,
	options: { busyTimeoutMs?: number; poolSize?: number } = {}
): Db {
	const busyTimeoutMs = options.busyTimeoutMs ?? BUSY_TIMEOUT_MS;
	if (isPostgresUrl(url)) return createPostgresDb(url, options.poolSize, busyTimeoutMs);
	if (url !== ':memory:') {
		mkdirSync(dirname(resolve(url)), { recursive: true, mode: 0o700 });
		// SQLite gives the WAL and shared-memory files the database file's own mode, so they
		// follow it once it is the owner's alone; ones left from before are closed too.
		for (const path of [url, `${url}-wal`, `${url}-shm`]) ownerOnly(path, path === url);
	}
	const writer = connect(url, false, busyTimeoutMs);
	// From here on the writer waits for another process's write lock in beginImmediate.
	writer.$client.pragma('busy_timeout = 0');
	const reader = url === ':memory:' ? writer : connect(url, true, busyTimeoutMs);
	let queue: Promise<unknown> = Promise.resolve();

	async function transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
		if (inTransaction.getStore()) {
			throw new Error('A transaction was started inside another: pass its tx on instead.');
		}
		const turn = queue.then(() =>
			inTransaction.run(true, async () => {
				await beginImmediate(writer.$client, busyTimeoutMs);
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
		announce: async () => {},
		listen: () => null,
		refreshStatistics: async () => {},
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
		dialect: dialects.sqlite,
		[writerOf]: writer,
		[migrator]: async (folder: string) => {
			refuseNewerDatabase(writer, folder);
			// Several servers starting together wait for each other's migrations in SQLite's
			// own busy handler: nothing else runs in the process yet.
			writer.$client.pragma(`busy_timeout = ${busyTimeoutMs}`);
			try {
				migrate(writer, { migrationsFolder: folder });
			} finally {
				writer.$client.pragma('busy_timeout = 0');
			}
		}
	} as Db;
}

/** How a Db applies its migrations from the `drizzle/` folder (PostgreSQL's are in `pg/`). */
const migrator = Symbol('migrator');

/** Refuses a SQLite database that a newer Winnow migrated, before anything is applied. */
function refuseNewerDatabase(writer: Drizzle, folder: string) {
	let applied: { created_at: number }[] = [];
	try {
		applied = writer.$client.prepare('SELECT created_at FROM __drizzle_migrations').all() as {
			created_at: number;
		}[];
	} catch {
		return; // a new database
	}
	refuseUnknownMigrations(
		applied.map((row) => Number(row.created_at)),
		folder
	);
}

/** The writer connection behind a Db: for migrations, and to tell a Db from a transaction. */
const writerOf = Symbol('writer');

/** The query builder that writes, for the database layer's own tools (db:copy); not for domain code. */
export function connectionOf(db: Db): unknown {
	return (db as unknown as { [writerOf]: unknown })[writerOf];
}

export function migrationsFolder(): string {
	return resolve(process.env.MIGRATIONS_DIR ?? 'drizzle');
}

/** Applies the migrations in `drizzle/` that this database has not seen. */
export async function migrateDb(db: Db): Promise<void> {
	await (db as unknown as { [migrator]: (folder: string) => Promise<void> })[migrator](
		migrationsFolder()
	);
}

/**
 * Opens and migrates the database the server runs on. What keeps it from starting (a server
 * that cannot be reached, a refused login, a database a newer Winnow migrated) is thrown as a
 * DatabaseStartError that says so in one line, without the password; nothing is half-applied,
 * since pending migrations run in one transaction.
 */
export async function openDatabase(url: string, options: { poolSize?: number } = {}): Promise<Db> {
	const db = createDb(url, options);
	try {
		await migrateDb(db);
		return db;
	} catch (e) {
		await db.close().catch(() => {});
		if (e instanceof DatabaseStartError) throw e;
		throw new DatabaseStartError(startProblem(e as Error & { code?: string }, url));
	}
}

function startProblem(e: Error & { code?: string }, url: string): string {
	if (!isPostgresUrl(url)) return `Winnow could not open the database ${url}: ${e.message}`;
	const where = new URL(url);
	const server = `the PostgreSQL server at ${where.hostname}:${where.port || 5432}`;
	const database = decodeURIComponent(where.pathname.slice(1)) || where.username;
	const reasons: Record<string, string> = {
		ECONNREFUSED: `${server} refused the connection (is it running, on that port?)`,
		ENOTFOUND: `${server} was not found (is the host name right?)`,
		ETIMEDOUT: `${server} did not answer`,
		EHOSTUNREACH: `${server} cannot be reached`,
		'28P01': `${server} refused the password of user “${where.username}”`,
		'28000': `${server} does not let user “${where.username}” in`,
		'3D000': `${server} has no database “${database}” (create it first)`
	};
	const reason = (e.code && reasons[e.code]) ?? e.message;
	return `Winnow could not start on ${server.replace('the PostgreSQL server at ', '')}: ${reason}. Check DATABASE_URL.`;
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

/**
 * Runs `start` outside any transaction the caller is in: for work it schedules (a wake of the
 * job runner, say) that must not run inside that transaction nor take it for its own.
 */
export function apart<T>(start: () => T): T {
	return inTransaction.exit(() => currentTransaction.exit(start));
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
	return perDb((db) => preparedOnce(() => build(db)));
}

/** The same for statements run inside `db.transaction`, on the writer. */
export function preparedInTransaction<T>(build: (tx: Tx) => T): (db: Db) => T {
	return perDb((db) => preparedOnce(() => db.prepareWrites(build)));
}

/** How many rows an insert, update or delete changed. */
export async function changedRows(write: PromiseLike<{ changes: number }>): Promise<number> {
	// SQLite's run result counts `changes`; PostgreSQL's query result `rowCount`.
	const done = (await write) as { changes?: number; rowCount?: number | null };
	return done.changes ?? done.rowCount ?? 0;
}

export { dialectOf } from './dialect';
export { DatabaseStartError } from './migrations';

export { schema };
/** A second name for a table in one query (a self-join); the dialect's own, kept here. */
export { alias } from 'drizzle-orm/sqlite-core';
