// Per-provider request and token budgets, as token buckets that refill continuously: a
// provider allowing 600 requests a minute gets one every 100 ms on average, with bursts up to
// a minute's worth. A 429's Retry-After closes the provider for that long.

export type Limits = { requestsPerMinute: number | null; tokensPerMinute: number | null };

type Bucket = { level: number; capacity: number; perMs: number; at: number };

function bucket(perMinute: number, now: number): Bucket {
	return { level: perMinute, capacity: perMinute, perMs: perMinute / 60_000, at: now };
}

function refill(b: Bucket, now: number) {
	b.level = Math.min(b.capacity, b.level + (now - b.at) * b.perMs);
	b.at = now;
}

/** Milliseconds until the bucket holds `amount`; 0 when it does now. */
function waitFor(b: Bucket, amount: number): number {
	const needed = Math.min(amount, b.capacity) - b.level;
	return needed <= 0 ? 0 : Math.ceil(needed / b.perMs);
}

export class ProviderLimiter {
	private requests = new Map<number, Bucket>();
	private tokens = new Map<number, Bucket>();
	private closedUntil = new Map<number, number>();

	private bucketsFor(providerId: number, limits: Limits, now: number) {
		let requests = this.requests.get(providerId);
		if (limits.requestsPerMinute && requests?.capacity !== limits.requestsPerMinute) {
			requests = bucket(limits.requestsPerMinute, now);
			this.requests.set(providerId, requests);
		}
		let tokens = this.tokens.get(providerId);
		if (limits.tokensPerMinute && tokens?.capacity !== limits.tokensPerMinute) {
			tokens = bucket(limits.tokensPerMinute, now);
			this.tokens.set(providerId, tokens);
		}
		return {
			requests: limits.requestsPerMinute ? requests : undefined,
			tokens: limits.tokensPerMinute ? tokens : undefined
		};
	}

	/**
	 * Takes one request and `estimatedTokens` from the provider's budget and returns 0, or
	 * takes nothing and returns how many milliseconds to wait first.
	 */
	take(providerId: number, limits: Limits, estimatedTokens: number, now: number): number {
		const closed = (this.closedUntil.get(providerId) ?? 0) - now;
		if (closed > 0) return closed;
		const { requests, tokens } = this.bucketsFor(providerId, limits, now);
		if (requests) refill(requests, now);
		if (tokens) refill(tokens, now);
		const wait = Math.max(
			requests ? waitFor(requests, 1) : 0,
			tokens ? waitFor(tokens, estimatedTokens) : 0
		);
		if (wait > 0) return wait;
		if (requests) requests.level -= 1;
		if (tokens) tokens.level -= Math.min(estimatedTokens, tokens.capacity);
		return 0;
	}

	/** Corrects the token budget once the provider has said what a call really used. */
	settle(providerId: number, estimatedTokens: number, usedTokens: number) {
		const tokens = this.tokens.get(providerId);
		if (tokens) tokens.level -= usedTokens - estimatedTokens;
	}

	/** The provider said to wait (a 429 with Retry-After): nothing goes to it until then. */
	closeFor(providerId: number, ms: number, now: number) {
		this.closedUntil.set(providerId, Math.max(this.closedUntil.get(providerId) ?? 0, now + ms));
	}
}
