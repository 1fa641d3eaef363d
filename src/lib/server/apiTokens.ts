import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';
import { and, desc, eq, isNull } from 'drizzle-orm';
import { type Db, type Tx, changedRows } from './db';
import { apiToken, user } from './db/schema';
import { sessionIdFromToken, type SessionUser } from './auth';

// Personal access tokens for the HTTP API. A token is shown once, when it is made; only its
// SHA-256 is kept. It acts as its owner, with the owner's role and projects, until revoked or
// until the owner's account is deactivated.

export const TOKEN_PREFIX = 'wnw_';

export async function createApiToken(db: Db, userId: string, name: string, now = new Date()) {
	const token =
		TOKEN_PREFIX + encodeBase32LowerCaseNoPadding(crypto.getRandomValues(new Uint8Array(25)));
	const created = (
		await db.transaction(async (tx) =>
			tx
				.insert(apiToken)
				.values({ userId, name, tokenHash: sessionIdFromToken(token), createdAt: now })
				.returning({ id: apiToken.id })
		)
	)[0];
	return { id: created.id, token };
}

const tokenColumns = {
	id: apiToken.id,
	userId: apiToken.userId,
	name: apiToken.name,
	createdAt: apiToken.createdAt,
	lastUsedAt: apiToken.lastUsedAt,
	revokedAt: apiToken.revokedAt
};

/** One user's tokens, newest first; every user's when `userId` is left out (for admins). */
export async function listApiTokens(db: Db, userId?: string) {
	return await db
		.select(tokenColumns)
		.from(apiToken)
		.where(userId === undefined ? undefined : eq(apiToken.userId, userId))
		.orderBy(desc(apiToken.id));
}

/**
 * Revokes every live token of the user (a new password shuts out what the old one let in; an
 * admin may do it at any time) and says how many there were.
 */
export async function revokeUserApiTokens(
	db: Tx,
	userId: string,
	now = new Date()
): Promise<number> {
	return await changedRows(
		db
			.update(apiToken)
			.set({ revokedAt: now })
			.where(and(eq(apiToken.userId, userId), isNull(apiToken.revokedAt)))
	);
}

/** An admin revoking every live token of a person; how many there were. */
export async function revokeAllApiTokens(db: Db, userId: string, now = new Date()) {
	return await db.transaction(async (tx) => revokeUserApiTokens(tx, userId, now));
}

/** Revokes one token of the given user; false when there is no such live token. */
export async function revokeApiToken(
	db: Db,
	userId: string,
	tokenId: number,
	now = new Date()
): Promise<boolean> {
	return (
		(await changedRows(
			db.transaction(async (tx) =>
				tx
					.update(apiToken)
					.set({ revokedAt: now })
					.where(
						and(eq(apiToken.id, tokenId), eq(apiToken.userId, userId), isNull(apiToken.revokedAt))
					)
			)
		)) > 0
	);
}

/** The user a bearer token stands for, or null for an unknown, revoked or deactivated one. */
export async function authenticateApiToken(
	db: Db,
	token: string,
	now = new Date()
): Promise<SessionUser | null> {
	if (!token.startsWith(TOKEN_PREFIX)) return null;
	const found = (
		await db
			.select({
				tokenId: apiToken.id,
				lastUsedAt: apiToken.lastUsedAt,
				id: user.id,
				username: user.username,
				displayName: user.displayName,
				role: user.role,
				theme: user.theme
			})
			.from(apiToken)
			.innerJoin(user, eq(user.id, apiToken.userId))
			.where(
				and(
					eq(apiToken.tokenHash, sessionIdFromToken(token)),
					isNull(apiToken.revokedAt),
					eq(user.active, true)
				)
			)
			.limit(1)
	)[0];
	if (!found) return null;
	// Marked used at most once a minute: a script's every call need not write.
	if (!found.lastUsedAt || now.getTime() - found.lastUsedAt.getTime() > 60_000) {
		await db.transaction(async (tx) =>
			tx.update(apiToken).set({ lastUsedAt: now }).where(eq(apiToken.id, found.tokenId))
		);
	}
	return {
		id: found.id,
		username: found.username,
		displayName: found.displayName,
		role: found.role,
		theme: found.theme
	};
}
