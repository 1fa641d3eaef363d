// A submit that fails is never lost: the review stays on screen until the server has it, and a
// resend of a review the server did receive is not saved twice.
import { spawn, type ChildProcess } from 'node:child_process';
import { expect, test, type Page, type Request } from '@playwright/test';
import { and, eq } from 'drizzle-orm';
import { addMember, createProject } from '../../src/lib/server/projects';
import { importExamples } from '../../src/lib/server/import';
import { releaseLeases } from '../../src/lib/server/queue';
import { projectSchema, DEFAULT_PROJECT_VALUES } from '../../src/lib/schemas/project';
import { example, review } from '../../src/lib/server/db/schema';
import { E2E_DATABASE, e2eDb, ensureUser, logInAs } from '../support/e2e';

/** A second server of the built app on the e2e database, which this spec may stop. */
const PORT = 4174;
const ORIGIN = `http://localhost:${PORT}`;
let server: ChildProcess | undefined;

async function startServer() {
	server = spawn(process.execPath, ['build/index.js'], {
		stdio: ['ignore', 'ignore', 'inherit'],
		env: {
			...process.env,
			PORT: String(PORT),
			ORIGIN,
			DATABASE_URL: E2E_DATABASE,
			// Stop at once rather than wait for the browser's idle connections.
			SHUTDOWN_TIMEOUT: '1'
		}
	});
	const deadline = Date.now() + 30_000;
	for (;;) {
		const answered = await fetch(`${ORIGIN}/login`).then(
			(response) => response.ok,
			() => false
		);
		if (answered) return;
		if (server.exitCode !== null) throw new Error(`The server exited with ${server.exitCode}.`);
		if (Date.now() > deadline) throw new Error(`No answer from ${ORIGIN} in 30 s.`);
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}

async function stopServer() {
	const running = server;
	server = undefined;
	if (!running || running.exitCode !== null) return;
	const exited = new Promise((resolve) => running.once('exit', resolve));
	running.kill('SIGTERM');
	await exited;
}

test.afterAll(stopServer);

async function offlineProject(name: string, rows: number) {
	const db = e2eDb();
	const admin = await ensureUser('offline-admin', 'admin');
	const annotator = await ensureUser('olga', 'annotator');
	const created = await createProject(
		db,
		projectSchema.parse({ ...DEFAULT_PROJECT_VALUES, name }),
		admin.id
	);
	await addMember(db, created.id, annotator.id);
	async function* lines() {
		for (let i = 1; i <= rows; i++) {
			yield `${JSON.stringify({ input: `${name} question ${i}?`, output: `answer ${i}` })}\n`;
		}
	}
	await importExamples(db, created, {
		source: lines(),
		format: 'jsonl',
		filename: 'offline.jsonl',
		userId: admin.id
	});
	return { project: created, annotator };
}

/** The example on screen, found by its input. */
async function onScreen(page: Page, project: { id: number; name: string }) {
	const region = page.getByRole('region', { name: 'Input' });
	const question = new RegExp(`${project.name} question \\d+\\?`).exec(
		(await region.textContent())!
	)![0];
	const row = (
		await e2eDb()
			.select({ id: example.id })
			.from(example)
			.where(and(eq(example.projectId, project.id), eq(example.input, question)))
	)[0]!;
	return { id: row.id, question };
}

async function reviewsOf(exampleId: number) {
	return await e2eDb()
		.select({ rating: review.rating, decision: review.decision })
		.from(review)
		.where(eq(review.exampleId, exampleId));
}

const isSubmit = (url: URL) => url.pathname.endsWith('/review') && url.search === '?/submit';

async function openReview(page: Page, url: string) {
	await page.goto(url);
	// The shortcuts work once the page is running.
	await expect(page.getByRole('button', { name: 'Shortcuts (?)' })).toBeVisible();
}

test('a review sent as the server stops stays on screen and is saved once it is back', async ({
	page,
	context
}) => {
	const { project, annotator } = await offlineProject('Offline', 3);
	await startServer();
	await logInAs(context, annotator.id, ORIGIN);
	await openReview(page, `${ORIGIN}/projects/${project.id}/review`);
	const input = page.getByRole('region', { name: 'Input' });
	const first = await onScreen(page, project);
	const fourStars = page.getByRole('radio', { name: '4 stars' });

	// The submit is held until the server is gone, then goes out and meets a closed port.
	let submitted!: () => void;
	const submitSeen = new Promise<void>((resolve) => (submitted = resolve));
	let release!: () => void;
	const released = new Promise<void>((resolve) => (release = resolve));
	await page.route(
		isSubmit,
		async (route) => {
			submitted();
			await released;
			await route.continue();
		},
		{ times: 1 }
	);
	await page.keyboard.press('4');
	await expect(fourStars).toBeChecked();
	await page.keyboard.press('Enter');
	await submitSeen;
	await stopServer();
	release();

	const alert = page.getByRole('alert');
	await expect(alert).toContainText(`Your review of example ${first.id} was not saved`);
	await expect(input).toContainText(first.question);
	await expect(fourStars).toBeChecked();
	await expect(page.getByRole('button', { name: 'Retry' })).toBeVisible();
	expect(await reviewsOf(first.id)).toEqual([]);

	// Enter while the server is still down fails again and keeps everything.
	await page.keyboard.press('Enter');
	await expect(alert).toContainText('was not saved');
	await expect(input).toContainText(first.question);

	await startServer();
	await page.keyboard.press('Enter');
	await expect(page.getByRole('status')).toContainText(`Saved example ${first.id}.`);
	await expect(input).not.toContainText(first.question);
	await expect(input).toContainText(/Offline question \d\?/);
	await expect(alert).toHaveCount(0);
	expect(await reviewsOf(first.id)).toEqual([{ rating: 4, decision: 'accept' }]);
});

test('a review the server saved but whose answer was lost is not saved twice', async ({
	page,
	context
}) => {
	const { project, annotator } = await offlineProject('Lost answer', 3);
	await logInAs(context, annotator.id);
	await openReview(page, `/projects/${project.id}/review`);
	const input = page.getByRole('region', { name: 'Input' });
	const first = await onScreen(page, project);

	let sent: Request | undefined;
	await page.route(
		isSubmit,
		async (route) => {
			sent = route.request();
			// The server gets it and saves it; the answer never reaches the page.
			await route.fetch();
			await route.abort('connectionreset');
		},
		{ times: 1 }
	);
	await page.keyboard.press('2');
	await page.keyboard.press('Enter');
	await expect(page.getByRole('alert')).toContainText('was not saved');
	await expect(input).toContainText(first.question);
	expect(sent).toBeDefined();
	expect(await reviewsOf(first.id)).toEqual([{ rating: 2, decision: 'reject' }]);

	// The resend carries the same submission key: the server answers with the saved review.
	await page.keyboard.press('Enter');
	await expect(page.getByRole('status')).toContainText(`Saved example ${first.id}.`);
	await expect(input).not.toContainText(first.question);
	await expect(page.getByRole('alert')).toHaveCount(0);
	expect(await reviewsOf(first.id)).toEqual([{ rating: 2, decision: 'reject' }]);
	await expect(page.getByText('Reviewed today: 1')).toBeVisible();
});

test('a proxy’s 503 keeps the review for a retry; a refusal shows its message', async ({
	page,
	context
}) => {
	const { project, annotator } = await offlineProject('Proxy', 3);
	await logInAs(context, annotator.id);
	await openReview(page, `/projects/${project.id}/review`);
	const input = page.getByRole('region', { name: 'Input' });
	const first = await onScreen(page, project);

	await page.route(
		isSubmit,
		(route) =>
			route.fulfill({
				status: 503,
				contentType: 'text/html',
				body: '<html><body><h1>503 Service Unavailable</h1></body></html>'
			}),
		{ times: 1 }
	);
	await page.keyboard.press('5');
	await page.keyboard.press('Enter');
	const alert = page.getByRole('alert');
	await expect(alert).toContainText(`Your review of example ${first.id} was not saved`);
	await expect(alert).toContainText('503');
	await expect(input).toContainText(first.question);
	await expect(page.getByRole('radio', { name: '5 stars' })).toBeChecked();

	await page.getByRole('button', { name: 'Retry' }).click();
	await expect(page.getByRole('status')).toContainText(`Saved example ${first.id}.`);
	await expect(input).not.toContainText(first.question);
	expect(await reviewsOf(first.id)).toEqual([{ rating: 5, decision: 'accept' }]);

	// The server refuses a review of an example no longer leased: its reason is shown and
	// the example stays, with nothing saved.
	const second = await onScreen(page, project);
	await releaseLeases(e2eDb(), project.id, second.id);
	await page.keyboard.press('3');
	await page.keyboard.press('Enter');
	await expect(alert).toContainText('not leased to you any more');
	await expect(input).toContainText(second.question);
	await expect(page.getByRole('button', { name: 'Retry' })).toHaveCount(0);
	expect(await reviewsOf(second.id)).toEqual([]);
});
