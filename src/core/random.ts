/**
 * Seeded pseudo-randomness for data generation and simulations: a sha256-counter stream.
 * Deterministic from the seed alone, identical on every platform; not for keys.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, hexToBytes } from './encoding';

export class SeededRandom {
  private readonly seed: Uint8Array;
  private counter = 0;
  private block = new Uint8Array(0);
  private offset = 0;

  constructor(seedHex: string) {
    this.seed = hexToBytes(seedHex);
  }

  private nextUint32(): number {
    if (this.offset + 4 > this.block.length) {
      const counterBytes = new Uint8Array(8);
      new DataView(counterBytes.buffer).setFloat64(0, this.counter++);
      this.block = sha256(concatBytes(this.seed, counterBytes));
      this.offset = 0;
    }
    const view = new DataView(this.block.buffer, this.block.byteOffset + this.offset, 4);
    this.offset += 4;
    return view.getUint32(0);
  }

  /** Uniform in [0, 1) with 53 bits of precision. */
  next(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal via Box–Muller (uses Math.log/cos: fine for data, never for consensus). */
  normal(): number {
    const u = 1 - this.next();
    const w = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * w);
  }

  bytes32Hex(): string {
    let out = '';
    for (let i = 0; i < 8; i++) out += this.nextUint32().toString(16).padStart(8, '0');
    return out;
  }
}
