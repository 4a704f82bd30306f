// The Mersenne Twister MT19937 exactly as numpy's legacy `np.random.seed(n)` / `np.random.rand` use it, so the
// labeled/unlabeled split of the reference solution can be reproduced bit for bit without Python.
//
// All state arithmetic is on unsigned 32-bit integers: `Math.imul` for the low 32 bits of a product and `>>> 0`
// to bring a result back into [0, 2^32).

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

export class MT19937 {
  private readonly state = new Uint32Array(N);
  private index = N;

  /** Seeds like numpy's `RandomState(seed)` for an integer seed, i.e. the reference `init_genrand(seed)`. */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RangeError(`MT19937: the seed must be an integer in [0, 2^32 - 1], got ${seed}.`);
    }
    this.state[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const previous = this.state[i - 1];
      this.state[i] = (Math.imul(1812433253, previous ^ (previous >>> 30)) + i) >>> 0;
    }
  }

  /** The next 32-bit output (`genrand_int32`), in [0, 2^32). */
  nextUint32(): number {
    if (this.index >= N) this.twist();
    let y = this.state[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** numpy's `random_sample`: a double in [0, 1) with 53 random bits taken from two 32-bit draws. */
  randomSample(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Regenerates the whole state block (the reference `genrand_int32` refill). */
  private twist(): void {
    const mt = this.state;
    for (let i = 0; i < N; i++) {
      const y = (mt[i] & UPPER_MASK) | (mt[(i + 1) % N] & LOWER_MASK);
      mt[i] = (mt[(i + M) % N] ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0)) >>> 0;
    }
    this.index = 0;
  }
}
