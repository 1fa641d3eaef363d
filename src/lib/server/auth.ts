import { sha256 } from '@oslojs/crypto/sha2';
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from '@oslojs/encoding';
import { and, eq, ne } from 'drizzle-orm';
import type { RequestEvent } from '@sveltejs/kit';
import type { Db, Queryable } from './db';
import { session, user, type Session, type User } from './db/schema';

export const DAY_IN_MS = 1000 * 60 * 60 * 24;
export const SESSION_LIFETIME_MS = DAY_IN_MS * 30;
/** A session used within this long of its expiry is extended by a full lifetime. */
export const SESSION_RENEWAL_MS = DAY_IN_MS * 15;
export const sessionCookieName = 'auth-session';

export type SessionUser = Pick<User, 'id' | 'username' | 'displayName' | 'role'>;
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

export function createSession(db: Db, token: string, userId: string, now = new Date()): Session {
	const row: Session = {
		id: sessionIdFromToken(token),
		userId,
		expiresAt: new Date(now.getTime() + SESSION_LIFETIME_MS)
	};
	db.insert(session).values(row).run();
	return row;
}

export function validateSessionToken(
	db: Db,
	token: string,
	now = new Date()
): SessionValidationResult {
	const sessionId = sessionIdFromToken(token);
	const found = db
		.select({
			session,
			user: {
				id: user.id,
				username: user.username,
				displayName: user.displayName,
				role: user.role,
				active: user.active
			}
		})
		.from(session)
		.innerJoin(user, eq(session.userId, user.id))
		.where(eq(session.id, sessionId))
		.get();
	if (!found) return { session: null, user: null };
	const { session: row, user: owner } = found;
	if (now.getTime() >= row.expiresAt.getTime() || !owner.active) {
		db.delete(session).where(eq(session.id, row.id)).run();
		return { session: null, user: null };
	}
	if (now.getTime() >= row.expiresAt.getTime() - SESSION_RENEWAL_MS) {
		row.expiresAt = new Date(now.getTime() + SESSION_LIFETIME_MS);
		db.update(session).set({ expiresAt: row.expiresAt }).where(eq(session.id, row.id)).run();
	}
	return {
		session: row,
		user: {
			id: owner.id,
			username: owner.username,
			displayName: owner.displayName,
			role: owner.role
		}
	};
}

export function invalidateSession(db: Db, sessionId: string): void {
	db.delete(session).where(eq(session.id, sessionId)).run();
}

/** Ends every session of the user, but `keepSessionId` when given (the one asking). */
export function invalidateUserSessions(
	db: Queryable,
	userId: string,
	keepSessionId?: string
): void {
	db.delete(session)
		.where(
			and(
				eq(session.userId, userId),
				keepSessionId === undefined ? undefined : ne(session.id, keepSessionId)
			)
		)
		.run();
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

/** Logs a user in: a new session and its cookie. */
export function startSession(db: Db, event: CookieEvent, userId: string, now = new Date()): void {
	const token = generateSessionToken();
	const created = createSession(db, token, userId, now);
	setSessionTokenCookie(event, token, created.expiresAt);
}
