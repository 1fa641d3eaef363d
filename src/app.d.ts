import type { Db } from '$lib/server/db';
import type { SessionUser } from '$lib/server/auth';
import type { Session } from '$lib/server/db/schema';

declare global {
	namespace App {
		interface Locals {
			db: Db;
			user: SessionUser | null;
			session: Session | null;
		}
		interface Error {
			message: string;
		}
	}
}

export {};
