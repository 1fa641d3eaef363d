// SvelteKit refuses form posts from other origins, but only form posts: a page elsewhere can
// still send `fetch(url, { method: 'POST', mode: 'no-cors' })` with no body type, and the
// browser adds the session cookie (SameSite=Lax lets it through from any port of the same
// host, or a sibling subdomain). Such a request changes state without being able to read the
// answer, which is all a logout or an import through the API needs.

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether a request that changes state was sent by a page of another origin. Browsers send
 * Origin with every such request; without it, Sec-Fetch-Site says where it came from, and a
 * request with neither is not a browser's (a script's, which holds no one's cookie).
 */
export function isCrossOriginWrite(request: Request, url: URL): boolean {
	if (SAFE_METHODS.has(request.method)) return false;
	const origin = request.headers.get('origin');
	if (origin !== null) return origin !== url.origin;
	const site = request.headers.get('sec-fetch-site');
	return site === 'cross-site' || site === 'same-site';
}

export const CROSS_ORIGIN_REFUSAL =
	'Refused: this request came from a page of another origin. Scripts send a personal access token (Authorization: Bearer <token>) instead of a session cookie.';

/** What every response carries, pages, API answers and file downloads alike. */
export const SECURITY_HEADERS: Record<string, string> = {
	'x-frame-options': 'DENY',
	'x-content-type-options': 'nosniff',
	'referrer-policy': 'same-origin'
};

export function withSecurityHeaders(response: Response): Response {
	try {
		for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.headers.set(name, value);
		return response;
	} catch {
		// A response with immutable headers (one passed on from fetch) is copied first.
		const copy = new Response(response.body, response);
		for (const [name, value] of Object.entries(SECURITY_HEADERS)) copy.headers.set(name, value);
		return copy;
	}
}
