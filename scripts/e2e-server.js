// The end-to-end server: the README's start command on an empty database, so the first spec
// sees /setup. The start command builds when the build is missing or stale.
//
// With E2E_DATABASE_URL set to a PostgreSQL database (npm run test:e2e:pg), it is a team's
// set-up instead: that database emptied, two web processes and a worker on it, and in front of
// them a balancer on the usual port that sends each request to the next web process in turn,
// so no page may count on the server that answered the one before.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import http from 'node:http';
import pg from 'pg';

const PORT = Number(process.env.E2E_PORT ?? 4173);
const postgres = process.env.E2E_DATABASE_URL;
const children = [];

function start(env) {
	const child = spawn(process.execPath, ['scripts/start.js'], {
		stdio: 'inherit',
		env: {
			...process.env,
			// Fine-tunes on the stand-in finish in seconds; ask about them every second.
			WINNOW_FINE_TUNE_POLL_SECONDS: '1',
			...env
		}
	});
	children.push(child);
	child.on('exit', (code) => {
		for (const other of children) other.kill('SIGTERM');
		process.exit(code ?? 0);
	});
	return child;
}

async function answers(port) {
	for (;;) {
		const ok = await fetch(`http://127.0.0.1:${port}/login`).then(
			(r) => r.ok,
			() => false
		);
		if (ok) return;
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
}

if (!postgres) {
	rmSync('.e2e', { recursive: true, force: true });
	// ORIGIN is left to the start command's default, as a new user's would be.
	start({ DATABASE_URL: '.e2e/winnow.db', PORT: String(PORT) });
} else {
	const database = new URL(postgres).pathname.slice(1);
	const admin = new pg.Client({ connectionString: postgres.replace(/\/[^/]*$/, '/postgres') });
	await admin.connect();
	await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
	await admin.query(`CREATE DATABASE "${database}"`);
	await admin.end();
	const shared = {
		DATABASE_URL: postgres,
		WINNOW_SECRET: process.env.E2E_WINNOW_SECRET,
		ORIGIN: `http://localhost:${PORT}`,
		HOST: '127.0.0.1'
	};
	const webPorts = [PORT + 1, PORT + 2];
	// The first builds when needed and migrates; the others start once it answers.
	start({ ...shared, WINNOW_ROLE: 'web', PORT: String(webPorts[0]) });
	await answers(webPorts[0]);
	start({ ...shared, WINNOW_ROLE: 'web', PORT: String(webPorts[1]) });
	start({ ...shared, WINNOW_ROLE: 'worker' });
	await answers(webPorts[1]);
	let turn = 0;
	http
		.createServer((request, response) => {
			const port = webPorts[turn++ % webPorts.length];
			const upstream = http.request(
				{
					host: '127.0.0.1',
					port,
					path: request.url,
					method: request.method,
					headers: request.headers
				},
				(answer) => {
					response.writeHead(answer.statusCode ?? 502, answer.headers);
					answer.pipe(response);
				}
			);
			upstream.on('error', () => {
				if (!response.headersSent) response.writeHead(502);
				response.end();
			});
			request.pipe(upstream);
		})
		.listen(PORT);
}
for (const signal of ['SIGINT', 'SIGTERM']) {
	process.on(signal, () => {
		for (const child of children) child.kill(signal);
	});
}
