import { sha256 } from '@oslojs/crypto/sha2';
import { encodeHexLowerCase } from '@oslojs/encoding';
import { and, eq, sql } from 'drizzle-orm';
import type { Tx } from './db';
import { example, type Split } from './db/schema';
import { conversationOpening, type Thread } from '../conversations';

export function hashText(text: string): string {
	return encodeHexLowerCase(sha256(new TextEncoder().encode(text)));
}

export type SplitRatios = { splitTrain: number; splitVal: number; splitTest: number };

/**
 * The split an input belongs to, from a stable hash of it: the same input always lands in
 * the same split for the same ratios, whatever order or batch it arrives in.
 */
export function splitForInputHash(inputHash: string, ratios: SplitRatios): Split {
	const bucket = (parseInt(inputHash.slice(0, 8), 16) / 0x1_0000_0000) * 100;
	if (bucket < ratios.splitTrain) return 'train';
	if (bucket < ratios.splitTrain + ratios.splitVal) return 'val';
	return ratios.splitTest > 0 ? 'test' : ratios.splitVal > 0 ? 'val' : 'train';
}

/**
 * The key that keeps a conversation's turns in one split: the hash of its opening, the same
 * for the thread before any of its turns.
 */
export function conversationKeyOf(thread: Pick<Thread, 'messages'>): string {
	return hashText(conversationOpening(thread));
}

/**
 * Prepares, on the writer's connection, the lookup of the split an example of the same input
 * (or, for a conversation, of the same conversation) already has: a new example takes it, so a
 * split never changes under an input even when the ratios do. Null when there is none yet, and
 * the hash decides (`splitForInputHash` of the conversation's key, else of the input's hash).
 */
export function preparedKnownSplit(w: Tx) {
	const byInput = w
		.select({ split: example.split })
		.from(example)
		.where(
			and(
				eq(example.projectId, sql.placeholder('projectId')),
				eq(example.inputHash, sql.placeholder('inputHash'))
			)
		)
		.limit(1)
		.prepare();
	const byConversation = w
		.select({ split: example.split })
		.from(example)
		.where(
			and(
				eq(example.projectId, sql.placeholder('projectId')),
				eq(example.conversationKey, sql.placeholder('conversationKey'))
			)
		)
		.limit(1)
		.prepare();
	return async (key: {
		projectId: number;
		inputHash: string;
		conversationKey: string | null;
	}): Promise<Split | null> => {
		const known =
			key.conversationKey === null ? await byInput.execute(key) : await byConversation.execute(key);
		return known[0]?.split ?? null;
	};
}
