/**
 * A small, strict XML reader and writer for Route 53's REST/XML documents. The requests the SDK
 * sends are plain element trees (an XML declaration, a namespace attribute, entity-escaped text);
 * anything else malformed is refused so the emulator answers like the real service's MalformedInput.
 */

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Concatenated character data directly inside this element (entities decoded). */
  text: string;
}

export class XmlSyntaxError extends Error {}

const NAME = /[A-Za-z_][\w.:-]*/y;

/** Parses a document with a single root element. Throws XmlSyntaxError when it is not well formed. */
export function parseXml(source: string): XmlElement {
  let pos = 0;
  const fail = (what: string): never => {
    throw new XmlSyntaxError(`${what} at offset ${pos}`);
  };
  const skipMisc = (): void => {
    for (;;) {
      while (pos < source.length && /\s/.test(source[pos])) pos++;
      if (source.startsWith('<?', pos)) {
        const end = source.indexOf('?>', pos);
        if (end < 0) fail('unterminated processing instruction');
        pos = end + 2;
      } else if (source.startsWith('<!--', pos)) {
        const end = source.indexOf('-->', pos);
        if (end < 0) fail('unterminated comment');
        pos = end + 3;
      } else return;
    }
  };
  const readName = (): string => {
    NAME.lastIndex = pos;
    const m = NAME.exec(source);
    if (!m) fail('expected a name');
    pos += m![0].length;
    return m![0];
  };
  const readElement = (): XmlElement => {
    if (source[pos] !== '<') fail('expected an element');
    pos++;
    const el: XmlElement = { name: readName(), attributes: {}, children: [], text: '' };
    for (;;) {
      const before = pos;
      while (pos < source.length && /\s/.test(source[pos])) pos++;
      if (source.startsWith('/>', pos)) {
        pos += 2;
        return el;
      }
      if (source[pos] === '>') {
        pos++;
        break;
      }
      if (pos === before) fail('expected whitespace before an attribute');
      const attr = readName();
      while (/\s/.test(source[pos] ?? '')) pos++;
      if (source[pos] !== '=') fail('expected =');
      pos++;
      while (/\s/.test(source[pos] ?? '')) pos++;
      const quote = source[pos];
      if (quote !== '"' && quote !== "'") fail('expected a quoted attribute value');
      const end = source.indexOf(quote, pos + 1);
      if (end < 0) fail('unterminated attribute value');
      if (attr in el.attributes) fail(`duplicate attribute ${attr}`);
      el.attributes[attr] = decodeEntities(source.slice(pos + 1, end), fail);
      pos = end + 1;
    }
    // Content until the matching end tag.
    for (;;) {
      if (pos >= source.length) fail(`unterminated element ${el.name}`);
      if (source.startsWith('</', pos)) {
        pos += 2;
        const closing = readName();
        if (closing !== el.name) fail(`end tag ${closing} does not match ${el.name}`);
        while (/\s/.test(source[pos] ?? '')) pos++;
        if (source[pos] !== '>') fail('expected >');
        pos++;
        return el;
      }
      if (source.startsWith('<!--', pos)) {
        const end = source.indexOf('-->', pos);
        if (end < 0) fail('unterminated comment');
        pos = end + 3;
      } else if (source.startsWith('<![CDATA[', pos)) {
        const end = source.indexOf(']]>', pos);
        if (end < 0) fail('unterminated CDATA section');
        el.text += source.slice(pos + 9, end);
        pos = end + 3;
      } else if (source[pos] === '<') {
        el.children.push(readElement());
      } else {
        const next = source.indexOf('<', pos);
        const end = next < 0 ? source.length : next;
        el.text += decodeEntities(source.slice(pos, end), fail);
        pos = end;
      }
    }
  };
  skipMisc();
  const root = readElement();
  skipMisc();
  if (pos !== source.length) fail('content after the root element');
  return root;
}

function decodeEntities(raw: string, fail: (what: string) => never): string {
  if (raw.includes('<')) fail('unescaped < in text');
  return raw.replace(/&([^;]*);?/g, (whole, ent: string) => {
    if (!whole.endsWith(';')) fail('unterminated entity');
    switch (ent) {
      case 'amp':
        return '&';
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
    }
    const m = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(ent);
    if (!m) fail(`unknown entity &${ent};`);
    const code = m![1].startsWith('x') ? parseInt(m![1].slice(1), 16) : parseInt(m![1], 10);
    if (code > 0x10ffff) fail('character reference out of range');
    return String.fromCodePoint(code);
  });
}

/** The first child named `name`, or undefined. */
export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}

/** All children named `name`. */
export function children(el: XmlElement | undefined, name: string): XmlElement[] {
  return el ? el.children.filter((c) => c.name === name) : [];
}

/** Text of the first child named `name`, or undefined when absent. */
export function childText(el: XmlElement | undefined, name: string): string | undefined {
  return child(el, name)?.text;
}

// ---- writing --------------------------------------------------------------

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** A value tree for the writer: strings/numbers/booleans become text, arrays repeat the element. */
export type XmlValue = string | number | boolean | undefined | XmlValue[] | { [name: string]: XmlValue };

/** `<name>...</name>` for a value; undefined members are left out (as the real service omits them). */
export function element(name: string, value: XmlValue): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.map((v) => element(name, v)).join('');
  if (typeof value === 'object') {
    const inner = Object.entries(value)
      .map(([k, v]) => element(k, v))
      .join('');
    return `<${name}>${inner}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

export const ROUTE53_NS = 'https://route53.amazonaws.com/doc/2013-04-01/';

/** A full response document: declaration, namespaced root. */
export function document(root: string, members: { [name: string]: XmlValue }): string {
  const inner = Object.entries(members)
    .map(([k, v]) => element(k, v))
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${ROUTE53_NS}">${inner}</${root}>`;
}
