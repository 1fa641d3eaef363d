import type { BrowserContext, Page } from '@playwright/test';
import { createDb, type Db } from '../../src/lib/server/db';
import { createSession, generateSessionToken, sessionCookieName } from '../../src/lib/server/auth';
import { loadSecretKey, secretKeyFrom } from '../../src/lib/server/secrets';
import { createUser, getUserByUsername } from '../../src/lib/server/users';
import type { Role } from '../../src/lib/server/db/schema';
import { claimNext } from '../../src/lib/server/queue';
import { submitReview } from '../../src/lib/server/reviews';
import { addMember, createProject } from '../../src/lib/server/projects';
import { importExamples } from '../../src/lib/server/import';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../../src/lib/schemas/project';

/** The server's database: a SQLite file, or in the PostgreSQL run (`npm run test:e2e:pg`) its URL. */
export const E2E_DATABASE = process.env.E2E_DATABASE_URL ?? '.e2e/winnow.db';
/** The secret the e2e server generated beside its database, to seal keys as it does. */
const E2E_SECRET_FILE = '.e2e/secret.key';
export const BASE_URL = `http://localhost:${process.env.E2E_PORT ?? 4173}`;
/** The admin the setup spec creates through the page. */
export const SETUP_ADMIN = { username: 'admin', password: 'correct-horse-battery' };

let db: Db | undefined;

/** The server's own database file; the server migrated it at start. */
export function e2eDb(): Db {
	db ??= createDb(E2E_DATABASE);
	return db;
}

/** The key the e2e servers seal provider keys with, to seal them as they do. */
export function e2eSecretKey() {
	const shared = process.env.E2E_WINNOW_SECRET;
	return shared ? secretKeyFrom(shared) : loadSecretKey(undefined, E2E_SECRET_FILE);
}

/** A user made through the same domain function the admin page uses; reused if it exists. */
export async function ensureUser(username: string, role: Role) {
	const existing = await getUserByUsername(e2eDb(), username);
	if (existing) return existing;
	return createUser(e2eDb(), {
		username,
		displayName: username[0].toUpperCase() + username.slice(1),
		password: 'correct-horse-battery',
		role
	});
}

/** A session cookie for the user, minted directly, as a login would. */
export async function sessionCookie(userId: string) {
	const token = generateSessionToken();
	await createSession(e2eDb(), token, userId);
	return token;
}

/** Logs the browser in on the e2e server, or on another server of the same database. */
export async function logInAs(context: BrowserContext, userId: string, origin = BASE_URL) {
	await context.addCookies([
		{
			name: sessionCookieName,
			value: await sessionCookie(userId),
			url: origin,
			httpOnly: true,
			sameSite: 'Lax'
		}
	]);
}

/**
 * The user accepts, rated 5, every example the queue serves them, through the same domain
 * functions the review screen calls; returns how many. A refused review stops the test.
 */
export async function acceptEverything(
	db: Db,
	projectId: number,
	userId: string,
	keyPrefix: string
) {
	let accepted = 0;
	for (let claimed = await claimNext(db, projectId, userId, new Date()); claimed;) {
		const result = await submitReview(
			db,
			projectId,
			userId,
			{
				exampleId: claimed.exampleId,
				revisionId: claimed.revisionId,
				rating: 5,
				decision: 'accept',
				requirementRatings: new Map(),
				submissionKey: `${keyPrefix}-${claimed.exampleId}`
			},
			new Date()
		);
		if (!result.ok) throw new Error(`the review was refused: ${result.message}`);
		accepted += 1;
		claimed = await claimNext(db, projectId, userId, new Date());
	}
	return accepted;
}

/** A project whose three examples are accepted, all in the train split, and its admin. */
export async function acceptedProject(prefix: string, count = 3) {
	const db = e2eDb();
	const admin = await ensureUser('exporter', 'admin');
	const rater = await ensureUser('rita', 'annotator');
	const project = await createProject(
		db,
		projectSchema.parse({
			...DEFAULT_PROJECT_VALUES,
			name: `${prefix} ${Date.now()}`,
			splitTrain: '100',
			splitVal: '0',
			splitTest: '0'
		}),
		admin.id
	);
	await addMember(db, project.id, rater.id);
	async function* rows() {
		for (let i = 1; i <= count; i++)
			yield `{"input": "Tune question ${i}?", "output": "Tune answer ${i}."}\n`;
	}
	await importExamples(db, project, {
		source: rows(),
		format: 'jsonl',
		filename: 't.jsonl',
		userId: admin.id
	});
	await acceptEverything(db, project.id, rater.id, prefix.toLowerCase());
	return { db, admin, project };
}

/** Opens a page and waits until its scripts run, for controls that act without a button. */
export async function gotoLive(page: Page, url: string) {
	await page.goto(url);
	await page.locator('html[data-live]').waitFor({ state: 'attached' });
}
