import { and, asc, count, eq } from 'drizzle-orm';
import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';
import { dialectOf, type Db } from './db';
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

export async function listUsers(db: Db) {
	return await db
		.select({
			id: user.id,
			username: user.username,
			displayName: user.displayName,
			role: user.role,
			active: user.active,
			createdAt: user.createdAt
		})
		.from(user)
		.orderBy(asc(dialectOf(db).byCodePoint(user.username)));
}

export async function setUserRole(db: Db, userId: string, role: Role): Promise<void> {
	await db.transaction(async (tx) => tx.update(user).set({ role }).where(eq(user.id, userId)));
}

export async function setUserTheme(db: Db, userId: string, theme: Theme): Promise<void> {
	await db.transaction(async (tx) => tx.update(user).set({ theme }).where(eq(user.id, userId)));
}

/** Deactivating also ends every session of that user at once. */
export async function setUserActive(db: Db, userId: string, active: boolean): Promise<void> {
	await db.transaction(async (tx) => {
		await tx.update(user).set({ active }).where(eq(user.id, userId));
		if (!active) await invalidateUserSessions(tx, userId);
	});
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

export async function countActiveAdmins(db: Db): Promise<number> {
	return (
		await db
			.select({ n: count() })
			.from(user)
			.where(and(eq(user.role, 'admin'), eq(user.active, true)))
			.limit(1)
	)[0]!.n;
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
