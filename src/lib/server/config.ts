import { dirname, join } from 'node:path';
import { z } from 'zod';
import { isPostgresUrl } from './db/postgres';

const configSchema = z.object({
	DATABASE_URL: z.string().min(1).default('data/winnow.db'),
	/** Encrypts provider keys at rest; when unset, a secret is generated into the data folder. */
	WINNOW_SECRET: z.string().min(16, 'WINNOW_SECRET must be at least 16 characters.').optional(),
	/** How often running fine-tunes are asked about, in seconds. */
	WINNOW_FINE_TUNE_POLL_SECONDS: z.coerce
		.number('WINNOW_FINE_TUNE_POLL_SECONDS must be a number of seconds.')
		.min(1, 'WINNOW_FINE_TUNE_POLL_SECONDS must be at least 1.')
		.default(10),
	/** The largest input or output an import accepts, in megabytes. */
	WINNOW_MAX_FIELD_MB: z.coerce
		.number('WINNOW_MAX_FIELD_MB must be a number of megabytes.')
		.positive('WINNOW_MAX_FIELD_MB must be more than 0.')
		.default(1),
	/** all: one process does everything; web: pages and API; worker: jobs and fine-tunes. */
	WINNOW_ROLE: z
		.enum(['all', 'web', 'worker'], { error: 'WINNOW_ROLE must be all, web or worker.' })
		.default('all'),
	/** How long a worker holds a job item it claimed without renewing it, in seconds. */
	WINNOW_ITEM_LEASE_SECONDS: z.coerce
		.number('WINNOW_ITEM_LEASE_SECONDS must be a number of seconds.')
		.min(1, 'WINNOW_ITEM_LEASE_SECONDS must be at least 1.')
		.default(60),
	/** Connections each process keeps to PostgreSQL (unused on SQLite). */
	WINNOW_DB_POOL_SIZE: z.coerce
		.number('WINNOW_DB_POOL_SIZE must be a number of connections.')
		.int('WINNOW_DB_POOL_SIZE must be a whole number.')
		.min(2, 'WINNOW_DB_POOL_SIZE must be at least 2.')
		.default(10)
});

export type Role = 'all' | 'web' | 'worker';

export type Config = {
	databaseUrl: string;
	secret: string | undefined;
	secretFile: string;
	fineTunePollMs: number;
	maxFieldBytes: number;
	role: Role;
	itemLeaseMs: number;
	poolSize: number;
};

/** Reads the environment once at start-up; a bad value stops the start with a clear message. */
export function loadConfig(env: Record<string, string | undefined>): Config {
	const parsed = configSchema.safeParse(env);
	if (!parsed.success) {
		throw new Error(`Invalid configuration: ${z.prettifyError(parsed.error)}`);
	}
	const databaseUrl = parsed.data.DATABASE_URL;
	const postgres = isPostgresUrl(databaseUrl);
	// Servers on one PostgreSQL must open one another's provider keys, so they share the secret
	// instead of each generating its own beside a database file they do not have.
	if (postgres && !parsed.data.WINNOW_SECRET) {
		throw new Error(
			'Invalid configuration: WINNOW_SECRET must be set with a PostgreSQL DATABASE_URL, the same on every server.'
		);
	}
	const dataFolder = databaseUrl === ':memory:' || postgres ? 'data' : dirname(databaseUrl);
	return {
		databaseUrl,
		secret: parsed.data.WINNOW_SECRET,
		secretFile: join(dataFolder, 'secret.key'),
		fineTunePollMs: parsed.data.WINNOW_FINE_TUNE_POLL_SECONDS * 1000,
		maxFieldBytes: Math.round(parsed.data.WINNOW_MAX_FIELD_MB * 1_048_576),
		role: parsed.data.WINNOW_ROLE,
		itemLeaseMs: parsed.data.WINNOW_ITEM_LEASE_SECONDS * 1000,
		poolSize: parsed.data.WINNOW_DB_POOL_SIZE
	};
}
