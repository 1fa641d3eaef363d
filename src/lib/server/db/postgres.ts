import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { getTableName, is, Table, type Query, type SQL } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import { refuseUnknownMigrations } from './migrations';

// The same interface over PostgreSQL. One drizzle instance sits on a client that sends each
// statement to the connection of the transaction it runs in (found through the async
// context), or to the pool outside one. So the domain code's statements, prepared once, run
// inside whichever transaction asks, exactly as they do on SQLite's writer.
//
// Every write transaction first takes one advisory lock: write transactions run one at a
// time across every server, as they do on SQLite, so a transaction that reads in order to
// decide sees everything committed before it and nothing that commits while it runs. Reads
// outside transactions run in parallel on the pool.

/** The advisory lock every write transaction holds (any fixed number; "winn" in ASCII). */
export const WRITE_LOCK = 0x77696e6e;
/** The advisory lock that lets one server at a time apply migrations. */
const MIGRATION_LOCK = WRITE_LOCK + 1;

/** Connections per process; several web and worker processes share the server's limit. */
export const DEFAULT_POOL_SIZE = 10;
/** How long an idle connection of the pool is kept open. */
const IDLE_CONNECTION_MS = 5 * 60_000;

export function isPostgresUrl(url: string): boolean {
	return /^postgres(ql)?:\/\//.test(url);
}

// Counts and sums come back as int8 or numeric, which the driver gives as strings by default:
// a job whose `count(*)` is '0' would never finish. Every value Winnow keeps fits a double.
let parsersSet = false;
function numbersAsNumbers() {
	if (parsersSet) return;
	parsersSet = true;
	pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
	pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => Number(value));
}

/**
 * Settings of every connection. A statement waits `lockTimeoutMs` for a lock (the write lock,
 * say) before it fails, as SQLite's busy timeout makes a writer wait. Commits do not wait for
 * the log to reach the disk (synchronous_commit off): the durability of SQLite in WAL mode with
 * synchronous=NORMAL, as Winnow runs it — a power cut may lose the last moment of writes,
 * never corrupt the database — and without it every write would hold the write lock through a
 * disk flush. A DATABASE_URL that sets synchronous_commit itself (in `options`) keeps its own.
 */
function connectionSettings(url: string, lockTimeoutMs: number): string {
	const own = new URL(url).searchParams.get('options') ?? '';
	const settings = [`-c lock_timeout=${Math.round(lockTimeoutMs)}`, own];
	if (!own.includes('synchronous_commit')) settings.push('-c synchronous_commit=off');
	return settings.filter(Boolean).join(' ');
}

type Transaction = { client: pg.PoolClient; open: boolean };

/** The transaction the running code is part of, if any. */
export const currentTransaction = new AsyncLocalStorage<Transaction>();
const current = currentTransaction;

export type PostgresParts = {
	/** Drizzle over the routing client; runs statements inside the current transaction. */
	routed: ReturnType<typeof drizzle>;
	transaction<T>(work: () => Promise<T>): Promise<T>;
	/** Refreshes the planner's statistics of these tables (ANALYZE). */
	analyze(tables: string[]): Promise<void>;
	/** Sends a notification on `channel` to every server listening (NOTIFY). */
	announce(channel: string): Promise<void>;
	/** Calls `onNotify` for each notification on `channel` (LISTEN); returns how to stop. */
	listen(channel: string, onNotify: () => void): () => void;
	close(): Promise<void>;
};

/** How long a lost listening connection waits before it connects again. */
const RELISTEN_MS = 1000;

export function connectPostgres(
	url: string,
	options: { poolSize?: number; lockTimeoutMs: number; inTransaction: AsyncLocalStorage<true> }
): PostgresParts {
	numbersAsNumbers();
	const pool = new pg.Pool({
		connectionString: url,
		max: options.poolSize ?? DEFAULT_POOL_SIZE,
		// A connection closed after a quiet moment costs the next request a new server process
		// and that process's first plans (several milliseconds each): idle ones stay a while.
		idleTimeoutMillis: IDLE_CONNECTION_MS,
		// …without keeping a process alive that has nothing else left to do.
		allowExitOnIdle: true,
		options: connectionSettings(url, options.lockTimeoutMs)
	});
	// An idle connection the server closed must not take the process down; the pool replaces it.
	pool.on('error', () => {});
	const routing = {
		query(...args: unknown[]) {
			const open = current.getStore();
			const target = open?.open ? open.client : pool;
			return (target.query as (...a: unknown[]) => unknown)(...args);
		}
	};
	const routed = drizzle({ client: routing as unknown as pg.Pool });
	joinAliasesByOriginalName(routed);
	driverErrorsAsTheyAre(routed);

	// Transactions of this process wait their turn here, as on SQLite, rather than each taking
	// a connection only to wait on the write lock with it: the pool stays free for reads.
	let queue: Promise<unknown> = Promise.resolve();

	async function transaction<T>(work: () => Promise<T>): Promise<T> {
		const turn = queue.then(() => runTransaction(work));
		queue = turn.catch(() => {});
		return await turn;
	}

	async function runTransaction<T>(work: () => Promise<T>): Promise<T> {
		const client = await pool.connect();
		const state: Transaction = { client, open: true };
		// A connection whose rollback failed is closed rather than handed to the next request.
		let broken: Error | undefined;
		try {
			return await options.inTransaction.run(true, () =>
				current.run(state, async () => {
					try {
						// One round trip: the transaction and its lock, which may time out.
						await client.query(`BEGIN; SELECT pg_advisory_xact_lock(${WRITE_LOCK})`);
						const result = await work();
						await client.query('COMMIT');
						return result;
					} catch (e) {
						await client.query('ROLLBACK').catch((failed: Error) => (broken = failed));
						throw e;
					}
				})
			);
		} finally {
			state.open = false;
			client.release(broken);
		}
	}

	// One connection per process listens for every channel; when it is lost it comes back and
	// wakes every listener, since a notification may have been missed meanwhile.
	const listeners = new Map<string, Set<() => void>>();
	let listening: pg.Client | null = null;
	let closed = false;
	let retry: ReturnType<typeof setTimeout> | null = null;
	const channelName = (channel: string) => `winnow_${channel.replace(/[^a-z0-9]/gi, '_')}`;
	async function connectListener() {
		if (closed || listening) return;
		const client = new pg.Client({ connectionString: url });
		listening = client;
		const lost = () => {
			if (listening !== client) return;
			listening = null;
			client.end().catch(() => {});
			if (closed) return;
			retry = setTimeout(() => {
				retry = null;
				void connectListener().then(() => {
					for (const set of listeners.values()) for (const wake of set) wake();
				});
			}, RELISTEN_MS);
			retry.unref?.();
		};
		client.on('error', lost);
		client.on('end', lost);
		client.on('notification', (message) => {
			for (const [channel, set] of listeners) {
				if (channelName(channel) === message.channel) for (const wake of set) wake();
			}
		});
		try {
			await client.connect();
			for (const channel of listeners.keys()) await client.query(`LISTEN ${channelName(channel)}`);
		} catch {
			lost();
		}
	}

	return {
		routed,
		transaction,
		analyze: async (tables) => {
			await pool.query(`ANALYZE ${tables.map((t) => `"${t}"`).join(', ')}`);
		},
		announce: async (channel) => {
			await pool.query('SELECT pg_notify($1, $2)', [channelName(channel), '']);
		},
		listen(channel, onNotify) {
			const set = listeners.get(channel) ?? new Set();
			const first = !listeners.has(channel);
			listeners.set(channel, set);
			set.add(onNotify);
			if (!listening) void connectListener();
			else if (first) listening.query(`LISTEN ${channelName(channel)}`).catch(() => {});
			return () => set.delete(onNotify);
		},
		close: async () => {
			closed = true;
			if (retry) clearTimeout(retry);
			const client = listening;
			listening = null;
			await client?.end().catch(() => {});
			await pool.end();
		}
	};
}

/**
 * The domain code's tables are SQLite's, which drizzle's PostgreSQL dialect renders by name;
 * in a join it renders an alias (`alias(revision, 'r2')`) by its alias alone, naming a table
 * that does not exist. Joins of such aliases are given as `"revision" "r2"`, as in FROM.
 */
function joinAliasesByOriginalName(database: ReturnType<typeof drizzle>) {
	type Join = { table: unknown };
	type Joins = {
		buildJoins(joins: Join[] | undefined): SQL | undefined;
		buildFromTable(table: unknown): SQL;
	};
	const dialect = (database as unknown as { dialect: Joins }).dialect;
	const buildJoins = dialect.buildJoins.bind(dialect);
	const isAlias = (table: unknown) =>
		is(table, Table) && !is(table, PgTable) && getTableName(table) !== originalName(table);
	dialect.buildJoins = (joins) =>
		buildJoins(
			joins?.map((join) =>
				isAlias(join.table) ? { ...join, table: dialect.buildFromTable(join.table) } : join
			)
		);
}

/**
 * drizzle wraps a failed PostgreSQL statement in an error whose message is the SQL and its
 * values (on SQLite it does not): the driver's error goes on as it is, as on SQLite, so that
 * no SQL can reach a page through a message and callers see the database's own reason.
 */
function driverErrorsAsTheyAre(database: ReturnType<typeof drizzle>) {
	type Prepared = { queryWithCache(text: string, params: unknown[], run: () => unknown): unknown };
	const session = (database as unknown as { session: { prepareQuery(...a: unknown[]): Prepared } })
		.session;
	const prepareQuery = session.prepareQuery.bind(session);
	session.prepareQuery = (...args) => {
		// args: the query, its fields, its name, …
		if (namingStatements && args[2] === undefined) args[2] = statementName((args[0] as Query).sql);
		const prepared = prepareQuery(...args);
		prepared.queryWithCache = (_text, _params, run) => run();
		return prepared;
	};
}

/** Set while statements that will be reused are prepared (see `preparedOnce`). */
let namingStatements = false;

/**
 * A statement's name on the server, from its text: the same text always gets the same name,
 * which is all the driver asks (it refuses one name for two texts).
 */
function statementName(text: string): string {
	return `w_${createHash('sha1').update(text).digest('base64url').slice(0, 20)}`;
}

/**
 * Runs `make`, which prepares statements that will each be run many times: on PostgreSQL
 * each is given a name, so that every connection parses and plans it once and then only
 * binds and runs it, as SQLite's prepared statements do. Statements built per call stay
 * unnamed, so a connection keeps no plan for SQL that will not come again.
 */
export function preparedOnce<T>(make: () => T): T {
	const before = namingStatements;
	namingStatements = true;
	try {
		return make();
	} finally {
		namingStatements = before;
	}
}

/** The name of the table an alias stands for (drizzle keeps it under a symbol of Table's). */
function originalName(table: Table): string {
	const symbols = (Table as unknown as { Symbol: { OriginalName: symbol } }).Symbol;
	return (table as unknown as Record<symbol, string>)[symbols.OriginalName];
}

/**
 * Applies the migrations in `folder` that the database has not seen, holding an advisory lock
 * so that servers starting together apply them once; the others wait and find nothing to do.
 * All pending migrations run in one transaction: a failure leaves the database as it was.
 * A database migrated by a newer Winnow is refused with the reason.
 */
export async function migratePostgres(url: string, folder: string): Promise<void> {
	numbersAsNumbers();
	const client = new pg.Client({ connectionString: url });
	await client.connect();
	try {
		await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
		const applied = await client
			.query<{ created_at: number }>('SELECT created_at FROM drizzle.__drizzle_migrations')
			.then((r) => r.rows.map((row) => Number(row.created_at)))
			.catch(() => []);
		refuseUnknownMigrations(applied, folder);
		await migrate(drizzle({ client }), { migrationsFolder: folder });
	} finally {
		await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
		await client.end();
	}
}
