import { expect, request, type APIRequestContext } from '@playwright/test';
import { eq } from 'drizzle-orm';
import { sessionCookieName } from '../../src/lib/server/auth';
import { example } from '../../src/lib/server/db/schema';
import { BASE_URL, e2eDb, sessionCookie } from './e2e';

// Annotators and scripts in the browser tests that drive whole loops: an annotator's session
// speaking to the review screen as its page does, and waiting on what a server does by itself.

export type Judgment = {
	rating: number;
	decision: 'accept' | 'reject' | 'repair';
	output?: string;
};

/** An annotator's browser session, speaking to the review screen as its page does. */
export async function annotatorSession(userId: string) {
	return request.newContext({
		baseURL: BASE_URL,
		extraHTTPHeaders: {
			cookie: `${sessionCookieName}=${await sessionCookie(userId)}`,
			origin: BASE_URL
		}
	});
}

/**
 * Works the whole queue: claims the next example as the review screen does, judges it, and
 * submits. Every response the annotator gets is kept, to be read for model names.
 */
export async function workQueue(
	session: APIRequestContext,
	projectId: number,
	seen: string[],
	judge: (found: { id: number; split: string; source: string; output: string | null }) => Judgment
) {
	const db = e2eDb();
	let reviewed = 0;
	for (;;) {
		const claim = await session.post(`/projects/${projectId}/review/next`, { data: { skip: [] } });
		expect(claim.status()).toBe(200);
		const text = await claim.text();
		seen.push(text);
		const { next } = JSON.parse(text);
		if (!next) return reviewed;
		const found = (
			await db
				.select({ id: example.id, split: example.split, source: example.source })
				.from(example)
				.where(eq(example.id, next.exampleId))
				.limit(1)
		)[0]!;
		const verdict = judge({ ...found, output: next.output });
		const saved = await session.post(`/projects/${projectId}/review?/submit`, {
			headers: { 'x-sveltekit-action': 'true', accept: 'application/json' },
			form: {
				exampleId: String(next.exampleId),
				revisionId: String(next.revisionId),
				submissionKey: next.submissionKey,
				rating: String(verdict.rating),
				decision: verdict.decision,
				...(verdict.output ? { output: verdict.output } : {})
			}
		});
		const body = await saved.text();
		seen.push(body);
		expect(JSON.parse(body).type, body).toBe('success');
		reviewed += 1;
	}
}

/** Reads until `done` holds, for a minute at most. */
export async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string) {
	const deadline = Date.now() + 60_000;
	for (;;) {
		const value = await read();
		if (done(value)) return value;
		if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
		await new Promise((r) => setTimeout(r, 250));
	}
}
