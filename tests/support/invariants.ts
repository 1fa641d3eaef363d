import type { Db } from '../../src/lib/server/db';
import { rawSql } from './database';

// Rule 1 watched from inside the database, for the tests that run annotators in several
// processes: every lease written is checked, in its own transaction, against the overlap, and
// what is left afterwards is read in the dialect of the backend under test.

/**
 * From now on, every lease written that would leave its example with more live leases and
 * reviews than `overlap` is recorded in `overlap_violation`.
 */
export async function watchOverlap(db: Db, overlap: number) {
	const violations = `
		select new.example_id, l.n, r.n from
			(select count(*) as n from lease where example_id = new.example_id and lease_expires_at > new.leased_at) l,
			(select count(*) as n from review where revision_id = new.revision_id) r
		where l.n + r.n > ${overlap}`;
	const overlapCheck = (event: 'insert' | 'update') => `
		create trigger lease_overlap_${event} after ${event} on lease begin
			insert into overlap_violation ${violations};
		end;`;
	const violationTable =
		'create table overlap_violation (example_id bigint, leases bigint, reviews bigint)';
	await rawSql(db, {
		sqlite: `${violationTable};\n${overlapCheck('insert')}\n${overlapCheck('update')}`,
		postgres: `${violationTable};
			create function lease_overlap() returns trigger language plpgsql as $$
			begin insert into overlap_violation ${violations}; return null; end $$;
			create trigger lease_overlap after insert or update on lease
			for each row execute function lease_overlap()`
	});
}

/** Runs one query that reads the same on both backends. */
export const query = (db: Db, text: string) => rawSql(db, { sqlite: text, postgres: text });

/** Leases that went past the overlap, and revisions someone reviewed twice: both should be none. */
export async function overlapBroken(db: Db) {
	return {
		pastOverlap: await query(db, 'select * from overlap_violation'),
		reviewedTwice: await query(
			db,
			'select revision_id, user_id from review group by revision_id, user_id having count(*) > 1'
		)
	};
}
