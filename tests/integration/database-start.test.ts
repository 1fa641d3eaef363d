import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DatabaseStartError, openDatabase } from '$lib/server/db';
import { loadConfig } from '$lib/server/config';
import { freshDatabaseUrl, openDb, postgresUnderTest, rawSql } from '../support/database';

// What keeps a server from starting on its database is said in one line, and leaves the
// database as it was.

const dir = mkdtempSync(join(tmpdir(), 'winnow-start-db-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MIGRATIONS = {
	sqlite: '__drizzle_migrations',
	postgres: 'drizzle.__drizzle_migrations'
};

async function refusal(url: string): Promise<string> {
	const refused = await openDatabase(url).then(
		() => null,
		(e: unknown) => e
	);
	expect(refused).toBeInstanceOf(DatabaseStartError);
	return (refused as Error).message;
}

describe('starting on a database', () => {
	it('names a PostgreSQL server that cannot be reached, without the password', async () => {
		const message = await refusal('postgres://winnow:hunter2@127.0.0.1:1/winnow');
		expect(message).toBe(
			'Winnow could not start on 127.0.0.1:1: the PostgreSQL server at 127.0.0.1:1 refused the connection (is it running, on that port?). Check DATABASE_URL.'
		);
	});

	it('refuses a database a newer Winnow migrated, and applies nothing', async () => {
		const url = await freshDatabaseUrl(join(dir, 'newer.db'));
		const db = openDb(url);
		const table = postgresUnderTest() ? MIGRATIONS.postgres : MIGRATIONS.sqlite;
		const count = `select count(*) as n from ${table}`;
		const [before] = await rawSql(db, { sqlite: count, postgres: count });
		const newer = `insert into ${table} (hash, created_at) values ('from-a-newer-version', 4102444800000)`;
		await rawSql(db, { sqlite: newer, postgres: newer });

		expect(await refusal(url)).toBe(
			'This database has 1 migration(s) this version of Winnow does not know: a newer Winnow migrated it. Start that version, or restore a backup made before.'
		);
		const [after] = await rawSql(db, { sqlite: count, postgres: count });
		expect(Number(after.n)).toBe(Number(before.n) + 1);
	});

	it('applies every pending migration or none: one that fails leaves no table behind', async () => {
		const url = await freshDatabaseUrl(join(dir, 'half.db'), { unmigrated: true });
		const db = openDb(url);
		// The last migration creates this table; finding it already there, it fails.
		const inTheWay = 'create table worker (id text)';
		await rawSql(db, { sqlite: inTheWay, postgres: inTheWay });

		expect(await refusal(url)).toContain('worker');
		const tables = {
			sqlite:
				"select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '\\_\\_%' escape '\\' order by name",
			postgres:
				"select table_name as name from information_schema.tables where table_schema = 'public' order by name"
		};
		expect(await rawSql(db, tables)).toEqual([{ name: 'worker' }]);
	});

	it('a process that cannot reach its database says so in one line and exits', () => {
		const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/worker.ts'], {
			env: {
				...process.env,
				DATABASE_URL: 'postgres://winnow:hunter2@127.0.0.1:1/winnow',
				WINNOW_SECRET: 'a-secret-of-at-least-16-characters',
				WINNOW_ROLE: 'worker'
			},
			encoding: 'utf8',
			timeout: 30_000
		});
		expect(run.status).toBe(1);
		expect(run.stdout).toBe('');
		expect(run.stderr.trim().split('\n')).toEqual([
			'Winnow could not start on 127.0.0.1:1: the PostgreSQL server at 127.0.0.1:1 refused the connection (is it running, on that port?). Check DATABASE_URL.'
		]);
	});

	it('on PostgreSQL, every server must be given the same WINNOW_SECRET', () => {
		expect(() => loadConfig({ DATABASE_URL: 'postgres://winnow@db/winnow' })).toThrow(
			'WINNOW_SECRET must be set with a PostgreSQL DATABASE_URL'
		);
		const config = loadConfig({
			DATABASE_URL: 'postgres://winnow@db/winnow',
			WINNOW_SECRET: 'a-secret-of-at-least-16-characters'
		});
		expect(config.poolSize).toBe(10);
		expect(() => loadConfig({ DATABASE_URL: 'x.db', WINNOW_DB_POOL_SIZE: '1' })).toThrow(
			'WINNOW_DB_POOL_SIZE must be at least 2.'
		);
	});
});
