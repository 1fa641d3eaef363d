import { deserialize } from '$app/forms';
import type { ActionResult } from '@sveltejs/kit';

/** An example as the review screen holds it. */
export type Item = {
	exampleId: number;
	revisionId: number;
	input: string;
	output: string | null;
	submissionKey: string;
};
export type Progress = { reviewedToday: number; leftForYou: number; moreThanCap: boolean };

async function postJson<T>(url: string, body: unknown): Promise<T> {
	const response = await fetch(url, {
		method: 'POST',
		headers: { 'content-type': 'application/json', accept: 'application/json' },
		body: JSON.stringify(body)
	});
	if (!response.ok) throw new Error(`The server answered ${response.status}.`);
	return response.json() as Promise<T>;
}

/** Claims the next example, leaving out the ones on screen; `prefer` asks for one by id. */
export function fetchNext(base: string, skip: number[], prefer?: number) {
	return postJson<{ next: Item | null; progress: Progress }>(`${base}/next`, { skip, prefer });
}

export function renewLeases(base: string, exampleIds: number[]) {
	return postJson<{ renewed: number[] }>(`${base}/lease`, { exampleIds });
}

/**
 * What became of a form action sent from the screen. "unsure" means no answer came, or one
 * that is not the app's (a proxy's 502 or 503, a 500): the action may or may not have been
 * carried out, so the screen keeps it to send again as it was.
 */
export type ActionOutcome =
	| { kind: 'done'; data: Record<string, unknown> | undefined }
	| { kind: 'refused'; message: string }
	| { kind: 'unsure'; reason: string };

/** Answers that say "not now" rather than "no": the same request may well succeed later. */
const TRANSIENT = new Set([408, 425, 429]);

/** Posts to one of the page's form actions and reads SvelteKit's answer; it never throws. */
export async function callAction(
	base: string,
	action: string,
	form: FormData
): Promise<ActionOutcome> {
	let response: Response;
	let text: string;
	try {
		response = await fetch(`${base}?/${action}`, {
			method: 'POST',
			headers: { accept: 'application/json', 'x-sveltekit-action': 'true' },
			body: form
		});
		text = await response.text();
	} catch {
		return { kind: 'unsure', reason: 'The server could not be reached.' };
	}
	const answered = `The server answered ${response.status} ${response.statusText}`.trim() + '.';
	let result: ActionResult;
	try {
		result = deserialize(text);
	} catch {
		result = { type: 'error', status: response.status, error: undefined };
	}
	switch (result?.type) {
		case 'success':
			return { kind: 'done', data: result.data };
		case 'failure':
			return {
				kind: 'refused',
				message: (result.data as { message?: string } | undefined)?.message ?? answered
			};
		case 'redirect':
			// The guards send a request without a live session to the login page.
			return {
				kind: 'refused',
				message: result.location.startsWith('/login')
					? 'You are no longer logged in. Log in again in another tab, then send it again.'
					: answered
			};
		default: {
			const error = result?.type === 'error' ? (result.error as { message?: string }) : undefined;
			if (response.ok || response.status >= 500 || TRANSIENT.has(response.status)) {
				return { kind: 'unsure', reason: answered };
			}
			return { kind: 'refused', message: error?.message ?? answered };
		}
	}
}
