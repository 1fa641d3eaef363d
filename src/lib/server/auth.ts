import { sha256 } from '@oslojs/crypto/sha2';
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from '@oslojs/encoding';
import { and, desc, eq, gt, ne, sql } from 'drizzle-orm';
import type { RequestEvent } from '@sveltejs/kit';
import { preparedRead, within, type Db, type Tx, changedRows } from './db';
import { session, user, type Session, type User } from './db/schema';

export const DAY_IN_MS = 1000 * 60 * 60 * 24;
export const SESSION_LIFETIME_MS = DAY_IN_MS * 30;
/** A session used within this long of its expiry is extended by a full lifetime. */
export const SESSION_RENEWAL_MS = DAY_IN_MS * 15;
export const sessionCookieName = 'auth-session';

export type SessionUser = Pick<User, 'id' | 'username' | 'displayName' | 'role' | 'theme'>;
export type SessionValidationResult =
	{ session: Session; user: SessionUser } | { session: null; user: null };

export function generateSessionToken(): string {
	const bytes = crypto.getRandomValues(new Uint8Array(20));
	return encodeBase32LowerCaseNoPadding(bytes);
}

/** Only this hash of the token is stored, so a leaked table opens no session. */
export function sessionIdFromToken(token: string): string {
	return encodeHexLowerCase(sha256(new TextEncoder().encode(token)));
}

/** Where a session was made from, as the browser said and the server saw it. */
export type SessionClient = { userAgent: string | null; ipAddress: string | null };
const USER_AGENT_MAX_LENGTH = 400;
/** A session's last-seen time is written at most this often. */
const LAST_SEEN_EVERY_MS = 60_000;

export async function createSession(
	db: Db,
	token: string,
	userId: string,
	now = new Date(),
	client: SessionClient = { userAgent: null, ipAddress: null }
): Promise<Session> {
	const row: Session = {
		id: sessionIdFromToken(token),
		userId,
		expiresAt: new Date(now.getTime() + SESSION_LIFETIME_MS),
		createdAt: now,
		lastSeenAt: now,
		userAgent: client.userAgent?.slice(0, USER_AGENT_MAX_LENGTH) || null,
		ipAddress: client.ipAddress || null
	};
	await db.transaction(async (tx) => tx.insert(session).values(row));
	return row;
}

// Asked on every request that carries a session cookie.
const sessionWithUser = preparedRead((q) =>
	q
		.select({
			session,
			user: {
				id: user.id,
				username: user.username,
				displayName: user.displayName,
				role: user.role,
				theme: user.theme,
				active: user.active
			}
		})
		.from(session)
		.innerJoin(user, eq(session.userId, user.id))
		.where(eq(session.id, sql.placeholder('sessionId')))
		.limit(1)
		.prepare()
);

export async function validateSessionToken(
	db: Db,
	token: string,
	now = new Date()
): Promise<SessionValidationResult> {
	const sessionId = sessionIdFromToken(token);
	const found = (await sessionWithUser(db).execute({ sessionId }))[0];
	if (!found) return { session: null, user: null };
	const { session: row, user: owner } = found;
	if (now.getTime() >= row.expiresAt.getTime() || !owner.active) {
		await db.transaction(async (tx) => tx.delete(session).where(eq(session.id, row.id)));
		return { session: null, user: null };
	}
	const renew = now.getTime() >= row.expiresAt.getTime() - SESSION_RENEWAL_MS;
	const seen = !row.lastSeenAt || now.getTime() - row.lastSeenAt.getTime() >= LAST_SEEN_EVERY_MS;
	if (renew || seen) {
		if (renew) row.expiresAt = new Date(now.getTime() + SESSION_LIFETIME_MS);
		row.lastSeenAt = now;
		await db.transaction(async (tx) =>
			tx
				.update(session)
				.set({ expiresAt: row.expiresAt, lastSeenAt: now })
				.where(eq(session.id, row.id))
		);
	}
	return {
		session: row,
		user: {
			id: owner.id,
			username: owner.username,
			displayName: owner.displayName,
			role: owner.role,
			theme: owner.theme
		}
	};
}

/** A person's live sessions, newest first. */
export async function listUserSessions(db: Db, userId: string, now = new Date()) {
	return await db
		.select({
			id: session.id,
			createdAt: session.createdAt,
			lastSeenAt: session.lastSeenAt,
			expiresAt: session.expiresAt,
			userAgent: session.userAgent,
			ipAddress: session.ipAddress
		})
		.from(session)
		.where(and(eq(session.userId, userId), gt(session.expiresAt, now)))
		.orderBy(desc(session.createdAt), desc(session.expiresAt));
}

/** Ends one of the person's own sessions; false when they have no such session. */
export async function endSession(db: Db, userId: string, sessionId: string): Promise<boolean> {
	return (
		(await changedRows(
			db.transaction(async (tx) =>
				tx.delete(session).where(and(eq(session.id, sessionId), eq(session.userId, userId)))
			)
		)) > 0
	);
}

export async function invalidateSession(db: Db, sessionId: string): Promise<void> {
	await db.transaction(async (tx) => tx.delete(session).where(eq(session.id, sessionId)));
}

/** Ends every session of the user, but `keepSessionId` when given (the one asking). */
export async function invalidateUserSessions(
	db: Db | Tx,
	userId: string,
	keepSessionId?: string
): Promise<void> {
	return within(db, async (tx) => {
		await tx
			.delete(session)
			.where(
				and(
					eq(session.userId, userId),
					keepSessionId === undefined ? undefined : ne(session.id, keepSessionId)
				)
			);
	});
}

type CookieEvent = Pick<RequestEvent, 'cookies' | 'url'>;

/**
 * Secure whenever the site is served over HTTPS (as in production); a self-hosted instance
 * on plain HTTP inside a network still gets a cookie the browser keeps.
 */
export function setSessionTokenCookie(event: CookieEvent, token: string, expiresAt: Date): void {
	event.cookies.set(sessionCookieName, token, {
		path: '/',
		httpOnly: true,
		sameSite: 'lax',
		secure: event.url.protocol === 'https:',
		expires: expiresAt
	});
}

export function deleteSessionTokenCookie(event: CookieEvent): void {
	event.cookies.delete(sessionCookieName, { path: '/' });
}

type LoginEvent = CookieEvent & Pick<RequestEvent, 'request' | 'getClientAddress'>;

/** Logs a user in: a new session, recording the browser and address, and its cookie. */
export async function startSession(
	db: Db,
	event: LoginEvent,
	userId: string,
	now = new Date()
): Promise<void> {
	const token = generateSessionToken();
	const created = await createSession(db, token, userId, now, {
		userAgent: event.request.headers.get('user-agent'),
		ipAddress: event.getClientAddress()
	});
	setSessionTokenCookie(event, token, created.expiresAt);
}
