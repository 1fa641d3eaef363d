import type { TestProject } from 'vitest/node';
import pg from 'pg';
import { startCluster, type Cluster } from '../../scripts/pg-cluster';
import { createDb, migrateDb } from '../../src/lib/server/db';

// Global setup of the `integration-pg` project: the PostgreSQL server the suite runs on
// (WINNOW_TEST_POSTGRES_URL, as .ci/run starts one, or a throwaway one started here) and a
// template database migrated once, from which every test's database is copied.

let cluster: Cluster | null = null;

export const TEMPLATE = 'winnow_template';

/** The URL of database `name` on the server at `server`. */
export function databaseUrl(server: string, name: string): string {
	return server.replace(/\/[^/]*$/, `/${name}`);
}

export async function setup(project: TestProject) {
	let url = process.env.WINNOW_TEST_POSTGRES_URL;
	if (!url) {
		cluster = await startCluster();
		url = cluster.url;
	}
	const admin = new pg.Client({ connectionString: url });
	await admin.connect();
	await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE}`);
	await admin.query(`CREATE DATABASE ${TEMPLATE}`);
	await admin.end();
	const template = createDb(databaseUrl(url, TEMPLATE));
	await migrateDb(template);
	await template.close();
	project.provide('postgresUrl', url);
}

export async function teardown() {
	cluster?.stop();
}
