import type { Db } from '$lib/server/db';
import type { SessionUser } from '$lib/server/auth';
import type { Session } from '$lib/server/db/schema';
import type { JobRunner } from '$lib/server/jobs/runner';
import type { FineTuneFollower } from '$lib/server/finetune/follower';
import type { SecretKey } from '$lib/server/secrets';

declare global {
	namespace App {
		interface Locals {
			db: Db;
			user: SessionUser | null;
			session: Session | null;
			/** Opens and seals provider keys; never leaves the server. */
			secretKey: SecretKey;
			/** The job runner: routes wake it when a job starts or changes. */
			jobs: JobRunner;
			/** Follows fine-tunes: routes wake it when one starts or is cancelled. */
			fineTunes: FineTuneFollower;
			/** The largest input or output an import takes, in bytes (WINNOW_MAX_FIELD_MB). */
			maxFieldBytes: number;
		}
		interface Error {
			message: string;
		}
	}
}

export {};
