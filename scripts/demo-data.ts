// The demo project's data: customer-support emails to an online home-goods shop and draft
// extractions of them. Everything comes from a seeded generator, so the same seed always gives
// the same examples. One draft in five carries a planted mistake for reviewers to catch.

import { mulberry32 } from '../src/lib/random';

export const INTENTS = [
	'refund',
	'shipping',
	'damaged_item',
	'account',
	'billing',
	'cancellation',
	'product_question',
	'other'
] as const;
export type Intent = (typeof INTENTS)[number];
export type Sentiment = 'positive' | 'neutral' | 'negative';
export type Urgency = 'low' | 'normal' | 'high';

export type Extraction = {
	intent: Intent;
	order_id: string | null;
	sentiment: Sentiment;
	urgency: Urgency;
	summary: string;
	customer_name: string | null;
};

export type Flaw =
	'wrong_intent' | 'missed_order_id' | 'wrong_order_id' | 'wrong_sentiment' | 'invented_fact';

export type DemoExample = {
	id: string;
	input: string;
	output: Extraction;
	tags: string[];
	/** The planted mistake, for the script's own count; never written to the project. */
	flaw: Flaw | null;
};

export const EXTRACTION_SCHEMA = {
	type: 'object',
	required: ['intent', 'order_id', 'sentiment', 'urgency', 'summary'],
	properties: {
		intent: { enum: [...INTENTS] },
		order_id: { type: ['string', 'null'] },
		sentiment: { enum: ['positive', 'neutral', 'negative'] },
		urgency: { enum: ['low', 'normal', 'high'] },
		summary: { type: 'string', minLength: 1 },
		customer_name: { type: ['string', 'null'] }
	},
	additionalProperties: false
};

export const EXTRACTION_INSTRUCTION = `You read one message sent to the customer-support team of Larkspur Home, an online shop for home goods, and extract its fields as a JSON object. Reply with the JSON object only.

- intent: what the customer wants resolved. "refund": money back for a return or a price difference. "shipping": a late, lost or stuck delivery, or a change of delivery address. "damaged_item": an item that arrived broken, faulty or wrong, even when they ask for a refund. "account": logging in, passwords, two-factor codes, account details. "billing": double charges, unexpected charges, discount codes, invoices. "cancellation": cancelling an order or a Larkspur Plus membership. "product_question": questions about a product. "other": anything else, such as praise, unsubscribing or wholesale enquiries.
- order_id: the order number in the form LH-123456, without a leading "#"; null when the message has none. Tracking numbers, invoice numbers and card digits are not order numbers. Never guess one.
- sentiment: the customer's tone: "positive", "neutral" or "negative".
- urgency: "high" when the customer is angry, names a date they need things by, or is writing again about the same problem; "low" for questions and feedback without time pressure; "normal" otherwise.
- summary: one to three sentences in English, even when the message is in another language, that state only what the message says.
- customer_name: the name the customer signs with or gives in the form, as written; null when they give none.`;

type Rng = {
	int(min: number, max: number): number;
	pick<T>(list: readonly T[]): T;
	chance(p: number): boolean;
};

function rng(seed: number): Rng {
	const next = mulberry32(seed);
	return {
		int: (min, max) => min + Math.floor(next() * (max - min + 1)),
		pick: (list) => list[Math.floor(next() * list.length)],
		chance: (p) => next() < p
	};
}

type Region = 'na' | 'uk' | 'eu' | 'apac';
type Lang = 'en' | 'de' | 'fr' | 'es';
type Channel = 'email' | 'web-form';
type Tone = 'warm' | 'plain' | 'annoyed' | 'angry';

type Customer = { first: string; last: string; region: Region; lang: Lang };

const PEOPLE: [string, string, Region, Lang][] = [
	['Emily', 'Carter', 'na', 'en'],
	['Marcus', 'Johnson', 'na', 'en'],
	['Priya', 'Patel', 'na', 'en'],
	['Daniel', 'Kim', 'na', 'en'],
	['Jessica', 'Nguyen', 'na', 'en'],
	['Tyler', 'Brooks', 'na', 'en'],
	['Aaliyah', 'Robinson', 'na', 'en'],
	['Kevin', "O'Brien", 'na', 'en'],
	['Sarah', 'Goldberg', 'na', 'en'],
	['Megan', 'Foster', 'na', 'en'],
	['Luis', 'Hernández', 'na', 'es'],
	['Gabriela', 'Morales', 'na', 'es'],
	['Oliver', 'Hughes', 'uk', 'en'],
	['Charlotte', 'Evans', 'uk', 'en'],
	['Harry', 'Shah', 'uk', 'en'],
	['Amelia', 'Wright', 'uk', 'en'],
	['Callum', 'Fraser', 'uk', 'en'],
	['Niamh', 'Byrne', 'uk', 'en'],
	['Sophie', 'Müller', 'eu', 'de'],
	['Lukas', 'Becker', 'eu', 'de'],
	['Jonas', 'Schmidt', 'eu', 'de'],
	['Camille', 'Laurent', 'eu', 'fr'],
	['Chloé', 'Dubois', 'eu', 'fr'],
	['Antoine', 'Moreau', 'eu', 'fr'],
	['Javier', 'Ortega', 'eu', 'es'],
	['Lucía', 'Ramírez', 'eu', 'es'],
	['Matteo', 'Rossi', 'eu', 'en'],
	['Anna', 'Kowalska', 'eu', 'en'],
	['Lars', 'Johansson', 'eu', 'en'],
	['Jan', 'de Vries', 'eu', 'en'],
	['Hiroshi', 'Tanaka', 'apac', 'en'],
	['Mei', 'Lin', 'apac', 'en'],
	['Arjun', 'Mehta', 'apac', 'en'],
	['Siti', 'Rahman', 'apac', 'en'],
	['Liam', 'Walker', 'apac', 'en'],
	['Aroha', 'Ngata', 'apac', 'en'],
	['Olivia', 'Chen', 'apac', 'en'],
	['Jack', 'Thompson', 'apac', 'en']
];

const CURRENCY: Record<Region, string> = { na: '$', uk: '£', eu: '€', apac: 'A$' };
const DIALLING_CODES: Record<Region, string> = { na: '+1', uk: '+44', eu: '+49', apac: '+61' };
const CARRIERS: Record<Region, string[]> = {
	na: ['UPS', 'FedEx', 'USPS'],
	uk: ['Royal Mail', 'Evri', 'DPD'],
	eu: ['DHL', 'DPD', 'GLS', 'PostNL'],
	apac: ['Australia Post', 'Aramex', 'DHL Express']
};
const ADDRESSES: Record<Region, string[]> = {
	na: ['1420 Maple Ave, Apt 3B, Columbus, OH 43215', '88 Harbor St, Portland, ME 04101'],
	uk: ['14 Albert Road, Bristol BS2 0XS', 'Flat 6, 31 Leith Walk, Edinburgh EH6 8LS'],
	eu: ['Kastanienallee 12, 10435 Berlin', 'Rue des Martyrs 27, 75009 Paris'],
	apac: ['5/42 Glebe Point Rd, Glebe NSW 2037', '17 Cuba Street, Te Aro, Wellington 6011']
};

type Product = {
	name: string;
	price: number;
	electric: boolean;
	question: string;
	asks: string;
	damage: string[];
};

const PRODUCTS: Product[] = [
	{
		name: 'ceramic table lamp',
		price: 64,
		electric: true,
		question: 'Does it take a standard E26 bulb, and is a bulb included?',
		asks: 'which bulb it takes and whether one is included',
		damage: ['cracked down one side', 'chipped at the base']
	},
	{
		name: 'linen duvet cover (queen)',
		price: 89,
		electric: false,
		question: 'Can it go in the tumble dryer, or will it shrink?',
		asks: 'whether it can be tumble-dried without shrinking',
		damage: ['torn along a seam', 'stained with something that looks like oil']
	},
	{
		name: '12-inch cast iron skillet',
		price: 45,
		electric: false,
		question: 'Is it pre-seasoned, and does it work on an induction hob?',
		asks: 'whether it is pre-seasoned and works on induction',
		damage: ['cracked across the bottom', 'covered in rust spots']
	},
	{
		name: 'set of 4 stoneware mugs',
		price: 38,
		electric: false,
		question: 'Are they dishwasher and microwave safe?',
		asks: 'whether they are dishwasher and microwave safe',
		damage: ['broken, with two of the four mugs in pieces', 'chipped on the rims']
	},
	{
		name: 'walnut cutting board',
		price: 70,
		electric: false,
		question: 'Which oil do you recommend for looking after it?',
		asks: 'which oil to use to look after it',
		damage: ['split along the grain', 'badly scratched']
	},
	{
		name: 'wool throw blanket',
		price: 95,
		electric: false,
		question: 'Is it itchy? My partner is sensitive to wool.',
		asks: 'whether it is itchy for someone sensitive to wool',
		damage: ['full of small holes', 'torn near the fringe']
	},
	{
		name: '1-litre French press',
		price: 34,
		electric: false,
		question: 'Can I buy a replacement glass beaker if it breaks?',
		asks: 'whether a replacement glass beaker is sold',
		damage: ['smashed, the glass is in pieces', 'missing the filter']
	},
	{
		name: 'pair of blackout curtains',
		price: 78,
		electric: false,
		question: 'How long are the panels, and do they come with hooks?',
		asks: 'how long the panels are and whether hooks are included',
		damage: ['torn at the top', 'marked with a long stain']
	},
	{
		name: '5.5-quart air fryer',
		price: 129,
		electric: true,
		question: 'Is the basket coating PFAS-free?',
		asks: 'whether the basket coating is PFAS-free',
		damage: ['dented on one side', 'missing the basket handle']
	},
	{
		name: 'velvet armchair',
		price: 349,
		electric: false,
		question: 'What are the seat height and the total width? It has to fit a 30-inch alcove.',
		asks: 'its seat height and total width, to fit a 30-inch alcove',
		damage: ['scuffed on one leg', 'torn on the backrest']
	},
	{
		name: 'bamboo bath towel set',
		price: 52,
		electric: false,
		question: 'Do they shed lint in the first few washes?',
		asks: 'whether they shed lint when new',
		damage: ['stained', 'frayed at the edges']
	},
	{
		name: 'rechargeable LED desk light',
		price: 58,
		electric: true,
		question: 'How long does the battery last on one charge?',
		asks: 'how long the battery lasts on one charge',
		damage: ['cracked at the hinge', 'scratched all over the base']
	}
];

const MONTHS = [
	'January',
	'February',
	'March',
	'April',
	'May',
	'June',
	'July',
	'August',
	'September',
	'October',
	'November',
	'December'
];
const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** What one email is about; every template reads from it, so body and summary agree. */
type Facts = {
	customer: Customer;
	channel: Channel;
	order: string | null;
	/** How the body names the order: "order #LH-204518" or "my order". */
	ref: string;
	/** How the summary names it: "order LH-204518" or "their order". */
	sref: string;
	/** The same as an aside, " (order #LH-204518)", or nothing when the body gives no number. */
	refAside: string;
	srefAside: string;
	item: Product;
	other: Product;
	currency: string;
	price: string;
	date: string;
	numericDate: string;
	days: number;
	carrier: string;
	tracking: string;
	weekday: string;
	email: string;
};

type Text = { subject: string; body: string; summary: string };

type Draft = Text & {
	tones: Tone[];
	/** Low urgency unless the tone says otherwise. */
	calm?: boolean;
	/** Fits a "needed by" date; names what is needed. */
	deadline?: string;
	/** Fits a follow-up to an earlier exchange with support. */
	followUp?: boolean;
	/** A terse variant; the body then stands alone, with no greeting or signature. */
	short?: Text & { tone: Tone };
};

type Template = {
	/** How often the message gives an order number. */
	orders: number;
	write(f: Facts, r: Rng): Draft;
};

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

const SHIPPING: Template[] = [
	{
		orders: 0.85,
		write: (f, r) => ({
			subject: r.pick([
				'Where is my order?',
				'Order not arrived',
				f.order ? `Still waiting for ${f.order}` : 'Still waiting for my delivery',
				'Delivery delay'
			]),
			body: `I ordered the ${f.item.name} on ${f.date}${f.refAside} and it still hasn't arrived. It's been ${f.days} days now and the tracking page hasn't changed since it said "Label created". Can you tell me where it is?`,
			summary: `Customer ordered the ${f.item.name} on ${f.date}${f.srefAside} and it has not arrived after ${f.days} days; tracking has not moved past "Label created". They ask where it is.`,
			tones: ['plain', 'annoyed', 'angry'],
			deadline: 'it',
			followUp: true,
			short: f.order
				? {
						subject: 'order??',
						body: `where is my order ${f.order}?? its been ${f.days} days`,
						summary: `Customer asks where order ${f.order} is; it has been ${f.days} days.`,
						tone: 'annoyed'
					}
				: undefined
		})
	},
	{
		orders: 0.8,
		write: (f, r) => ({
			subject: r.pick([`Parcel stuck with ${f.carrier}`, 'Tracking not updating', 'Package stuck']),
			body: `My ${f.item.name}${f.refAside} was sent with ${f.carrier}, tracking number ${f.tracking}, but it has been stuck "in transit" for ${f.days} days. ${f.carrier} told me to contact the sender. What can you do?`,
			summary: `The ${f.item.name} in ${f.sref} has shown "in transit" with ${f.carrier} for ${f.days} days; the carrier sent the customer back to the shop, and they ask what can be done.`,
			tones: ['plain', 'annoyed', 'angry'],
			deadline: 'it',
			followUp: true
		})
	},
	{
		orders: 0.9,
		write: (f, r) => ({
			subject: r.pick(['Marked as delivered but not received', 'Missing parcel', 'Never received']),
			body: `Tracking says ${f.ref} was delivered yesterday, but there's nothing here. I've checked with my neighbours and the building's front desk and nobody has it.`,
			summary: `Tracking shows ${f.sref} as delivered yesterday, but the customer has not received it and neither the neighbours nor the front desk have it.`,
			tones: ['plain', 'annoyed', 'angry'],
			followUp: true
		})
	},
	{
		orders: 0.9,
		write: (f, r) => {
			const address = r.pick(ADDRESSES[f.customer.region]);
			return {
				subject: r.pick(['Change delivery address', 'Wrong address on my order']),
				body: `I just noticed I used my old address for ${f.ref}. Could you send it to ${address} instead? It hasn't shipped yet as far as I can see.`,
				summary: `Customer asks to change the delivery address of ${f.sref} to ${address}; they believe it has not shipped yet.`,
				tones: ['warm', 'plain'],
				deadline: 'it'
			};
		}
	}
];

const REFUND: Template[] = [
	{
		orders: 0.85,
		write: (f, r) => ({
			subject: r.pick(['Refund not received', 'Where is my refund?', 'Return processed, no money']),
			body: `I sent back the ${f.item.name} from ${f.ref} and got your email on ${f.date} saying the return had arrived. ${f.days} days later there is still no refund of ${f.price} on my card.`,
			summary: `Customer returned the ${f.item.name} from ${f.sref}; the return was confirmed on ${f.date}, but ${f.days} days later the ${f.price} refund has not reached their card.`,
			tones: ['plain', 'annoyed', 'angry'],
			followUp: true,
			short: f.order
				? {
						subject: 'refund',
						body: `Still no refund for ${f.order}. Returned it weeks ago.`,
						summary: `Customer says the refund for order ${f.order} has not arrived although they returned it weeks ago.`,
						tone: 'annoyed'
					}
				: undefined
		})
	},
	{
		orders: 0.75,
		write: (f, r) => ({
			subject: r.pick([
				'Return request',
				'How do I return an item?',
				'Returning the ' + f.item.name
			]),
			body: `I'd like to return the ${f.item.name} from ${f.ref}. It's unused and still in the box, it just doesn't suit the room. How do I get my money back?`,
			summary: `Customer wants to return the unused ${f.item.name} from ${f.sref} because it does not suit the room, and asks how to get a refund.`,
			tones: ['warm', 'plain']
		})
	},
	{
		orders: 0.8,
		write: (f, r) => {
			const sale = `${f.currency}${Math.round(f.item.price * 0.75)}.00`;
			return {
				subject: r.pick(['Price drop', 'Price adjustment?', 'Now on sale']),
				body: `I bought the ${f.item.name}${f.refAside} for ${f.price}, and a week later it's on sale for ${sale}. Could you refund me the difference?`,
				summary: `Customer paid ${f.price} for the ${f.item.name}${f.srefAside}, which is now on sale for ${sale}, and asks for the difference back.`,
				tones: ['warm', 'plain', 'annoyed']
			};
		}
	}
];

const DAMAGED: Template[] = [
	{
		orders: 0.85,
		write: (f, r) => {
			const damage = r.pick(f.item.damage);
			const wants = r.pick(['a replacement', 'a refund']);
			return {
				subject: r.pick(['Item arrived damaged', 'Broken on arrival', `Damaged ${f.item.name}`]),
				body: `The ${f.item.name} from ${f.ref} arrived today and it's ${damage}. The box looked fine from the outside. I've attached photos. I'd like ${wants}, please.`,
				summary: `The ${f.item.name} from ${f.sref} arrived ${damage}; the customer attached photos and wants ${wants}.`,
				tones: ['plain', 'annoyed', 'angry'],
				deadline: wants === 'a replacement' ? 'the replacement' : undefined,
				followUp: true
			};
		}
	},
	{
		orders: 0.85,
		write: (f, r) => ({
			subject: r.pick([
				'Wrong item received',
				'This is not what I ordered',
				'Wrong product in box'
			]),
			body: `I ordered the ${f.item.name}${f.refAside} but the box had a ${f.other.name} in it instead. Can you send the right one and tell me how to send this back?`,
			summary: `Customer received a ${f.other.name} instead of the ${f.item.name} they ordered${f.srefAside} and asks for the right item and how to return the wrong one.`,
			tones: ['plain', 'annoyed'],
			deadline: 'the right one'
		})
	},
	{
		orders: 0.8,
		write: (f, r) => {
			const product = f.item.electric ? f.item : PRODUCTS.find((p) => p.electric)!;
			return {
				subject: r.pick([
					'Stopped working',
					'Faulty product',
					`${capitalize(product.name)} is dead`
				]),
				body: `The ${product.name} I bought${f.refAside} stopped working after ${f.days} days. It doesn't turn on at all, and I've tried another socket. Is it under warranty?`,
				summary: `The ${product.name} from ${f.sref} stopped working after ${f.days} days and does not turn on in another socket; the customer asks whether it is under warranty.`,
				tones: ['plain', 'annoyed', 'angry'],
				followUp: true
			};
		}
	}
];

const ACCOUNT: Template[] = [
	{
		orders: 0,
		write: (f, r) => ({
			subject: r.pick(["Can't log in", 'Password reset email not arriving', 'Login problem']),
			body: `I'm trying to log in, but the password reset email never arrives. I've checked my spam folder and tried three times. My account email is ${f.email}.`,
			summary: `Customer cannot log in because the password reset email never arrives, even after three tries and checking spam; their account email is ${f.email}.`,
			tones: ['plain', 'annoyed', 'angry'],
			followUp: true,
			short: {
				subject: 'password reset',
				body: `reset email doesnt come. account is ${f.email}`,
				summary: `Customer says the password reset email does not arrive for ${f.email}.`,
				tone: 'plain'
			}
		})
	},
	{
		orders: 0,
		write: (f, r) => ({
			subject: r.pick(['Locked out of my account', 'Two-factor code problem', 'New phone, no 2FA']),
			body: `I got a new phone and can't receive the two-factor codes anymore, so I'm locked out of my account (${f.email}). How can I get back in?`,
			summary: `Customer changed phones, no longer receives two-factor codes and is locked out of the account ${f.email}; they ask how to get back in.`,
			tones: ['plain', 'annoyed'],
			followUp: true
		})
	},
	{
		orders: 0,
		write: (f, r) => {
			const next = `${f.customer.first.toLowerCase().replace(/[^a-z]/g, '')}@${r.pick(['example.org', 'mail.example.net'])}`;
			return {
				subject: r.pick(['Change my email address', 'Update account email']),
				body: `Could you change the email on my account from ${f.email} to ${next}? I'm closing the old mailbox at the end of the month.`,
				summary: `Customer asks to change their account email from ${f.email} to ${next} because the old mailbox closes at the end of the month.`,
				tones: ['warm', 'plain'],
				calm: true
			};
		}
	}
];

const BILLING: Template[] = [
	{
		orders: 0.85,
		write: (f, r) => ({
			subject: r.pick(['Charged twice', 'Double charge on my card', 'Duplicate payment']),
			body: `I was charged twice for ${f.ref}: my statement shows two payments of ${f.price} on ${f.date}, on the card ending ${r.int(1000, 9999)}. Please refund the duplicate.`,
			summary: `Customer was charged twice (${f.price} each, on ${f.date}) for ${f.sref} and asks for the duplicate payment back.`,
			tones: ['plain', 'annoyed', 'angry'],
			followUp: true
		})
	},
	{
		orders: 0,
		write: (f, r) => ({
			subject: r.pick(['Charged after cancelling', 'Why was I charged?', 'Larkspur Plus charge']),
			body: `I cancelled my Larkspur Plus membership on ${f.date}, but I was still charged ${f.currency}9.99 this month. I have the cancellation email.`,
			summary: `Customer cancelled Larkspur Plus on ${f.date} but was still charged ${f.currency}9.99 this month; they have the cancellation email.`,
			tones: ['plain', 'annoyed', 'angry'],
			followUp: true
		})
	},
	{
		orders: 0.95,
		write: (f, r) => {
			const invoice = `INV-2025-${String(r.int(1000, 99999)).padStart(5, '0')}`;
			return {
				subject: r.pick(['Invoice request', 'VAT invoice please', 'Invoice with company details']),
				body: `Could you send me an invoice for ${f.ref} with my company's name on it? The one attached to the confirmation (${invoice}) only has my name, and I need it for expenses.`,
				summary: `Customer asks for an invoice for ${f.sref} showing their company's name for expenses; the existing invoice ${invoice} only has their name.`,
				tones: ['warm', 'plain'],
				calm: true
			};
		}
	},
	{
		orders: 0.85,
		write: (f, r) => {
			const code = r.pick(['WELCOME15', 'SPRING20', 'FRIENDS10']);
			return {
				subject: r.pick(['Discount code not applied', 'Charged full price']),
				body: `I used the code ${code} at checkout and it showed the discount, but I was charged the full ${f.price} for ${f.ref}.`,
				summary: `Customer used the code ${code} on ${f.sref}; the discount showed at checkout but they were charged the full ${f.price}.`,
				tones: ['plain', 'annoyed']
			};
		}
	}
];

const CANCELLATION: Template[] = [
	{
		orders: 0.9,
		write: (f, r) => {
			const why = r.pick([
				['I ordered it twice by mistake', 'they ordered it twice by mistake'],
				['I found it cheaper locally', 'they found it cheaper locally'],
				["my partner already bought one, so we don't need it", 'their partner already bought one']
			]);
			return {
				subject: r.pick(['Cancel order', 'Please cancel my order', `Cancel ${f.order ?? 'order'}`]),
				body: `Please cancel ${f.ref} for the ${f.item.name}. ${capitalize(why[0])}. If it has already shipped, let me know what to do.`,
				summary: `Customer asks to cancel ${f.sref} for the ${f.item.name} because ${why[1]}, and asks what to do if it has already shipped.`,
				tones: ['warm', 'plain'],
				short: f.order
					? {
							subject: 'cancel',
							body: `Please cancel ${f.order}, thanks`,
							summary: `Customer asks to cancel order ${f.order}.`,
							tone: 'plain'
						}
					: undefined
			};
		}
	},
	{
		orders: 0,
		write: (f, r) => ({
			subject: r.pick(['Cancel membership', 'Cancel Larkspur Plus', 'End my subscription']),
			body: `Please cancel my Larkspur Plus membership. I'm moving abroad next month and won't be ordering for a while. My account email is ${f.email}.`,
			summary: `Customer asks to cancel their Larkspur Plus membership (account ${f.email}) because they are moving abroad next month.`,
			tones: ['warm', 'plain']
		})
	}
];

const PRODUCT_QUESTION: Template[] = [
	{
		orders: 0,
		write: (f, r) => ({
			subject: r.pick(['Question about a product', `${capitalize(f.item.name)}`, 'Quick question']),
			body: `I'm thinking about buying the ${f.item.name}. ${f.item.question}`,
			summary: `Customer is considering the ${f.item.name} and asks ${f.item.asks}.`,
			tones: ['warm', 'plain'],
			calm: true
		})
	},
	{
		orders: 0.9,
		write: (f, r) => ({
			subject: r.pick(['Question about my purchase', `${capitalize(f.item.name)} question`]),
			body: `I bought the ${f.item.name} last month${f.refAside} and love it so far. ${f.item.question}`,
			summary: `Customer, who bought the ${f.item.name} last month${f.srefAside}, asks ${f.item.asks}.`,
			tones: ['warm'],
			calm: true
		})
	},
	{
		orders: 0,
		write: (f, r) => {
			const colour = r.pick(['sage green', 'charcoal', 'oat', 'terracotta']);
			return {
				subject: r.pick([
					'Back in stock?',
					'Restock date',
					`${capitalize(f.item.name)} in ${colour}`
				]),
				body: `When will the ${f.item.name} be back in stock in ${colour}? It's been sold out for weeks. Can I get an email when it's back?`,
				summary: `Customer asks when the ${f.item.name} will be back in stock in ${colour}, which has been sold out for weeks, and wants an email when it is.`,
				tones: ['warm', 'plain', 'annoyed'],
				calm: true
			};
		}
	}
];

const OTHER: Template[] = [
	{
		orders: 0.6,
		write: (f, r) => {
			const driver = r.pick(['Dave', 'Marta', 'Sam', 'Kofi']);
			return {
				subject: r.pick(['Thank you!', 'Great delivery', 'Compliment for your driver']),
				body: `Just wanted to say thank you. Your driver, ${driver}, carried the ${f.item.name} up four flights of stairs without complaining and was lovely about it. Please pass it on!${f.refAside ? ` (It was ${f.ref}.)` : ''}`,
				summary: `Customer thanks the driver ${driver}, who carried the ${f.item.name} up four flights of stairs${f.order ? ` for ${f.sref}` : ''}, and asks for the thanks to be passed on.`,
				tones: ['warm'],
				calm: true
			};
		}
	},
	{
		orders: 0,
		write: (f, r) => ({
			subject: r.pick(['Unsubscribe', 'Too many emails', 'Stop marketing emails']),
			body: `Please take ${f.email} off your marketing list. I'm getting three emails a day and the unsubscribe link gives an error.`,
			summary: `Customer wants ${f.email} removed from marketing emails; they get three a day and the unsubscribe link gives an error.`,
			tones: ['plain', 'annoyed'],
			calm: true
		})
	},
	{
		orders: 0,
		write: (f, r) => {
			const city = r.pick(['Leeds', 'Lyon', 'Melbourne', 'Austin', 'Utrecht']);
			return {
				subject: r.pick(['Wholesale enquiry', 'Stocking your products', 'Trade pricing']),
				body: `I run a small café and homeware shop in ${city} and would love to stock your ${f.item.name}. Do you offer wholesale pricing, and what is the minimum order?`,
				summary: `A café and homeware shop owner in ${city} asks about wholesale pricing and the minimum order to stock the ${f.item.name}.`,
				tones: ['warm', 'plain'],
				calm: true
			};
		}
	}
];

const TEMPLATES: Record<Intent, Template[]> = {
	shipping: SHIPPING,
	refund: REFUND,
	damaged_item: DAMAGED,
	account: ACCOUNT,
	billing: BILLING,
	cancellation: CANCELLATION,
	product_question: PRODUCT_QUESTION,
	other: OTHER
};

/** Emails that start in the customer's language and switch to English part of the way. */
const MIXED: Partial<Record<Lang, Partial<Record<Intent, Template>>>> = {
	de: {
		shipping: {
			orders: 0.9,
			write: (f) => ({
				subject: `Lieferung ${f.order ?? ''} / delivery`.replace('  ', ' '),
				body: `ich habe am ${f.numericDate} ${f.order ? `die Bestellung ${f.order}` : 'bei Ihnen'} aufgegeben (${f.item.name}), aber sie ist immer noch nicht angekommen. Sorry, I'll write in English: the tracking has not changed for ${f.days} days. Können Sie bitte nachsehen, wo das Paket ist?`,
				summary: `Customer placed ${f.sref} (${f.item.name}) on ${f.date}; it has not arrived and tracking has not changed for ${f.days} days. They ask where the parcel is.`,
				tones: ['plain', 'annoyed']
			})
		},
		damaged_item: {
			orders: 0.9,
			write: (f, r) => {
				const damage = r.pick(f.item.damage);
				return {
					subject: `Beschädigte Ware – damaged item`,
					body: `leider ist ${f.order ? `meine Bestellung ${f.order}` : 'meine Bestellung'} beschädigt angekommen. The ${f.item.name} is ${damage}. Fotos sind im Anhang. Bitte schicken Sie mir Ersatz.`,
					summary: `The ${f.item.name} from ${f.sref} arrived ${damage}; the customer attached photos and asks for a replacement.`,
					tones: ['plain', 'annoyed']
				};
			}
		},
		refund: {
			orders: 0.85,
			write: (f) => ({
				subject: 'Rückerstattung / refund',
				body: `ich habe den ${f.item.name} ${f.order ? `aus Bestellung ${f.order} ` : ''}zurückgeschickt, and you confirmed the return on ${f.date}. Die Erstattung von ${f.price} ist aber nach ${f.days} Tagen immer noch nicht da.`,
				summary: `Customer returned the ${f.item.name} from ${f.sref}; the return was confirmed on ${f.date}, but the ${f.price} refund has not arrived after ${f.days} days.`,
				tones: ['plain', 'annoyed']
			})
		}
	},
	fr: {
		shipping: {
			orders: 0.9,
			write: (f) => ({
				subject: `Commande non reçue${f.order ? ` ${f.order}` : ''}`,
				body: `j'ai passé ${f.order ? `la commande ${f.order}` : 'une commande'} le ${f.numericDate} (${f.item.name}) et je ne l'ai toujours pas reçue. Sorry, in English: tracking has said nothing new for ${f.days} days. Pouvez-vous vérifier où est le colis ?`,
				summary: `Customer placed ${f.sref} (${f.item.name}) on ${f.date}; it has not arrived and tracking has shown nothing new for ${f.days} days. They ask where the parcel is.`,
				tones: ['plain', 'annoyed']
			})
		},
		cancellation: {
			orders: 0.95,
			write: (f) => ({
				subject: `Annulation ${f.order ?? 'commande'}`,
				body: `je voudrais annuler ${f.order ? `ma commande ${f.order}` : 'ma commande'} (${f.item.name}). I ordered it twice by mistake. Merci de me confirmer l'annulation.`,
				summary: `Customer asks to cancel ${f.sref} (${f.item.name}) because they ordered it twice by mistake, and asks for confirmation.`,
				tones: ['plain']
			})
		},
		damaged_item: {
			orders: 0.85,
			write: (f) => ({
				subject: 'Produit abîmé / damaged',
				body: `le ${f.item.name} ${f.order ? `(commande ${f.order}) ` : ''}est arrivé abîmé. In English: it's ${f.item.damage[0]}. Je voudrais un remboursement, s'il vous plaît. Photos attached.`,
				summary: `The ${f.item.name} from ${f.sref} arrived ${f.item.damage[0]}; the customer attached photos and wants a refund.`,
				tones: ['plain', 'annoyed']
			})
		}
	},
	es: {
		shipping: {
			orders: 0.9,
			write: (f) => ({
				subject: `Pedido ${f.order ?? ''} no llega`.replace('  ', ' '),
				body: `hice ${f.order ? `el pedido ${f.order}` : 'un pedido'} el ${f.numericDate} (${f.item.name}) y todavía no ha llegado. Sorry for the Spanish: the tracking has not moved in ${f.days} days. ¿Me pueden decir dónde está?`,
				summary: `Customer placed ${f.sref} (${f.item.name}) on ${f.date}; it has not arrived and tracking has not moved for ${f.days} days. They ask where it is.`,
				tones: ['plain', 'annoyed']
			})
		},
		refund: {
			orders: 0.85,
			write: (f) => ({
				subject: 'Reembolso / refund',
				body: `devolví el ${f.item.name}${f.order ? ` del pedido ${f.order}` : ''} y ustedes confirmaron la devolución el ${f.numericDate}. But ${f.days} days later I still have no refund of ${f.price}. ¿Qué pasa?`,
				summary: `Customer returned the ${f.item.name} from ${f.sref}; the return was confirmed on ${f.date}, but after ${f.days} days the ${f.price} refund has not arrived.`,
				tones: ['plain', 'annoyed']
			})
		},
		cancellation: {
			orders: 0.95,
			write: (f) => ({
				subject: 'Cancelar pedido',
				body: `quiero cancelar ${f.order ? `el pedido ${f.order}` : 'mi pedido'} (${f.item.name}). I found it cheaper locally. Gracias.`,
				summary: `Customer asks to cancel ${f.sref} (${f.item.name}) because they found it cheaper locally.`,
				tones: ['plain']
			})
		}
	}
};

const GREETINGS: Record<Lang, string[]> = {
	en: ['Hi,', 'Hello,', 'Hi there,', 'Dear Larkspur team,', 'Good morning,', 'Hey,'],
	de: ['Hallo,', 'Guten Tag,', 'Sehr geehrte Damen und Herren,'],
	fr: ['Bonjour,', 'Madame, Monsieur,'],
	es: ['Hola,', 'Buenos días,']
};
const SIGN_OFFS: Record<Lang, string[]> = {
	en: ['Thanks,', 'Best,', 'Regards,', 'Kind regards,', 'Cheers,', 'Thank you,'],
	de: ['Viele Grüße', 'Mit freundlichen Grüßen'],
	fr: ['Cordialement,', 'Merci d’avance,'],
	es: ['Saludos,', 'Gracias,']
};
const OPENERS: Record<Tone, string[]> = {
	warm: ['Hope you are having a good week!', 'I love your shop, first of all.', ''],
	plain: ['', '', 'I hope you can help.'],
	annoyed: ['Honestly, this is getting frustrating.', "I'm not happy about this.", ''],
	angry: [
		'This is unacceptable.',
		'I am extremely disappointed with your service.',
		"I've been a loyal customer, but this is ridiculous."
	]
};
const CLOSERS: Record<Tone, string[]> = {
	warm: ['Thanks so much for your help!', 'Thanks in advance, you are all great.'],
	plain: ['Thanks for your help.', 'Please let me know.', 'Looking forward to hearing from you.'],
	annoyed: ['Please sort this out.', 'I expect a proper answer this time.'],
	angry: ['I want this fixed today.', 'Fix this or I will never order from you again.']
};
const DEADLINES = [
	(thing: string, day: string) => ({
		text: `I really need ${thing} by ${day}, it's a birthday present for my mum.`,
		summary: `They need it by ${day} for a birthday present.`
	}),
	(thing: string, day: string) => ({
		text: `We're hosting family on ${day} and need ${thing} before then.`,
		summary: `They need it before ${day}, when they are hosting family.`
	}),
	(thing: string, day: string) => ({
		text: `I'm moving out on ${day}, so I need ${thing} before that.`,
		summary: `They are moving out on ${day} and need it before then.`
	})
];
const EXTRAS: Partial<Record<Intent, string[]>> = {
	shipping: [
		'Other parcels from other shops have arrived fine this week, so it is not my address.',
		'I paid for standard delivery, which your site says takes 3 to 5 working days.'
	],
	refund: ['I used the prepaid label that came in the box.', 'I still have the drop-off receipt.'],
	damaged_item: ['The packaging inside was just a bit of paper.', 'I have kept all the packaging.'],
	billing: ['My bank says the charge is not pending but completed.'],
	account: ['I can see my orders in the app, but the website will not let me in.']
};
const TOPICS: Record<Intent, string> = {
	shipping: 'Where is my order?',
	refund: 'Returns & refunds',
	damaged_item: 'Damaged or wrong item',
	account: 'My account',
	billing: 'Payments & billing',
	cancellation: 'Cancel an order',
	product_question: 'Product question',
	other: 'Something else'
};
const INTENT_WEIGHTS: [Intent, number][] = [
	['shipping', 22],
	['refund', 14],
	['damaged_item', 14],
	['billing', 12],
	['product_question', 12],
	['account', 10],
	['cancellation', 9],
	['other', 7]
];

function weightedIntent(r: Rng): Intent {
	let roll = r.int(
		1,
		INTENT_WEIGHTS.reduce((sum, [, weight]) => sum + weight, 0)
	);
	for (const [intent, weight] of INTENT_WEIGHTS) {
		roll -= weight;
		if (roll <= 0) return intent;
	}
	return 'other';
}

function plainAscii(text: string): string {
	return text
		.normalize('NFD')
		.replace(/[\u0300-\u036f]/g, '')
		.toLowerCase()
		.replace(/[^a-z]/g, '');
}

function trackingNumber(carrier: string, r: Rng): string {
	const digits = (n: number) => Array.from({ length: n }, () => r.int(0, 9)).join('');
	if (carrier === 'UPS') return `1Z${r.pick(['A', 'E', 'X'])}${r.int(10, 99)}W${digits(11)}`;
	if (carrier === 'Royal Mail') return `RM${digits(9)}GB`;
	return digits(r.pick([12, 14]));
}

function orderRef(order: string | null, channel: Channel, r: Rng): string {
	// A form has its own order field, so the message often just says "my order".
	if (!order || (channel === 'web-form' && r.chance(0.5))) {
		return r.pick(['my order', 'my recent order', 'the order I placed']);
	}
	return r.pick([
		`order #${order}`,
		`order ${order}`,
		`order number ${order}`,
		`my order ${order}`
	]);
}

function makeFacts(customer: Customer, channel: Channel, hasOrder: boolean, r: Rng): Facts {
	const order = hasOrder ? `LH-${r.int(100000, 999999)}` : null;
	const item = r.pick(PRODUCTS);
	let other = r.pick(PRODUCTS);
	while (other === item) other = r.pick(PRODUCTS);
	const month = r.int(1, 3);
	const day = r.int(1, 28);
	const carrier = r.pick(CARRIERS[customer.region]);
	const currency = CURRENCY[customer.region];
	const ref = orderRef(order, channel, r);
	const refNamesOrder = order !== null && ref.includes(order);
	return {
		customer,
		channel,
		order,
		ref,
		sref: order ? `order ${order}` : 'their order',
		refAside: refNamesOrder ? ` (${ref})` : '',
		srefAside: order ? ` (order ${order})` : '',
		item,
		other,
		currency,
		price: `${currency}${item.price}.00`,
		date: customer.region === 'na' ? `${MONTHS[month]} ${day}` : `${day} ${MONTHS[month]}`,
		numericDate: `${String(day).padStart(2, '0')}.${String(month + 1).padStart(2, '0')}.2025`,
		days: r.int(4, 21),
		carrier,
		tracking: trackingNumber(carrier, r),
		weekday: r.pick(WEEKDAYS),
		email: `${plainAscii(customer.first)}.${plainAscii(customer.last)}@${r.pick(['example.com', 'example.net', 'mail.example.org'])}`
	};
}

/** The closing of an email and the name it gives, if any. */
function signOff(f: Facts, lang: Lang, r: Rng): { text: string; name: string | null } {
	const { first, last } = f.customer;
	const full = `${first} ${last}`;
	const words = r.pick(SIGN_OFFS[lang]);
	const style = r.pick(['full', 'full', 'first', 'first', 'block', 'bare', 'phone'] as const);
	if (style === 'first') return { text: `${words}\n${first}`, name: first };
	if (style === 'bare') return { text: words, name: null };
	if (style === 'phone') return { text: 'Sent from my iPhone', name: null };
	if (style === 'block') {
		const role = r.pick([
			'Office Manager | Brightline Dental',
			'Senior Designer, Fern & Co.',
			'Head of Operations – Kettle Studio'
		]);
		const phone = `${DIALLING_CODES[f.customer.region]} ${r.int(200, 999)} ${r.int(100, 999)} ${r.int(1000, 9999)}`;
		return { text: `${words}\n${full}\n${role}\n${phone}`, name: full };
	}
	return { text: `${words}\n${full}`, name: full };
}

function quotedReply(f: Facts, date: string): string {
	const about = f.order ? `order ${f.order}` : 'your order';
	return [
		`On ${date}, Larkspur Home Support <help@larkspur.example> wrote:`,
		'> Hello,',
		`> Thanks for getting in touch. We've passed ${about} to our team and will get back to you within 2 working days.`,
		'> Best wishes,',
		'> Larkspur Home Support'
	].join('\n');
}

type Written = { text: string; extraction: Extraction };

function writeEmail(intent: Intent, f: Facts, template: Template, mixed: boolean, r: Rng): Written {
	const draft = template.write(f, r);
	const lang: Lang = mixed ? f.customer.lang : 'en';
	const useShort = !mixed && draft.short !== undefined && r.chance(0.35);
	const tone = useShort ? draft.short!.tone : r.pick(draft.tones);
	const followUp =
		!useShort &&
		draft.followUp === true &&
		(tone === 'annoyed' || tone === 'angry') &&
		r.chance(0.4);
	const deadline =
		!useShort && draft.deadline !== undefined && r.chance(0.3)
			? r.pick(DEADLINES)(draft.deadline, f.weekday)
			: null;
	const urgency: Urgency =
		tone === 'angry' || followUp || deadline
			? 'high'
			: tone !== 'annoyed' && (draft.calm || intent === 'product_question' || intent === 'other')
				? 'low'
				: 'normal';
	const sentiment: Sentiment =
		tone === 'warm' ? 'positive' : tone === 'plain' ? 'neutral' : 'negative';

	let subject = useShort ? draft.short!.subject : draft.subject;
	let summary = useShort ? draft.short!.summary : draft.summary;
	const paragraphs: string[] = [];
	let name: string | null = null;

	if (useShort) {
		paragraphs.push(draft.short!.body);
		if (r.chance(0.4)) {
			paragraphs.push(f.customer.first);
			name = f.customer.first;
		}
	} else {
		if (lang !== 'en' || r.chance(0.85)) paragraphs.push(r.pick(GREETINGS[lang]));
		const opener = mixed ? '' : r.pick(OPENERS[tone]);
		const quoteLater = followUp && f.channel === 'email' && r.chance(0.5);
		const again = followUp && !quoteLater ? "This is the second time I'm writing about this. " : '';
		paragraphs.push(`${again}${opener ? `${opener} ` : ''}${draft.body}`);
		const extras = EXTRAS[intent];
		if (!mixed && extras && r.chance(0.35)) paragraphs.push(r.pick(extras));
		if (deadline) paragraphs.push(deadline.text);
		if (!mixed) paragraphs.push(r.pick(CLOSERS[tone]));
		if (f.channel === 'email') {
			const closing = signOff(f, lang, r);
			paragraphs.push(closing.text);
			name = closing.name;
		} else if (r.chance(0.5)) {
			paragraphs.push(`${r.pick(SIGN_OFFS[lang])}\n${f.customer.first}`);
		}
		if (quoteLater) {
			const day = r.int(2, 20);
			const earlier = f.customer.region === 'na' ? `May ${day}, 2025` : `${day} May 2025`;
			paragraphs.push(quotedReply(f, earlier));
			subject = `Re: ${subject}`;
		}
		if (followUp) summary += ' They are writing again about the same problem.';
		if (deadline) summary += ` ${deadline.summary}`;
	}

	let text: string;
	if (f.channel === 'web-form') {
		const full = `${f.customer.first} ${f.customer.last}`;
		name = full;
		text = [
			`Subject: [Contact form] ${subject}`,
			'',
			`Name: ${full}`,
			`Email: ${f.email}`,
			`Order number: ${f.order ?? ''}`.trimEnd(),
			// People often leave the topic menu on its last choice.
			`Topic: ${r.chance(0.8) ? TOPICS[intent] : TOPICS.other}`,
			'Message:',
			paragraphs.join('\n\n')
		].join('\n');
	} else {
		text = `Subject: ${subject}\n\n${paragraphs.join('\n\n')}`;
	}
	return {
		text,
		extraction: {
			intent,
			order_id: f.order,
			sentiment,
			urgency,
			summary,
			customer_name: name
		}
	};
}

const CONFUSED_WITH: Record<Intent, Intent[]> = {
	refund: ['cancellation', 'billing'],
	shipping: ['other', 'cancellation'],
	damaged_item: ['refund', 'shipping'],
	account: ['billing', 'other'],
	billing: ['refund', 'account'],
	cancellation: ['refund'],
	product_question: ['other', 'damaged_item'],
	other: ['product_question', 'account']
};
const INVENTIONS = [
	' They say a support agent had promised them free express shipping.',
	' They ask to be called back on their mobile tomorrow morning.',
	' They also ask for a 20% discount on their next order.',
	' They mention that this is their third complaint this year.'
];

/** Makes one believable, schema-valid mistake in a correct extraction. */
function plantFlaw(correct: Extraction, f: Facts, r: Rng): { output: Extraction; flaw: Flaw } {
	const kinds: Flaw[] = ['wrong_intent', 'wrong_sentiment', 'invented_fact', 'wrong_order_id'];
	if (correct.order_id) kinds.push('missed_order_id', 'missed_order_id');
	const flaw = r.pick(kinds);
	const output = { ...correct };
	if (flaw === 'wrong_intent') output.intent = r.pick(CONFUSED_WITH[correct.intent]);
	if (flaw === 'missed_order_id') output.order_id = null;
	if (flaw === 'wrong_order_id') {
		// With an order number in the email, two digits swap; without one, a number is made up.
		output.order_id = correct.order_id
			? correct.order_id.slice(0, 5) +
				correct.order_id[6] +
				correct.order_id[5] +
				correct.order_id.slice(7)
			: `LH-${r.int(100000, 999999)}`;
		if (output.order_id === correct.order_id) output.order_id = `LH-${r.int(100000, 999999)}`;
	}
	if (flaw === 'wrong_sentiment') {
		output.sentiment =
			correct.sentiment === 'negative' ? r.pick(['neutral', 'positive'] as const) : 'negative';
	}
	if (flaw === 'invented_fact') {
		output.summary =
			correct.summary.includes(f.item.name) && r.chance(0.4)
				? correct.summary.replaceAll(f.item.name, f.other.name)
				: correct.summary + r.pick(INVENTIONS);
	}
	return { output, flaw };
}

/** Every block of this many examples has exactly one flawed draft, at a seeded position. */
const FLAW_EVERY = 5;

/** The demo examples; example i depends only on the seed and i, not on how many are made. */
export function generateDemoExamples(count: number, seed: number): DemoExample[] {
	return Array.from({ length: count }, (_, index) => {
		const r = rng((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
		const block = Math.floor(index / FLAW_EVERY);
		const flawAt = rng((seed ^ Math.imul(block + 1, 0x85ebca6b)) >>> 0).int(0, FLAW_EVERY - 1);
		const [first, last, region, lang] = r.pick(PEOPLE);
		const customer: Customer = { first, last, region, lang };
		const channel: Channel = r.chance(0.7) ? 'email' : 'web-form';
		const intent = weightedIntent(r);
		const mixedTemplate = lang !== 'en' && r.chance(0.5) ? MIXED[lang]?.[intent] : undefined;
		const template = mixedTemplate ?? r.pick(TEMPLATES[intent]);
		const facts = makeFacts(customer, channel, r.chance(template.orders), r);
		const written = writeEmail(intent, facts, template, mixedTemplate !== undefined, r);
		const planted = index % FLAW_EVERY === flawAt ? plantFlaw(written.extraction, facts, r) : null;
		const tags = [channel, `region-${region}`];
		if (mixedTemplate) tags.push(`lang-${lang}`);
		return {
			id: `demo-${String(index + 1).padStart(4, '0')}`,
			input: written.text,
			output: planted ? planted.output : written.extraction,
			tags,
			flaw: planted ? planted.flaw : null
		};
	});
}
