import { eq } from 'drizzle-orm';
import type { Tx } from '../db';
import { providerBudget } from '../db/schema';

// Per-provider request and token budgets, as token buckets that refill continuously: a
// provider allowing 600 requests a minute gets one every 100 ms on average, with bursts up to
// a minute's worth. A 429's Retry-After closes the provider for that long. The buckets live in
// the database, so that every worker process takes from the same budget.

export type Limits = { requestsPerMinute: number | null; tokensPerMinute: number | null };

/** A provider's budget as stored: levels (null when unlimited), when last refilled, closed until. */
export type Budget = {
	requests: number | null;
	requestCapacity: number | null;
	tokens: number | null;
	tokenCapacity: number | null;
	refilledAt: number;
	closedUntil: number;
};

export function freshBudget(now: number): Budget {
	return {
		requests: null,
		requestCapacity: null,
		tokens: null,
		tokenCapacity: null,
		refilledAt: now,
		closedUntil: 0
	};
}

/** Brings the levels up to `now`; a changed limit starts its bucket full at the new size. */
function refill(b: Budget, limits: Limits, now: number) {
	const elapsed = Math.max(0, now - b.refilledAt);
	if (limits.requestsPerMinute !== b.requestCapacity) {
		b.requestCapacity = limits.requestsPerMinute;
		b.requests = limits.requestsPerMinute;
	} else if (b.requestCapacity && b.requests !== null) {
		b.requests = Math.min(b.requestCapacity, b.requests + (elapsed * b.requestCapacity) / 60_000);
	}
	if (limits.tokensPerMinute !== b.tokenCapacity) {
		b.tokenCapacity = limits.tokensPerMinute;
		b.tokens = limits.tokensPerMinute;
	} else if (b.tokenCapacity && b.tokens !== null) {
		b.tokens = Math.min(b.tokenCapacity, b.tokens + (elapsed * b.tokenCapacity) / 60_000);
	}
	b.refilledAt = Math.max(b.refilledAt, now);
}

/** Milliseconds until a bucket of `capacity` at `level` holds `amount`; 0 when it does now. */
function waitFor(level: number, capacity: number, amount: number): number {
	const needed = Math.min(amount, capacity) - level;
	return needed <= 0 ? 0 : Math.ceil(needed / (capacity / 60_000));
}

/**
 * Takes one request and `estimatedTokens` from the budget and returns 0, or takes nothing and
 * returns how many milliseconds to wait first.
 */
export function take(b: Budget, limits: Limits, estimatedTokens: number, now: number): number {
	const closed = b.closedUntil - now;
	if (closed > 0) return closed;
	refill(b, limits, now);
	const wait = Math.max(
		b.requestCapacity && b.requests !== null ? waitFor(b.requests, b.requestCapacity, 1) : 0,
		b.tokenCapacity && b.tokens !== null ? waitFor(b.tokens, b.tokenCapacity, estimatedTokens) : 0
	);
	if (wait > 0) return wait;
	if (b.requests !== null) b.requests -= 1;
	if (b.tokens !== null && b.tokenCapacity) b.tokens -= Math.min(estimatedTokens, b.tokenCapacity);
	return 0;
}

/** Corrects the token budget once the provider has said what a call really used. */
export function settle(b: Budget, estimatedTokens: number, usedTokens: number) {
	if (b.tokens !== null) b.tokens -= usedTokens - estimatedTokens;
}

/** The provider said to wait (a 429 with Retry-After): nothing goes to it until then. */
export function closeFor(b: Budget, ms: number, now: number) {
	b.closedUntil = Math.max(b.closedUntil, now + ms);
}

/** Reads a provider's budget inside the transaction that will write it back. */
export async function loadBudget(tx: Tx, providerId: number, now: number): Promise<Budget> {
	const row = (
		await tx.select().from(providerBudget).where(eq(providerBudget.providerId, providerId)).limit(1)
	)[0];
	return row ?? freshBudget(now);
}

export async function saveBudget(tx: Tx, providerId: number, b: Budget): Promise<void> {
	await tx
		.insert(providerBudget)
		.values({ providerId, ...b })
		.onConflictDoUpdate({ target: providerBudget.providerId, set: b });
}

/** Applies `change` to a provider's stored budget in the caller's transaction. */
export async function changeBudget(
	tx: Tx,
	providerId: number,
	now: number,
	change: (b: Budget) => void
): Promise<void> {
	const b = await loadBudget(tx, providerId, now);
	change(b);
	await saveBudget(tx, providerId, b);
}
