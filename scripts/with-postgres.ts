// Runs a command with a PostgreSQL database for the end-to-end run: on the server at
// WINNOW_TEST_POSTGRES_URL (as .ci/run starts one), or on a throwaway cluster started here and
// removed afterwards. The command sees E2E_DATABASE_URL and the secret every server shares.
//
//   tsx scripts/with-postgres.ts playwright test --config playwright.pg.config.ts
import { spawn } from 'node:child_process';
import { startCluster, type Cluster } from './pg-cluster';

const [command, ...args] = process.argv.slice(2);
let cluster: Cluster | null = null;
let server = process.env.WINNOW_TEST_POSTGRES_URL;
if (!server) {
	cluster = await startCluster();
	server = cluster.url;
}
const child = spawn(command, args, {
	stdio: 'inherit',
	shell: process.platform === 'win32',
	env: {
		...process.env,
		E2E_DATABASE_URL: server.replace(/\/[^/]*$/, '/winnow_e2e'),
		E2E_WINNOW_SECRET: 'the end-to-end servers share this secret'
	}
});
const code: number = await new Promise((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
cluster?.stop();
process.exit(code);
