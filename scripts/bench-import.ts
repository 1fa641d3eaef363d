// Imports 100,000 JSONL rows into a fresh database file, the way an upload is imported
// (a stream), then times the examples page's queries at that size. Then it imports the same
// file again over HTTP into the built server while an annotator claims and submits every
// 100 ms, and times those claims: somebody else's import must not make anyone wait.
// Then, in a process of its own so that its memory is measured alone, it imports 100,000
// conversations of six turns with tools into a conversation project.
// The last line is one JSON object: {"rows", "rows_per_s", "peak_rss_mb",
// "claim_p95_during_import_ms", "claim_failures_during_import", "conversation_rows_per_s",
// "conversation_peak_rss_mb", …}.
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMigratedDb } from '../src/lib/server/db';
import { createProject } from '../src/lib/server/projects';
import { createUser } from '../src/lib/server/users';
import { importExamples, insertRows, type ImportRow } from '../src/lib/server/import';
import { addMember } from '../src/lib/server/projects';
import { createApiToken } from '../src/lib/server/apiTokens';
import { createSession, generateSessionToken, sessionCookieName } from '../src/lib/server/auth';
import { percentile, postSubmit, processStats, round2, startBenchServer } from './bench-server';
import { listExampleGrid, listExamples } from '../src/lib/server/examples';
import { exampleGridSchema, type ExampleFilter } from '../src/lib/schemas/examples';
import { DEFAULT_PROJECT_VALUES, projectSchema } from '../src/lib/schemas/project';

const topics = ['refund', 'shipping', 'login', 'invoice', 'damaged item', 'cancellation'];

if (process.argv[2] === 'conversations') {
	await importConversations(Number(process.argv[3] ?? 100_000));
	process.exit(0);
}

const rows = Number(process.argv[2] ?? 100_000);
const CLAIM_EVERY_MS = 100;
type Claimed = { exampleId: number; revisionId: number; submissionKey: string };
const dir = mkdtempSync(join(tmpdir(), 'winnow-bench-'));
const file = join(dir, 'rows.jsonl');

async function writeFile() {
	const out = createWriteStream(file);
	for (let i = 0; i < rows; i++) {
		const topic = topics[i % topics.length];
		const line = JSON.stringify({
			id: `bench-${i}`,
			input: `Subject: ${topic} question #${i}\n\nHello, I ordered item ${i * 7} on the ${(i % 28) + 1}th and I have a problem with the ${topic}. Could you tell me what happens next and how long it takes? Thanks, customer ${i}`,
			output: `{"intent": "${topic}", "order_id": "${i * 7}", "summary": "Customer ${i} asks about the ${topic} of order ${i * 7}."}`,
			tags: [topic, i % 10 === 0 ? 'priority' : 'normal']
		});
		if (!out.write(line + '\n')) await once(out, 'drain');
	}
	out.end();
	await once(out, 'finish');
}

async function timeMs(run: () => Promise<unknown>): Promise<number> {
	const start = performance.now();
	await run();
	return Math.round((performance.now() - start) * 100) / 100;
}

await writeFile();
const db = await createMigratedDb(join(dir, 'bench.db'));
const admin = await createUser(db, {
	username: 'bench',
	displayName: 'Bench',
	password: 'correct-horse-battery',
	role: 'admin'
});
const project = await createProject(
	db,
	projectSchema.parse({ ...DEFAULT_PROJECT_VALUES, name: 'Bench' }),
	admin.id
);

const start = performance.now();
const result = await importExamples(db, project, {
	source: createReadStream(file),
	format: 'jsonl',
	filename: 'rows.jsonl',
	userId: admin.id
});
const seconds = (performance.now() - start) / 1000;
if (!result.ok) {
	console.error('import failed', result.errors.slice(0, 5));
	process.exit(1);
}

const firstPage = await listExamples(db, project.id, {});
const pages = {
	first_page_ms: await timeMs(async () => await listExamples(db, project.id, {})),
	deep_page_ms: await timeMs(async () => await listExamples(db, project.id, { before: 50_000 })),
	status_filter_ms: await timeMs(
		async () => await listExamples(db, project.id, { status: 'queued', before: 20_000 })
	),
	tag_filter_ms: await timeMs(async () => await listExamples(db, project.id, { tag: 'priority' })),
	rare_text_ms: await timeMs(
		async () => await listExamples(db, project.id, { q: 'customer 99999' })
	),
	page_size: firstPage.items.length
};
// The examples grid the page shows: numbered pages with the filter's total, sorted by a column.
const grid = (filter: ExampleFilter, order: Record<string, string> = {}) =>
	timeMs(
		async () =>
			await listExampleGrid(db, project, filter, exampleGridSchema.parse(order), { role: 'admin' })
	);
const grids = {
	grid_first_page_ms: await grid({}),
	grid_deep_page_ms: await grid({}, { page: '1000' }),
	grid_status_filter_ms: await grid({ status: 'queued' }, { page: '600' }),
	grid_rating_sort_ms: await grid({}, { sort: 'rating' }),
	grid_activity_sort_ms: await grid({}, { sort: 'activity', dir: 'asc' }),
	grid_rare_text_ms: await grid({ q: 'customer 99999' })
};
console.log(`imported ${result.imported} rows in ${seconds.toFixed(2)} s`);
console.log(`examples page at ${rows} rows: ${JSON.stringify(pages)}`);
console.log(`examples grid at ${rows} rows: ${JSON.stringify(grids)}`);
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
await db.close();

const during = await importWhileAnnotating();
rmSync(dir, { recursive: true, force: true });
const conversations = JSON.parse(
	execFileSync(
		process.execPath,
		['--import', 'tsx', process.argv[1], 'conversations', String(rows)],
		{
			encoding: 'utf8',
			stdio: ['ignore', 'pipe', 'inherit']
		}
	)
		.trim()
		.split('\n')
		.at(-1)!
) as { rows: number; seconds: number; rows_per_s: number; peak_rss_mb: number };
console.log(
	`conversations: ${conversations.rows} threads of six turns with tools imported in ${conversations.seconds} s`
);
console.log(
	`over HTTP: ${during.imported} rows imported in ${during.importSeconds.toFixed(2)} s; meanwhile ${during.claims} claims every ${CLAIM_EVERY_MS} ms: p50 ${during.claimP50} ms, p95 ${during.claimP95} ms, max ${during.claimMax} ms, ${during.claimFailures} failed claims, ${during.submitFailures} failed submits${during.firstError ? ` (first: ${during.firstError})` : ''}; server peak RSS ${during.serverPeakRssMb ?? '?'} MB`
);
console.log(
	JSON.stringify({
		rows: result.imported,
		rows_per_s: Math.round(result.imported / seconds),
		peak_rss_mb: peakRssMb,
		http_import_s: round2(during.importSeconds),
		claims_during_import: during.claims,
		claim_p50_during_import_ms: during.claimP50,
		claim_p95_during_import_ms: during.claimP95,
		claim_failures_during_import: during.claimFailures,
		submit_failures_during_import: during.submitFailures,
		conversation_rows_per_s: conversations.rows_per_s,
		conversation_peak_rss_mb: conversations.peak_rss_mb
	})
);

/**
 * A conversation project's import of `count` threads, each a system message and six turns (a
 * question, a call to one of two tools, its result, the answer, thanks, goodbye), with the
 * tools' definitions: one example per thread (its final turn). Prints one JSON line of its figures.
 */
async function importConversations(count: number) {
	const home = mkdtempSync(join(tmpdir(), 'winnow-bench-threads-'));
	const threads = join(home, 'threads.jsonl');
	const tools = [
		{
			type: 'function',
			function: {
				name: 'lookup_order',
				description: 'An order by its number.',
				parameters: {
					type: 'object',
					properties: {
						order: { type: 'integer' },
						fields: { type: 'array', items: { type: 'string' } }
					},
					required: ['order'],
					additionalProperties: false
				}
			}
		},
		{
			type: 'function',
			function: {
				name: 'refund',
				parameters: {
					type: 'object',
					properties: {
						order: { type: 'integer' },
						reason: { enum: ['damaged', 'late', 'other'] }
					},
					required: ['order', 'reason']
				}
			}
		}
	];
	const out = createWriteStream(threads);
	for (let i = 0; i < count; i++) {
		const topic = topics[i % topics.length];
		const refund = i % 3 === 0;
		const line = JSON.stringify({
			id: `thread-${i}`,
			messages: [
				{ role: 'system', content: 'You are the shop’s support agent. Use the tools.' },
				{ role: 'user', content: `Hello, order ${i} has a ${topic} problem, customer ${i} here.` },
				{
					role: 'assistant',
					content: null,
					tool_calls: [
						{
							id: `call_${i}`,
							type: 'function',
							function: refund
								? { name: 'refund', arguments: JSON.stringify({ order: i, reason: 'damaged' }) }
								: {
										name: 'lookup_order',
										arguments: JSON.stringify({ order: i, fields: ['status'] })
									}
						}
					]
				},
				{
					role: 'tool',
					tool_call_id: `call_${i}`,
					content: JSON.stringify({ ok: true, order: i })
				},
				{ role: 'assistant', content: `Order ${i}: done. Anything else about the ${topic}?` },
				{ role: 'user', content: 'No, thanks.' },
				{ role: 'assistant', content: 'Glad to help. Goodbye!' }
			],
			tools
		});
		if (!out.write(line + '\n')) await once(out, 'drain');
	}
	out.end();
	await once(out, 'finish');
	const threadDb = await createMigratedDb(join(home, 'threads.db'));
	const owner = await createUser(threadDb, {
		username: 'threads',
		displayName: 'Threads',
		password: 'correct-horse-battery',
		role: 'admin'
	});
	const target = await createProject(
		threadDb,
		projectSchema.parse({
			...DEFAULT_PROJECT_VALUES,
			name: 'Threads',
			inputKind: 'conversation',
			outputKind: 'turn'
		}),
		owner.id
	);
	const started = performance.now();
	const imported = await importExamples(threadDb, target, {
		source: createReadStream(threads),
		format: 'jsonl',
		filename: 'threads.jsonl',
		userId: owner.id
	});
	const seconds = (performance.now() - started) / 1000;
	await threadDb.close();
	rmSync(home, { recursive: true, force: true });
	if (!imported.ok) {
		console.error('the conversation import failed', imported.errors.slice(0, 5));
		process.exit(1);
	}
	console.log(
		JSON.stringify({
			rows: imported.imported,
			seconds: round2(seconds),
			rows_per_s: Math.round(imported.imported / seconds),
			peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024)
		})
	);
}

/**
 * The same file posted to the API of the built server, on a database whose project already
 * has work in its queue, while one annotator claims and submits every CLAIM_EVERY_MS.
 */
async function importWhileAnnotating() {
	const databaseUrl = join(dir, 'server.db');
	const seeded = await createMigratedDb(databaseUrl);
	const owner = await createUser(seeded, {
		username: 'importer',
		displayName: 'Importer',
		password: 'correct-horse-battery',
		role: 'admin'
	});
	const annotator = await createUser(seeded, {
		username: 'annotator',
		displayName: 'Annotator',
		password: 'correct-horse-battery',
		role: 'annotator'
	});
	const target = await createProject(
		seeded,
		projectSchema.parse({ ...DEFAULT_PROJECT_VALUES, name: 'Busy project' }),
		owner.id
	);
	await addMember(seeded, target.id, annotator.id);
	const waiting: ImportRow[] = Array.from({ length: 2000 }, (_, i) => ({
		line: i + 1,
		externalId: `waiting-${i}`,
		input: `An earlier question, number ${i}`,
		output: `An earlier answer, number ${i}`,
		tags: []
	}));
	await insertRows(seeded, target, waiting, {
		userId: owner.id,
		filename: 'earlier.jsonl',
		format: 'jsonl',
		rowsRead: waiting.length
	});
	const token = (await createApiToken(seeded, owner.id, 'bench')).token;
	const sessionToken = generateSessionToken();
	await createSession(seeded, sessionToken, annotator.id);
	seeded.$client.close();
	const cookie = `${sessionCookieName}=${sessionToken}`;

	const server = await startBenchServer(databaseUrl, {
		onFailure: () => rmSync(dir, { recursive: true, force: true })
	});
	const { origin, base } = server;
	const claimMs: number[] = [];
	let claimFailures = 0;
	let submitFailures = 0;
	let firstError = '';
	let importStart = Infinity;
	let importEndedAt = Infinity;

	/**
	 * A claim's time runs from the moment it was due, not from when it could be sent: when the
	 * server stalls, the claims that fell due meanwhile count the wait too.
	 */
	async function claimAndSubmit(n: number, start: number) {
		let next: Claimed | null = null;
		try {
			const res = await fetch(`${base}/projects/${target.id}/review/next`, {
				method: 'POST',
				headers: { 'content-type': 'application/json', origin, cookie },
				body: JSON.stringify({ skip: [] })
			});
			const text = await res.text();
			if (start >= importStart) claimMs.push(performance.now() - start);
			if (res.status !== 200) throw new Error(`claim ${res.status}: ${text.slice(0, 200)}`);
			next = (JSON.parse(text) as { next: Claimed | null }).next;
		} catch (e) {
			claimFailures += 1;
			firstError ||= (e as Error).message;
			return;
		}
		if (!next) return;
		try {
			const form = new URLSearchParams({
				exampleId: String(next.exampleId),
				revisionId: String(next.revisionId),
				submissionKey: next.submissionKey,
				rating: String(1 + (n % 5)),
				decision: 'accept',
				durationMs: '3000'
			});
			const res = await postSubmit(server, target.id, cookie, form);
			const answer = (await res.json()) as { type?: string };
			if (answer.type !== 'success') throw new Error(`submit ${res.status}`);
		} catch (e) {
			submitFailures += 1;
			firstError ||= (e as Error).message;
		}
	}

	async function annotate() {
		const first = performance.now();
		// Every claim that fell due before the import ended is made, late if the server stalled.
		for (let n = 0; first + n * CLAIM_EVERY_MS < importEndedAt; n++) {
			const due = first + n * CLAIM_EVERY_MS;
			const early = due - performance.now();
			if (early > 0) await new Promise((resolve) => setTimeout(resolve, early));
			await claimAndSubmit(n, due);
		}
	}

	const annotating = annotate();
	// Let the annotator settle in before the import starts.
	await new Promise((resolve) => setTimeout(resolve, 1000));
	importStart = performance.now();
	const res = await fetch(`${base}/api/v1/projects/${target.id}/examples`, {
		method: 'POST',
		headers: { authorization: `Bearer ${token}`, 'content-type': 'application/jsonl' },
		body: Readable.toWeb(createReadStream(file)) as ReadableStream,
		duplex: 'half'
	} as RequestInit);
	const answer = (await res.json()) as { imported?: number; message?: string };
	const importSeconds = (performance.now() - importStart) / 1000;
	importEndedAt = performance.now();
	await annotating;
	const { peakRssMb: serverPeakRssMb } = processStats(server.process.pid!);
	await server.stop();
	if (res.status !== 201) {
		console.error(`the import over HTTP failed (${res.status}): ${answer.message}`);
		console.error(server.log.join('').slice(-4000));
		rmSync(dir, { recursive: true, force: true });
		process.exit(1);
	}
	claimMs.sort((a, b) => a - b);
	return {
		imported: answer.imported ?? 0,
		importSeconds,
		claims: claimMs.length,
		claimP50: round2(percentile(claimMs, 50)),
		claimP95: round2(percentile(claimMs, 95)),
		claimMax: round2(claimMs.at(-1) ?? NaN),
		claimFailures,
		submitFailures,
		firstError,
		serverPeakRssMb
	};
}
