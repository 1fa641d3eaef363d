// A provider that refuses a key may quote it back ("Incorrect API key provided: sk-ab***xyz",
// or a proxy's "Bearer sk-…" whole), and what a provider answers reaches pages, job errors and
// fine-tune errors. Every provider client is built with redactingFetch, so the key is taken out
// of each answer before any client, error class or message sees it.

const REDACTED = '[redacted]';
/** Shorter keys are placeholders or toys; redacting them would garble ordinary words. */
const MIN_KEY_LENGTH = 6;
/** Parts of a key are looked for only in keys long enough that a part says something. */
const MIN_KEY_LENGTH_FOR_PARTS = 12;
/** A run of the key this long, quoted without a mask, is the key cut short. */
const MIN_BARE_PART = 8;
/** A masked quote's visible end this long, matching the key's own, gives the key away. */
const MIN_MASKED_PART = 3;

/** A word of key characters, possibly with a mask (`***`, `…`, `...`) inside it. */
const TOKEN = /(?:[\w-]|[*•…]|\.{3,})+/g;
const MASK = /[*•…]+|\.{3,}/;

/** The text with the key, whole or quoted in part, replaced by `[redacted]`. */
export function redactKey(text: string, key: string | null | undefined): string {
	if (!key || key.length < MIN_KEY_LENGTH) return text;
	const whole = text.replaceAll(key, REDACTED);
	if (key.length < MIN_KEY_LENGTH_FOR_PARTS) return whole;
	return whole.replace(TOKEN, (token) => (isPartOf(token, key) ? REDACTED : token));
}

function isPartOf(token: string, key: string): boolean {
	const [head, ...rest] = token.split(MASK);
	if (rest.length === 0) return token.length >= MIN_BARE_PART && key.includes(token);
	const tail = rest[rest.length - 1];
	return (
		(head.length >= MIN_MASKED_PART && key.startsWith(head)) ||
		(tail.length >= MIN_MASKED_PART && key.endsWith(tail))
	);
}

/** Answers that are not text are passed on as they came. */
const UNREADABLE = /event-stream|octet-stream|^image\/|^audio\/|^video\//;

/**
 * The fetch every provider client is given: the same request, with the key taken out of the
 * answer. An answer the key does not appear in is passed on untouched.
 */
export function redactingFetch(key: string | null): typeof fetch {
	return async (input, init) => {
		const response = await fetch(input, init);
		if (!key || key.length < MIN_KEY_LENGTH || !response.body) return response;
		if (UNREADABLE.test(response.headers.get('content-type') ?? '')) return response;
		const text = await response.clone().text();
		const redacted = redactKey(text, key);
		if (redacted === text) return response;
		const headers = new Headers(response.headers);
		headers.delete('content-length');
		headers.delete('content-encoding');
		return new Response(redacted, {
			status: response.status,
			statusText: response.statusText,
			headers
		});
	};
}
