// Starts Winnow: builds first when the build is missing or older than the sources,
// then serves it. Migrations are applied by the server itself at start-up.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newestChange(path) {
	const info = statSync(path);
	if (!info.isDirectory()) return info.mtimeMs;
	return readdirSync(path).reduce(
		(newest, name) => Math.max(newest, newestChange(join(path, name))),
		info.mtimeMs
	);
}

const built = 'build/index.js';
const sources = ['src', 'static', 'svelte.config.js', 'vite.config.ts', 'package.json'].filter(
	existsSync
);
const stale = !existsSync(built) || sources.some((p) => newestChange(p) > statSync(built).mtimeMs);
if (stale) {
	console.log('Building Winnow…');
	const result = spawnSync('npx', ['vite', 'build'], { stdio: 'inherit' });
	if (result.status !== 0) process.exit(result.status ?? 1);
}

const port = process.env.PORT ?? '3000';
const env = {
	...process.env,
	// Imports of 100,000 rows are tens of megabytes; the default limit is 512 kB.
	BODY_SIZE_LIMIT: process.env.BODY_SIZE_LIMIT ?? '512M',
	PORT: port
};
// Without a known origin the server assumes https and refuses every form posted over http.
if (!env.ORIGIN && !env.PROTOCOL_HEADER) env.ORIGIN = `http://localhost:${port}`;
console.log(`Winnow on ${env.ORIGIN} (database: ${env.DATABASE_URL ?? 'data/winnow.db'})`);
const server = spawn(process.execPath, [built], { stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code) => process.exit(code ?? 0));
