import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { eq } from 'drizzle-orm';
import { project as projectTable } from '../../src/lib/server/db/schema';
import { addMember } from '../../src/lib/server/projects';
import { checkOpenAiLines } from '../../src/lib/server/datasets/export';
import { e2eDb, ensureUser, gotoLive, logInAs } from '../support/e2e';

const weather = {
	type: 'function',
	function: {
		name: 'get_weather',
		parameters: {
			type: 'object',
			properties: { city: { type: 'string', minLength: 2 } },
			required: ['city'],
			additionalProperties: false
		}
	}
};

const threads = [
	{
		messages: [
			{ role: 'system', content: 'You answer travellers.' },
			{ role: 'user', content: 'Is it cold in Oslo?' },
			{ role: 'assistant', content: 'Let me look.', weight: 0 },
			{ role: 'user', content: 'Please check now.' },
			{
				role: 'assistant',
				content: null,
				tool_calls: [
					{
						id: 'call_1',
						type: 'function',
						function: { name: 'get_weather', arguments: '{"city": "Olso"}' }
					}
				]
			}
		],
		tools: [weather]
	},
	{
		messages: [
			{ role: 'user', content: 'And in Lyon?' },
			{
				role: 'assistant',
				content: null,
				tool_calls: [
					{
						id: 'call_2',
						type: 'function',
						function: { name: 'get_weather', arguments: '{"city": "Lyon"}' }
					}
				]
			},
			{ role: 'tool', tool_call_id: 'call_2', content: '{"sky": "rain", "celsius": 9}' },
			{ role: 'assistant', content: 'Rain and 9 °C in Lyon.' }
		],
		tools: [weather]
	}
];

test('a conversation file is imported, a tool call repaired from the keyboard, and the file exported whole', async ({
	page,
	context
}) => {
	const db = e2eDb();
	const admin = await ensureUser('threads-admin', 'admin');
	const annotator = await ensureUser('threads-annotator', 'annotator');
	await logInAs(context, admin.id);

	// Choosing a conversation input picks the turn output: a script's work, so wait for it.
	await gotoLive(page, '/projects/new');
	const name = `Threads ${Date.now()}`;
	await page.getByLabel('Name').fill(name);
	await page.getByLabel('Input', { exact: true }).selectOption('conversation');
	await expect(page.getByLabel('Output', { exact: true })).toHaveValue('turn');
	await page.getByLabel('Train').fill('100');
	await page.getByLabel('Validation').fill('0');
	await page.getByLabel('Test', { exact: true }).fill('0');
	await page.getByRole('button', { name: 'Create project' }).click();
	await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
	const projectId = Number(/projects\/(\d+)/.exec(page.url())![1]);
	const created = (await db.select().from(projectTable).where(eq(projectTable.id, projectId)))[0]!;
	expect(created).toMatchObject({ inputKind: 'conversation', outputKind: 'turn' });
	await addMember(db, projectId, annotator.id);

	await page.goto(`/projects/${projectId}/import`);
	await page.getByLabel('File').setInputFiles({
		name: 'bad.jsonl',
		mimeType: 'application/x-ndjson',
		buffer: Buffer.from(
			[
				JSON.stringify(threads[0]),
				JSON.stringify({ ...threads[1], tools: [] }),
				JSON.stringify({ messages: [{ role: 'robot', content: 'beep' }] })
			].join('\n') + '\n'
		)
	});
	await page.getByRole('button', { name: 'Import' }).click();
	await expect(page.getByText('Nothing was imported.')).toBeVisible();
	const problems = page.getByRole('list', { name: 'Problems by line' });
	await expect(problems).toContainText('Line 2: Message 2 calls “get_weather”');
	await expect(problems).toContainText('Line 3: Message 1 has an unknown role "robot"');

	await page.getByLabel('File').setInputFiles({
		name: 'threads.jsonl',
		mimeType: 'application/x-ndjson',
		buffer: Buffer.from(threads.map((t) => JSON.stringify(t)).join('\n') + '\n')
	});
	await page.getByRole('button', { name: 'Import' }).click();
	await expect(page.getByText(/Imported 2 examples/)).toBeVisible();

	// The annotator reviews the thread from the keyboard, and repairs the call's argument.
	await logInAs(context, annotator.id);
	await page.goto(`/projects/${projectId}/review`);
	await expect(page.getByRole('button', { name: 'Shortcuts (?)' })).toBeVisible();
	const thread = page.getByRole('list', { name: 'The conversation before the turn' });
	await expect(thread).toContainText('Please check now.');
	await expect(page.getByText('Tools offered (1): get_weather')).toBeVisible();
	const turn = page.getByRole('region', { name: 'The turn under review' });
	await expect(turn).toContainText('get_weather');
	await expect(turn).toContainText('"city": "Olso"');

	await page.keyboard.press('2');
	await page.keyboard.press('e');
	const args = page.getByLabel('Arguments of call 1 (JSON)');
	await args.fill('{"town": "Oslo"}');
	await expect(
		page.getByText(/The turn: the arguments of “get_weather” fail its schema/)
	).toBeVisible();
	await expect(page.getByRole('button', { name: 'Save repair' })).toBeDisabled();
	await args.fill('{"city": "Oslo"}');
	await expect(page.getByText('The turn fits the thread’s tools.')).toBeVisible();
	await page.keyboard.press('Control+Enter');
	await expect(page.getByRole('status')).toContainText(/saved as a new revision/);

	// The next thread is accepted as it is.
	await expect(turn).toContainText('Rain and 9 °C in Lyon.');
	await page.keyboard.press('5');
	await page.keyboard.press('Enter');
	await expect(page.getByRole('heading', { name: 'Nothing to review right now' })).toBeVisible();

	// The admin accepts the repaired turn, then freezes and downloads the dataset.
	await logInAs(context, admin.id);
	await page.goto(`/projects/${projectId}/review`);
	await expect(turn).toContainText('"city": "Oslo"');
	await page.keyboard.press('5');
	await page.keyboard.press('Enter');
	await expect(page.getByRole('heading', { name: 'Nothing to review right now' })).toBeVisible();

	await page.goto(`/projects/${projectId}/datasets`);
	await page.getByLabel('Dataset name').fill('threads v1');
	await page.getByRole('button', { name: 'Freeze 2 examples' }).click();
	await expect(page.getByRole('heading', { name: 'Dataset: threads v1' })).toBeVisible();
	const download = page.waitForEvent('download');
	await page.getByRole('link', { name: 'OpenAI chat fine-tuning (JSONL), Train' }).click();
	const lines = readFileSync((await (await download).path())!, 'utf8')
		.trim()
		.split('\n');
	expect(lines).toHaveLength(2);
	const parsed = lines.map((l) => JSON.parse(l));
	const repaired = parsed.find((l) => l.messages[0].role === 'system');
	expect(repaired.tools).toEqual([weather]);
	expect(repaired.messages).toHaveLength(5);
	expect(repaired.messages[2]).toEqual({ role: 'assistant', content: 'Let me look.', weight: 0 });
	expect(JSON.parse(repaired.messages[4].tool_calls[0].function.arguments)).toEqual({
		city: 'Oslo'
	});
	// The earlier call nobody reviewed is kept as context, not trained on.
	const [ask, call, ...rest] = threads[1].messages;
	expect(parsed.find((l) => l !== repaired)).toEqual({
		...threads[1],
		messages: [ask, { ...call, weight: 0 }, ...rest]
	});
	const check = await checkOpenAiLines(lines);
	expect(check.samples).toEqual([]);
});
