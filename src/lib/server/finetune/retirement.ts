import { asc, eq } from 'drizzle-orm';
import type { Db, Queryable } from '../db';
import { modelRetirement, type ModelRetirement } from '../db/schema';
import type { RetirementNotice } from '../../schemas/dataset';

// Base models with a known retirement date, and what follows from one: a fine-tune of a base
// model past its date is refused before anything is uploaded, one due within WARN_DAYS is
// warned about wherever a base model is chosen or a student built on it is shown, and a
// student whose base is retired is no longer offered for new work (its history stays).
//
// The dates live in the database, so an admin can add or correct one (on the Retirements
// page) without waiting for a release; the first rows came with the migration that made the
// table. A row names a model as its provider does: it covers that name, its dated snapshots
// (gpt-4o-mini-2024-07-18) and every fine-tune of them (ft:gpt-4o-mini-2024-07-18:…).

/** How many days ahead a retirement is warned about. */
export const WARN_DAYS = 60;

const DAY_MS = 24 * 60 * 60_000;

/** OpenAI's last day for new fine-tuning jobs: from this moment it takes none. */
export const OPENAI_FINE_TUNING_ENDS = new Date('2027-01-06T00:00:00Z');
export const OPENAI_FINE_TUNING_NOTICE = 'OpenAI deprecations page, notice of 2026-10-14';

export type Retirement = {
	model: string;
	retiresOn: Date;
	source: string;
	/** Retired already, or due within WARN_DAYS. */
	state: 'retired' | 'soon';
};

/** The base model a model name stands on: a fine-tune's name carries its base after `ft:`. */
function baseOf(name: string): string {
	const fineTuned = /^ft:([^:]+):/.exec(name);
	return (fineTuned ? fineTuned[1] : name).toLowerCase();
}

/** Whether the row covers the name: the model itself or a dated snapshot of it. */
function covers(row: Pick<ModelRetirement, 'model'>, name: string): boolean {
	const base = baseOf(name);
	const model = row.model.toLowerCase();
	return base === model || new RegExp(`^${escape(model)}-\\d{4}-\\d{2}-\\d{2}$`).test(base);
}

function escape(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export async function listRetirements(db: Queryable): Promise<ModelRetirement[]> {
	return await db
		.select()
		.from(modelRetirement)
		.orderBy(asc(modelRetirement.retiresOn), asc(modelRetirement.model));
}

/**
 * What the retirement table says of `name` (a base model, or a model fine-tuned from one) at
 * `now`: null when nothing is due within WARN_DAYS.
 */
export function retirementOf(
	rows: ModelRetirement[],
	name: string,
	now = new Date()
): Retirement | null {
	const row = rows.find((r) => covers(r, name));
	if (!row) return null;
	const left = row.retiresOn.getTime() - now.getTime();
	if (left > WARN_DAYS * DAY_MS) return null;
	return {
		model: row.model,
		retiresOn: row.retiresOn,
		source: row.source,
		state: left <= 0 ? 'retired' : 'soon'
	};
}

/** The date as people read it: 14 January 2027. */
export function dayOf(date: Date): string {
	return date.toLocaleDateString('en-GB', {
		day: 'numeric',
		month: 'long',
		year: 'numeric',
		timeZone: 'UTC'
	});
}

/** One sentence about a retirement, for a warning or a refusal. */
export function describeRetirement(name: string, retirement: Retirement): string {
	return retirement.state === 'retired'
		? `${name} was retired on ${dayOf(retirement.retiresOn)} (${retirement.source}).`
		: `${name} retires on ${dayOf(retirement.retiresOn)} (${retirement.source}); a model trained on it stops answering then.`;
}

/** Adds a retirement date, or corrects the one a model has. */
export async function saveRetirement(
	db: Db,
	input: { model: string; retiresOn: Date; source: string },
	now = new Date()
): Promise<void> {
	await db.transaction(async (tx) =>
		tx
			.insert(modelRetirement)
			.values({ ...input, createdAt: now })
			.onConflictDoUpdate({
				target: modelRetirement.model,
				set: { retiresOn: input.retiresOn, source: input.source }
			})
	);
}

export async function removeRetirement(db: Db, id: number): Promise<boolean> {
	const removed = await db.transaction(async (tx) =>
		tx
			.delete(modelRetirement)
			.where(eq(modelRetirement.id, id))
			.returning({ id: modelRetirement.id })
	);
	return removed.length > 0;
}

/** The base models retired or due within WARN_DAYS, for the places a base model is chosen. */
export async function retirementNotices(
	db: Queryable,
	now = new Date()
): Promise<RetirementNotice[]> {
	return (await listRetirements(db)).flatMap((row) => {
		const due = retirementOf([row], row.model, now);
		return due
			? [{ model: row.model, day: dayOf(row.retiresOn), source: row.source, state: due.state }]
			: [];
	});
}

/** A warning about `name` (a base model, or a model trained on one), or null when none is due. */
export async function retirementWarning(
	db: Queryable,
	name: string,
	now = new Date()
): Promise<string | null> {
	const due = retirementOf(await listRetirements(db), name, now);
	return due ? describeRetirement(name, due) : null;
}
