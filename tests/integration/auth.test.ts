import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
	createSession,
	DAY_IN_MS,
	generateSessionToken,
	invalidateSession,
	sessionIdFromToken,
	validateSessionToken
} from '$lib/server/auth';
import {
	authenticateApiToken,
	createApiToken,
	listApiTokens,
	revokeAllApiTokens
} from '$lib/server/apiTokens';
import { type Db } from '$lib/server/db';
import { loginThrottle, session, user } from '$lib/server/db/schema';
import {
	authenticate,
	changeAccount,
	changeOwnPassword,
	countUsers,
	createFirstAdmin,
	resetPassword,
	setUserActive,
	setUserTheme
} from '$lib/server/users';
import { LOGIN_FREE_FAILURES, throttleKeys } from '$lib/server/throttle';
import { makeUser, PASSWORD, T0 } from '../support/fixtures';
import { rawSql, testDb } from '../support/database';

const at = (ms: number) => new Date(T0.getTime() + ms);
const SECOND = 1000;

async function sessionRows(db: Db) {
	return await db.select().from(session);
}

async function setup() {
	const db = await testDb();
	const member = await makeUser(db, 'annotator', 'ada');
	return { db, member };
}

describe('sessions', () => {
	it('validates a new session and gives back its user', async () => {
		const { db, member } = await setup();
		const token = generateSessionToken();
		await createSession(db, token, member.id, T0);

		const result = await validateSessionToken(db, token, at(60 * 60 * SECOND));

		expect(result.user).toEqual({
			id: member.id,
			username: 'ada',
			displayName: 'Test ada',
			role: 'annotator',
			theme: 'system'
		});
		expect(result.session?.userId).toBe(member.id);
		expect(result.session?.expiresAt).toEqual(at(30 * DAY_IN_MS));
	});

	it('gives back the theme the person chose, to a session and to a token alike', async () => {
		const { db, member } = await setup();
		const token = generateSessionToken();
		await createSession(db, token, member.id, T0);
		await setUserTheme(db, member.id, 'dark');
		const apiToken = await createApiToken(db, member.id, 'script');

		expect((await validateSessionToken(db, token, T0)).user?.theme).toBe('dark');
		expect((await authenticateApiToken(db, apiToken.token, T0))?.theme).toBe('dark');
	});

	it('stores only the SHA-256 of the token', async () => {
		const { db, member } = await setup();
		const token = generateSessionToken();
		await createSession(db, token, member.id, T0);

		const rows = await sessionRows(db);
		expect(rows).toHaveLength(1);
		expect(rows[0].id).toBe(createHash('sha256').update(token).digest('hex'));
		const raw = await rawSql(db, {
			sqlite: 'select * from session',
			postgres: 'select * from session'
		});
		expect(JSON.stringify(raw)).not.toContain(token);
	});

	it('refuses a token it never issued', async () => {
		const { db, member } = await setup();
		await createSession(db, generateSessionToken(), member.id, T0);

		expect(await validateSessionToken(db, generateSessionToken(), T0)).toEqual({
			session: null,
			user: null
		});
		expect(await sessionRows(db)).toHaveLength(1);
	});

	it('keeps the expiry while more than 15 days are left', async () => {
		const { db, member } = await setup();
		const token = generateSessionToken();
		await createSession(db, token, member.id, T0);

		const result = await validateSessionToken(db, token, at(14 * DAY_IN_MS));

		expect(result.session?.expiresAt).toEqual(at(30 * DAY_IN_MS));
		expect((await sessionRows(db))[0].expiresAt).toEqual(at(30 * DAY_IN_MS));
	});

	it('extends the session by a full lifetime when used within 15 days of expiry', async () => {
		const { db, member } = await setup();
		const token = generateSessionToken();
		await createSession(db, token, member.id, T0);
		const usedAt = at(16 * DAY_IN_MS);

		const result = await validateSessionToken(db, token, usedAt);

		expect(result.session?.expiresAt).toEqual(at(46 * DAY_IN_MS));
		expect((await sessionRows(db))[0].expiresAt).toEqual(at(46 * DAY_IN_MS));
		// Past the first expiry, the renewed session still opens.
		expect((await validateSessionToken(db, token, at(40 * DAY_IN_MS))).user?.id).toBe(member.id);
	});

	it('refuses and deletes an expired session', async () => {
		const { db, member } = await setup();
		const lastMoment = generateSessionToken();
		const expired = generateSessionToken();
		await createSession(db, lastMoment, member.id, T0);
		await createSession(db, expired, member.id, T0);

		expect((await validateSessionToken(db, lastMoment, at(30 * DAY_IN_MS - 1))).user?.id).toBe(
			member.id
		);
		const result = await validateSessionToken(db, expired, at(30 * DAY_IN_MS));

		expect(result).toEqual({ session: null, user: null });
		expect((await sessionRows(db)).map((s) => s.id)).toEqual([sessionIdFromToken(lastMoment)]);
	});

	it('refuses and deletes the session of a deactivated user', async () => {
		const { db, member } = await setup();
		const token = generateSessionToken();
		await createSession(db, token, member.id, T0);
		// Flip the flag alone, so the check in validation is what refuses the session.
		await db.transaction(async (tx) =>
			tx.update(user).set({ active: false }).where(eq(user.id, member.id))
		);

		expect(await validateSessionToken(db, token, at(SECOND))).toEqual({
			session: null,
			user: null
		});
		expect(await sessionRows(db)).toEqual([]);
	});

	it('ends one session on logout and leaves the others', async () => {
		const { db, member } = await setup();
		const laptop = generateSessionToken();
		const phone = generateSessionToken();
		const laptopSession = await createSession(db, laptop, member.id, T0);
		await createSession(db, phone, member.id, T0);

		await invalidateSession(db, laptopSession.id);

		expect((await validateSessionToken(db, laptop, at(SECOND))).user).toBeNull();
		expect((await validateSessionToken(db, phone, at(SECOND))).user?.id).toBe(member.id);
	});
});

describe('authenticate', () => {
	const IP = '203.0.113.7';

	/** `times` wrong passwords for `username`, one second apart from `start`. */
	async function failLogins(db: Db, username: string, times: number, start: Date, ip = IP) {
		for (let i = 0; i < times; i++) {
			const result = await authenticate(
				db,
				username,
				'wrong-password',
				ip,
				new Date(start.getTime() + i * SECOND)
			);
			expect(result).toEqual({ ok: false, reason: 'invalid' });
		}
	}

	it('lets the right password in, whatever the case of the username', async () => {
		const { db, member } = await setup();

		const result = await authenticate(db, 'ADA', PASSWORD, IP, T0);

		expect(result.ok).toBe(true);
		expect(result.ok && result.user.id).toBe(member.id);
	});

	it('gives the same answer for a wrong password, an unknown user and a deactivated account', async () => {
		const { db, member } = await setup();
		const wrong = await authenticate(db, 'ada', 'not-the-password', IP, T0);
		const unknown = await authenticate(db, 'nobody', PASSWORD, IP, T0);
		await setUserActive(db, member.id, false);
		const inactive = await authenticate(db, 'ada', PASSWORD, IP, T0);

		for (const result of [wrong, unknown, inactive]) {
			expect(result).toEqual({ ok: false, reason: 'invalid' });
		}
	});

	it('locks an account after 5 failures, even against the right password', async () => {
		const { db } = await setup();
		await failLogins(db, 'ada', 5, T0);
		const lastFailure = at(4 * SECOND);

		const right = await authenticate(db, 'ada', PASSWORD, IP, at(4 * SECOND + 10 * SECOND));

		expect(right).toEqual({ ok: false, reason: 'throttled', retryAfterSeconds: 20 });
		// A different spelling of the name is the same account.
		const shouted = await authenticate(db, 'Ada', PASSWORD, IP, lastFailure);
		expect(shouted).toMatchObject({ reason: 'throttled', retryAfterSeconds: 30 });
	});

	it('does not lock after 4 failures', async () => {
		const { db } = await setup();
		await failLogins(db, 'ada', 4, T0);

		const result = await authenticate(db, 'ada', PASSWORD, IP, at(5 * SECOND));

		expect(result.ok).toBe(true);
	});

	it('lifts the lock once its time has passed, and locks longer after the next failure', async () => {
		const { db } = await setup();
		await failLogins(db, 'ada', 5, T0);
		const lockEnds = at(4 * SECOND + 30 * SECOND);

		const justBefore = await authenticate(
			db,
			'ada',
			PASSWORD,
			IP,
			new Date(lockEnds.getTime() - 1)
		);
		expect(justBefore).toMatchObject({ reason: 'throttled', retryAfterSeconds: 1 });

		const again = await authenticate(db, 'ada', 'still-wrong', IP, lockEnds);
		expect(again).toEqual({ ok: false, reason: 'invalid' });
		const relocked = await authenticate(db, 'ada', PASSWORD, IP, lockEnds);
		expect(relocked).toMatchObject({ reason: 'throttled', retryAfterSeconds: 60 });

		const afterwards = await authenticate(db, 'ada', PASSWORD, IP, at(4 * SECOND + 91 * SECOND));
		expect(afterwards.ok).toBe(true);
	});

	it('leaves other accounts on the same address alone while one is locked', async () => {
		const { db } = await setup();
		await makeUser(db, 'annotator', 'grace');
		await failLogins(db, 'ada', 5, T0);

		const other = await authenticate(db, 'grace', PASSWORD, IP, at(5 * SECOND));

		expect(other.ok).toBe(true);
	});

	it('locks an address after 20 failures across different usernames', async () => {
		const { db } = await setup();
		for (let i = 0; i < 20; i++) {
			await failLogins(db, `guess-${i}`, 1, at(i * SECOND));
		}
		const after = at(20 * SECOND);

		const sameAddress = await authenticate(db, 'ada', PASSWORD, IP, after);
		const otherAddress = await authenticate(db, 'ada', PASSWORD, '198.51.100.2', after);

		// Locked at the twentieth failure, one second before.
		expect(sameAddress).toEqual({ ok: false, reason: 'throttled', retryAfterSeconds: 29 });
		expect(otherAddress.ok).toBe(true);
	});

	it('does not lock an address after 19 failures', async () => {
		const { db } = await setup();
		for (let i = 0; i < 19; i++) {
			await failLogins(db, `guess-${i}`, 1, at(i * SECOND));
		}

		expect((await authenticate(db, 'ada', PASSWORD, IP, at(20 * SECOND))).ok).toBe(true);
	});

	it('clears the failures of the account from that address on success', async () => {
		const { db } = await setup();
		await failLogins(db, 'ada', 4, T0);
		expect((await authenticate(db, 'ada', PASSWORD, IP, at(4 * SECOND))).ok).toBe(true);
		expect(
			(
				await db
					.select()
					.from(loginThrottle)
					.where(eq(loginThrottle.key, throttleKeys('ada', IP).pair))
					.limit(1)
			)[0]
		).toBeUndefined();

		await failLogins(db, 'ada', 4, at(5 * SECOND));
		const result = await authenticate(db, 'ada', PASSWORD, IP, at(9 * SECOND));

		expect(result.ok).toBe(true);
	});

	it('counts parallel wrong passwords before checking them, so no more than 5 get through', async () => {
		const { db } = await setup();

		const results = await Promise.all(
			Array.from(
				{ length: 20 },
				async () => await authenticate(db, 'ada', 'wrong-password', IP, T0)
			)
		);

		const checked = results.filter((r) => !r.ok && r.reason === 'invalid');
		expect(checked).toHaveLength(LOGIN_FREE_FAILURES.pair);
		expect(results.filter((r) => !r.ok && r.reason === 'throttled')).toHaveLength(15);
		expect(await authenticate(db, 'ada', PASSWORD, IP, at(SECOND))).toMatchObject({
			reason: 'throttled'
		});
	});

	it('lets the owner in from their address while a stranger fails from another', async () => {
		const { db, member } = await setup();
		const admin = await makeUser(db, 'admin', 'root');
		const stranger = '198.51.100.66';
		for (const name of ['ada', 'root']) {
			// Each tries again as soon as they are let: the stranger is locked out, not the owner.
			let t = T0.getTime();
			for (let i = 0; i < 40; i++) {
				const result = await authenticate(db, name, 'wrong-password', stranger, new Date(t));
				t +=
					!result.ok && result.reason === 'throttled' ? result.retryAfterSeconds * SECOND : SECOND;
			}
			expect(await authenticate(db, name, PASSWORD, stranger, new Date(t - SECOND))).toMatchObject({
				reason: 'throttled'
			});
		}

		for (const [name, id] of [
			['ada', member.id],
			['root', admin.id]
		]) {
			const owner = await authenticate(db, name, PASSWORD, IP, at(SECOND));
			expect(owner.ok && owner.user.id).toBe(id);
		}
	});

	it('locks an account guessed at from many addresses, past what one address may try', async () => {
		const { db } = await setup();
		const perAddress = LOGIN_FREE_FAILURES.pair - 1;
		const addresses = Math.ceil(LOGIN_FREE_FAILURES.user / perAddress);
		for (let a = 0; a < addresses; a++) {
			await failLogins(
				db,
				'ada',
				perAddress,
				at(a * perAddress * SECOND),
				`10.0.${a >> 8}.${a & 255}`
			);
		}

		const owner = await authenticate(db, 'ada', PASSWORD, IP, at(addresses * perAddress * SECOND));

		expect(owner).toMatchObject({ ok: false, reason: 'throttled' });
	});

	it('does not count successful logins against their address', async () => {
		const { db } = await setup();
		for (let i = 0; i < LOGIN_FREE_FAILURES.ip; i++) {
			expect((await authenticate(db, 'ada', PASSWORD, IP, at(i * SECOND))).ok).toBe(true);
		}
		await failLogins(db, 'guess', LOGIN_FREE_FAILURES.pair - 1, at(60 * SECOND));

		expect((await authenticate(db, 'ada', PASSWORD, IP, at(70 * SECOND))).ok).toBe(true);
	});

	it('forgets failures older than an hour', async () => {
		const { db } = await setup();
		await failLogins(db, 'ada', 4, T0);
		await failLogins(db, 'ada', 1, at(2 * 60 * 60 * SECOND));

		const result = await authenticate(db, 'ada', PASSWORD, IP, at(2 * 60 * 60 * SECOND + SECOND));

		expect(result.ok).toBe(true);
	});
});

describe('account administration', () => {
	it('creates the first admin once and never again', async () => {
		const db = await testDb();

		const first = await createFirstAdmin(
			db,
			{ username: 'Root', displayName: 'Root', password: PASSWORD },
			T0
		);
		const second = await createFirstAdmin(
			db,
			{ username: 'intruder', displayName: 'Intruder', password: PASSWORD },
			T0
		);

		expect(first).toMatchObject({ username: 'root', role: 'admin', active: true });
		expect(second).toBeNull();
		expect(await countUsers(db)).toBe(1);
		expect((await authenticate(db, 'root', PASSWORD, '127.0.0.1', T0)).ok).toBe(true);
	});

	it('refuses a first admin when any user already exists', async () => {
		const { db } = await setup();

		const result = await createFirstAdmin(
			db,
			{ username: 'root', displayName: 'Root', password: PASSWORD },
			T0
		);

		expect(result).toBeNull();
		expect(await countUsers(db)).toBe(1);
	});

	it('ends every session of a user who is deactivated, and only theirs', async () => {
		const { db, member } = await setup();
		const other = await makeUser(db, 'annotator', 'grace');
		const tokens = [generateSessionToken(), generateSessionToken()];
		for (const token of tokens) await createSession(db, token, member.id, T0);
		const otherToken = generateSessionToken();
		await createSession(db, otherToken, other.id, T0);

		await setUserActive(db, member.id, false);

		expect((await sessionRows(db)).map((s) => s.userId)).toEqual([other.id]);
		for (const token of tokens) expect((await validateSessionToken(db, token, T0)).user).toBeNull();
		expect((await validateSessionToken(db, otherToken, T0)).user?.id).toBe(other.id);

		await setUserActive(db, member.id, true);
		expect((await authenticate(db, 'ada', PASSWORD, '127.0.0.1', T0)).ok).toBe(true);
	});

	it('keeps an active admin and the acting admin active, whatever the change asked', async () => {
		const { db, member } = await setup();
		const root = await makeUser(db, 'admin', 'root');
		const deputy = await makeUser(db, 'admin', 'deputy');

		expect(await changeAccount(db, root.id, root.id, { active: false })).toEqual({
			ok: false,
			message: 'You cannot deactivate yourself.'
		});
		const demoted = await changeAccount(db, root.id, deputy.id, { role: 'annotator' });
		expect(demoted).toMatchObject({ ok: true, user: { username: 'deputy', role: 'annotator' } });
		// Root is the last active admin now: neither a demotion nor (by another) a deactivation.
		for (const change of [{ role: 'annotator' as const }, { active: false }]) {
			expect(await changeAccount(db, deputy.id, root.id, change)).toEqual({
				ok: false,
				message: 'Winnow needs at least one active admin.'
			});
		}
		const token = generateSessionToken();
		await createSession(db, token, member.id, T0);
		const script = (await createApiToken(db, member.id, 'nightly', T0)).token;
		const off = await changeAccount(db, root.id, member.id, { active: false });
		expect(off).toMatchObject({ ok: true, user: { username: 'ada', active: false } });
		expect((await validateSessionToken(db, token, T0)).user).toBeNull();
		// Reactivated, the account does not bring back the scripts shut out with it.
		await changeAccount(db, root.id, member.id, { active: true });
		expect(await authenticateApiToken(db, script, T0)).toBeNull();
		expect(await changeAccount(db, root.id, 'no-such-id', { active: true })).toEqual({
			ok: false,
			message: 'No such person.'
		});
	});

	it('revokes every live token of a person on an admin’s word, and says how many', async () => {
		const { db, member } = await setup();
		await createApiToken(db, member.id, 'nightly import', T0);
		const kept = (await createApiToken(db, member.id, 'export', T0)).token;
		const other = await makeUser(db, 'annotator', 'grace');
		const hers = (await createApiToken(db, other.id, 'hers', T0)).token;

		expect(await revokeAllApiTokens(db, member.id, at(SECOND))).toBe(2);
		expect(await revokeAllApiTokens(db, member.id, at(2 * SECOND))).toBe(0);
		expect(await authenticateApiToken(db, kept, at(3 * SECOND))).toBeNull();
		expect((await authenticateApiToken(db, hers, at(3 * SECOND)))?.id).toBe(other.id);
	});

	it("revokes the user's API tokens on a password reset, and only theirs", async () => {
		const { db, member } = await setup();
		const other = await makeUser(db, 'annotator', 'grace');
		const scripts = [(await createApiToken(db, member.id, 'nightly import', T0)).token];
		scripts.push((await createApiToken(db, member.id, 'export', T0)).token);
		const othersScript = (await createApiToken(db, other.id, 'hers', T0)).token;

		await resetPassword(db, member.id, 'battery-staple-2', undefined, at(SECOND));

		for (const token of scripts)
			expect(await authenticateApiToken(db, token, at(SECOND))).toBeNull();
		expect((await listApiTokens(db, member.id)).map((t) => t.revokedAt)).toEqual([
			at(SECOND),
			at(SECOND)
		]);
		expect((await authenticateApiToken(db, othersScript, at(SECOND)))?.id).toBe(other.id);
	});

	it('changes their own password only against the current one, ending their other ways in', async () => {
		const { db, member } = await setup();
		const here = generateSessionToken();
		const hereSession = await createSession(db, here, member.id, T0);
		const phone = generateSessionToken();
		await createSession(db, phone, member.id, T0);
		const script = (await createApiToken(db, member.id, 'nightly import', T0)).token;

		const wrong = await changeOwnPassword(
			db,
			'ada',
			'not-my-password',
			'battery-staple-2',
			'127.0.0.1',
			hereSession.id,
			T0
		);
		expect(wrong).toEqual({ ok: false, reason: 'wrong' });
		expect(await sessionRows(db)).toHaveLength(2);
		expect((await authenticateApiToken(db, script, T0))?.id).toBe(member.id);

		const right = await changeOwnPassword(
			db,
			'ada',
			PASSWORD,
			'battery-staple-2',
			'127.0.0.1',
			hereSession.id,
			at(SECOND)
		);
		expect(right).toEqual({ ok: true });
		expect((await validateSessionToken(db, here, at(SECOND))).user?.id).toBe(member.id);
		expect((await validateSessionToken(db, phone, at(SECOND))).user).toBeNull();
		expect(await authenticateApiToken(db, script, at(SECOND))).toBeNull();
		expect((await authenticate(db, 'ada', 'battery-staple-2', '127.0.0.1', at(SECOND))).ok).toBe(
			true
		);
	});

	it('throttles guesses at the current password as it throttles logins', async () => {
		const { db, member } = await setup();
		const hereSession = await createSession(db, generateSessionToken(), member.id, T0);
		for (let i = 0; i < LOGIN_FREE_FAILURES.pair; i++) {
			const guess = await changeOwnPassword(
				db,
				'ada',
				`guess-${i}`,
				'battery-staple-2',
				'127.0.0.1',
				hereSession.id,
				T0
			);
			expect(guess).toEqual({ ok: false, reason: 'wrong' });
		}

		const right = await changeOwnPassword(
			db,
			'ada',
			PASSWORD,
			'battery-staple-2',
			'127.0.0.1',
			hereSession.id,
			T0
		);

		expect(right).toMatchObject({ ok: false, reason: 'throttled' });
	});

	it('ends sessions on a password reset, and the new password works', async () => {
		const { db, member } = await setup();
		const token = generateSessionToken();
		await createSession(db, token, member.id, T0);

		await resetPassword(db, member.id, 'battery-staple-2');

		expect(await sessionRows(db)).toEqual([]);
		expect((await validateSessionToken(db, token, T0)).user).toBeNull();
		const old = await authenticate(db, 'ada', PASSWORD, '127.0.0.1', T0);
		const fresh = await authenticate(db, 'ada', 'battery-staple-2', '127.0.0.1', T0);
		expect(old).toEqual({ ok: false, reason: 'invalid' });
		expect(fresh.ok).toBe(true);
	});
});
