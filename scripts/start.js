// Starts Winnow: builds first when the build is missing or older than the sources,
// then serves it. Migrations are applied by the server itself at start-up.
//
// `node scripts/start.js --build` only builds when needed, and stops: for the benchmarks and
// tests that start the built server themselves, so that they never run an old build.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

// better-sqlite3 is compiled for one Node.js version at install time. Under another one (after
// switching versions with nvm, say) the server would die at its first query with a long stack
// trace; say in one line what happened and the command that fixes it.
function nativeSqliteProblem() {
	const require = createRequire(import.meta.url);
	try {
		const Database = require('better-sqlite3');
		new Database(':memory:').close();
		return null;
	} catch (error) {
		const fix = 'run `npm rebuild better-sqlite3`, then `npm start` again.';
		const message = String(error?.message ?? error);
		if (error?.code === 'MODULE_NOT_FOUND' && message.includes("'better-sqlite3'"))
			return "Winnow's dependencies are not installed: run `npm install`, then `npm start` again.";
		const builtFor = message.match(/NODE_MODULE_VERSION (\d+)/)?.[1];
		if (builtFor && builtFor !== process.versions.modules)
			return `better-sqlite3 was built for another Node.js (module version ${builtFor}; Node.js ${process.version} needs ${process.versions.modules}): ${fix}`;
		if (error?.code === 'ERR_DLOPEN_FAILED')
			return `better-sqlite3's native module does not load in Node.js ${process.version} (${message.split('\n')[0]}): ${fix}`;
		if (message.startsWith('Could not locate the bindings file'))
			return `better-sqlite3's native module was never built (its install script did not run): ${fix}`;
		throw error;
	}
}

const sqliteProblem = nativeSqliteProblem();
if (sqliteProblem) {
	console.error(sqliteProblem);
	process.exit(1);
}

/** The database for the log: a PostgreSQL URL without its password. */
function shownDatabase(url = 'data/winnow.db') {
	if (!/^postgres(ql)?:\/\//.test(url)) return url;
	const shown = new URL(url);
	if (shown.password) shown.password = '***';
	return shown.toString();
}

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
if (process.argv.includes('--build')) process.exit(0);

// A worker answers no requests: it loads the server without listening, which starts the job
// runner and the fine-tune follower, and runs until it is stopped.
if (process.env.WINNOW_ROLE === 'worker') {
	console.log(`Winnow worker (database: ${shownDatabase(process.env.DATABASE_URL)})`);
	const worker = spawn(
		process.execPath,
		[
			'--input-type=module',
			'-e',
			"await import('./build/handler.js'); setInterval(() => {}, 1 << 30);"
		],
		{ stdio: 'inherit', env: process.env }
	);
	for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => worker.kill(signal));
	worker.on('exit', (code) => process.exit(code ?? 0));
} else {
	serve();
}

function serve() {
	const port = process.env.PORT ?? '3000';
	const env = {
		...process.env,
		// Imports of 100,000 rows are tens of megabytes; the default limit is 512 kB.
		BODY_SIZE_LIMIT: process.env.BODY_SIZE_LIMIT ?? '512M',
		PORT: port
	};
	// Without a known origin the server assumes https and refuses every form posted over http.
	if (!env.ORIGIN && !env.PROTOCOL_HEADER) env.ORIGIN = `http://localhost:${port}`;
	console.log(`Winnow on ${env.ORIGIN} (database: ${shownDatabase(env.DATABASE_URL)})`);
	const server = spawn(process.execPath, [built], { stdio: 'inherit', env });
	for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
	server.on('exit', (code) => process.exit(code ?? 0));
}
