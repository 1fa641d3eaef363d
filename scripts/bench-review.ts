// The review screen as an annotator works it, in Debian's Chromium against the built server:
// for each kind of project, 100 examples are rated and accepted from the keyboard (5, then
// Enter), and each Enter is timed in the page from its keydown to the moment the next example is
// in the document. Kinds: plain text; conversations of 13 messages with tools and tool calls
// (the thread view, folded earlier messages, the turn set apart); and a multiple-choice set of
// 12 grouped labels, each output two of them. Then the compare screen: 100 comparisons of two
// answers, each judged from the keyboard (A, then Enter) and timed the same way.
// The last line is one JSON object: {"text_p50_ms", "text_p95_ms", "thread_p50_ms",
// "thread_p95_ms", "labels_p50_ms", "labels_p95_ms", "compare_p50_ms", "compare_p95_ms",
// "samples"}.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { eq } from 'drizzle-orm';
import { createMigratedDb, type Db } from '../src/lib/server/db';
import { addMember, createProject } from '../src/lib/server/projects';
import { createUser } from '../src/lib/server/users';
import { importExamples } from '../src/lib/server/import';
import { queueComparisons } from '../src/lib/server/comparisons';
import { example } from '../src/lib/server/db/schema';
import { createSession, generateSessionToken, sessionCookieName } from '../src/lib/server/auth';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../src/lib/schemas/project';
import { percentile, round2, startBenchServer } from './bench-server';

const ITEMS = Number(process.argv[2] ?? 100);
const dir = mkdtempSync(join(tmpdir(), 'winnow-bench-review-'));
const databaseFile = join(dir, 'review.db');

const tools = [
	{
		type: 'function',
		function: {
			name: 'lookup_order',
			description: 'An order by its number.',
			parameters: {
				type: 'object',
				properties: { order: { type: 'integer' } },
				required: ['order']
			}
		}
	}
];

/** A support thread: three rounds of question, tool call, result and answer, then a question. */
function thread(i: number) {
	const messages: object[] = [{ role: 'system', content: 'You are the shop’s support agent.' }];
	for (let round = 0; round < 3; round++) {
		const id = `call_${i}_${round}`;
		messages.push(
			{
				role: 'user',
				content: `Customer ${i}: where is order ${i * 10 + round}? ${'Please. '.repeat(20)}`
			},
			{
				role: 'assistant',
				content: null,
				tool_calls: [
					{
						id,
						type: 'function',
						function: { name: 'lookup_order', arguments: JSON.stringify({ order: i * 10 + round }) }
					}
				],
				weight: 0
			},
			{
				role: 'tool',
				tool_call_id: id,
				content: JSON.stringify({ status: 'shipped', days: round + 1 })
			}
		);
	}
	messages.push({ role: 'assistant', content: `All three orders of customer ${i} have shipped.` });
	return { messages, tools };
}

const LABELS = Array.from(
	{ length: 12 },
	(_, i) => `topic-${i + 1} | | Messages about topic ${i + 1} | Group ${(i % 3) + 1}`
).join('\n');

async function seed(
	db: Db,
	ownerId: string,
	raterId: string,
	kind: 'text' | 'thread' | 'labels' | 'compare'
) {
	const project = await createProject(
		db,
		projectSchema.parse({
			...DEFAULT_PROJECT_VALUES,
			name: kind,
			...(kind === 'thread' ? { inputKind: 'conversation', outputKind: 'turn' } : {}),
			...(kind === 'labels' ? { outputKind: 'labels', labels: LABELS, multipleLabels: true } : {})
		}),
		ownerId
	);
	await addMember(db, project.id, raterId);
	async function* lines() {
		for (let i = 0; i < ITEMS + 5; i++) {
			if (kind === 'compare') {
				const question = `Question ${i}: ${'Where is my parcel? '.repeat(10)}`;
				yield JSON.stringify({ input: question, output: `A short answer ${i}.` }) + '\n';
				yield (
					JSON.stringify({ input: question, output: `A longer answer ${i}. `.repeat(8) }) + '\n'
				);
				continue;
			}
			yield (
				JSON.stringify(
					kind === 'thread'
						? thread(i)
						: {
								input: `Question ${i}: ${'Where is my parcel? '.repeat(10)}`,
								output:
									kind === 'labels'
										? `topic-${(i % 12) + 1}, topic-${((i + 5) % 12) + 1}`
										: `Answer ${i}.`
							}
				) + '\n'
			);
		}
	}
	const imported = await importExamples(db, project, {
		source: lines(),
		format: 'jsonl',
		filename: 'bench.jsonl',
		userId: ownerId
	});
	if (!imported.ok) throw new Error(JSON.stringify(imported.errors.slice(0, 3)));
	if (kind === 'compare') {
		const rows = await db
			.select({ id: example.id, revisionId: example.currentRevisionId })
			.from(example)
			.where(eq(example.projectId, project.id))
			.orderBy(example.id);
		const pairs = [];
		for (let i = 0; i + 1 < rows.length; i += 2) {
			pairs.push({
				first: { exampleId: rows[i].id, revisionId: rows[i].revisionId! },
				second: { exampleId: rows[i + 1].id, revisionId: rows[i + 1].revisionId! }
			});
		}
		const queued = await queueComparisons(db, project, pairs, ownerId, new Date());
		if (!queued.ok) throw new Error(queued.message);
	}
	return project.id;
}

/** Each Enter's time from keydown to the next example in the document, in the page's clock. */
// Written as text: the functions tsx compiles carry helpers the page does not have.
const LISTEN_FOR_ENTER = `addEventListener('keydown', (e) => { if (e.key === 'Enter') window.enterAt = performance.now(); }, { capture: true })`;
const NEXT_SHOWN = (field: string, old: string) => `new Promise((resolve) => {
	const observer = new MutationObserver(() => {
		const input = document.querySelector('input[name="${field}"]');
		if (input && input.value !== ${JSON.stringify(old)}) {
			observer.disconnect();
			resolve(performance.now() - window.enterAt);
		}
	});
	observer.observe(document.body, { childList: true, subtree: true, attributes: true });
})`;

/** Each Enter's time from keydown to the next example in the document, in the page's clock. */
async function timeEnters(
	page: Page,
	count: number,
	{ field, key }: { field: string; key: string }
): Promise<number[]> {
	await page.evaluate(LISTEN_FOR_ENTER);
	const times: number[] = [];
	for (let n = 0; n < count; n++) {
		const shown = await page.locator(`input[name="${field}"]`).inputValue();
		await page.keyboard.press(key);
		const next = page.evaluate(NEXT_SHOWN(field, shown)) as Promise<number>;
		await page.keyboard.press('Enter');
		times.push(await next);
		// An annotator reads before the next rating; the screen fetches the next one meanwhile.
		await page.waitForTimeout(150);
	}
	return times.sort((a, b) => a - b);
}

const db = await createMigratedDb(databaseFile);
const owner = await createUser(db, {
	username: 'owner',
	displayName: 'Owner',
	password: 'correct-horse-battery',
	role: 'admin'
});
const rater = await createUser(db, {
	username: 'rater',
	displayName: 'Rater',
	password: 'correct-horse-battery',
	role: 'annotator'
});
const projects = {
	text: await seed(db, owner.id, rater.id, 'text'),
	thread: await seed(db, owner.id, rater.id, 'thread'),
	labels: await seed(db, owner.id, rater.id, 'labels'),
	compare: await seed(db, owner.id, rater.id, 'compare')
};
const token = generateSessionToken();
await createSession(db, token, rater.id);
await db.close();

const server = await startBenchServer(databaseFile);
const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
	args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking']
});
const results: Record<string, number[]> = {};
try {
	const context = await browser.newContext();
	await context.addCookies([
		{ name: sessionCookieName, value: token, url: server.origin, httpOnly: true, sameSite: 'Lax' }
	]);
	const page = await context.newPage();
	for (const [kind, projectId] of Object.entries(projects)) {
		const compare = kind === 'compare';
		await page.goto(`${server.origin}/projects/${projectId}/${compare ? 'compare' : 'review'}`);
		await page.getByRole('button', { name: 'Shortcuts (?)' }).waitFor();
		results[kind] = await timeEnters(
			page,
			ITEMS,
			compare ? { field: 'comparisonId', key: 'a' } : { field: 'exampleId', key: '5' }
		);
		console.log(
			`${kind}: ${ITEMS} Enters, keydown to next example in the page: p50 ${round2(percentile(results[kind], 50))} ms, p95 ${round2(percentile(results[kind], 95))} ms, max ${round2(results[kind].at(-1)!)} ms`
		);
	}
} finally {
	await browser.close();
	await server.stop();
	rmSync(dir, { recursive: true, force: true });
}
console.log(
	JSON.stringify({
		// The plain-text screen is the headline: Enter to the next example in view.
		reviews: ITEMS,
		next_visible_p50_ms: round2(percentile(results.text, 50)),
		next_visible_p95_ms: round2(percentile(results.text, 95)),
		text_p50_ms: round2(percentile(results.text, 50)),
		text_p95_ms: round2(percentile(results.text, 95)),
		thread_p50_ms: round2(percentile(results.thread, 50)),
		thread_p95_ms: round2(percentile(results.thread, 95)),
		compare_p50_ms: round2(percentile(results.compare, 50)),
		compare_p95_ms: round2(percentile(results.compare, 95)),
		labels_p50_ms: round2(percentile(results.labels, 50)),
		labels_p95_ms: round2(percentile(results.labels, 95))
	})
);
