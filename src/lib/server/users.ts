import { and, asc, count, eq } from 'drizzle-orm';
import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';
import { dialectOf, type Db, type Tx } from './db';
import { user, type Role, type Theme, type User } from './db/schema';
import { hashPassword, verifyPassword } from './passwords';
import { invalidateUserSessions } from './auth';
import { revokeUserApiTokens } from './apiTokens';
import { admitAttempt, recordSuccess, throttleKeys } from './throttle';

export class UsernameTakenError extends Error {
	constructor() {
		super('That username is taken.');
	}
}

export function generateUserId(): string {
	return encodeBase32LowerCaseNoPadding(crypto.getRandomValues(new Uint8Array(15)));
}

export async function countUsers(db: Db): Promise<number> {
	return (await db.select({ n: count() }).from(user).limit(1))[0]?.n ?? 0;
}

export async function getUserByUsername(db: Db, username: string): Promise<User | undefined> {
	return (
		await db.select().from(user).where(eq(user.username, username.toLowerCase())).limit(1)
	)[0];
}

export async function getUser(db: Db, id: string): Promise<User | undefined> {
	return (await db.select().from(user).where(eq(user.id, id)).limit(1))[0];
}

export type NewUser = { username: string; displayName: string; password: string; role: Role };

export async function createUser(db: Db, input: NewUser, now = new Date()): Promise<User> {
	const passwordHash = await hashPassword(input.password);
	const username = input.username.toLowerCase();
	if (await getUserByUsername(db, username)) throw new UsernameTakenError();
	const row: User = {
		id: generateUserId(),
		username,
		displayName: input.displayName,
		passwordHash,
		role: input.role,
		active: true,
		theme: 'system',
		createdAt: now
	};
	await db.transaction(async (tx) => tx.insert(user).values(row));
	return row;
}

/** The first admin; refuses once any user exists, so /setup closes for good. */
export async function createFirstAdmin(
	db: Db,
	input: Omit<NewUser, 'role'>,
	now = new Date()
): Promise<User | null> {
	const passwordHash = await hashPassword(input.password);
	return await db.transaction(async (tx) => {
		if ((await tx.select({ n: count() }).from(user).limit(1))[0]!.n > 0) return null;
		const row: User = {
			id: generateUserId(),
			username: input.username.toLowerCase(),
			displayName: input.displayName,
			passwordHash,
			role: 'admin',
			active: true,
			theme: 'system',
			createdAt: now
		};
		await tx.insert(user).values(row);
		return row;
	});
}

const accountColumns = {
	id: user.id,
	username: user.username,
	displayName: user.displayName,
	role: user.role,
	active: user.active,
	createdAt: user.createdAt
};

export async function listUsers(db: Db) {
	return await db
		.select(accountColumns)
		.from(user)
		.orderBy(asc(dialectOf(db).byCodePoint(user.username)));
}

export type Account = Awaited<ReturnType<typeof listUsers>>[number];
export type AccountChange = { active?: boolean; role?: Role };

/**
 * An admin's change to an account: active or not, and its role. Nobody deactivates
 * themselves, and Winnow always keeps an active admin; the check and the change are one
 * transaction, so two admins demoting each other at once cannot both succeed. Deactivating
 * ends the person's sessions at once.
 */
export async function changeAccount(
	db: Db,
	actorId: string,
	userId: string,
	change: AccountChange
): Promise<{ ok: true; user: Account } | { ok: false; message: string }> {
	return await db.transaction(async (tx) => {
		const target = (await tx.select().from(user).where(eq(user.id, userId)).limit(1))[0];
		if (!target) return { ok: false, message: 'No such person.' };
		if (change.active === false && userId === actorId) {
			return { ok: false, message: 'You cannot deactivate yourself.' };
		}
		const losesAdmin =
			target.role === 'admin' &&
			target.active &&
			(change.active === false || (change.role !== undefined && change.role !== 'admin'));
		if (losesAdmin) {
			const admins = (
				await tx
					.select({ n: count() })
					.from(user)
					.where(and(eq(user.role, 'admin'), eq(user.active, true)))
			)[0]!.n;
			if (admins <= 1) return { ok: false, message: 'Winnow needs at least one active admin.' };
		}
		const changed = (
			await tx.update(user).set(change).where(eq(user.id, userId)).returning(accountColumns)
		)[0];
		if (change.active === false) await shutOut(tx, userId);
		return { ok: true, user: changed };
	});
}

export async function setUserTheme(db: Db, userId: string, theme: Theme): Promise<void> {
	await db.transaction(async (tx) => tx.update(user).set({ theme }).where(eq(user.id, userId)));
}

/** Deactivating also ends every session of that user at once. */
export async function setUserActive(db: Db, userId: string, active: boolean): Promise<void> {
	await db.transaction(async (tx) => {
		await tx.update(user).set({ active }).where(eq(user.id, userId));
		if (!active) await shutOut(tx, userId);
	});
}

/**
 * A deactivated person's sessions end and their tokens are revoked, so reactivating the
 * account does not bring back scripts that were shut out with it.
 */
async function shutOut(tx: Tx, userId: string) {
	await invalidateUserSessions(tx, userId);
	await revokeUserApiTokens(tx, userId);
}

/**
 * Sets a new password and shuts everything the old one opened: the user's sessions, but
 * `keepSessionId` (the person changing their own password stays logged in there), and their
 * API tokens, which a leaked password may have been used to make.
 */
export async function resetPassword(
	db: Db,
	userId: string,
	password: string,
	keepSessionId?: string,
	now = new Date()
): Promise<void> {
	const passwordHash = await hashPassword(password);
	await db.transaction(async (tx) => {
		await tx.update(user).set({ passwordHash }).where(eq(user.id, userId));
		await invalidateUserSessions(tx, userId, keepSessionId);
		await revokeUserApiTokens(tx, userId, now);
	});
}

export type PasswordChangeResult =
	| { ok: true }
	| { ok: false; reason: 'wrong' }
	| { ok: false; reason: 'throttled'; retryAfterSeconds: number };

/**
 * A person changing their own password from the session `sessionId`. The current password is
 * checked as a login is, throttle included, so a borrowed session cannot guess at it.
 */
export async function changeOwnPassword(
	db: Db,
	username: string,
	currentPassword: string,
	newPassword: string,
	ip: string,
	sessionId: string | undefined,
	now = new Date()
): Promise<PasswordChangeResult> {
	const check = await authenticate(db, username, currentPassword, ip, now);
	if (!check.ok) return check.reason === 'throttled' ? check : { ok: false, reason: 'wrong' };
	await resetPassword(db, check.user.id, newPassword, sessionId, now);
	return { ok: true };
}

let dummyHashPromise: Promise<string> | undefined;
async function dummyHash(): Promise<string> {
	dummyHashPromise ??= hashPassword(
		encodeBase32LowerCaseNoPadding(crypto.getRandomValues(new Uint8Array(20)))
	);
	return dummyHashPromise;
}

export type LoginResult =
	| { ok: true; user: User }
	| { ok: false; reason: 'invalid' }
	| { ok: false; reason: 'throttled'; retryAfterSeconds: number };

/**
 * Checks a login, throttled per account and address, per address and per account (see
 * throttle.ts). The same answer is given for an unknown user, a wrong password and a
 * deactivated account.
 */
export async function authenticate(
	db: Db,
	username: string,
	password: string,
	ip: string,
	now = new Date()
): Promise<LoginResult> {
	const keys = throttleKeys(username, ip);
	// Counted as a failure before the hash is checked, so parallel attempts cannot all pass.
	const wait = await admitAttempt(db, keys, now);
	if (wait > 0)
		return { ok: false, reason: 'throttled', retryAfterSeconds: Math.ceil(wait / 1000) };
	const found = await getUserByUsername(db, username);
	// An unknown name costs the same hash as a known one, so timing does not tell them apart.
	const valid = await verifyPassword(found?.passwordHash ?? (await dummyHash()), password);
	if (!found || !valid || !found.active) return { ok: false, reason: 'invalid' };
	await recordSuccess(db, keys);
	return { ok: true, user: found };
}
