import { defineConfig } from '@playwright/test';

// Another port (E2E_PORT) lets a second checkout run its suite beside this one.
const port = Number(process.env.E2E_PORT ?? 4173);

export default defineConfig({
	testDir: 'tests/e2e',
	// One server and one database: the specs run in order, not at once.
	workers: 1,
	fullyParallel: false,
	forbidOnly: !!process.env.CI,
	reporter: process.env.CI ? 'list' : [['list']],
	timeout: 60_000,
	use: {
		baseURL: `http://localhost:${port}`,
		trace: 'retain-on-failure',
		launchOptions: {
			// Browser downloads are impossible on the build machines; use the system Chromium.
			executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
			args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking']
		}
	},
	projects: [
		{ name: 'setup', testMatch: /setup\.spec\.ts/ },
		{ name: 'app', testIgnore: /setup\.spec\.ts/, dependencies: ['setup'] }
	],
	webServer: {
		command: 'node scripts/e2e-server.js',
		url: `http://localhost:${port}/login`,
		timeout: 180_000,
		reuseExistingServer: false,
		stdout: 'pipe'
	}
});
