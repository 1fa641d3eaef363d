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
export type Progress = { reviewedToday: number; leftInQueue: number; moreThanCap: boolean };

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

/** Posts to one of the page's form actions and reads SvelteKit's answer. */
export async function postAction(
	base: string,
	action: string,
	form: FormData
): Promise<ActionResult> {
	const response = await fetch(`${base}?/${action}`, {
		method: 'POST',
		headers: { accept: 'application/json', 'x-sveltekit-action': 'true' },
		body: form
	});
	return deserialize(await response.text());
}

/** The message of a failed action, for the banner. */
export function failureMessage(result: ActionResult): string | null {
	if (result.type === 'failure') {
		const data = result.data as { message?: string } | undefined;
		return data?.message ?? 'The server refused it.';
	}
	if (result.type === 'error') return 'Something went wrong on the server.';
	return null;
}
