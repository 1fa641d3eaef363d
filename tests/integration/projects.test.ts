import { asc, eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { type Db } from '$lib/server/db';
import {
	example,
	requirement,
	type ExampleSource,
	type ExampleStatus,
	type Project
} from '$lib/server/db/schema';
import { countByStatus, EXAMPLES_PAGE_SIZE, listExamples } from '$lib/server/examples';
import {
	addMember,
	changeProject,
	getProject,
	getProjectForUser,
	isMember,
	KINDS_FIXED,
	listMembers,
	listNonMembers,
	listProjectsForUser,
	listRequirements,
	removeMember,
	updateProject
} from '$lib/server/projects';
import { setUserActive } from '$lib/server/users';
import { hashText, splitForInputHash } from '$lib/server/split';
import type { ExampleFilter } from '$lib/schemas/examples';
import {
	importRows,
	makeProject,
	makeUser,
	projectInput,
	T0,
	exampleIds
} from '../support/fixtures';
import { testDb } from '../support/database';

const later = new Date(T0.getTime() + 60_000);

async function setup() {
	const db = await testDb();
	const admin = await makeUser(db, 'admin', 'root');
	return { db, admin };
}

const requirementInputs = (...names: string[]) =>
	names.map((name) => ({ id: undefined, name, description: `${name} matters.` }));

async function allRequirements(db: Db, projectId: number) {
	return await db
		.select()
		.from(requirement)
		.where(eq(requirement.projectId, projectId))
		.orderBy(asc(requirement.id));
}

async function setStatus(db: Db, ids: number[], status: ExampleStatus) {
	await db.transaction(async (tx) =>
		tx.update(example).set({ status }).where(inArray(example.id, ids))
	);
}

async function setSource(db: Db, ids: number[], source: ExampleSource) {
	await db.transaction(async (tx) =>
		tx.update(example).set({ source }).where(inArray(example.id, ids))
	);
}

describe('createProject', () => {
	it('saves the definition, makes the creator a member and keeps requirements in order', async () => {
		const { db, admin } = await setup();

		const created = await makeProject(db, admin.id, {
			name: 'Legal summaries',
			ratingScale: 'pass_fail',
			threshold: 4,
			outputKind: 'json',
			outputSchema: '{"type":"object"}',
			requirements: requirementInputs('Faithful', 'Short', 'Cites sources')
		});

		expect(await getProject(db, created.id)).toMatchObject({
			name: 'Legal summaries',
			ratingScale: 'pass_fail',
			threshold: 1,
			inputSchema: null,
			outputSchema: '{"type":"object"}',
			createdBy: admin.id,
			createdAt: T0,
			updatedAt: T0
		});
		expect(await isMember(db, created.id, admin.id)).toBe(true);
		expect((await listMembers(db, created.id)).map((m) => m.id)).toEqual([admin.id]);
		expect(await listRequirements(db, created.id)).toEqual([
			{ id: expect.any(Number), name: 'Faithful', description: 'Faithful matters.' },
			{ id: expect.any(Number), name: 'Short', description: 'Short matters.' },
			{ id: expect.any(Number), name: 'Cites sources', description: 'Cites sources matters.' }
		]);
	});
});

describe('updateProject', () => {
	it('changes the kinds of input and output only while the project has no example', async () => {
		const { db, admin } = await setup();
		const created = await makeProject(db, admin.id);
		const conversation = projectInput({ inputKind: 'conversation', outputKind: 'turn' });
		expect(await updateProject(db, created.id, conversation, later)).toEqual({ ok: true });
		expect(await getProject(db, created.id)).toMatchObject({
			inputKind: 'conversation',
			outputKind: 'turn'
		});
		await updateProject(db, created.id, projectInput(), later);
		await importRows(db, (await getProject(db, created.id))!, [{ input: 'Hi', output: 'Hello' }]);
		expect(
			await updateProject(db, created.id, { ...conversation, name: 'Renamed' }, later)
		).toEqual({
			ok: false,
			errors: { inputKind: [KINDS_FIXED], outputKind: [KINDS_FIXED] }
		});
		expect(await getProject(db, created.id)).toMatchObject({
			name: created.name,
			inputKind: 'text',
			outputKind: 'text'
		});
	});

	it('keeps requirement ids through a reorder and archives a removed one', async () => {
		const { db, admin } = await setup();
		const created = await makeProject(db, admin.id, {
			requirements: requirementInputs('Polite', 'Correct', 'Brief')
		});
		const [polite, correct, brief] = await listRequirements(db, created.id);

		await updateProject(
			db,
			created.id,
			projectInput({
				name: 'Renamed',
				requirements: [
					{ id: brief.id, name: 'Brief', description: 'Under 100 words.' },
					{ id: polite.id, name: 'Polite', description: polite.description },
					{ id: undefined, name: 'Kind', description: '' }
				]
			}),
			later
		);

		const listed = await listRequirements(db, created.id);
		expect(listed.map((r) => [r.id, r.name])).toEqual([
			[brief.id, 'Brief'],
			[polite.id, 'Polite'],
			[expect.any(Number), 'Kind']
		]);
		expect(listed[0].description).toBe('Under 100 words.');
		expect([polite.id, correct.id, brief.id]).not.toContain(listed[2].id);
		const stored = await allRequirements(db, created.id);
		expect(stored).toHaveLength(4);
		expect(stored.find((r) => r.id === correct.id)).toMatchObject({
			name: 'Correct',
			archived: true
		});
		expect(await getProject(db, created.id)).toMatchObject({ name: 'Renamed', updatedAt: later });
	});

	it('brings an archived requirement back when its id is sent again', async () => {
		const { db, admin } = await setup();
		const created = await makeProject(db, admin.id, { requirements: requirementInputs('A', 'B') });
		const [a, b] = await listRequirements(db, created.id);
		await updateProject(db, created.id, projectInput({ requirements: [{ ...a }] }), later);
		expect((await listRequirements(db, created.id)).map((r) => r.id)).toEqual([a.id]);

		await updateProject(
			db,
			created.id,
			projectInput({ requirements: [{ ...b }, { ...a }] }),
			later
		);

		expect((await listRequirements(db, created.id)).map((r) => r.id)).toEqual([b.id, a.id]);
		expect((await allRequirements(db, created.id)).every((r) => !r.archived)).toBe(true);
	});

	it("never takes over another project's requirement by its id", async () => {
		const { db, admin } = await setup();
		const mine = await makeProject(db, admin.id, { name: 'Mine' });
		const theirs = await makeProject(db, admin.id, {
			name: 'Theirs',
			requirements: requirementInputs('Secret')
		});
		const [secret] = await listRequirements(db, theirs.id);

		await updateProject(
			db,
			mine.id,
			projectInput({ name: 'Mine', requirements: [{ ...secret, name: 'Stolen' }] }),
			later
		);

		expect(await listRequirements(db, theirs.id)).toEqual([secret]);
		const [stolen] = await listRequirements(db, mine.id);
		expect(stolen.name).toBe('Stolen');
		expect(stolen.id).not.toBe(secret.id);
	});
});

describe('changeProject', () => {
	it('lays the given fields over what is saved, keeps requirements named by id, and saves the queue settings with them', async () => {
		const { db, admin } = await setup();
		const created = await makeProject(db, admin.id, {
			name: 'Tickets',
			threshold: 4,
			requirements: requirementInputs('Correct', 'Brief')
		});
		const [correct, brief] = await listRequirements(db, created.id);

		const changed = await changeProject(
			db,
			created,
			{
				threshold: 5,
				requirements: [{ id: correct.id, name: 'Right', description: '' }],
				queue: { leaseMinutes: 20, repairerReviewCounts: true }
			},
			later
		);

		expect(changed.ok).toBe(true);
		const saved = (await getProject(db, created.id))!;
		expect(saved).toMatchObject({
			name: 'Tickets',
			threshold: 5,
			leaseMinutes: 20,
			repairerReviewCounts: true,
			queueOrder: created.queueOrder,
			updatedAt: later
		});
		expect(await listRequirements(db, created.id)).toEqual([
			{ id: correct.id, name: 'Right', description: '' }
		]);
		expect((await allRequirements(db, created.id)).find((r) => r.id === brief.id)?.archived).toBe(
			true
		);
	});

	it('refuses with the settings page’s messages, and changes nothing', async () => {
		const { db, admin } = await setup();
		const created = await makeProject(db, admin.id, { name: 'Tickets' });
		await importRows(db, created, [{ input: 'a', output: 'b' }]);

		expect(await changeProject(db, created, { name: ' ', splitTrain: 0 })).toEqual({
			ok: false,
			status: 400,
			errors: {
				name: ['Give the project a name.'],
				splitTrain: [
					'The splits add up to 20%; they must add up to 100%.',
					'Keep some share for training.'
				]
			}
		});
		expect(
			await changeProject(db, created, { queue: { leaseMinutes: 0, auditPercent: 0 } })
		).toEqual({
			ok: false,
			status: 400,
			errors: {
				'queue.leaseMinutes': ['A lease lasts at least 1 minute.'],
				'queue.auditPercent': [
					'At least 1% is kept as the audit sample, so the judges can still be checked.'
				]
			}
		});
		expect(
			await changeProject(db, created, { outputKind: 'json', queue: { leaseMinutes: 30 } })
		).toEqual({ ok: false, status: 409, errors: { outputKind: [KINDS_FIXED] } });
		expect(await getProject(db, created.id)).toEqual(created);
	});
});

describe('who sees which project', () => {
	it('shows admins every project and annotators only their own', async () => {
		const { db, admin } = await setup();
		const otherAdmin = await makeUser(db, 'admin', 'other-admin');
		const member = await makeUser(db, 'annotator', 'member');
		const outsider = await makeUser(db, 'annotator', 'outsider');
		const shared = await makeProject(db, admin.id, { name: 'Shared' });
		await addMember(db, shared.id, member.id, T0);

		expect((await getProjectForUser(db, shared.id, otherAdmin))?.id).toBe(shared.id);
		expect((await getProjectForUser(db, shared.id, member))?.id).toBe(shared.id);
		expect(await getProjectForUser(db, shared.id, outsider)).toBeUndefined();
		expect(await getProjectForUser(db, shared.id + 100, admin)).toBeUndefined();
	});

	it('lists projects by name with their example counts', async () => {
		const { db, admin } = await setup();
		const member = await makeUser(db, 'annotator', 'member');
		const zebra = await makeProject(db, admin.id, { name: 'Zebra' });
		const alpha = await makeProject(db, admin.id, { name: 'Alpha' });
		const middle = await makeProject(db, admin.id, { name: 'Middle' });
		await addMember(db, zebra.id, member.id, T0);
		await addMember(db, alpha.id, member.id, T0);
		await importRows(
			db,
			zebra,
			Array.from({ length: 6 }, (_, i) => ({ input: `zebra ${i}` }))
		);
		await importRows(db, middle, [{ input: 'middle 0' }]);
		const [first, second, third, fourth] = await exampleIds(db, zebra.id);
		await setStatus(db, [first], 'in_review');
		await setStatus(db, [second], 'accepted');
		await setStatus(db, [third], 'rejected');
		await setStatus(db, [fourth], 'disputed');

		const forAdmin = await listProjectsForUser(db, admin);
		const forMember = await listProjectsForUser(db, member);

		expect(forAdmin.map((p) => [p.name, p.total, p.waiting])).toEqual([
			['Alpha', 0, 0],
			['Middle', 1, 1],
			['Zebra', 6, 3]
		]);
		expect(forMember.map((p) => [p.name, p.total, p.waiting])).toEqual([
			['Alpha', 0, 0],
			['Zebra', 6, 3]
		]);
		expect(await listProjectsForUser(db, await makeUser(db, 'annotator'))).toEqual([]);
	});
});

describe('members', () => {
	it('adds and removes members, and lists the active users who could join', async () => {
		const { db, admin } = await setup();
		const bea = await makeUser(db, 'annotator', 'bea');
		const cal = await makeUser(db, 'annotator', 'cal');
		const dee = await makeUser(db, 'annotator', 'dee');
		await setUserActive(db, dee.id, false);
		const created = await makeProject(db, admin.id);

		expect((await listNonMembers(db, created.id)).map((u) => u.username)).toEqual(['bea', 'cal']);

		await addMember(db, created.id, cal.id, T0);
		await addMember(db, created.id, cal.id, later);
		expect((await listMembers(db, created.id)).map((m) => [m.username, m.addedAt])).toEqual([
			['cal', T0],
			['root', T0]
		]);
		expect((await listNonMembers(db, created.id)).map((u) => u.id)).toEqual([bea.id]);

		await removeMember(db, created.id, cal.id);
		expect(await isMember(db, created.id, cal.id)).toBe(false);
		expect((await listMembers(db, created.id)).map((m) => m.username)).toEqual(['root']);
		expect((await listNonMembers(db, created.id)).map((u) => u.username)).toEqual(['bea', 'cal']);
	});
});

describe('listExamples', () => {
	async function filterSetup() {
		const { db, admin } = await setup();
		const target = await makeProject(db, admin.id);
		const other = await makeProject(db, admin.id, { name: 'Other' });
		const rows = [
			{ input: 'Discount of 100% today', output: 'Great', tags: ['promo'] },
			{ input: 'Discount of 100 percent', output: 'Fine', tags: ['promo', 'billing'] },
			{ input: 'rename snake_case fields', output: 'Done' },
			{ input: 'rename snakeXcase fields', output: 'Done too', tags: ['billing'] },
			{ input: 'where is C:\\temp', output: 'On the disk' },
			{ input: 'plain question', output: 'The answer holds a NeedLe inside' },
			{ input: 'no answer yet' }
		];
		await importRows(db, target, rows);
		await importRows(db, other, [{ input: 'Discount of 100% elsewhere', tags: ['promo'] }]);
		const ids = await exampleIds(db, target.id);
		return { db, target, rows, ids };
	}

	const inputsFor = async (db: Db, target: Project, filter: ExampleFilter) =>
		(await listExamples(db, target.id, filter)).items.map((item) => item.inputPreview);

	it('lists newest first with previews, tags and no cursors when all fit', async () => {
		const { db, target, rows } = await filterSetup();

		const page = await listExamples(db, target.id, {});

		expect(page.items.map((i) => i.inputPreview)).toEqual(rows.map((r) => r.input).reverse());
		expect(page.items.at(-1)).toMatchObject({
			inputPreview: 'Discount of 100% today',
			outputPreview: 'Great',
			status: 'queued',
			source: 'import',
			finalRating: null,
			tags: ['promo']
		});
		expect(page.items[1].tags).toEqual([]);
		expect(page.items.at(-2)?.tags).toEqual(['billing', 'promo']);
		expect(page.items[0].outputPreview).toBeNull();
		expect(page.olderCursor).toBeNull();
		expect(page.newerCursor).toBeNull();
	});

	it('cuts previews at 240 characters', async () => {
		const { db, admin } = await setup();
		const target = await makeProject(db, admin.id);
		await importRows(db, target, [{ input: 'x'.repeat(1_000), output: 'y'.repeat(300) }]);

		const [item] = (await listExamples(db, target.id, {})).items;

		expect(item.inputPreview).toBe('x'.repeat(240));
		expect(item.outputPreview).toBe('y'.repeat(240));
	});

	it('filters by status, split, source and tag', async () => {
		const { db, target, rows, ids } = await filterSetup();
		await setStatus(db, [ids[0], ids[3]], 'accepted');
		await setSource(db, [ids[3], ids[4]], 'distillation');

		expect(await inputsFor(db, target, { status: 'accepted' })).toEqual([
			rows[3].input,
			rows[0].input
		]);
		expect(await inputsFor(db, target, { source: 'distillation' })).toEqual([
			rows[4].input,
			rows[3].input
		]);
		expect(await inputsFor(db, target, { tag: 'billing' })).toEqual([rows[3].input, rows[1].input]);
		expect(await inputsFor(db, target, { tag: 'promo', status: 'accepted' })).toEqual([
			rows[0].input
		]);
		expect(await inputsFor(db, target, { tag: 'nobody-uses-this' })).toEqual([]);
		for (const split of ['train', 'val', 'test'] as const) {
			const expected = rows
				.map((r) => r.input)
				.filter((input) => splitForInputHash(hashText(input), target) === split)
				.reverse();
			expect(await inputsFor(db, target, { split })).toEqual(expected);
		}
	});

	it('searches input and output text with % and _ taken literally', async () => {
		const { db, target, rows } = await filterSetup();

		expect(await inputsFor(db, target, { q: '100%' })).toEqual([rows[0].input]);
		expect(await inputsFor(db, target, { q: '%' })).toEqual([rows[0].input]);
		expect(await inputsFor(db, target, { q: 'e_c' })).toEqual([rows[2].input]);
		expect(await inputsFor(db, target, { q: '_' })).toEqual([rows[2].input]);
		expect(await inputsFor(db, target, { q: 'C:\\temp' })).toEqual([rows[4].input]);
		expect(await inputsFor(db, target, { q: 'needle' })).toEqual([rows[5].input]);
		expect(await inputsFor(db, target, { q: 'discount' })).toEqual([rows[1].input, rows[0].input]);
		expect(await inputsFor(db, target, { q: 'Done', tag: 'billing' })).toEqual([rows[3].input]);
	});

	it('pages through 120 examples by keyset, each exactly once, both ways', async () => {
		const { db, admin } = await setup();
		const target = await makeProject(db, admin.id);
		await importRows(
			db,
			target,
			Array.from({ length: 120 }, (_, i) => ({ input: `example ${i}`, output: `out ${i}` }))
		);
		const newestFirst = (await exampleIds(db, target.id)).reverse();

		const forward: number[][] = [];
		let page = await listExamples(db, target.id, {});
		expect(page.newerCursor).toBeNull();
		forward.push(page.items.map((i) => i.id));
		while (page.olderCursor) {
			const before = page.olderCursor;
			page = await listExamples(db, target.id, { before });
			expect(page.newerCursor).toBe(page.items[0].id);
			forward.push(page.items.map((i) => i.id));
		}
		expect(forward.map((p) => p.length)).toEqual([EXAMPLES_PAGE_SIZE, EXAMPLES_PAGE_SIZE, 20]);
		expect(forward.flat()).toEqual(newestFirst);

		const backward: number[][] = [page.items.map((i) => i.id)];
		while (page.newerCursor) {
			page = await listExamples(db, target.id, { after: page.newerCursor });
			backward.unshift(page.items.map((i) => i.id));
		}
		expect(backward.flat()).toEqual(newestFirst);
		expect(page.items[0].id).toBe(newestFirst[0]);
	});

	it('pages a filtered list without leaking other examples', async () => {
		const { db, admin } = await setup();
		const target = await makeProject(db, admin.id);
		await importRows(
			db,
			target,
			Array.from({ length: 120 }, (_, i) => ({
				input: `example ${i}`,
				tags: i % 2 === 0 ? ['even'] : []
			}))
		);
		const evenNewestFirst = (await exampleIds(db, target.id))
			.filter((_, index) => index % 2 === 0)
			.reverse();

		const first = await listExamples(db, target.id, { tag: 'even' });
		const second = await listExamples(db, target.id, { tag: 'even', before: first.olderCursor! });

		expect(first.items).toHaveLength(EXAMPLES_PAGE_SIZE);
		expect([...first.items, ...second.items].map((i) => i.id)).toEqual(evenNewestFirst);
		expect(second.olderCursor).toBeNull();
	});
});

describe('countByStatus', () => {
	it('counts the examples of one project per status', async () => {
		const { db, admin } = await setup();
		const target = await makeProject(db, admin.id);
		const other = await makeProject(db, admin.id, { name: 'Other' });
		await importRows(
			db,
			target,
			Array.from({ length: 9 }, (_, i) => ({ input: `row ${i}` }))
		);
		await importRows(db, other, [{ input: 'elsewhere' }]);
		const ids = await exampleIds(db, target.id);
		await setStatus(db, ids.slice(0, 2), 'accepted');
		await setStatus(db, ids.slice(2, 3), 'rejected');
		await setStatus(db, ids.slice(3, 4), 'disputed');
		await setStatus(db, ids.slice(4, 6), 'in_review');

		expect(await countByStatus(db, target.id)).toEqual({
			queued: 3,
			in_review: 2,
			accepted: 2,
			rejected: 1,
			disputed: 1,
			total: 9
		});
		expect(await countByStatus(db, other.id + 1)).toEqual({
			queued: 0,
			in_review: 0,
			accepted: 0,
			rejected: 0,
			disputed: 0,
			total: 0
		});
	});
});
