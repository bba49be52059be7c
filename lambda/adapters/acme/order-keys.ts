/**
 * The private key of an ACME order between finalization and the moment its certificate is safe.
 *
 * Once an order is finalized, the CA issues for the key of its CSR; if the download or the import then
 * fails (network, deadline, a Lambda that ends), that certificate is usable only with that key. So the
 * key is kept, encrypted in Secrets Manager (the only place besides ACM a certificate key may rest,
 * DESIGN.md Security), as `<prefix><certificateId>`, from just before finalization until the certificate
 * is in ACM or the pending-import slot (`releaseOrder`); a later run resuming the order
 * (`OrderRequest.resumeOrderUrl`) takes it from there.
 * At most one per certificate: the next finalization of the same certificate replaces it.
 */
import type { KeyType } from '../../domain/model.js';
import type { SecretStore } from '../../domain/ports.js';

interface KeptKey {
  orderUrl: string;
  keyType: KeyType;
  keyPem: string;
}

export class OrderKeys {
  /** `prefix` e.g. `certbeat/<stack>/pending/order-keys/`; the certificate id is appended. */
  constructor(
    private readonly secrets: SecretStore,
    private readonly prefix: string,
  ) {}

  secretIdFor(certificateId: string): string {
    return `${this.prefix}${certificateId}`;
  }

  async keep(certificateId: string, key: KeptKey): Promise<void> {
    // Deleted after use, so usually absent: create first.
    await this.secrets.put(this.secretIdFor(certificateId), JSON.stringify(key), { expectAbsent: true });
  }

  /** The key kept for `orderUrl` with `keyType`, or `undefined` (none, another order's, unreadable). */
  async find(certificateId: string, orderUrl: string, keyType: KeyType): Promise<string | undefined> {
    const raw = await this.secrets.get(this.secretIdFor(certificateId));
    if (!raw) return undefined;
    try {
      const kept = JSON.parse(raw) as Partial<KeptKey>;
      return kept.orderUrl === orderUrl && kept.keyType === keyType && typeof kept.keyPem === 'string' ? kept.keyPem : undefined;
    } catch {
      return undefined;
    }
  }

  async discard(certificateId: string): Promise<void> {
    await this.secrets.delete(this.secretIdFor(certificateId));
  }
}
