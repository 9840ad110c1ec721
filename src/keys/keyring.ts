// The server's in-memory view of the signing keys. Private keys are unsealed and imported once per
// reload, never per request; the JWKS body is serialised once per reload. A running server reloads
// every key_reload_interval seconds, so `idp keys rotate` on any machine reaches it in bounded time.
import { importJWK, type JWK } from 'jose';
import type { SigningAlg } from '../config/schema.ts';
import { type Clock, epochSeconds } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { SigningKeyRecord, SigningKeyStore } from '../store/store.ts';
import { KeyError } from './errors.ts';
import { parseStoredPublicJwk, type PublicJwk } from './jwks.ts';
import { describeKeys, nextTransition, orderAlgorithms } from './lifecycle.ts';
import type { Sealer } from './seal.ts';

export interface SigningKey {
  kid: string;
  alg: SigningAlg;
  key: CryptoKey;
}

export interface KeyringDeps {
  store: SigningKeyStore;
  sealer: Sealer;
  clock: Clock;
  log: Logger;
}

export class Keyring {
  private records: SigningKeyRecord[] = [];
  private privateKeys = new Map<string, CryptoKey>();
  private published: PublicJwk[] = [];
  private body = '{"keys":[]}';
  private signers = new Map<SigningAlg, SigningKey>();
  /** When the signers must be recomputed because a `next` key activates (epoch seconds). */
  private signersValidUntil = 0;
  private algorithms: { signers: Map<SigningAlg, SigningKey>; list: SigningAlg[] } | null = null;

  constructor(private readonly deps: KeyringDeps) {}

  /** Reads the keys from the store; on failure the previous keys stay in use and the error is thrown. */
  async reload(): Promise<void> {
    const records = await this.deps.store.listSigningKeys();
    const privateKeys = new Map<string, CryptoKey>();
    const published: PublicJwk[] = [];
    for (const record of records) {
      if (record.retiredAt !== null) continue;
      published.push(parseStoredPublicJwk(record.publicJwk, record.kid, record.alg));
      privateKeys.set(record.kid, this.privateKeys.get(record.kid) ?? (await this.unseal(record)));
    }
    this.records = records;
    this.privateKeys = privateKeys;
    this.published = published;
    this.body = JSON.stringify({ keys: published });
    this.signersValidUntil = 0;
  }

  /** Reloads every `intervalSeconds` until the returned function is called. */
  startReloading(intervalSeconds: number): () => void {
    const timer = setInterval(() => {
      this.reload().catch((error: unknown) => {
        this.deps.log.error('signing key reload failed; keeping the previous keys', { reason: (error as Error).message });
      });
    }, intervalSeconds * 1000);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** The key that signs for `alg` right now. */
  signingKey(alg: SigningAlg): SigningKey {
    const signer = this.currentSigners().get(alg);
    if (!signer) throw new KeyError(`No active ${alg} signing key; run: idp keys rotate --alg ${alg} --now`);
    return signer;
  }

  /**
   * Algorithms that have an active signing key now, RS256 first. The same array is returned until the
   * signers change, so callers (the discovery body) can tell a change by identity; do not mutate it.
   */
  signingAlgorithms(): SigningAlg[] {
    const signers = this.currentSigners();
    if (this.algorithms?.signers !== signers) this.algorithms = { signers, list: orderAlgorithms(signers.keys()) };
    return this.algorithms.list;
  }

  /** Every published public key (next, active and retiring). */
  publicKeys(): readonly PublicJwk[] {
    return this.published;
  }

  /** The JWKS document, serialised once per reload. */
  jwksBody(): string {
    return this.body;
  }

  private currentSigners(): Map<SigningAlg, SigningKey> {
    const now = epochSeconds(this.deps.clock);
    if (now < this.signersValidUntil) return this.signers;
    const signers = new Map<SigningAlg, SigningKey>();
    for (const view of describeKeys(this.records, now)) {
      const key = this.privateKeys.get(view.kid);
      if (view.state === 'active' && key) signers.set(view.alg, { kid: view.kid, alg: view.alg, key });
    }
    this.signers = signers;
    this.signersValidUntil = nextTransition(this.records, now);
    return signers;
  }

  private async unseal(record: SigningKeyRecord): Promise<CryptoKey> {
    const text = await this.deps.sealer.open(record.sealedPrivateJwk, record.kid);
    try {
      return (await importJWK(JSON.parse(text) as JWK, record.alg)) as CryptoKey;
    } catch {
      throw new KeyError(`The private key of signing key ${record.kid} is damaged and cannot be imported.`);
    }
  }
}
