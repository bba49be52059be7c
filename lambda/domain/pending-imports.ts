/**
 * The pending-import slot: a certificate that was issued but could not be imported into ACM is kept,
 * encrypted in Secrets Manager (through the `SecretStore` port), and imported on the next run without
 * ordering again — so nothing already issued is lost, and no CA rate limit is spent twice.
 * This is the one place besides ACM where a certificate private key may rest (DESIGN.md, Security).
 */
import type { IssuedCertificate } from './model.js';
import type { SecretStore } from './ports.js';

interface Stored {
  certificatePem: string;
  chainPem: string;
  privateKeyPem: string;
  names: string[];
  serial: string;
  notBefore: string;
  notAfter: string;
  issuer: string;
  ariCertId?: string;
}

export class PendingImports {
  /** `prefix` is the secret name prefix, e.g. `certbeat/pending/`; the certificate id is appended. */
  constructor(
    private readonly secrets: SecretStore,
    private readonly prefix: string,
  ) {}

  secretIdFor(certificateId: string): string {
    return `${this.prefix}${certificateId}`;
  }

  async save(certificateId: string, issued: IssuedCertificate): Promise<void> {
    const stored: Stored = {
      ...issued,
      notBefore: issued.notBefore.toISOString(),
      notAfter: issued.notAfter.toISOString(),
    };
    // Deleted after use, so usually absent: create first.
    await this.secrets.put(this.secretIdFor(certificateId), JSON.stringify(stored), { expectAbsent: true });
  }

  /** The kept certificate, or `undefined` when there is none or it is unreadable. */
  async load(certificateId: string): Promise<IssuedCertificate | undefined> {
    const raw = await this.secrets.get(this.secretIdFor(certificateId));
    if (!raw) return undefined;
    try {
      const s = JSON.parse(raw) as Stored;
      if (!s.certificatePem || !s.privateKeyPem || !s.notAfter) return undefined;
      return { ...s, notBefore: new Date(s.notBefore), notAfter: new Date(s.notAfter) };
    } catch {
      return undefined;
    }
  }

  async discard(certificateId: string): Promise<void> {
    await this.secrets.delete(this.secretIdFor(certificateId));
  }
}
