import OpenAI from 'openai';
import { Together } from 'together-ai';

// What a failed call to a provider means for the job: retry it (and when), fail the item, or
// stop the whole job because every other item would fail the same way.

export type FailureKind = 'retry' | 'item' | 'job';

export type ClassifiedFailure = {
	kind: FailureKind;
	message: string;
	/** From Retry-After (or retry-after-ms) when the provider sent one. */
	retryAfterMs: number | null;
};

function retryAfterOf(headers: Headers | undefined): number | null {
	if (!headers) return null;
	const ms = Number(headers.get('retry-after-ms'));
	if (Number.isFinite(ms) && ms > 0) return ms;
	const value = headers.get('retry-after');
	if (!value) return null;
	const seconds = Number(value);
	if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
	const at = Date.parse(value);
	return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

/** A provider's answer with an error status to a request made without its client. */
export class ProviderHttpError extends Error {
	constructor(
		readonly status: number,
		readonly body: string,
		readonly headers?: Headers
	) {
		super(`The provider answered ${status}`);
	}
}

type HttpFailure = { status: number; headers: Headers | undefined; detail: string };

/**
 * The message in an error body read without a client: OpenAI's and Together's shape
 * ({"error": {"message"}}), the Hub's ({"error": "…"}) and Fireworks' ({"message"}); a body
 * that is not JSON as it came.
 */
export function providerMessage(body: string): string {
	try {
		const parsed = JSON.parse(body) as {
			error?: string | { message?: unknown };
			message?: unknown;
		};
		const inner = typeof parsed.error === 'object' ? parsed.error?.message : parsed.error;
		if (typeof inner === 'string' && inner) return inner;
		if (typeof parsed.message === 'string' && parsed.message) return parsed.message;
		// A JSON body with none (Fireworks' {"code": 7, "message": ""}) says nothing more.
		return '';
	} catch {
		// Not JSON: the text itself is the message.
	}
	return body.trim();
}

/** The status, headers and message of an error the provider answered, from any client. */
function httpFailureOf(error: unknown): HttpFailure | null {
	if (error instanceof OpenAI.APIError || error instanceof Together.APIError) {
		// OpenAI's client keeps the body's `error` object; Together's keeps the whole body, whose
		// `error` holds the message in the same shape.
		const kept = error.error as { message?: unknown; error?: { message?: unknown } } | undefined;
		const body = error instanceof Together.APIError && kept?.error ? kept.error : kept;
		const text = typeof body?.message === 'string' ? body.message : '';
		return { status: error.status ?? 0, headers: error.headers, detail: text };
	}
	if (error instanceof ProviderHttpError) {
		return { status: error.status, headers: error.headers, detail: providerMessage(error.body) };
	}
	return null;
}

export function classifyFailure(error: unknown, baseUrl: string): ClassifiedFailure {
	if (
		error instanceof OpenAI.APIConnectionTimeoutError ||
		error instanceof Together.APIConnectionTimeoutError
	) {
		return { kind: 'retry', message: 'The provider did not answer in time.', retryAfterMs: null };
	}
	// The clients' connection errors, and fetch's own when a request made without a client fails.
	if (
		error instanceof OpenAI.APIConnectionError ||
		error instanceof Together.APIConnectionError ||
		(error instanceof TypeError && error.message === 'fetch failed')
	) {
		return {
			kind: 'retry',
			message: `Could not reach ${baseUrl}: ${error.cause instanceof Error ? error.cause.message : error.message}`,
			retryAfterMs: null
		};
	}
	const failed = httpFailureOf(error);
	if (failed) {
		const { status } = failed;
		const detail = failed.detail ? `: ${failed.detail.slice(0, 300)}` : '';
		if (status === 429 || status === 408 || status === 409 || status >= 500) {
			return {
				kind: 'retry',
				message: `The provider answered ${status}${detail}`,
				retryAfterMs: retryAfterOf(failed.headers)
			};
		}
		if (status === 401 || status === 403) {
			return {
				kind: 'job',
				message: `The provider refused the API key (${status})${detail}`,
				retryAfterMs: null
			};
		}
		if (status === 404) {
			return {
				kind: 'job',
				message: `The provider does not know this model, or ${baseUrl} is not an OpenAI-compatible API (404)${detail}`,
				retryAfterMs: null
			};
		}
		if (status === 400 && /response_format|json_schema/i.test(detail)) {
			return {
				kind: 'job',
				message: `The provider refused the output schema (400)${detail}`,
				retryAfterMs: null
			};
		}
		return {
			kind: 'item',
			message: `The provider refused the request (${status})${detail}`,
			retryAfterMs: null
		};
	}
	return {
		kind: 'item',
		message: error instanceof Error ? error.message : String(error),
		retryAfterMs: null
	};
}

/** One sentence for a page: what went wrong talking to the provider. */
export function describeProviderError(error: unknown, baseUrl: string): string {
	return classifyFailure(error, baseUrl).message;
}
