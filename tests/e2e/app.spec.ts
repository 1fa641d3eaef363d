import { expect, request, test, type Page } from '@playwright/test';
import { authenticateApiToken, createApiToken } from '../../src/lib/server/apiTokens';
import {
	createSession,
	generateSessionToken,
	validateSessionToken
} from '../../src/lib/server/auth';
import { BASE_URL, e2eDb, ensureUser, logInAs, sessionCookie, SETUP_ADMIN } from '../support/e2e';

const goodFile = [
	{ input: 'Where is order 1001?', output: 'It ships Monday.', tags: ['orders'], id: 'e-1' },
	{ input: 'I was charged twice', output: 'Refund issued.', tags: ['billing'], id: 'e-2' },
	{
		input: 'Order 1002 arrived broken',
		output: 'Sorry, a replacement is on its way.',
		tags: ['orders', 'damage'],
		id: 'e-3'
	},
	{ input: 'How do I reset my password?', tags: ['account'], id: 'e-4' }
]
	.map((row) => JSON.stringify(row))
	.join('\n');

test('a wrong password is refused with a message, the right one logs in', async ({ page }) => {
	await page.goto('/login');
	await page.getByLabel('Username').fill(SETUP_ADMIN.username);
	await page.getByLabel('Password').fill('not-the-password');
	await page.getByRole('button', { name: 'Log in' }).click();
	await expect(page.getByRole('alert')).toHaveText('Wrong username or password.');
	await expect(page).toHaveURL(/\/login/);

	await page.getByLabel('Password').fill(SETUP_ADMIN.password);
	await page.getByRole('button', { name: 'Log in' }).click();
	await expect(page).toHaveURL(/\/projects$/);

	await page.getByRole('button', { name: 'Log out' }).click();
	await expect(page).toHaveURL(/\/login$/);
	await page.goto('/projects');
	await expect(page).toHaveURL(/\/login\?next=%2Fprojects$/);
});

test('a person sees where they are logged in, ends other sessions, and changes their password', async ({
	page,
	browser
}) => {
	const person = await ensureUser('traveller', 'annotator');
	const elsewhere = async (userAgent: string, ipAddress: string, minutesAgo: number) => {
		const token = generateSessionToken();
		const madeAt = new Date(Date.now() - minutesAgo * 60_000);
		await createSession(e2eDb(), token, person.id, madeAt, { userAgent, ipAddress });
		return token;
	};
	const firefox = await elsewhere(
		'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:130.0) Gecko/20100101 Firefox/130.0',
		'198.51.100.7',
		20
	);
	const phone = await elsewhere(
		'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
		'203.0.113.9',
		10
	);

	// Logged in through the form, so this session records the browser it came from.
	await page.goto('/login?next=%2Faccount');
	await page.getByLabel('Username').fill('traveller');
	await page.getByLabel('Password').fill('correct-horse-battery');
	await page.getByRole('button', { name: 'Log in' }).click();
	await expect(page.getByRole('heading', { name: 'Account' })).toBeVisible();

	const sessions = page.getByRole('table', { name: 'Sessions' });
	await expect(sessions.getByRole('rowheader')).toHaveText([
		'Chrome on Linux (this session)',
		'Safari on iOS',
		'Firefox on Windows'
	]);
	const current = sessions.getByRole('row', { name: /this session/ });
	await expect(current.getByRole('button')).toHaveCount(0);

	await sessions
		.getByRole('button', { name: /^End the session of Firefox on Windows from 198\.51\.100\.7/ })
		.click();
	await expect(page.getByRole('status')).toHaveText('Session ended: it is logged out.');
	await expect(sessions.getByRole('rowheader')).toHaveCount(2);
	expect((await validateSessionToken(e2eDb(), firefox)).user).toBeNull();

	await page.getByRole('button', { name: 'End all other sessions' }).click();
	await expect(page.getByRole('status')).toHaveText('Your other sessions have ended.');
	await expect(sessions.getByRole('rowheader')).toHaveText(['Chrome on Linux (this session)']);
	expect((await validateSessionToken(e2eDb(), phone)).user).toBeNull();
	await expect(page.getByRole('button', { name: 'End all other sessions' })).toHaveCount(0);

	// A password change proves the current one, and ends the sessions made since.
	const laptop = await browser.newContext();
	await logInAs(laptop, person.id);
	await page.getByLabel('Current password').fill('not-my-password');
	await page.getByLabel('New password', { exact: true }).fill('staple-battery-horse');
	await page.getByLabel('New password again').fill('staple-battery-horse');
	const refusal = page.waitForResponse((r) => r.request().method() === 'POST');
	await page.getByRole('button', { name: 'Change password' }).click();
	await expect(page.getByLabel('Current password')).toHaveAccessibleDescription(
		'That is not your current password.'
	);
	// A form sent with JavaScript gets its 400 inside a 200.
	expect(await (await refusal).json()).toMatchObject({ type: 'failure', status: 400 });
	expect(await (await refusal).text()).not.toMatch(/not-my-password|staple-battery-horse/);

	await page.getByLabel('Current password').fill('correct-horse-battery');
	await page.getByLabel('New password', { exact: true }).fill('staple-battery-horse');
	await page.getByLabel('New password again').fill('staple-battery-horse');
	await page.getByRole('button', { name: 'Change password' }).click();
	await expect(page.getByText('Password changed.')).toBeVisible();
	const laptopPage = await laptop.newPage();
	await laptopPage.goto('/account');
	await expect(laptopPage).toHaveURL(/\/login\?next=%2Faccount$/);
	await page.reload();
	await expect(page.getByRole('heading', { name: 'Account' })).toBeVisible();
	await laptop.close();
});

test('after logging in, next leads only to a page of this site', async () => {
	const person = await ensureUser('nextcomer', 'annotator');
	const signedIn = await request.newContext({
		baseURL: BASE_URL,
		extraHTTPHeaders: { cookie: `auth-session=${await sessionCookie(person.id)}` }
	});
	const payloads: [string, string][] = [
		['%2Fprojects%3Fa%3D1', '/projects?a=1'],
		['%2F%09%2Fevil.com', '/'],
		['%2F%5Cevil.com', '/'],
		['%20%2F%2Fevil.com', '/'],
		['https%3A%2F%2Fevil.com', '/'],
		// CR and LF once made a 500: a header cannot hold them.
		['%2Fprojects%0D%0ASet-Cookie%3A%20x%3Dy', '/projectsSet-Cookie:%20x=y']
	];
	for (const [next, location] of payloads) {
		const response = await signedIn.get(`/login?next=${next}`, { maxRedirects: 0 });
		expect(response.status(), next).toBe(303);
		expect(response.headers()['location'], next).toBe(location);
	}
	await signedIn.dispose();

	// The login form's own redirect reads next the same way.
	const visitor = await request.newContext({
		baseURL: BASE_URL,
		extraHTTPHeaders: { origin: BASE_URL, accept: 'text/html' }
	});
	const response = await visitor.post('/login?next=%2F%0D%0A%2Fevil.com', {
		form: { username: 'nextcomer', password: 'correct-horse-battery' },
		maxRedirects: 0
	});
	expect(response.status()).toBe(303);
	expect(response.headers()['location']).toBe('/');
	await visitor.dispose();
});

test('an admin creates a project, imports a file, and browses and filters its examples', async ({
	page,
	context
}) => {
	const admin = await ensureUser('admin', 'admin');
	await logInAs(context, admin.id);
	await page.goto('/projects/new');

	await page.getByLabel('Name').fill('Support replies');
	await page.getByLabel('Train').fill('50');
	await page.getByRole('button', { name: 'Create project' }).click();
	await expect(page.getByText('The splits add up to 70%; they must add up to 100%.')).toBeVisible();
	await expect(page.getByLabel('Name')).toHaveValue('Support replies');
	await page.getByLabel('Train').fill('80');

	await page.getByLabel('Instruction').fill('Answer the customer politely and precisely.');
	await page.getByRole('button', { name: 'Add a requirement' }).click();
	await page.getByLabel('Requirement 1 name').fill('Polite');
	await page.getByRole('button', { name: 'Add a requirement' }).click();
	await page.getByLabel('Requirement 2 name').fill('Correct');
	await page.getByRole('button', { name: 'Move requirement 2 up' }).click();
	await expect(page.getByLabel('Requirement 1 name')).toHaveValue('Correct');
	await page.getByRole('button', { name: 'Create project' }).click();

	await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
	await expect(
		page.getByRole('region', { name: 'Getting started with this project' })
	).toContainText('Fill the queue');
	await expect(page.getByRole('listitem').filter({ hasText: 'Correct' })).toBeVisible();

	await page.getByRole('link', { name: 'Import', exact: true }).click();
	await page.getByLabel('File').setInputFiles({
		name: 'bad.jsonl',
		mimeType: 'application/x-ndjson',
		buffer: Buffer.from('{"input": "fine"}\n{"output": "no input"}\nnot json\n')
	});
	await page.getByRole('button', { name: 'Import' }).click();
	await expect(page.getByText('Nothing was imported.')).toBeVisible();
	const problems = page.getByRole('list', { name: 'Problems by line' });
	await expect(problems.getByRole('listitem')).toHaveCount(2);
	await expect(problems).toContainText('Line 2: missing "input"');
	await expect(problems).toContainText('Line 3: invalid JSON');

	await page.getByLabel('File').setInputFiles({
		name: 'support.jsonl',
		mimeType: 'application/x-ndjson',
		buffer: Buffer.from(goodFile)
	});
	await page.getByRole('button', { name: 'Import' }).click();
	await expect(page.getByRole('status')).toContainText('Imported 4 examples from support.jsonl');

	await page.getByRole('link', { name: 'See the examples' }).click();
	const rows = page.getByRole('table').getByRole('row');
	await expect(rows).toHaveCount(5);

	await page.getByLabel('Tag').selectOption('orders');
	await page.getByRole('button', { name: 'Filter' }).click();
	await expect(rows).toHaveCount(3);
	await expect(page.getByRole('table')).not.toContainText('charged twice');

	await page.getByLabel('Tag').selectOption('');
	await page.getByLabel('Text').fill('password');
	await page.getByRole('button', { name: 'Filter' }).click();
	await expect(rows).toHaveCount(2);
	await expect(page.getByRole('table')).toContainText('How do I reset my password?');

	await page.getByLabel('Text').fill('');
	await page.getByLabel('Status').selectOption('accepted');
	await page.getByRole('button', { name: 'Filter' }).click();
	await expect(page.getByText('No examples match these filters')).toBeVisible();

	await page.getByRole('link', { name: 'show all examples' }).click();
	await page
		.getByRole('link', { name: /^Example \d+$/ })
		.first()
		.click();
	await page.getByRole('dialog').getByRole('link', { name: 'Open the whole example' }).click();
	await expect(page.getByRole('heading', { name: /^Example \d+$/, level: 1 })).toBeVisible();
	await expect(page.getByText('Revision 1 · Imported')).toBeVisible();
});

test('the theme follows the system until a person chooses one on the Account page, and stays chosen', async ({
	browser
}) => {
	const person = await ensureUser('night-owl', 'annotator');
	const background = (page: Page) =>
		page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
	const dark = await browser.newContext({ colorScheme: 'dark' });
	await logInAs(dark, person.id);
	const page = await dark.newPage();
	await page.goto('/account');
	const systemDark = await background(page);
	await page.emulateMedia({ colorScheme: 'light' });
	const systemLight = await background(page);
	expect(systemDark).not.toBe(systemLight);

	// Chosen dark, a light system still gets the dark page, from the first byte on.
	await page.getByRole('radio', { name: 'Dark' }).check();
	await page.getByRole('button', { name: 'Use this theme' }).click();
	await expect(page.getByRole('status')).toContainText('Theme saved');
	expect(await background(page)).toBe(systemDark);
	const response = await page.goto('/projects');
	expect(await response?.text()).toContain('data-theme="dark"');
	expect(await background(page)).toBe(systemDark);

	await page.goto('/account');
	await expect(page.getByRole('radio', { name: 'Dark' })).toBeChecked();
	await page.getByRole('radio', { name: 'As my system is set' }).check();
	await page.getByRole('button', { name: 'Use this theme' }).click();
	await expect(page.getByRole('status')).toContainText('Theme saved');
	expect(await background(page)).toBe(systemLight);
	await dark.close();
});

test('an annotator cannot reach admin pages', async ({ page, context }) => {
	const annotator = await ensureUser('annie', 'annotator');
	await logInAs(context, annotator.id);
	await page.goto('/projects');
	await expect(page.getByRole('heading', { name: 'You are not in any project yet' })).toBeVisible();
	await expect(
		page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' })
	).toHaveCount(0);

	for (const path of ['/admin/users', '/projects/new']) {
		const response = await page.goto(path);
		expect(response?.status()).toBe(403);
		await expect(page.getByRole('heading', { name: 'Not allowed' })).toBeVisible();
	}
});

test('a guessable password is refused beside its field, saying why, and nothing is written', async ({
	page,
	context
}) => {
	const admin = await ensureUser('admin', 'admin');
	await logInAs(context, admin.id);
	await page.goto('/admin/users');

	await page.getByLabel('Username').fill('weakling');
	await page.getByLabel('Name', { exact: true }).fill('Weak Ling');
	await page.getByLabel('Initial password').fill('aaaaaaaaaa');
	const refusal = page.waitForResponse((r) => r.request().method() === 'POST');
	await page.getByRole('button', { name: 'Create account' }).click();
	// A form sent with JavaScript gets its 400 inside a 200.
	expect(await (await refusal).json()).toMatchObject({ type: 'failure', status: 400 });
	expect(await (await refusal).text()).not.toContain('aaaaaaaaaa');

	await expect(page.getByLabel('Initial password')).toHaveAccessibleDescription(
		/This password is too easy to guess\. Repeated characters like "aaa" are easy to guess\./
	);
	await expect(page.getByLabel('Username')).toHaveValue('weakling');
	await expect(page.getByRole('table').getByText('weakling')).toHaveCount(0);

	await page.getByLabel('Initial password').fill('correct-horse-battery');
	await page.getByRole('button', { name: 'Create account' }).click();
	await expect(page.getByText('Account “weakling” created.')).toBeVisible();

	await page.getByLabel('New password for weakling').fill('password123');
	await page
		.getByRole('row')
		.filter({ hasText: 'weakling' })
		.getByRole('button', { name: 'Reset' })
		.click();
	await expect(page.getByLabel('New password for weakling')).toHaveAccessibleDescription(
		/This is a commonly used password\./
	);
});

test.describe('without JavaScript', () => {
	test.use({ javaScriptEnabled: false });

	test('a theme chosen without scripts draws the answer in it at once', async ({
		page,
		context
	}) => {
		const person = await ensureUser('plain-html', 'annotator');
		await logInAs(context, person.id);
		await page.goto('/account');
		await page.getByRole('radio', { name: 'Dark' }).check();
		await page.getByRole('button', { name: 'Use this theme' }).click();
		await expect(page.getByRole('status')).toContainText('Theme saved');
		await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
		await expect(page.getByRole('radio', { name: 'Dark' })).toBeChecked();
	});

	test("an admin sees and revokes anyone's access tokens, and a reset revokes the rest", async ({
		page,
		context
	}) => {
		const admin = await ensureUser('admin', 'admin');
		const scripter = await ensureUser('scripter', 'annotator');
		const nightly = (await createApiToken(e2eDb(), scripter.id, 'nightly import')).token;
		const exporter = (await createApiToken(e2eDb(), scripter.id, 'weekly export')).token;
		await logInAs(context, admin.id);
		await page.goto('/admin/users');

		const tokens = page.getByRole('table', { name: 'Access tokens of scripter' });
		await expect(tokens.getByRole('rowheader')).toHaveText(['weekly export', 'nightly import']);
		await expect(tokens.getByRole('row', { name: /nightly import/ })).toContainText('never');
		await tokens.getByRole('button', { name: 'Revoke nightly import of scripter' }).click();
		await expect(page.getByText('Token revoked')).toBeVisible();
		await expect(tokens.getByRole('row', { name: /nightly import/ })).toContainText('revoked');
		expect(await authenticateApiToken(e2eDb(), nightly)).toBeNull();
		expect((await authenticateApiToken(e2eDb(), exporter))?.id).toBe(scripter.id);

		await page.getByLabel('New password for scripter').fill('battery-horse-correct');
		await page
			.getByRole('row')
			.filter({ hasText: 'scripter' })
			.getByRole('button', { name: 'Reset' })
			.click();
		await expect(page.getByText('their access tokens are revoked')).toBeVisible();
		await expect(tokens.getByRole('button', { name: /^Revoke/ })).toHaveCount(0);
		expect(await authenticateApiToken(e2eDb(), exporter)).toBeNull();
	});
});
