// The end-to-end server: the README's start command on an empty database, so the first spec
// sees /setup. The start command builds when the build is missing or stale.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';

rmSync('.e2e', { recursive: true, force: true });
const server = spawn(process.execPath, ['scripts/start.js'], {
	stdio: 'inherit',
	env: {
		...process.env,
		DATABASE_URL: '.e2e/winnow.db',
		// ORIGIN is left to the start command's default, as a new user's would be.
		PORT: '4173',
		// Fine-tunes on the stand-in finish in seconds; ask about them every second.
		WINNOW_FINE_TUNE_POLL_SECONDS: '1'
	}
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code) => process.exit(code ?? 0));
