import { and, eq, sql } from 'drizzle-orm';
import type { Queryable } from '../db';
import { datasetItem, example, revision } from '../db/schema';
import {
	huggingFaceLine,
	shareGptLine,
	withInstruction,
	type Message,
	type Thread
} from '../../conversations';
import type { ExportFormat } from '../../schemas/dataset';

// The lines of a conversation project's files: each example is the thread before its turn with
// the turn (its current revision) at the end, in the shape each trainer reads.

export type ThreadRow = { input: string; output: string | null; conversationKey?: string | null };

/**
 * An earlier assistant turn is trained on only where the file said so (its own weight) or
 * where people accepted it as an example of its own in this dataset; any other gets weight 0,
 * since nobody here reviewed it. The turn under review is trained on, whatever it came with.
 */
export function threadWeigher(db: Queryable, datasetId: number) {
	// One read a line, of the outputs its conversation has in the dataset, not one a message.
	const acceptedInConversation = db
		.select({ output: revision.output })
		.from(datasetItem)
		.innerJoin(example, eq(example.id, datasetItem.exampleId))
		.innerJoin(revision, eq(revision.id, datasetItem.revisionId))
		.where(
			and(eq(datasetItem.datasetId, datasetId), eq(example.conversationKey, sql.placeholder('key')))
		)
		.prepare();
	return async (row: ThreadRow): Promise<{ context: Thread; turn: Message }> => {
		const context = JSON.parse(row.input) as Thread;
		const unweighed = (m: Message) => m.role === 'assistant' && m.weight === undefined;
		const accepted = new Set<string | null>(
			row.conversationKey && context.messages.some(unweighed)
				? (await acceptedInConversation.execute({ key: row.conversationKey })).map((r) => r.output)
				: []
		);
		const messages = context.messages.map((m) =>
			unweighed(m) && !accepted.has(JSON.stringify(m)) ? { ...m, weight: 0 as const } : m
		);
		const turn = JSON.parse(row.output ?? 'null') as Message;
		return {
			context: { ...context, messages },
			turn: turn.weight === 0 ? { ...turn, weight: 1 } : turn
		};
	};
}

/** Formats a conversation fits: Alpaca holds one instruction and one answer, not a thread. */
export const THREAD_FORMATS = new Set<ExportFormat>([
	'openai',
	'openai_dpo',
	'hf_messages',
	'sharegpt',
	'csv'
]);

export type ThreadFormat = 'openai' | 'hf_messages' | 'sharegpt';

/** One line of a thread file (not CSV, not DPO), as a value to write. */
export function threadLine(
	format: ThreadFormat,
	instruction: string,
	context: Thread,
	turn: Message
) {
	const thread: Thread = {
		...context,
		messages: [...withInstruction(context.messages, instruction), turn]
	};
	if (format === 'hf_messages') return huggingFaceLine(thread);
	if (format === 'sharegpt') return shareGptLine(thread);
	return thread;
}

/** A DPO line with the thread as input: the repaired turn preferred over the one it replaced. */
export function threadPreferenceLine(
	instruction: string,
	context: Thread,
	preferred: Message,
	rejected: Message
) {
	const { weight: _w1, ...chosen } = preferred;
	const { weight: _w2, ...other } = rejected;
	void _w1;
	void _w2;
	const messages = withInstruction(context.messages, instruction).map((m) => {
		const { weight: _weight, ...rest } = m;
		void _weight;
		return rest;
	});
	return {
		input: { ...context, messages },
		preferred_output: [chosen],
		non_preferred_output: [other]
	};
}
