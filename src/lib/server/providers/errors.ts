import OpenAI from 'openai';

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

function providerMessage(error: InstanceType<typeof OpenAI.APIError>): string {
	const body = error.error as { message?: unknown } | undefined;
	const text = typeof body?.message === 'string' ? body.message : '';
	return text ? `: ${text.slice(0, 300)}` : '';
}

export function classifyFailure(error: unknown, baseUrl: string): ClassifiedFailure {
	if (error instanceof OpenAI.APIConnectionTimeoutError) {
		return { kind: 'retry', message: 'The provider did not answer in time.', retryAfterMs: null };
	}
	if (error instanceof OpenAI.APIConnectionError) {
		return {
			kind: 'retry',
			message: `Could not reach ${baseUrl}: ${error.cause instanceof Error ? error.cause.message : error.message}`,
			retryAfterMs: null
		};
	}
	if (error instanceof OpenAI.APIError) {
		const status = error.status ?? 0;
		const detail = providerMessage(error);
		if (status === 429 || status === 408 || status === 409 || status >= 500) {
			return {
				kind: 'retry',
				message: `The provider answered ${status}${detail}`,
				retryAfterMs: retryAfterOf(error.headers)
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
