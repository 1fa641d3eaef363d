// The database a benchmark runs on: a fresh SQLite file (`--db sqlite`, the default) or a fresh
// PostgreSQL database (`--db pg`), on the server at `--pg-url` or, when none is given, on a
// throwaway cluster started here as .ci/run starts one (PostgreSQL's durable defaults kept).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { startCluster, type Cluster } from './pg-cluster';

export type Backend = 'sqlite' | 'pg';

export type BenchDatabase = {
	backend: Backend;
	/** What DATABASE_URL is for the servers and workers. */
	url: string;
	/** Runs a read on the database as it is, for checks after the run; `?` marks parameters. */
	query(text: string, ...params: unknown[]): Promise<Record<string, unknown>[]>;
	/** Removes the database (and the cluster, when this started one). */
	remove(): Promise<void>;
};

export async function benchDatabase(
	backend: string | undefined,
	options: { pgUrl?: string; name: string }
): Promise<BenchDatabase> {
	if (backend !== undefined && backend !== 'sqlite' && backend !== 'pg') {
		throw new Error(`--db is sqlite or pg, not ${backend}`);
	}
	const dir = mkdtempSync(join(tmpdir(), `winnow-${options.name}-`));
	if (backend !== 'pg') {
		const url = join(dir, 'bench.db');
		return {
			backend: 'sqlite',
			url,
			query: async (text, ...params) => {
				const db = new Database(url, { readonly: true });
				try {
					return db.prepare(text).all(...params) as Record<string, unknown>[];
				} finally {
					db.close();
				}
			},
			remove: async () => rmSync(dir, { recursive: true, force: true })
		};
	}
	let cluster: Cluster | null = null;
	let server = options.pgUrl;
	if (!server) {
		console.log('starting a throwaway PostgreSQL cluster…');
		cluster = await startCluster({ durable: true });
		server = cluster.url;
	}
	const name = `winnow_${options.name.replace(/\W/g, '_')}_${process.pid}`;
	const admin = new pg.Client({ connectionString: server });
	await admin.connect();
	await admin.query(`CREATE DATABASE ${name}`);
	await admin.end();
	const url = server.replace(/\/[^/]*$/, `/${name}`);
	return {
		backend: 'pg',
		url,
		query: async (text, ...params) => {
			const client = new pg.Client({ connectionString: url });
			await client.connect();
			try {
				let n = 0;
				const numbered = text.replace(/\?/g, () => `$${++n}`);
				return (await client.query(numbered, params)).rows;
			} finally {
				await client.end();
			}
		},
		remove: async () => {
			if (cluster) cluster.stop();
			else {
				const client = new pg.Client({ connectionString: server });
				await client.connect();
				await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
				await client.end();
			}
			rmSync(dir, { recursive: true, force: true });
		}
	};
}
