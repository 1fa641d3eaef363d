import { describe, expect, it } from 'vitest';
import { safeNext } from '$lib/schemas/auth';

const ORIGIN = 'http://localhost:4173';

describe('safeNext', () => {
	it.each([
		['/projects', '/projects'],
		['/projects/3/review?mode=fast#top', '/projects/3/review?mode=fast#top'],
		['/admin/users?tab=tokens', '/admin/users?tab=tokens'],
		// A full address on this very site is taken, reduced to its path.
		[`${ORIGIN}/account`, '/account'],
		// A relative path is read from the site's root.
		['account', '/account'],
		// Same scheme, no slashes: a path on this site, as a browser reads it too.
		['http:evil.com', '/evil.com']
	])('keeps %j on this site as %j', (next, expected) => {
		expect(safeNext(next, ORIGIN)).toBe(expected);
	});

	it.each([
		[null],
		[''],
		['//evil.com'],
		['/\\evil.com'],
		['\\\\evil.com'],
		['/\t/evil.com'],
		['/\n/evil.com'],
		['/\r\n/evil.com'],
		[' //evil.com'],
		['\t//evil.com'],
		['\u0000//evil.com'],
		['https://evil.com/projects'],
		['http://localhost:4174/projects'],
		['https://localhost:4173/projects'],
		['http://evil.com@localhost.evil.com/'],
		['javascript:alert(1)'],
		['data:text/html,<script>alert(1)</script>'],
		['//localhost:4173@evil.com'],
		['/\t\\evil.com']
	])('sends %j to the home page', (next) => {
		expect(safeNext(next, ORIGIN)).toBe('/');
	});

	it('decodes nothing twice: an encoded tab stays an encoded path on this site', () => {
		// The query string reaches safeNext decoded once (%2F%09%2Fevil.com → "/\t/evil.com",
		// refused above); what is still encoded after that is a path segment here.
		expect(safeNext('/%09/evil.com', ORIGIN)).toBe('/%09/evil.com');
	});

	it.each([
		['/projects\r\nSet-Cookie: a=b', '/projectsSet-Cookie:%20a=b'],
		['/projects\u0001x', '/projects%01x'],
		['/projects/\u00e9', '/projects/%C3%A9']
	])('gives %j back with no character a header cannot hold', (next, expected) => {
		const target = safeNext(next, ORIGIN);
		expect(target).toBe(expected);
		expect(target).toMatch(/^\/[\x21-\x7e]*$/);
	});
});
