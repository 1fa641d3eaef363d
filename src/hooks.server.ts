import {
	isRedirect,
	json,
	redirect,
	text,
	type Handle,
	type HandleServerError,
	type RequestEvent,
	type ServerInit
} from '@sveltejs/kit';
import { THEMES } from '$lib/server/db/schema';
import type { Db } from '$lib/server/db';
import { loadConfig } from '$lib/server/config';
import {
	deleteSessionTokenCookie,
	sessionCookieName,
	setSessionTokenCookie,
	validateSessionToken
} from '$lib/server/auth';
import { countUsers } from '$lib/server/users';
import { authenticateApiToken } from '$lib/server/apiTokens';
import type { SecretKey } from '$lib/server/secrets';
import { openForRole, startBackground, type Background } from '$lib/server/roles';
import { CROSS_ORIGIN_REFUSAL, isCrossOriginWrite, withSecurityHeaders } from '$lib/server/origin';
import { discardAbandonedImports } from '$lib/server/import';
import { discardAbandonedFreezes } from '$lib/server/datasets';

let db: Db;
let secretKey: SecretKey;
let background: Background;
let usersExist = false;
let maxFieldBytes: number;

export const init: ServerInit = async () => {
	const config = loadConfig(process.env);
	const opened = await openForRole(config);
	if (!opened.ok) {
		console.error(opened.message);
		process.exit(1);
	}
	({ db, key: secretKey } = opened);
	maxFieldBytes = config.maxFieldBytes;
	// An import cut short by a crash or a restart left rows no one sees; they go, all of them.
	await discardAbandonedImports(db, new Date());
	await discardAbandonedFreezes(db, new Date());
	// Jobs left running by a crash or a restart carry on from where they were, here or in a
	// worker process, as the role says.
	background = await startBackground(db, secretKey, config, (message) => console.error(message));
	process.once('sveltekit:shutdown', () => void background.stop());
};

export const handle: Handle = async (input) => {
	try {
		return withSecurityHeaders(await handleRequest(input));
	} catch (thrown) {
		// The redirect to /setup is thrown here, not by a route; a client-side navigation's data
		// request is left to SvelteKit, which answers it in JSON.
		if (!isRedirect(thrown) || input.event.isDataRequest) throw thrown;
		const moved = new Response(null, {
			status: thrown.status,
			headers: { location: thrown.location }
		});
		return withSecurityHeaders(moved);
	}
};

const handleRequest: Handle = async ({ event, resolve }) => {
	event.locals.db = db;
	event.locals.secretKey = secretKey;
	event.locals.jobs = background.jobs;
	event.locals.fineTunes = background.fineTunes;
	event.locals.maxFieldBytes = maxFieldBytes;
	event.locals.user = null;
	event.locals.session = null;

	if (!usersExist) usersExist = (await countUsers(db)) > 0;
	if (!usersExist && event.url.pathname !== '/setup') redirect(303, '/setup');

	// Scripts call the API with a personal access token instead of a session cookie.
	const bearer = event.request.headers.get('authorization')?.match(/^Bearer\s+(\S+)$/i)?.[1];
	if (bearer && event.url.pathname.startsWith('/api/')) {
		event.locals.user = await authenticateApiToken(db, bearer);
		if (!event.locals.user) {
			return json({ message: 'That access token is unknown or revoked.' }, { status: 401 });
		}
		return resolve(event, inTheme(event));
	}

	// Bearer requests are a script's; others may carry a browser's cookie, sent by any page.
	if (isCrossOriginWrite(event.request, event.url)) {
		return event.url.pathname.startsWith('/api/')
			? json({ message: CROSS_ORIGIN_REFUSAL }, { status: 403 })
			: text(CROSS_ORIGIN_REFUSAL, { status: 403 });
	}

	const token = event.cookies.get(sessionCookieName);
	if (token) {
		const { session, user } = await validateSessionToken(db, token);
		if (session) setSessionTokenCookie(event, token, session.expiresAt);
		else deleteSessionTokenCookie(event);
		event.locals.user = user;
		event.locals.session = session;
	}
	return resolve(event, inTheme(event));
};

/**
 * Pages are drawn in the person's theme from the first byte, so a dark page never flashes
 * light. Read when the page is written, after any action that changed it.
 */
function inTheme(event: RequestEvent) {
	return {
		transformPageChunk: ({ html }: { html: string }) => {
			const chosen = event.locals.user?.theme;
			const theme = chosen && THEMES.includes(chosen) ? chosen : 'system';
			return html
				.replace('%winnow.theme%', theme)
				.replace('%winnow.colorScheme%', theme === 'system' ? 'light dark' : theme);
		}
	};
}

export const handleError: HandleServerError = ({ error, event, status, message }) => {
	if (status === 404) return { message: 'Page not found.' };
	console.error(`${event.request.method} ${event.url.pathname}`, error);
	return {
		message: status >= 500 ? 'Something went wrong on our side; it has been logged.' : message
	};
};
