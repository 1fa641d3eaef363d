// The end-to-end server: a fresh build and an empty database, so the first spec sees /setup.
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';

const E2E_DATABASE = '.e2e/winnow.db';

rmSync('.e2e', { recursive: true, force: true });
const build = spawnSync('npx', ['vite', 'build'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const server = spawn(process.execPath, ['build/index.js'], {
	stdio: 'inherit',
	env: {
		...process.env,
		DATABASE_URL: E2E_DATABASE,
		PORT: '4173',
		ORIGIN: 'http://localhost:4173',
		BODY_SIZE_LIMIT: '512M'
	}
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code) => process.exit(code ?? 0));
