import { strToU8, zipSync } from 'fflate';

// Documents written for tests, as an office program would save them: a PDF whose headings are
// set larger than its text, a DOCX whose headings carry Word's heading styles. A block that
// starts with "# " is a heading; every other block is a paragraph.

const escapePdf = (text: string) => text.replace(/[\\()]/g, (c) => `\\${c}`);

/** Words wrapped into lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
	const lines: string[] = [];
	let line = '';
	for (const word of text.split(/\s+/)) {
		if (line && line.length + word.length + 1 > width) {
			lines.push(line);
			line = '';
		}
		line = line ? `${line} ${word}` : word;
	}
	if (line) lines.push(line);
	return lines;
}

/** A PDF of ASCII text in Helvetica, one list of blocks per page; headings at 18 pt, text at 11. */
export function pdfOf(pages: string[][]): Uint8Array {
	const objects: string[] = [];
	const pageIds = pages.map((_, i) => 4 + i * 2);
	objects[1] = '<< /Type /Catalog /Pages 2 0 R >>';
	objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pages.length} >>`;
	objects[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';
	pages.forEach((blocks, i) => {
		const operations: string[] = ['BT'];
		let y = 740;
		for (const block of blocks) {
			const heading = block.startsWith('# ');
			const size = heading ? 18 : 11;
			const lines = heading ? [block.slice(2)] : wrap(block, 85);
			for (const line of lines) {
				operations.push(`/F1 ${size} Tf 1 0 0 1 72 ${y} Tm (${escapePdf(line)}) Tj`);
				y -= size * 1.3;
			}
			y -= 12;
		}
		operations.push('ET');
		const stream = operations.join('\n');
		objects[pageIds[i]] =
			`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${pageIds[i] + 1} 0 R /Resources << /Font << /F1 3 0 R >> >> >>`;
		objects[pageIds[i] + 1] = `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`;
	});
	let body = '%PDF-1.4\n';
	const offsets: number[] = [];
	for (let id = 1; id < objects.length; id++) {
		offsets[id] = body.length;
		body += `${id} 0 obj\n${objects[id]}\nendobj\n`;
	}
	const xref = body.length;
	body += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
	for (let id = 1; id < objects.length; id++) {
		body += `${String(offsets[id]).padStart(10, '0')} 00000 n \n`;
	}
	body += `trailer\n<< /Size ${objects.length} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
	return strToU8(body);
}

/** A PDF of pages with no text at all: what a scanner without text recognition saves. */
export function scannedPdf(): Uint8Array {
	return pdfOf([[]]);
}

const escapeXml = (text: string) =>
	text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);

/** A DOCX file: headings in Word's "Heading 1" style, the rest in its normal style. */
export function docxOf(blocks: string[]): Uint8Array {
	const W = 'http://schemas.openxmlformats.org/wordprocessingml/2006/main';
	const paragraphs = blocks
		.map((block) =>
			block.startsWith('# ')
				? `<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t xml:space="preserve">${escapeXml(block.slice(2))}</w:t></w:r></w:p>`
				: `<w:p><w:r><w:t xml:space="preserve">${escapeXml(block)}</w:t></w:r></w:p>`
		)
		.join('');
	return zipSync({
		'[Content_Types].xml': strToU8(
			'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>'
		),
		'_rels/.rels': strToU8(
			'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>'
		),
		'word/_rels/document.xml.rels': strToU8(
			'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>'
		),
		'word/styles.xml': strToU8(
			`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:styles xmlns:w="${W}"><w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style></w:styles>`
		),
		'word/document.xml': strToU8(
			`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="${W}"><w:body>${paragraphs}</w:body></w:document>`
		)
	});
}
