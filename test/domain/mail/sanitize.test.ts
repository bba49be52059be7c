import { describe, expect, it } from 'vitest';
import { cleanText, escapeHtml, oneLine, safeHttpsUrl, sanitizeHeader } from '../../../lambda/domain/mail/sanitize.js';
import { sanitizeHeader as reExported } from '../../../lambda/domain/mail/render.js';

describe('sanitizeHeader', () => {
  it('keeps a header injection attempt on one line, as text', () => {
    expect(sanitizeHeader('x\r\nBcc: evil@example.com')).toBe('x Bcc: evil@example.com');
    expect(sanitizeHeader('a\rb\nc\u2028d\u2029e')).toBe('a b c d e');
    expect(reExported).toBe(sanitizeHeader);
  });

  it('removes control characters and bidi overrides, collapses white space', () => {
    expect(sanitizeHeader('\u0000a\u0007b\u001b[31mc\u007f\u0085d')).toBe('a b [31mc d');
    expect(sanitizeHeader('  evil\u202Egnp.exe\t\t ')).toBe('evilgnp.exe');
  });

  it('bounds the length to 200 characters without splitting a character', () => {
    expect(sanitizeHeader('a'.repeat(200))).toBe('a'.repeat(200));
    const cut = sanitizeHeader('😀'.repeat(300));
    expect(Array.from(cut)).toHaveLength(200);
    expect(cut.endsWith('😀…')).toBe(true);
    expect(cut).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });

  it('leaves ordinary subjects alone', () => {
    const s = "Renewed: example.com (+2 names) — valid until 22 Feb 2027 — Let's Encrypt";
    expect(sanitizeHeader(s)).toBe(s);
  });
});

describe('escapeHtml', () => {
  it('escapes every character that can open markup or leave an attribute', () => {
    expect(escapeHtml(`<script>alert("x")</script>`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(escapeHtml(`" onmouseover='alert(1)' x=\``)).toBe('&quot; onmouseover=&#39;alert(1)&#39; x=&#96;');
    expect(escapeHtml('&lt; stays text')).toBe('&amp;lt; stays text');
  });

  it('drops control characters but keeps line breaks', () => {
    expect(escapeHtml('a\u0000b\u001bc\r\nd')).toBe('abc\nd');
  });
});

describe('text helpers', () => {
  it('cleanText normalises line breaks and removes escapes', () => {
    expect(cleanText('a\r\nb\rc\u001b[2Jd')).toBe('a\nb\nc[2Jd');
  });

  it('oneLine flattens line breaks', () => {
    expect(oneLine('x\r\nBcc: y\tz')).toBe('x Bcc: y z');
  });

  it('safeHttpsUrl allows https only', () => {
    expect(safeHttpsUrl('https://console.aws.amazon.com/acm/home')).toBe('https://console.aws.amazon.com/acm/home');
    expect(safeHttpsUrl('javascript:alert(1)')).toBeUndefined();
    expect(safeHttpsUrl('http://example.com/')).toBeUndefined();
    expect(safeHttpsUrl('data:text/html,<b>')).toBeUndefined();
    expect(safeHttpsUrl('/relative')).toBeUndefined();
  });
});
