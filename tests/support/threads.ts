import type { Thread } from '../../src/lib/conversations';
import { mulberry32 } from '../../src/lib/random';

export const weather = {
	type: 'function' as const,
	function: {
		name: 'get_weather',
		description: 'The weather in a city.',
		parameters: {
			type: 'object',
			properties: { city: { type: 'string' }, unit: { enum: ['c', 'f'] } },
			required: ['city'],
			additionalProperties: false
		}
	}
};
export const lookup = {
	type: 'function' as const,
	function: {
		name: 'lookup_order',
		parameters: {
			type: 'object',
			properties: { order: { type: 'integer' } },
			required: ['order']
		}
	}
};

/** A conversation of the kinds teams distil: history, tools, parallel calls, weights. */
export function conversation(seed: number): Thread {
	const random = mulberry32(seed);
	const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)];
	const messages: Thread['messages'] = [];
	if (random() < 0.7) messages.push({ role: 'system', content: `You help customers (${seed}).` });
	const turns = 1 + Math.floor(random() * 4);
	let call = 0;
	for (let t = 0; t < turns; t++) {
		messages.push(
			random() < 0.2
				? { role: 'user', content: [{ type: 'text', text: `Question ${seed}.${t} — “quoted”` }] }
				: { role: 'user', content: `Question ${seed}.${t}` }
		);
		if (random() < 0.5) {
			const parallel = random() < 0.4 ? 2 : 1;
			const calls = Array.from({ length: parallel }, () => {
				const id = `call_${seed}_${++call}`;
				return pick([true, false])
					? {
							id,
							type: 'function' as const,
							function: {
								name: 'get_weather',
								arguments: JSON.stringify({ city: pick(['Oslo', 'Lyon']), unit: 'c' })
							}
						}
					: {
							id,
							type: 'function' as const,
							function: {
								name: 'lookup_order',
								arguments: JSON.stringify({ order: seed * 10 + t })
							}
						};
			});
			messages.push({ role: 'assistant', content: null, tool_calls: calls, weight: 0 });
			for (const c of calls) {
				messages.push({
					role: 'tool',
					tool_call_id: c.id,
					content: `{"ok": true, "seed": ${seed}}`
				});
			}
		}
		const last = t === turns - 1;
		messages.push({
			role: 'assistant',
			content: `Answer ${seed}.${t}${random() < 0.1 ? ' \u{1F600}\n' : ''}`,
			...(last ? {} : { weight: pick([0, 1] as const) })
		});
	}
	return {
		messages,
		...(call > 0 || random() < 0.3 ? { tools: [weather, lookup] } : {}),
		...(random() < 0.3 ? { parallel_tool_calls: true } : {})
	};
}
