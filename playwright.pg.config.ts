import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// The end-to-end run on PostgreSQL (`npm run test:e2e:pg`): the whole loop — setting up,
// reviewing, adjudicating, a distillation job, exporting, the re-tune loop — through two web
// processes behind a balancer and a worker, as a team on PostgreSQL runs Winnow. The other
// specs (security headers, the API's shapes, the offline review, the playground) do not
// depend on the backend and run once, on SQLite.
export default defineConfig({
	...base,
	projects: [
		{ name: 'setup', testMatch: /setup\.spec\.ts/ },
		{
			name: 'app',
			testMatch: /(review|adjudication|jobs|export|loop)\.spec\.ts/,
			dependencies: ['setup']
		}
	]
});
