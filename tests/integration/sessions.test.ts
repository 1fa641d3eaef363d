import { describe, expect, it } from 'vitest';
import {
	createSession,
	DAY_IN_MS,
	endSession,
	generateSessionToken,
	invalidateUserSessions,
	listUserSessions,
	validateSessionToken
} from '$lib/server/auth';
import { makeUser, T0 } from '../support/fixtures';
import { testDb } from '../support/database';

const at = (ms: number) => new Date(T0.getTime() + ms);
const MINUTE = 60_000;
const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:130.0) Gecko/20100101 Firefox/130.0';

async function setup() {
	const db = await testDb();
	const ada = await makeUser(db, 'annotator', 'ada');
	const grace = await makeUser(db, 'annotator', 'grace');
	return { db, ada, grace };
}

describe('session list', () => {
	it('lists the live sessions of one person, newest first, with where they came from', async () => {
		const { db, ada, grace } = await setup();
		const laptop = generateSessionToken();
		const laptopSession = await createSession(db, laptop, ada.id, T0, {
			userAgent: FIREFOX,
			ipAddress: '198.51.100.7'
		});
		const phone = await createSession(db, generateSessionToken(), ada.id, at(MINUTE));
		await createSession(db, generateSessionToken(), grace.id, T0);
		// Made 31 days before: expired, so not listed.
		await createSession(db, generateSessionToken(), ada.id, at(-31 * DAY_IN_MS));

		await validateSessionToken(db, laptop, at(10 * MINUTE));
		const sessions = await listUserSessions(db, ada.id, at(10 * MINUTE));

		expect(sessions).toEqual([
			{
				id: phone.id,
				createdAt: at(MINUTE),
				lastSeenAt: at(MINUTE),
				expiresAt: at(MINUTE + 30 * DAY_IN_MS),
				userAgent: null,
				ipAddress: null
			},
			{
				id: laptopSession.id,
				createdAt: T0,
				lastSeenAt: at(10 * MINUTE),
				expiresAt: at(30 * DAY_IN_MS),
				userAgent: FIREFOX,
				ipAddress: '198.51.100.7'
			}
		]);
	});

	it('marks a session seen at most once a minute', async () => {
		const { db, ada } = await setup();
		const token = generateSessionToken();
		await createSession(db, token, ada.id, T0);

		await validateSessionToken(db, token, at(30_000));
		expect((await listUserSessions(db, ada.id, at(30_000)))[0].lastSeenAt).toEqual(T0);
		await validateSessionToken(db, token, at(MINUTE + 1));
		expect((await listUserSessions(db, ada.id, at(MINUTE + 1)))[0].lastSeenAt).toEqual(
			at(MINUTE + 1)
		);
	});

	it("ends one of a person's own sessions, and no one else's", async () => {
		const { db, ada, grace } = await setup();
		const phone = generateSessionToken();
		const phoneSession = await createSession(db, phone, ada.id, T0);
		const hers = generateSessionToken();
		const herSession = await createSession(db, hers, grace.id, T0);

		expect(await endSession(db, ada.id, herSession.id)).toBe(false);
		expect((await validateSessionToken(db, hers, T0)).user?.id).toBe(grace.id);
		expect(await endSession(db, ada.id, phoneSession.id)).toBe(true);
		expect((await validateSessionToken(db, phone, T0)).user).toBeNull();
		expect(await endSession(db, ada.id, phoneSession.id)).toBe(false);
	});

	it('ends all other sessions and keeps the one asking', async () => {
		const { db, ada, grace } = await setup();
		const here = generateSessionToken();
		const hereSession = await createSession(db, here, ada.id, T0);
		const others = [generateSessionToken(), generateSessionToken()];
		for (const token of others) await createSession(db, token, ada.id, T0);
		const hers = generateSessionToken();
		await createSession(db, hers, grace.id, T0);

		await invalidateUserSessions(db, ada.id, hereSession.id);

		expect((await validateSessionToken(db, here, T0)).user?.id).toBe(ada.id);
		for (const token of others) expect((await validateSessionToken(db, token, T0)).user).toBeNull();
		expect((await validateSessionToken(db, hers, T0)).user?.id).toBe(grace.id);
	});
});
